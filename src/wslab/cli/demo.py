"""``wslab demo``: the whole chat, offline, in one command (:mod:`.demo_conversation`)."""

from __future__ import annotations

import argparse

from wslab.cli.arguments import Subcommands

__all__ = ["add_parser"]


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from wslab.local.defaults import DEFAULT_PORT

    demo = commands.add_parser(
        "demo",
        help="run the whole chat offline: local AWS, template deployed, a conversation",
        description=(
            "Start the local AWS (or use the one on --port), deploy the chat from "
            "cloudformation/template.yaml, play a conversation between three people in two "
            "rooms, then keep the chat up for you to join until Ctrl-C, and clean up."
        ),
    )
    demo.add_argument("--port", type=int, default=DEFAULT_PORT)
    demo.add_argument("--once", action="store_true", help="stop after the conversation")
    demo.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from wslab.cli.demo_conversation import run_demo

    run_demo(args.port, args.once, say=lambda line: print(line, flush=True))
