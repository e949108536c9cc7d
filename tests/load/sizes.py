"""How big each scenario runs: the issue's own sizes (``make load``), and the short ones
``make test`` runs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LONG", "QUICK", "Sizes"]


@dataclass(frozen=True)
class Sizes:
    atomic: tuple[int, int]  # threads, adds each
    bursts: int  # runs of 20 clients x 5 messages
    steady: tuple[int, float, float]  # rooms of 10, messages per second, seconds
    connections: int
    fuzz: tuple[int, int, int]  # messages, handshakes, @connections calls
    audience: int  # the room whose broadcast loses its worker


LONG = Sizes((32, 1000), 20, (20, 50.0, 60.0), 10_000, (2000, 500, 500), 100)
QUICK = Sizes((16, 50), 2, (5, 20.0, 5.0), 1000, (300, 100, 100), 20)
