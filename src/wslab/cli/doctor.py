"""``wslab doctor``: is this machine (or this AWS account) ready for the tutorial?"""

from __future__ import annotations

import argparse

from wslab.cli.arguments import Subcommands, port_number

__all__ = ["add_parser"]


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from wslab.local.defaults import DEFAULT_PORT

    doctor = commands.add_parser(
        "doctor",
        help="check that this machine (or, with WSLAB_TARGET=aws, this AWS account) is ready",
        description=(
            "A pre-class check, one PASS or FAIL line each, within 60 s: Python, the install, "
            "the tutorial's files, a free port, the local AWS, one WebSocket round trip; with "
            "WSLAB_TARGET=aws: the credentials, the IAM rights the notebooks need, and API "
            "Gateway's CloudWatch Logs role. Exits 1 if any check fails."
        ),
    )
    doctor.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"the port the notebooks use (default {DEFAULT_PORT})",
    )
    doctor.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from wslab.doctor import run_doctor

    try:
        status = run_doctor(args.port, say=lambda line: print(line, flush=True))
    except KeyboardInterrupt:  # what it started is stopped on the way out
        status = 130
    raise SystemExit(status)
