"""No execution environment outlives what it runs: the worker processes of a real
``wslab local``, counted by the system (``wslab.local.platform.descendants``), across a
function's life (create, invoke, UpdateFunctionConfiguration, UpdateFunctionCode, delete),
and idle ones reclaimed after ``WSLAB_LAMBDA_IDLE_TIMEOUT_S``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conformance.support import poll
from tests.local.lambda_helpers import (
    create_function,
    create_package_function,
    invoke_json,
    requires_node,
)
from tests.support import clients_on
from wslab.deploy.packaging import zip_sources
from wslab.local.platform import descendants
from wslab.local.process import LocalAWSProcess
from wslab.local.runtime.service import IDLE_TIMEOUT_VARIABLE

PYTHON_SOURCE = (
    "import os\ndef handler(event, context):\n    return os.environ.get('LABEL', 'none')\n"
)
NODE_SOURCE = "exports.handler = async () => process.env.LABEL || 'none';\n"


def _workers(stack: LocalAWSProcess) -> set[int]:
    return set(descendants(stack.pid))


def _started_by(stack: LocalAWSProcess, before: set[int], call: Callable[[], Any]) -> set[int]:
    """The processes the stack started during ``call``."""
    call()
    return _workers(stack) - before


def _all_gone(stack: LocalAWSProcess, pids: set[int], what: str) -> None:
    poll(lambda: not (_workers(stack) & pids), 30, what)


@pytest.mark.parametrize(
    ("runtime", "create"),
    [
        pytest.param(
            "python", lambda aws, name: create_function(aws, name, PYTHON_SOURCE), id="python"
        ),
        pytest.param(
            "nodejs",
            lambda aws, name: create_package_function(aws, name, {"index.js": NODE_SOURCE}),
            marks=requires_node,
            id="nodejs",
        ),
    ],
)
def test_workers_stop_when_their_function_changes_or_goes(
    local_stack: LocalAWSProcess,
    aws: Callable[..., Any],
    unique: str,
    runtime: str,
    create: Callable[[Callable[..., Any], str], Any],
) -> None:
    """Each change retires the function's environments at once, not at a next invocation
    that may never come; after DeleteFunction none of them is left."""
    name = f"life-{runtime}-{unique}"
    lambda_client = aws("lambda")
    before = _workers(local_stack)
    create(aws, name)
    assert not _workers(local_stack) - before, "no environment before the first invocation"

    first = _started_by(local_stack, before, lambda: invoke_json(aws, name))
    assert first, "an invocation starts an environment"
    lambda_client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"LABEL": "configured"}}
    )
    _all_gone(local_stack, first, "the environments of the old configuration to stop")
    assert invoke_json(aws, name)[0] == "configured"

    second = _workers(local_stack) - before
    assert second
    source = {"python": {"app.py": PYTHON_SOURCE}, "nodejs": {"index.js": NODE_SOURCE}}[runtime]
    lambda_client.update_function_code(
        FunctionName=name, ZipFile=zip_sources({**source, "extra.txt": "new code"})
    )
    _all_gone(local_stack, second, "the environments of the old code to stop")
    assert invoke_json(aws, name)[0] == "configured"

    third = _workers(local_stack) - before
    assert third
    lambda_client.delete_function(FunctionName=name)
    _all_gone(local_stack, third, "the environments of the deleted function to stop")


@pytest.fixture(scope="module")
def quickly_idle_stack() -> Iterator[LocalAWSProcess]:
    """A stack whose idle environments are reclaimed after one second."""
    with pytest.MonkeyPatch.context() as patch:  # the child inherits the variable
        patch.setenv(IDLE_TIMEOUT_VARIABLE, "1")
        stack = LocalAWSProcess(port=0)
        stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_idle_workers_are_reclaimed(quickly_idle_stack: LocalAWSProcess, unique: str) -> None:
    """Environments idle past the timeout stop; the next invocation starts a fresh one."""
    aws = clients_on(quickly_idle_stack.endpoint_url)
    name = f"idle-{unique}"
    create_function(aws, name, PYTHON_SOURCE)
    before = _workers(quickly_idle_stack)
    started = _started_by(quickly_idle_stack, before, lambda: invoke_json(aws, name))
    assert started
    _all_gone(quickly_idle_stack, started, "the idle environment to be reclaimed")
    assert invoke_json(aws, name)[0] == "none"
