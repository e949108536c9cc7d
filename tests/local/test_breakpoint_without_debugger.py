"""``breakpoint()`` left in a handler, with no debugger: one log line, and the handler goes on.

pdb would read the worker's empty standard input and end the invocation with ``BdbQuit``
(the client would get ``Internal server error``); under each Python runtime client the
invocation returns the handler's answer and its log says how to stop there.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.local.lambda_helpers import create_function, invoke_json

pytestmark = pytest.mark.both_python_clients  # tests/local/conftest.py

SOURCE = """\
import os


def handler(event, context):
    breakpoint()
    return {"went_on": True, "variables": sorted(os.environ).count("PYTHONBREAKPOINT")}
"""


def test_breakpoint_is_logged_and_skipped(aws: Callable[..., Any], unique: str) -> None:
    name = f"leftover-breakpoint-{unique}"
    create_function(aws, name, SOURCE)
    body, response = invoke_json(aws, name, LogType="Tail")
    assert "FunctionError" not in response
    assert body == {"went_on": True, "variables": 0}  # Lambda's variables only
    log = base64.b64decode(response["LogResult"]).decode()
    assert (
        f"breakpoint() at app.py:5 ignored: no debugger attached; run "
        f"`wslab local --debug {name}` to stop there"
    ) in log
    assert "BdbQuit" not in log


def test_the_functions_own_pythonbreakpoint_is_honoured(
    aws: Callable[..., Any], unique: str
) -> None:
    """``PYTHONBREAKPOINT=0`` in the function's configuration skips them silently."""
    name = f"silenced-breakpoint-{unique}"
    create_function(aws, name, SOURCE, Environment={"Variables": {"PYTHONBREAKPOINT": "0"}})
    body, response = invoke_json(aws, name, LogType="Tail")
    assert body == {"went_on": True, "variables": 1}
    assert "breakpoint()" not in base64.b64decode(response["LogResult"]).decode()
