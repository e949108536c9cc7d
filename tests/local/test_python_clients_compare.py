"""wslab's own Python runtime client against awslambdaric: the same handlers, deployed to a
stack on each, answer the same Invoke responses, payloads and log lines (ids, times, paths
and durations aside)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.local.lambda_helpers import create_package_function
from tests.support import clients_on
from wslab.local.process import LocalAWSProcess
from wslab.local.runtime.python_client.choice import AWSLAMBDARIC, WSLAB

APP = """
import decimal, logging, os, sys, time
from collections import namedtuple

Point = namedtuple("Point", "x y")
logger = logging.getLogger("app")


class Rejected(Exception):
    pass


def ok(event, context):
    print("print to stdout", event)
    print("print to stderr", file=sys.stderr)
    logger.warning("a warning with %s", "args")
    logger.info("info is below the root logger's default level")
    logging.getLogger().error("an error record")
    context.log("written by context.log\\n")
    return {
        "event": event,
        "text": "caf\\u00e9 \\u2713",
        "price": decimal.Decimal("12.50"),
        "count": decimal.Decimal("3"),
        "nan": decimal.Decimal("NaN"),
        "point": Point(1, 2),
        "raw": b"bytes inside",
        "pair": (1, "two"),
    }


def context_fields(event, context):
    remaining = context.get_remaining_time_in_millis()
    return {
        "types": {
            name: type(getattr(context, name)).__name__
            for name in (
                "aws_request_id", "function_name", "function_version", "invoked_function_arn",
                "memory_limit_in_mb", "log_group_name", "log_stream_name", "client_context",
                "identity",
            )
        },
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "identity": [context.identity.cognito_identity_id,
                     context.identity.cognito_identity_pool_id],
        "client_context": context.client_context,
        "w3c": context.w3c(),
        "remaining_is_within_timeout": 0 < remaining <= 7000,
        "repr": repr(context),
        "trace": os.environ.get("_X_AMZN_TRACE_ID", "unset"),
        "stdout": type(sys.stdout).__name__,
        "stderr": type(sys.stderr).__name__,
        "root_level": logging.getLogger().level,
        "root_handlers": len(logging.getLogger().handlers),
        "utc_log_times": logging.Formatter.converter is time.gmtime,
    }


def _deeper(value):
    raise Rejected(f"rejected {value}: caf\\u00e9")


def raising(event, context):
    _deeper(event.get("value"))


def raising_empty(event, context):
    raise ValueError()


def logs_an_exception(event, context):
    try:
        {}["missing"]
    except KeyError:
        logger.exception("caught")
    return None


def structured(event, context):
    logger.warning({"a": "dict message", "n": 1})
    logger.warning("with extra fields", extra={"order": 7, "when": object})
    logger.error("with %s", "args")
    return "logged"


def unserializable(event, context):
    return {"set": {1, 2}}


def raw_bytes(event, context):
    return b"\\x00not json"


def system_exit(event, context):
    sys.exit(3)
"""

NESTED = """
def handler(event, context):
    return {"module": __name__}
"""

FILES = {
    "app.py": APP,
    "broken_import.py": "import no_such_dependency_anywhere\n",
    "raises_at_import.py": "raise RuntimeError('configuration missing')\n",
    "bad_syntax.py": "def handler(event, context)\n    return 1\n",
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/mod.py": NESTED,
}

# (handler, event): every behaviour a handler can see of its runtime client.
CASES = [
    ("app.ok", {"hello": "world", "n": 1.5}),
    ("app.context_fields", {}),
    ("app.raising", {"value": 7}),
    ("app.raising_empty", {}),
    ("app.logs_an_exception", {}),
    ("app.unserializable", {}),
    ("app.raw_bytes", {}),
    ("app.system_exit", {}),
    ("pkg/sub/mod.handler", {}),
    ("pkg.sub.mod.handler", {}),
    ("app", {}),
    ("app.", {}),
    ("missing.handler", {}),
    ("broken_import.handler", {}),
    ("raises_at_import.handler", {}),
    ("bad_syntax.handler", {}),
    ("app.nothing", {}),
    ("sys.handler", {}),
]

# The same handlers again with logs in Lambda's JSON format, from INFO up.
JSON_LOGS = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
JSON_CASES = [
    (handler, event)
    for handler, event in CASES
    if handler in {"app.ok", "app.raising", "app.logs_an_exception", "missing.handler"}
] + [("app.structured", {})]
JSON_LABEL = " (JSON logs)"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")
_NUMBERS = re.compile(r"\d+(\.\d+)?")
_STREAM = re.compile(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}")
_TRACE = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=0")
_MEASURED = ("REPORT ", "INIT_REPORT ")


def _normal(text: str, task_root: str, name: str) -> str:
    text = text.replace(task_root, "<task root>").replace(name, "<function>")
    text = _STREAM.sub("<stream>", _TRACE.sub("<trace>", _UUID.sub("<id>", _TIME.sub("<t>", text))))
    # Durations and memory differ from run to run; the lines themselves must be there.
    return "\n".join(
        _NUMBERS.sub("<n>", line) if line.startswith(_MEASURED) else line
        for line in text.splitlines()
    )


def _outcome(aws: Any, name: str, event: Any, task_root: str) -> dict[str, Any]:
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    return {
        "StatusCode": response["StatusCode"],
        "FunctionError": response.get("FunctionError"),
        "Payload": _normal(response["Payload"].read().decode(), task_root, name),
        "Log": _normal(base64.b64decode(response["LogResult"]).decode(), task_root, name),
    }


def _task_root(aws: Any, name: str) -> str:
    """Where the stack unpacked ``name``'s code (it differs between the two stacks)."""
    finder = f"{name}-root"
    create_package_function(
        aws,
        finder,
        {"root.py": "import os\ndef handler(e, c):\n    return os.environ['LAMBDA_TASK_ROOT']\n"},
        "root.handler",
        "python3.12",
    )
    payload = aws("lambda").invoke(FunctionName=finder)["Payload"].read()
    return str(json.loads(payload)).rsplit("/", 1)[0]  # the folder of every code hash


