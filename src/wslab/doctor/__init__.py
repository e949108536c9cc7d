"""``wslab doctor``: is this machine (or this AWS account) ready for the tutorial?

One PASS, NOTE or FAIL line per check, each with a fix when it fails, all within 60 s: the
machine, Python, the install, the tutorial's files and settings, Node.js (optional, a NOTE
when it is missing); then for the local AWS a free port, the local AWS up, and one WebSocket
round trip through it; or, with ``WSLAB_TARGET=aws``, the credentials, the IAM rights the
notebooks need, whether roles need a permissions boundary (``WSLAB_PERMISSIONS_BOUNDARY``) and
API Gateway's CloudWatch Logs role.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from wslab.doctor import machine
from wslab.doctor.aws_account import AwsAccount
from wslab.doctor.local_aws import LocalAWS, round_trip
from wslab.doctor.report import Report, failed
from wslab.local.platform import set_variable_command

__all__ = ["run_doctor"]


def run_doctor(
    port: int,
    say: Callable[[str], None] = print,
    environ: Mapping[str, str] | None = None,
    aws_client: Callable[[str], Any] | None = None,
) -> int:
    """Run the checks, saying each outcome; the exit status. ``aws_client(service)`` makes
    the AWS clients (default: from the usual AWS configuration)."""
    env = os.environ if environ is None else environ
    report = Report(say)
    report.check("machine", machine.machine)
    report.check("python", machine.python)
    report.check("install", machine.install)
    report.check("tutorial", lambda: machine.tutorial(env))
    report.check("node", machine.node)
    settings = _tutorial_settings(env)
    if settings is not None and settings[0] == "aws":
        _aws(report, settings[1], settings[2], aws_client)
    else:
        _local(report, port)
    return report.summary()


def _local(report: Report, port: int) -> None:
    report.check("port", lambda: machine.port(port))
    local = LocalAWS(port)
    try:
        up = report.check("local AWS", local.check)
        endpoint = local.endpoint_url
        if up.passed and endpoint is not None:
            report.check("WebSocket", lambda: round_trip(endpoint))
        else:
            report.check("WebSocket", lambda: failed("not run: no local AWS"))
    finally:
        local.close()


def _tutorial_settings(env: Mapping[str, str]) -> tuple[str, str, str | None] | None:
    """The target's kind, the prefix and the roles' permissions boundary, as the notebooks
    will read them; None when they cannot (the "tutorial" line has said why)."""
    from wslab.notebook.names import (
        TutorialError,
        permissions_boundary_from_environment,
        prefix_from_environment,
    )
    from wslab.notebook.target import target_kind

    try:
        kind, prefix = target_kind(env), prefix_from_environment(env)
        return kind, prefix, permissions_boundary_from_environment(env)
    except TutorialError:
        return None


def _aws(
    report: Report, prefix: str, boundary: str | None, aws_client: Callable[[str], Any] | None
) -> None:
    from wslab.aws import Target, TargetError

    if aws_client is None:
        try:
            target = Target.aws()
        except TargetError as error:
            refusal = str(error)
            fix = set_variable_command("AWS_REGION", "<a region>")
            report.check("AWS", lambda: failed(refusal, fix))
            return
        account = AwsAccount(target.client, target.region, prefix, boundary)
    else:
        account = AwsAccount(aws_client, aws_client("sts").meta.region_name, prefix, boundary)
    report.check("AWS", account.credentials)
    report.check("IAM", account.rights)
    report.check("boundary", account.role_boundary)
    report.check("logs role", account.cloudwatch_role)
