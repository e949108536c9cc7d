"""``wslab chat``: the terminal chat client."""

from __future__ import annotations

import argparse

from wslab.cli.arguments import Subcommands

__all__ = ["add_parser"]


def add_parser(commands: Subcommands[argparse.ArgumentParser]) -> None:
    chat = commands.add_parser(
        "chat",
        help="a terminal chat client for the deployed chat",
        description="Chat from the terminal: type a message and Enter; /join ROOM; /quit.",
    )
    chat.add_argument("url", help="the WebSocketURL output of the stack")
    chat.add_argument("--room", help="room to join (default: the stack's default room)")
    chat.add_argument("--token", help="a token, when the stack has the authorizer")
    chat.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from wslab.client.chat import run_terminal
    from wslab.client.errors import ChatUnavailable

    try:
        run_terminal(args.url, room=args.room, token=args.token)
    except ChatUnavailable as error:
        raise SystemExit(f"wslab chat: {error}") from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
