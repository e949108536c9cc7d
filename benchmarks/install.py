"""The learner's install against the developer's: packages, size on disk, time.

Makes two fresh virtual environments in a temporary folder and installs the project into
each as the Makefile does: ``.[notebooks]`` (``make run``, ``make lab``) and
``.[test,dev,notebooks]`` (``make test``). Wheels come from pip's cache when it has them, so
the times are those of a second laptop in the room, not of a first download (pass
``--no-cache`` for that). Prints one table; the ratio is developer over learner.

Usage: python benchmarks/install.py [--no-cache] [--wheelhouse DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import machine_details, machine_summary

ROOT = Path(__file__).resolve().parent.parent
INSTALLS = {"learner": "notebooks", "developer": "test,dev,notebooks"}


@dataclass(frozen=True)
class Install:
    name: str
    extras: str
    packages: int
    megabytes: float
    seconds: float


def _folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _python_in(venv: Path) -> Path:
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    return scripts / ("python.exe" if os.name == "nt" else "python")


def measure(name: str, extras: str, into: Path, pip_options: list[str]) -> Install:
    venv = into / name
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = _python_in(venv)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *pip_options, "-e", f"{ROOT}[{extras}]"],
        check=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return Install(name, extras, len(listed), _folder_size(venv) / 1e6, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-cache", action="store_true", help="download every wheel")
    parser.add_argument("--wheelhouse", type=Path, help="install offline from this folder")
    args = parser.parse_args(argv)
    options = ["--no-cache-dir"] if args.no_cache else []
    if args.wheelhouse:
        options += ["--no-index", "--find-links", str(args.wheelhouse.resolve())]
    with tempfile.TemporaryDirectory(prefix="wslab-install-") as folder:
        results = []
        for name, extras in INSTALLS.items():
            print(f"installing the {name}'s environment ([{extras}])...", file=sys.stderr)
            results.append(measure(name, extras, Path(folder), options))
    learner = results[0]
    print(f"{'install':<10} {'extras':<20} {'packages':>8} {'MB':>8} {'s':>6}  ratio to learner")
    for result in results:
        ratio = f"{result.packages / learner.packages:.1f}x packages, " + (
            f"{result.megabytes / learner.megabytes:.1f}x MB, "
            f"{result.seconds / learner.seconds:.1f}x s"
        )
        print(
            f"{result.name:<10} {result.extras:<20} {result.packages:>8} "
            f"{result.megabytes:>8.0f} {result.seconds:>6.0f}  {ratio}"
        )
    print(machine_summary(machine_details()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
