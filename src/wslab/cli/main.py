"""The ``wslab`` command: its parser, and the subcommand each module of :mod:`wslab.cli`
adds to it (``local``, ``deploy``, ``dev``, ``demo``, ``doctor``, ``chat``, ``logs``)."""

from __future__ import annotations

import argparse

from wslab import __version__
from wslab.cli import chat, demo, deploy, dev, doctor, local, logs
from wslab.local.process import loopback_without_proxy

__all__ = ["main"]

_SUBCOMMANDS = (local, deploy, dev, demo, doctor, chat, logs)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wslab",
        description=(
            "Real-time messaging on API Gateway WebSocket APIs, Lambda and DynamoDB: the "
            "local AWS, the chat's deployment, the demo, the pre-class check, a chat client, "
            "the functions' logs."
        ),
    )
    parser.add_argument("--version", action="version", version=f"wslab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for subcommand in _SUBCOMMANDS:
        subcommand.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    loopback_without_proxy()  # the local AWS, its workers and clients are never behind a proxy
    args.run(args)
