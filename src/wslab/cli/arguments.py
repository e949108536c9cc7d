"""Argument types the subcommands share: one readable line for a bad value, from argparse."""

from __future__ import annotations

import argparse

__all__ = ["Subcommands", "port_number", "positive"]

Subcommands = argparse._SubParsersAction  # the type argparse gives add_subparsers' result


def positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return number


def port_number(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number, 1 to 65535, got {value}")
    return number
