"""moto, extended with what the local stack needs: the only package that imports moto.

Grouped by service, as moto is:

* :mod:`.core`: the process-wide :mod:`~.core.host`, moto's server app called in-process
  (:mod:`~.core.moto_app`, one lock per service), the lookups moto's server repeats, made
  once (:mod:`~.core.lookups`), and the cached :class:`~wslab.local.control.ControlPlane`
  on moto (:mod:`~.core.control_plane`).
* :mod:`.apigatewayv2`: deployments, UpdateStage, GetAuthorizers, local ``ws://``
  endpoints; the account's CloudWatch Logs role that stage logging needs.
* :mod:`.awslambda`: ``Invoke`` runs the deployed code; packages must be zips, or the code
  is a folder (hot reload, LocalStack's ``hot-reload`` bucket); Lambda's limits (names,
  environment, sizes, runtimes) refused as AWS refuses them.
* :mod:`.dynamodb`: a Query reads its partition, not the whole table; item answers encoded
  straight to JSON.
* :mod:`.iam`: calls signed with a role's temporary credentials checked by IAM; AWS managed
  policies on demand.
* :mod:`.s3`: bucket policies' conditions evaluated (HTTPS assumed).
* :mod:`.cloudformation`: CloudFormation as AWS runs it, with ``resources/`` by service.

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
    from wslab.local.moto_ext.apigatewayv2 import account_settings
    from wslab.local.moto_ext.apigatewayv2 import models as apigatewayv2
    from wslab.local.moto_ext.awslambda import backend as lambda_backend
    from wslab.local.moto_ext.awslambda import hot_reload as lambda_hot_reload
    from wslab.local.moto_ext.awslambda import limits as lambda_limits
    from wslab.local.moto_ext.core import lookups
    from wslab.local.moto_ext.dynamodb import index as dynamodb_index
    from wslab.local.moto_ext.dynamodb import results as dynamodb_results
    from wslab.local.moto_ext.iam import models as iam_models
    from wslab.local.moto_ext.s3 import bucket_policy as s3_bucket_policy

    account_settings.install()
    iam_models.install()
    apigatewayv2.install()
    lambda_backend.install()
    lambda_hot_reload.install()
    lambda_limits.install()
    s3_bucket_policy.install()
    dynamodb_index.install()
    dynamodb_results.install()
    lookups.install()
    if cloudformation:
        install_cloudformation()


def install_cloudformation() -> None:
    from wslab.local.moto_ext import cloudformation

    cloudformation.install()
