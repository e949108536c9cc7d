"""Does the learner's install resolve to wheels on every laptop in the room?

Builds the project's wheel, then asks pip, for each system and Python version below, what it
would install from PyPI with binary wheels only (``pip install --dry-run --only-binary=:all:
--platform ... --python-version ... --report -``): no compiler needed on the learner's
machine. Prints one line per target, naming each package without a wheel there, and exits 1
if any target fails.

pip evaluates environment markers (``; sys_platform == "linux"``) against the interpreter
that runs it, even with ``--platform`` (https://github.com/pypa/pip/issues/11664): pip runs
here with its marker environment set to the target's, so that a dependency declared for
Linux only is left out of the macOS and Windows installs, as it is on those machines.

With ``--download DIR`` it fetches those wheels into DIR instead (``pip download``, the same
options): a wheelhouse a workshop room installs from offline, with the project's own wheel
beside them (``pip install --no-index --find-links DIR "wslab[notebooks]"``).
``--system`` and ``--python`` narrow the targets (each may repeat).

Usage: python .ci/wheels.py [--project DIR] [--extra NAME] [--index-url URL]
                            [--download DIR] [--system NAME] [--python X.Y]
Standard library and pip only; needs the network (PyPI), or an index given with --index-url.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12", "3.13")


@dataclass(frozen=True)
class System:
    """A laptop: the wheel tags pip may take, and its PEP 508 marker values."""

    name: str
    platforms: tuple[str, ...]
    markers: dict[str, str]


def markers(sys_platform: str, machine: str) -> dict[str, str]:
    """The PEP 508 marker values of a system (``platform.machine()`` says ``machine``)."""
    names = {"darwin": "Darwin", "win32": "Windows", "linux": "Linux"}
    return {
        "os_name": "nt" if sys_platform == "win32" else "posix",
        "sys_platform": sys_platform,
        "platform_system": names[sys_platform],
        "platform_machine": machine,
    }


SYSTEMS = (
    # pip also takes the wheels of older macOS versions, and universal2 ones.
    System("macOS arm64", ("macosx_11_0_arm64",), markers("darwin", "arm64")),
    System("macOS x86_64", ("macosx_10_13_x86_64",), markers("darwin", "x86_64")),
    System("Windows x86_64", ("win_amd64",), markers("win32", "AMD64")),
    # glibc 2.17 and later; pip also takes older manylinux tags.
    System("Linux x86_64", ("manylinux2014_x86_64",), markers("linux", "x86_64")),
    System("Linux aarch64", ("manylinux2014_aarch64",), markers("linux", "aarch64")),
)

# pip, run with the marker environment of argv[1] (JSON) and the arguments after it.
PIP_FOR_TARGET = """
import json, sys
import pip._vendor.packaging.markers as markers
target, running = json.loads(sys.argv[1]), markers.default_environment
markers.default_environment = lambda: {**running(), **target}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
MISSING = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the "
    r"requirement) ([A-Za-z0-9._-]+)"
)


@dataclass(frozen=True)
class Outcome:
    system: str
    python: str
    installs: tuple[str, ...]  # name==version, when it resolves
    missing: tuple[str, ...]  # packages without a wheel there
    error: str

    @property
    def resolved(self) -> bool:
        return not self.missing and not self.error


