"""The notebooks under nbval: all of them, in order, against one local AWS.

``make notebooks`` (part of ``make test``) runs ``pytest --nbval notebooks/``. This file starts
one ``wslab local`` on a free port for each edition of the tutorial (``notebooks/``, then the
translation in ``notebooks/zh/``) and points its notebooks at it through ``WSLAB_ENDPOINT_URL``
(nbval's kernels inherit pytest's environment, read when each notebook's kernel starts), so the
stack the notebooks would otherwise find or start on port 4577 is left alone, and each edition
starts from nothing, as a reader does: the two never meet on a name. Each stack is stopped when
its edition is done, or at the end, whatever happened. pytest runs the files in name order, so
state carries from one notebook to the next as it does for a reader.

Each notebook must finish within 60 s (times ``WSLAB_TEST_TIMEOUT_SCALE``); the wall time of
each is printed at the end.

Node.js is optional (``make`` installs its packages where ``npm`` exists): a cell whose first
line is ``# needs Node.js`` is skipped, with the reason, on a machine without ``node`` or
without the packages of ``package.json``. No later cell depends on such a cell.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
from collections import defaultdict
from pathlib import Path
from types import FrameType

import pytest

from wslab.local.process import LocalAWSProcess
from wslab.local.runtime.node import sdk_modules
from wslab.notebook.tutorial import ENDPOINT_VARIABLE, TARGET_VARIABLE

BUDGET_S = 60.0 * float(os.environ.get("WSLAB_TEST_TIMEOUT_SCALE", "1"))

_stack: LocalAWSProcess | None = None
_edition: Path | None = None  # the folder of the notebooks the running stack serves
_seconds: dict[str, float] = defaultdict(float)
HERE = Path(__file__).resolve().parent


def _nbval(config: pytest.Config) -> bool:
    return bool(config.getoption("nbval", False) or config.getoption("nbval_lax", False))


def _stop_stack() -> None:
    global _stack
    if _stack is not None:
        _stack.stop()
        _stack = None


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (a cancelled CI job): stop the stack, then end as SIGTERM would have."""
    _stop_stack()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _nbval(session.config):
        return
    if os.environ.get(TARGET_VARIABLE, "local").strip().lower() not in ("", "local"):
        raise pytest.UsageError(f"the notebook tests run on the local AWS: unset {TARGET_VARIABLE}")
    atexit.register(_stop_stack)  # should pytest end before pytest_sessionfinish
    signal.signal(signal.SIGTERM, _terminate)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's first cell starts its kernel: a fresh stack for a new edition."""
    global _stack, _edition
    if not _nbval(item.config):
        return
    edition = Path(str(item.path)).resolve().parent
    if edition != _edition:
        _stop_stack()
        _stack, _edition = LocalAWSProcess(port=0), edition
        os.environ[ENDPOINT_VARIABLE] = _stack.start()


NEEDS_NODE = "# needs Node.js"
WSCAT = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "wscat"


def _why_no_node() -> str | None:
    if shutil.which("node") is None or shutil.which("npx") is None:
        return "node is not on PATH: install Node.js 20 or later"
    if sdk_modules() is None or not WSCAT.exists():
        return "the Node.js packages are missing: run `make` (npm ci installs package.json's)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _why_no_node()
    if missing is None:
        return
    for item in items:
        source = str(getattr(getattr(item, "cell", None), "source", ""))
        if source.startswith(NEEDS_NODE):
            item.add_marker(pytest.mark.skip(reason=f"{NEEDS_NODE}: {missing}"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # The first cell's setup includes starting the notebook's kernel.
    # "00_overview.ipynb", "zh/00_overview.ipynb": the editions' files share their names.
    notebook = Path(report.fspath).resolve()
    shown = notebook.relative_to(HERE) if notebook.is_relative_to(HERE) else notebook
    _seconds[shown.as_posix()] += report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _stop_stack()
    if any(seconds > BUDGET_S for seconds in _seconds.values()):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _seconds:
        return
    terminalreporter.section("notebook wall times")
    for name, seconds in sorted(_seconds.items()):
        verdict = "" if seconds <= BUDGET_S else f"  OVER THE {BUDGET_S:.0f} s BUDGET"
        terminalreporter.write_line(f"{seconds:6.1f} s  {name}{verdict}")
    terminalreporter.write_line(f"{sum(_seconds.values()):6.1f} s  in all")
