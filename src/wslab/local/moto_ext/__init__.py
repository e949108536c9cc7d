"""moto, extended with what the local stack needs: the only package that imports moto.

* :mod:`.apigatewayv2`: deployments, UpdateStage, GetAuthorizers, local ``ws://`` endpoints.
* :mod:`.lambda_backend`: ``Invoke`` runs the deployed code; packages must be zips.
* :mod:`.lambda_limits`: Lambda's limits (names, environment, sizes, runtimes), as AWS refuses.
* :mod:`.cloudformation`: CloudFormation as AWS runs it (see its package).
* :mod:`.account_settings`: API Gateway's CloudWatch Logs role, needed by stage logging.
* :mod:`.iam_enforcement`: calls signed with a role's temporary credentials checked by IAM.
* :mod:`.iam_models`: AWS managed policies on demand; CloudFormation roles' managed policies.
* :mod:`.s3_bucket_policy`: bucket policies' conditions evaluated (HTTPS assumed).
* :mod:`.control_plane`: the cached :class:`~wslab.local.control.ControlPlane` on moto.
* :mod:`.dynamodb_index`: a Query reads its partition, not the whole table.
* :mod:`.dynamodb_results`: item answers encoded straight to JSON.
* :mod:`.lookups`: what moto's server looked up on every request, looked up once.
* :mod:`.moto_app`: moto's server application, called in-process, one lock per service.
* :mod:`.host`: the process-wide state the extensions share.

:func:`install` puts every extension in place: ``wslab local`` calls it, and so does
anything that wants moto exactly as ``wslab local`` serves it (the moto compatibility gate).
"""

from __future__ import annotations

__all__ = ["install", "install_cloudformation"]


def install(*, cloudformation: bool = True) -> None:
    """Install the extensions (idempotent), before moto serves its first request.

    ``cloudformation=False`` leaves out the CloudFormation models, whose import takes
    seconds (moto's CloudFormation loads every service it models): the stack installs them
    in the background with :func:`install_cloudformation`.
    """
    from . import (
        account_settings,
        apigatewayv2,
        dynamodb_index,
        dynamodb_results,
        iam_models,
        lambda_backend,
        lambda_limits,
        lookups,
        s3_bucket_policy,
    )

    account_settings.install()
    iam_models.install()
    apigatewayv2.install()
    lambda_backend.install()
    lambda_limits.install()
    s3_bucket_policy.install()
    dynamodb_index.install()
    dynamodb_results.install()
    lookups.install()
    if cloudformation:
        install_cloudformation()


def install_cloudformation() -> None:
    from . import cloudformation

    cloudformation.install()
