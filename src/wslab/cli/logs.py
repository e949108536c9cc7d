"""``wslab logs``: the functions' logs, from CloudWatch Logs, on the local AWS or on AWS.

Each function writes to the log group ``/aws/lambda/<function>`` on both (the local stack
keeps what its workers print there), so this is one boto3 ``logs`` client either way:
``FilterLogEvents`` from ``--since`` ago, and with ``-f`` the same call again every second
for what came after, as ``aws logs tail --follow`` and ``sam logs --tail`` do.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from wslab.cli.arguments import Subcommands

__all__ = ["add_parser", "since_ms"]

_GROUP_PREFIX = "/aws/lambda/"
_FOLLOW_INTERVAL_S = 1.0
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def since_ms(value: str) -> int:
    """``--since``: ``30s``, ``10m``, ``2h``, ``1d``, ``1w`` ago, in epoch milliseconds."""
    found = _DURATION.fullmatch(value.strip())
    if found is None:
        raise argparse.ArgumentTypeError(
            f"must be a number and a unit (s, m, h, d or w), like 10m, got {value}"
        )
    ago_s = int(found[1]) * _UNIT_S[found[2]]
    return int((time.time() - ago_s) * 1000)


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    logs = commands.add_parser(
        "logs",
        help="print the functions' logs (CloudWatch Logs /aws/lambda/<function>)",
        description=(
            "Print what the functions logged, from CloudWatch Logs: on the local AWS "
            "(AWS_ENDPOINT_URL, or the stack on the default port), or with --aws or "
            "WSLAB_TARGET=aws on the account and region of your usual AWS configuration."
        ),
    )
    which = logs.add_mutually_exclusive_group()
    which.add_argument("function", nargs="?", help="the function's name")
    which.add_argument("--all", action="store_true", help="every function's logs (the default)")
    logs.add_argument(
        "-f", "--follow", action="store_true", help="keep printing new lines until Ctrl-C"
    )
    logs.add_argument(
        "--since",
        type=since_ms,
        default="10m",
        metavar="DURATION",
        help="from how long ago: 30s, 10m, 2h, 1d (default 10m)",
    )
    where = logs.add_mutually_exclusive_group()
    where.add_argument("--aws", action="store_true", help="read them on AWS itself")
    where.add_argument("--endpoint-url", help="the local AWS to read them on")
    logs.add_argument("--region", help="region (default: us-east-1 locally, else your config)")
    logs.set_defaults(run=_run)


def _target(args: argparse.Namespace) -> Any:
    from wslab.aws import LOCAL_REGION, Target, TargetError
    from wslab.local.defaults import DEFAULT_PORT
    from wslab.local.process import health

    if args.aws or os.environ.get("WSLAB_TARGET", "").strip().lower() == "aws":
        try:
            return Target.aws(args.region)
        except TargetError as error:
            raise SystemExit(f"wslab logs: {error}; or pass --region") from None
    endpoint = (
        args.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL")
        or os.environ.get("WSLAB_ENDPOINT_URL")
    )
    if not endpoint:
        found = health(DEFAULT_PORT)
        if found is None:
            raise SystemExit(
                f"wslab logs: no wslab local answers on port {DEFAULT_PORT}: start it "
                "(wslab local), set AWS_ENDPOINT_URL, or pass --aws"
            )
        endpoint = str(found["endpoint_url"])
    return Target.local(endpoint, args.region or LOCAL_REGION)


def _function_groups(logs: Any) -> list[str]:
    pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=_GROUP_PREFIX)
    return [group["logGroupName"] for page in pages for group in page["logGroups"]]


def _events(logs: Any, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=start_ms)
    for page in pages:
        yield from page["events"]


def _line(group: str, event: dict[str, Any]) -> str:
    stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
    when = stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    message = str(event["message"]).rstrip("\n")
    return f"{when} [{group.removeprefix(_GROUP_PREFIX)}] {message}"


class _Printer:
    """Prints each event once, in time order across the groups, from ``start_ms`` on."""

    def __init__(self, logs: Any, start_ms: int) -> None:
        self._logs = logs
        self._start_ms = start_ms
        self._seen: set[str] = set()

    def print_new(self, groups: list[str], missing_ok: bool) -> None:
        """``missing_ok``: a group deleted meanwhile (its function was) is skipped."""
        fresh = []
        for group in groups:
            try:
                events = list(_events(self._logs, group, self._start_ms))
            except self._logs.exceptions.ResourceNotFoundException:
                if not missing_ok:
                    raise
                continue
            fresh += [(e["timestamp"], group, e) for e in events if e["eventId"] not in self._seen]
        fresh.sort(key=lambda item: item[0])
        for _, group, event in fresh:
            self._seen.add(event["eventId"])
            print(_line(group, event), flush=True)
        if fresh:
            # Events of the same millisecond may still come: start from it, seen ones skip.
            self._start_ms = fresh[-1][0]


def _read(args: argparse.Namespace) -> None:
    logs = _target(args).client("logs")
    printer = _Printer(logs, args.since)
    single = args.function is not None
    while True:
        groups = [_GROUP_PREFIX + args.function] if single else _function_groups(logs)
        if not groups and not args.follow:
            print("wslab logs: no function has written logs yet", file=sys.stderr)
            return
        try:
            printer.print_new(groups, missing_ok=not single)
        except logs.exceptions.ResourceNotFoundException:
            raise SystemExit(
                f"wslab logs: no logs for function {args.function} (no log group "
                f"{groups[0]}): no such function, or it has not run yet"
            ) from None
        if not args.follow:
            return
        time.sleep(_FOLLOW_INTERVAL_S)


def _run(args: argparse.Namespace) -> None:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    try:
        _read(args)
    except EndpointConnectionError as error:
        raise SystemExit(f"wslab logs: {error}; is wslab local running there?") from None
    except NoCredentialsError:
        raise SystemExit(
            "wslab logs --aws: no AWS credentials found (aws configure, or AWS_PROFILE)"
        ) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
