"""Execution environments: warm reuse, limits, replacement, and the errors of bad code."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.local.lambda_helpers import create_function, invoke_json
from wslab.deploy.packaging import zip_sources

pytestmark = pytest.mark.both_python_clients  # tests/local/conftest.py

TIMED = """
import os, time

def handler(event, context):
    started = time.time()
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "start": started, "end": time.time(),
            "version": "%s", "setting": os.environ.get("SETTING")}
"""


def _timed(version: str = "v1") -> str:
    return TIMED % version


def _parallel(aws: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(invoke_json, aws, name, event) for name, event in calls]
        return [future.result()[0] for future in futures]


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def test_warm_environment_is_reused(aws: Any, unique: str) -> None:
    """Consecutive invocations run in the same warm process."""
    create_function(aws, f"warm-{unique}", _timed())
    first = invoke_json(aws, f"warm-{unique}")[0]
    second = invoke_json(aws, f"warm-{unique}")[0]
    assert first["pid"] == second["pid"]


def test_two_functions_run_concurrently(aws: Any, unique: str) -> None:
    """Invocations of two functions at once run at the same time, in two processes."""
    create_function(aws, f"left-{unique}", _timed())
    create_function(aws, f"right-{unique}", _timed())
    left, right = _parallel(
        aws, [(f"left-{unique}", {"sleep": 0.5}), (f"right-{unique}", {"sleep": 0.5})]
    )
    assert left["pid"] != right["pid"]
    assert _overlap(left, right)


def test_one_function_scales_out_to_several_environments(aws: Any, unique: str) -> None:
    """Concurrent invocations of one function get environments of their own."""
    create_function(aws, f"wide-{unique}", _timed())
    results = _parallel(aws, [(f"wide-{unique}", {"sleep": 0.5})] * 3)
    assert len({result["pid"] for result in results}) == 3
    assert _overlap(results[0], results[1]) and _overlap(results[1], results[2])


def test_reserved_concurrency_queues_the_rest(aws: Any, unique: str) -> None:
    """With reserved concurrency 1, concurrent invocations wait their turn in one process."""
    name = f"narrow-{unique}"
    create_function(aws, name, _timed())
    aws("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results = _parallel(aws, [(name, {"sleep": 0.3})] * 3)
    assert len({result["pid"] for result in results}) == 1
    ordered = sorted(results, key=lambda result: result["start"])
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(ordered))


def test_reserved_concurrency_zero_throttles(aws: Any, unique: str) -> None:
    """Reserved concurrency 0 refuses every invocation with TooManyRequestsException."""
    name = f"off-{unique}"
    create_function(aws, name, _timed())
    lam = aws("lambda", retries={"max_attempts": 1})
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName=name, Payload=b"{}")


def test_new_code_replaces_warm_environments(aws: Any, unique: str) -> None:
    """After UpdateFunctionCode the new code runs, in a new process."""
    name = f"update-{unique}"
    create_function(aws, name, _timed("v1"))
    before = invoke_json(aws, name)[0]
    aws("lambda").update_function_code(
        FunctionName=name, ZipFile=zip_sources({"app.py": _timed("v2")})
    )
    after = invoke_json(aws, name)[0]
    assert (before["version"], after["version"]) == ("v1", "v2")
    assert before["pid"] != after["pid"]


def test_new_configuration_replaces_warm_environments(aws: Any, unique: str) -> None:
    """After UpdateFunctionConfiguration the new environment variables are seen."""
    name = f"config-{unique}"
    create_function(aws, name, _timed(), Environment={"Variables": {"SETTING": "old"}})
    before = invoke_json(aws, name)[0]
    aws("lambda").update_function_configuration(
        FunctionName=name, Environment={"Variables": {"SETTING": "new"}}
    )
    after = invoke_json(aws, name)[0]
    assert (before["setting"], after["setting"]) == ("old", "new")
    assert before["pid"] != after["pid"]


def test_unknown_handler_module(aws: Any, unique: str) -> None:
    """A Handler naming a module that isn't in the package: Runtime.ImportModuleError."""
    create_function(aws, f"nomod-{unique}", _timed(), handler="missing.handler")
    body, response = invoke_json(aws, f"nomod-{unique}")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'missing': No module named 'missing'"


def test_handler_function_missing(aws: Any, unique: str) -> None:
    """A Handler naming a function the module lacks: Runtime.HandlerNotFound."""
    create_function(aws, f"nofn-{unique}", _timed(), handler="app.nothing")
    body, _ = invoke_json(aws, f"nofn-{unique}")
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert "nothing" in body["errorMessage"]


def test_syntax_error(aws: Any, unique: str) -> None:
    """Code that doesn't parse: Runtime.UserCodeSyntaxError naming the module."""
    create_function(aws, f"syntax-{unique}", "def handler(event, context)\n    return 1\n")
    body, response = invoke_json(aws, f"syntax-{unique}")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert "Syntax error in module 'app'" in body["errorMessage"]


def test_package_that_is_not_a_zip(aws: Any, unique: str) -> None:
    """CreateFunction and UpdateFunctionCode refuse a package that isn't a zip."""
    lam = aws("lambda")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="Could not unzip"):
        lam.create_function(
            FunctionName=f"notzip-{unique}",
            Runtime="python3.12",
            Role="arn:aws:iam::123456789012:role/wslab-test-lambda",
            Handler="app.handler",
            Code={"ZipFile": b"this is not a zip"},
        )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=f"notzip-{unique}")
    create_function(aws, f"keeps-{unique}", _timed("kept"))
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_code(FunctionName=f"keeps-{unique}", ZipFile=b"PK not really")
    assert invoke_json(aws, f"keeps-{unique}")[0]["version"] == "kept"


def test_missing_function(aws: Any, unique: str) -> None:
    """Invoking a function that doesn't exist: ResourceNotFoundException."""
    lam = aws("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=f"ghost-{unique}", Payload=json.dumps({}))


def test_stack_keeps_serving_after_bad_code(aws: Any, unique: str) -> None:
    """After every failure above the stack still answers and runs good code."""
    create_function(aws, f"after-{unique}", _timed("ok"))
    assert invoke_json(aws, f"after-{unique}")[0]["version"] == "ok"


def test_reserved_concurrency_set_after_first_call_applies(aws: Any, unique: str) -> None:
    """Lowering reserved concurrency on a warm function limits the next invocations."""
    name = f"later-{unique}"
    create_function(aws, name, _timed())
    assert len({r["pid"] for r in _parallel(aws, [(name, {"sleep": 0.3})] * 2)}) == 2
    aws("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results = _parallel(aws, [(name, {"sleep": 0.3})] * 3)
    ordered = sorted(results, key=lambda result: result["start"])
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(ordered))