def _clean_pip_environment() -> dict[str, str]:
    """This process's environment without pip's settings: the index is the one asked for."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no configuration file at all
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def build_wheel(project: Path, into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(into), str(project)],
        check=True,
        env=_clean_pip_environment(),
    )  # fmt: skip
    return next(into.glob("*.whl"))


def _pip_for_target(
    system: System, python: str, command: str, options: list[str]
) -> subprocess.CompletedProcess[str]:
    """pip ``command`` run as on ``system`` under ``python``: its wheel tags and markers."""
    version = python.replace(".", "")
    environment = {
        **system.markers,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    words = [
        sys.executable, "-c", PIP_FOR_TARGET, json.dumps(environment), command, "--quiet",
        "--only-binary=:all:", *(f"--platform={tag}" for tag in system.platforms),
        f"--python-version={python}", "--implementation=cp", f"--abi=cp{version}", *options,
    ]  # fmt: skip
    return subprocess.run(
        words, capture_output=True, text=True, env=_clean_pip_environment(), check=False
    )


def _failure(system: System, python: str, stderr: str) -> Outcome:
    missing = tuple(dict.fromkeys(MISSING.findall(stderr)))
    error = "" if missing else (stderr.strip().splitlines() or ["pip failed"])[-1]
    return Outcome(system.name, python, (), missing, error)


def resolve(system: System, python: str, requirement: str, index_url: str) -> Outcome:
    """What pip would install for ``requirement`` on ``system`` under ``python``."""
    with tempfile.TemporaryDirectory(prefix="wslab-wheels-") as target:
        done = _pip_for_target(
            system, python, "install",
            ["--dry-run", "--ignore-installed", "--target", target, "--index-url", index_url,
             "--report", "-", requirement],
        )  # fmt: skip
    if done.returncode != 0:
        return _failure(system, python, done.stderr)
    report = json.loads(done.stdout)
    installs = tuple(
        f"{item['metadata']['name']}=={item['metadata']['version']}" for item in report["install"]
    )
    return Outcome(system.name, python, installs, (), "")


def download(system: System, python: str, requirement: str, index_url: str, into: Path) -> Outcome:
    """Fetch into ``into`` every wheel ``requirement`` needs on ``system`` under ``python``
    (what is there already is kept)."""
    done = _pip_for_target(
        system, python, "download",
        ["--dest", str(into), "--index-url", index_url, "--find-links", str(into), requirement],
    )  # fmt: skip
    if done.returncode != 0:
        return _failure(system, python, done.stderr)
    return Outcome(system.name, python, (), (), "")


def build_requirements(project: Path) -> list[str]:
    """What building the project needs (``[build-system] requires``): an editable install
    from a wheelhouse, with no index, builds it there."""
    with (project / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["build-system"]["requires"])


def download_build_requirements(project: Path, index_url: str, into: Path) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
         "--dest", str(into), "--index-url", index_url, *build_requirements(project)],
        capture_output=True, text=True, env=_clean_pip_environment(), check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return _failure(System("build", (), {}), "any", done.stderr)
    return Outcome("to build wslab", "any", (), (), "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="the project's folder")
    parser.add_argument("--extra", action="append", default=[], help="an extra to add")
    parser.add_argument("--index-url", default="https://pypi.org/simple")
    parser.add_argument("--download", type=Path, metavar="DIR", help="fetch the wheels there")
    parser.add_argument("--system", action="append", choices=[s.name for s in SYSTEMS])
    parser.add_argument("--python", action="append", choices=PYTHONS)
    args = parser.parse_args(argv)
    started = time.monotonic()
    targets = [
        (system, python)
        for system in SYSTEMS
        if not args.system or system.name in args.system
        for python in PYTHONS
        if not args.python or python in args.python
    ]
    with tempfile.TemporaryDirectory(prefix="wslab-wheel-") as folder:
        if args.download:
            args.download.mkdir(parents=True, exist_ok=True)
        wheel = build_wheel(args.project, args.download or Path(folder))
        requirement = (
            f"wslab[{','.join(args.extra)}] @ {wheel.as_uri()}" if args.extra else str(wheel)
        )

        def run(target: tuple[System, str]) -> Outcome:
            if args.download:
                return download(*target, requirement, args.index_url, args.download)
            return resolve(*target, requirement, args.index_url)

        # Downloads one after the other: each finds the wheels the ones before fetched.
        with ThreadPoolExecutor(max_workers=1 if args.download else 4) as pool:
            outcomes = list(pool.map(run, targets))
        if args.download:
            outcomes.append(
                download_build_requirements(args.project, args.index_url, args.download)
            )
    extras = f" with [{','.join(args.extra)}]" if args.extra else ""
    print(f"{wheel.name}{extras}: binary wheels only, from {args.index_url}")
    for outcome in outcomes:
        where = f"  {outcome.system:<15} Python {outcome.python}: "
        if outcome.resolved and args.download:
            print(f"{where}downloaded")
        elif outcome.resolved:
            print(f"{where}resolves ({len(outcome.installs)} packages)")
        elif outcome.missing:
            print(f"{where}FAILS: no wheel for {', '.join(outcome.missing)}")
        else:
            print(f"{where}FAILS: {outcome.error}")
    print(f"{sum(o.resolved for o in outcomes)}/{len(outcomes)} resolve, in "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
    if args.download:
        files = list(args.download.glob("*.whl"))
        size = sum(path.stat().st_size for path in files) / 1e6
        offline = f'pip install --no-index --find-links {args.download} "wslab[notebooks]"'
        print(f"{args.download}: {len(files)} wheels, {size:.0f} MB; offline: {offline}")
    return 0 if all(outcome.resolved for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
