"""Figures (PNG) from the benchmarks' samples, for benchmarks/README.md and notebook 07.

``side_by_side.py --plot`` and ``handlers.py --plot`` call these; matplotlib comes with the
``notebooks`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

__all__ = ["plot_fanout", "plot_side_by_side"]

_PANELS = ("echo", "connect", "post_to_connection")


def _ecdf(samples: Sequence[float]) -> tuple[list[float], list[float]]:
    ordered = sorted(samples)
    return ordered, [(index + 1) / len(ordered) for index in range(len(ordered))]


def plot_side_by_side(runs: Mapping[str, Mapping[str, Sequence[float]]], path: Path) -> None:
    """One panel per measure: the share of round trips done within x ms, per emulator."""
    figure, axes = plt.subplots(1, len(_PANELS), figsize=(12, 3.6), constrained_layout=True)
    for axis, measure in zip(axes, _PANELS, strict=True):
        for emulator, samples in runs.items():
            xs, ys = _ecdf(samples[measure])
            axis.step(xs, ys, where="post", label=f"{emulator} (n={len(xs)})")
        axis.set_title(measure)
        axis.set_xlabel("ms")
        axis.set_xscale("log")
        axis.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.xaxis.set_major_formatter(ScalarFormatter())
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("share done within")
    axes[0].legend(loc="lower right", fontsize="small")
    figure.suptitle("Latency distributions, same functions, same client, one run")
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_fanout(room_sizes: Sequence[int], medians_ms: Sequence[float], path: Path) -> None:
    """``sendmessage`` time (send until every member has it) against the room's size."""
    figure, axis = plt.subplots(figsize=(6, 3.8), constrained_layout=True)
    axis.plot(room_sizes, medians_ms, marker="o")
    for size, ms in zip(room_sizes, medians_ms, strict=True):
        if size >= 100:  # the small rooms' points sit too close to label legibly
            axis.annotate(f"{ms:,.0f} ms", (size, ms), textcoords="offset points", xytext=(6, -4))
    pairs = zip(room_sizes, medians_ms, strict=True)
    small = ", ".join(f"{size}: {ms:,.0f} ms" for size, ms in pairs if size < 100)
    axis.text(0.02, 0.95, f"rooms of {small}", transform=axis.transAxes, va="top")
    axis.set_xlabel("connections in the room")
    axis.set_ylabel("ms until all have the message")
    axis.set_title("Fan-out by the reference sendmessage handler on wslab local")
    axis.grid(alpha=0.3)
    figure.savefig(path, dpi=110)
    plt.close(figure)
