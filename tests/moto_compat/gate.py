"""``make moto-compat``: moto's own tests, on plain moto and on moto as ``wslab local`` serves it.

The extensions change moto in place (class patches, replaced actions, new resource types).
moto's own test suite for the services they touch is the widest check that nothing else
changed: it runs twice, from the source distribution of the installed (pinned) moto,

1. on plain moto, and
2. with :func:`wslab.local.moto_ext.install` called first (``extended.py``, a pytest plugin),
   exactly as ``wslab local`` installs the extensions,

side by side (with ``-n 2``, one process each: on two cores that is faster than each run
with two pytest-xdist workers in turn, which collect the tests once per worker),

and the outcomes are compared test by test. Tests meant to differ are listed with the AWS
behaviour they follow in ``intended.toml``. The gate fails on any other difference, and on
a listed test that no longer differs. A test that would fail the gate is run again in
both modes first, and the second run decides, so one slow moment on a busy machine does not
fail it.

The source distribution is downloaded with pip into ``.cache/moto-compat/`` (ignored by
git) the first time, then read from there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / ".cache" / "moto-compat"
INTENDED = HERE / "intended.toml"
# The services the project extends: every test of theirs; of the others, their
# CloudFormation tests (the extensions change CloudFormation for every resource type).
SERVICES = ("apigatewayv2", "apigatewaymanagementapi", "cloudformation", "awslambda", "dynamodb")
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "-m", "not network", "--timeout", "300")


def moto_sources(cache: Path = CACHE) -> Path:
    """moto's source tree for the installed version, from its sdist on PyPI (cached)."""
    release = version("moto")
    tree = cache / f"moto-{release}"
    if (tree / "tests").is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"moto-{release}.tar.gz"
    if not archive.exists():
        print(f"downloading the moto {release} source distribution...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"moto=={release}",
                "--dest",
                str(cache),
            ],
            check=True,
        )
    with tarfile.open(archive) as sdist:
        sdist.extractall(cache, filter="data")
    return tree


def selection(tree: Path) -> list[str]:
    """The test paths the gate runs, relative to moto's source tree."""
    chosen = [f"tests/test_{service}" for service in SERVICES]
    for path in sorted((tree / "tests").glob("test_*/test_*cloudformation*.py")):
        relative = path.relative_to(tree).as_posix()
        if not any(relative.startswith(directory + "/") for directory in chosen):
            chosen.append(relative)
    return chosen


def _environment(results: Path) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "MOTO_", "TEST_SERVER_MODE"))
    }
    environment.update(
        {
            "MOTO_COMPAT_RESULTS": str(results),
            "TESTS_SKIP_REQUIRES_DOCKER": "true",
            "PYTHONPATH": str(HERE),
        }
    )
    return environment


@dataclass
class _Run:
    mode: str
    process: subprocess.Popen[bytes]
    results: Path
    log: Path

    def outcomes(self) -> dict[str, str]:
        code = self.process.wait()
        if code not in (0, 1) or not self.results.exists():
            raise SystemExit(f"moto's tests did not run ({self.mode}, exit {code}): see {self.log}")
        outcomes: dict[str, str] = json.loads(self.results.read_text())
        return outcomes


def _start(tree: Path, tests: Sequence[str], extended: bool, workers: int) -> _Run:
    mode = "extended" if extended else "plain"
    results = CACHE / f"results-{mode}.json"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", *PYTEST_ARGS, "-p", "record"]
    if extended:
        command += ["-p", "extended"]
    if workers > 1:
        command += ["-n", str(workers)]
    log = CACHE / f"log-{mode}.txt"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [*command, *tests],
            cwd=tree,
            env=_environment(results),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return _Run(mode, process, results, log)


def run_both(
    tree: Path, tests: Sequence[str], workers: int
) -> tuple[dict[str, str], dict[str, str]]:
    """Run moto's ``tests`` on plain and on extended moto, side by side (``workers`` split
    between the two): test id -> passed, failed or skipped, for each."""
    each = max(1, workers // 2)
    plain = _start(tree, tests, extended=False, workers=each)
    extended = _start(tree, tests, extended=True, workers=each)
    try:
        return plain.outcomes(), extended.outcomes()
    finally:
        for started in (plain, extended):
            if started.process.poll() is None:
                started.process.kill()
                started.process.wait()


def service_of(test: str) -> str:
    """``tests/test_sqs/test_sqs_cloudformation.py::x`` -> ``sqs (CloudFormation tests)``."""
    directory = test.split("/")[1].removeprefix("test_")
    return directory if directory in SERVICES else f"{directory} (CloudFormation tests)"


def differing(plain: dict[str, str], extended: dict[str, str]) -> set[str]:
    return {
        test for test in plain.keys() | extended.keys() if plain.get(test) != extended.get(test)
    }


def intended() -> dict[str, str]:
    """Test id -> the AWS behaviour that makes it differ, from ``intended.toml``."""
    entries = tomllib.loads(INTENDED.read_text())["intended"]
    return {entry["test"]: entry["reason"] for entry in entries}


def table(plain: dict[str, str], extended: dict[str, str], differences: Iterable[str]) -> str:
    """Per service: tests, outcomes on plain and extended moto, differences."""
    rows = [("service", "tests", "plain pass/fail/skip", "extended pass/fail/skip", "differ")]
    different = Counter(service_of(test) for test in differences)
    for service in sorted({service_of(test) for test in plain}):
        tests = [test for test in plain if service_of(test) == service]
        counts = [
            Counter(outcomes.get(test, "missing") for test in tests)
            for outcomes in (plain, extended)
        ]
        rows.append(
            (
                service,
                str(len(tests)),
                *(f"{c['passed']}/{c['failed']}/{c['skipped']}" for c in counts),
                str(different[service]),
            )
        )
    totals = [Counter(outcomes.values()) for outcomes in (plain, extended)]
    rows.append(
        (
            "total",
            str(len(plain)),
            *(f"{c['passed']}/{c['failed']}/{c['skipped']}" for c in totals),
            str(sum(different.values())),
        )
    )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument(
        "-n",
        "--workers",
        type=int,
        default=2,
        help="processes in all: the two runs go side by side, each with half (pytest-xdist "
        "above one)",
    )
    arguments = parser.parse_args(argv)
    started = time.monotonic()
    tree = moto_sources()
    tests = selection(tree)
    print(
        f"moto {version('moto')}: {len(tests)} test paths, {arguments.workers} workers", flush=True
    )
    plain, extended = run_both(tree, tests, arguments.workers)
    print(f"{len(plain)} tests, both ways, in {time.monotonic() - started:.0f} s", flush=True)
    expected = intended()
    differences = differing(plain, extended)
    surprising = (differences - expected.keys()) | (expected.keys() - differences)
    if surprising:
        # What would fail the gate must do so twice: once more, both ways.
        again_plain, again_extended = run_both(tree, sorted(surprising), workers=2)
        plain.update(again_plain)
        extended.update(again_extended)
        # The second run decides (a flaky test is not a difference, nor a stale entry).
        differences = (differences - surprising) | (surprising & differing(plain, extended))
    print()
    print(table(plain, extended, differences))
    unexpected = sorted(differences - expected.keys())
    stale = sorted(expected.keys() - differences)
    print(f"\n{len(differences & expected.keys())} intended differences (intended.toml)")
    for test in unexpected:
        print(f"UNEXPECTED  {test}: plain {plain.get(test)}, extended {extended.get(test)}")
    for test in stale:
        print(f"NO LONGER DIFFERS  {test} (remove it from intended.toml)")
    print(f"\n{time.monotonic() - started:.0f} s; logs in {CACHE}")
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