def _run_all(stack: LocalAWSProcess) -> dict[str, Mapping[str, Any]]:
    aws = clients_on(stack.endpoint_url)
    prefix = f"compare-{uuid.uuid4().hex[:8]}"
    code_root = _task_root(aws, prefix)
    outcomes: dict[str, Mapping[str, Any]] = {}
    runs = [(handler, event, {}) for handler, event in CASES]
    runs += [(handler + JSON_LABEL, event, JSON_LOGS) for handler, event in JSON_CASES]
    for index, (label, event, variables) in enumerate(runs):
        name = f"{prefix}-{index}"
        handler = label.removesuffix(JSON_LABEL)
        create_package_function(
            aws, name, FILES, handler, "python3.12", Timeout=7,
            Environment={"Variables": variables},
        )  # fmt: skip
        outcomes[label] = _outcome(aws, name, event, code_root)
    return outcomes


@pytest.fixture(scope="module")
def both(
    stack_with_python_client: Callable[[str], LocalAWSProcess],
) -> dict[str, dict[str, Mapping[str, Any]]]:
    return {client: _run_all(stack_with_python_client(client)) for client in (AWSLAMBDARIC, WSLAB)}


@pytest.mark.parametrize(
    "handler",
    [handler for handler, _ in CASES] + [handler + JSON_LABEL for handler, _ in JSON_CASES],
)
def test_both_clients_answer_the_same(
    both: dict[str, dict[str, Mapping[str, Any]]], handler: str
) -> None:
    assert both[WSLAB][handler] == both[AWSLAMBDARIC][handler]


def test_the_comparison_covers_what_it_claims(
    both: dict[str, dict[str, Mapping[str, Any]]],
) -> None:
    """The cases do what their names say under awslambdaric (so equality is not vacuous)."""
    seen = both[AWSLAMBDARIC]
    errors = {
        handler: json.loads(outcome["Payload"]).get("errorType")
        for handler, outcome in seen.items()
        if outcome["FunctionError"] and not handler.endswith(JSON_LABEL)
    }
    assert errors == {
        "app.raising": "Rejected",
        "app.raising_empty": "ValueError",
        "app.unserializable": "Runtime.MarshalError",
        "app.system_exit": "Runtime.ExitError",
        "app": "Runtime.MalformedHandlerName",
        "app.": "Runtime.HandlerNotFound",
        "missing.handler": "Runtime.ImportModuleError",
        "broken_import.handler": "Runtime.ImportModuleError",
        "raises_at_import.handler": "RuntimeError",
        "bad_syntax.handler": "Runtime.UserCodeSyntaxError",
        "app.nothing": "Runtime.HandlerNotFound",
        "sys.handler": "Runtime.BuiltInModuleConflict",
    }
    ok = json.loads(seen["app.ok"]["Payload"])
    assert ok["price"] == 12.5 and ok["point"] == {"x": 1, "y": 2}
    assert "[WARNING]\t<t>\t<id>\ta warning with args" in seen["app.ok"]["Log"]
    assert "info is below" not in seen["app.ok"]["Log"]
    assert seen["app.raw_bytes"]["Payload"] == "\x00not json"
    structured = [json.loads(line) for line in seen["app.structured" + JSON_LABEL]["Log"]
                  .splitlines() if line.startswith("{")]  # fmt: skip
    assert [line["message"] for line in structured] == [
        {"a": "dict message", "n": 1}, "with extra fields", "with args",
    ]  # fmt: skip
    assert structured[1]["order"] == 7 and structured[0]["requestId"] == "<id>"
    assert (
        '"level": "ERROR", "errorMessage": "rejected 7' in seen["app.raising" + JSON_LABEL]["Log"]
    )
