"""``wslab deploy``: the chat's template and handlers, to the local AWS or to AWS."""

from __future__ import annotations

import argparse

from wslab.cli.arguments import Subcommands

__all__ = ["add_parser"]


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from wslab.deploy.project import HANDLER_RUNTIMES, PYTHON_RUNTIME
    from wslab.deploy.stack import DEFAULT_STACK_NAME

    deploy = commands.add_parser(
        "deploy",
        help="package lambda_src/, upload it and create or update the CloudFormation stack",
        description=(
            "Deploy cloudformation/template.yaml with the handlers of lambda_src/. By default "
            "to the local AWS (AWS_ENDPOINT_URL, or the stack on the default port, started in "
            "the background if none answers); with --aws to the account and region of your "
            "usual AWS configuration (this creates billable resources). With "
            "WSLAB_PERMISSIONS_BOUNDARY set, each of the stack's roles carries that boundary."
        ),
    )
    where = deploy.add_mutually_exclusive_group()
    where.add_argument("--aws", action="store_true", help="deploy to AWS itself")
    where.add_argument("--endpoint-url", help="the local AWS to deploy to")
    deploy.add_argument("--region", help="region (default: us-east-1 locally, else your config)")
    deploy.add_argument("--stack-name", default=DEFAULT_STACK_NAME)
    deploy.add_argument("--stage", default="prod")
    deploy.add_argument(
        "--with-authorizer",
        action="store_true",
        help="require a signed token on $connect (creates the signing key in Secrets Manager)",
    )
    deploy.add_argument(
        "--runtime",
        choices=HANDLER_RUNTIMES,
        default=PYTHON_RUNTIME,
        help=(
            "which reference handlers to deploy: lambda_src/chat/ (python3.12, the default) "
            "or lambda_src/chat-nodejs/ (nodejs22.x)"
        ),
    )
    deploy.add_argument("--allowed-origins", default="", help="comma-separated Origin allowlist")
    deploy.add_argument(
        "--access-logging",
        action="store_true",
        help=(
            "write the stage's access logs (needs the account's API Gateway CloudWatch Logs "
            "role: cloudformation/apigateway-account.yaml)"
        ),
    )
    deploy.add_argument(
        "--hot",
        action="store_true",
        help=(
            "local AWS only: the functions run lambda_src/ itself, and an edit reaches their "
            "next invocation (hot reload; `wslab dev` also watches and reports each change)"
        ),
    )
    deploy.add_argument(
        "--delete",
        action="store_true",
        help="delete the stack, its artifact bucket and its token secret instead",
    )
    deploy.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    import os

    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    from wslab.aws import LOCAL_REGION, Target, TargetError
    from wslab.deploy.stack import ChatStack, DeployError, delete, deploy
    from wslab.local.process import ensure_running
    from wslab.notebook.names import TutorialError, permissions_boundary_from_environment

    try:
        boundary = permissions_boundary_from_environment() or ""
    except TutorialError as error:
        raise SystemExit(f"wslab deploy: {error}") from None

    if args.aws:
        try:
            target = Target.aws(args.region)
        except TargetError as error:
            raise SystemExit(f"wslab deploy --aws: {error}; or pass --region") from None
    else:
        endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or ensure_running()
        target = Target.local(endpoint, args.region or LOCAL_REGION)
    where = target.endpoint_url or f"AWS ({target.region})"
    print(f"target: {where}", flush=True)
    stack = ChatStack(target, args.stack_name)
    try:
        if args.delete:
            delete(stack)
        else:
            deploy(
                stack,
                stage=args.stage,
                with_authorizer=args.with_authorizer,
                allowed_origins=args.allowed_origins,
                access_logging=args.access_logging,
                hot_reload=args.hot,
                runtime=args.runtime,
                permissions_boundary=boundary,
            )
    except DeployError as error:
        raise SystemExit(f"wslab deploy: {error}") from None
    except EndpointConnectionError as error:
        hint = "is wslab local running there?" if target.is_local else "check your network"
        raise SystemExit(f"wslab deploy: {error}; {hint}") from None
    except NoCredentialsError:
        raise SystemExit(
            "wslab deploy --aws: no AWS credentials found (aws configure, or AWS_PROFILE)"
        ) from None
