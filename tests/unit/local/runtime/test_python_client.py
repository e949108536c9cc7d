"""wslab's Python runtime client, part by part, against awslambdaric's own functions where
awslambdaric is installed: the JSON it writes and the handler errors it raises."""

from __future__ import annotations

import collections
import decimal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wslab.local.runtime.python_client.faults import Fault
from wslab.local.runtime.python_client.handler import load_handler
from wslab.local.runtime.python_client.marshal import decode_event, encode, encode_result

awslambdaric = pytest.importorskip("awslambdaric", reason="awslambdaric has wheels for Linux only")

Point = collections.namedtuple("Point", "x y")

VALUES: list[Any] = [
    {"a": 1, "b": [1.5, None, True, "x"]},
    {"text": "caf\u00e9 \u2713 \U0001f600", "quote": '"\\\n'},
    decimal.Decimal("12.50"),
    [decimal.Decimal("1E+2"), decimal.Decimal("-0"), decimal.Decimal("0.000001")],
    {"nan": decimal.Decimal("NaN"), "inf": float("inf"), "fnan": float("nan")},
    {"point": Point(1, Point(2, 3)), "pair": (1, "two")},
    {"raw": b"bytes inside", 1: "int key", 2.5: "float key", None: "none key"},
    10**30,
    "plain",
]


@pytest.fixture(params=["AWS_Lambda_python3.11", "AWS_Lambda_python3.12"])
def execution_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """python3.12+ writes non-ASCII text as it is, earlier runtimes escape it."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", request.param)
    return str(request.param)


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_results_are_written_as_awslambdaric_writes_them(execution_env: str, value: Any) -> None:
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller, to_json

    assert encode(value) == to_json(value)
    assert encode_result(value) == (
        LambdaMarshaller().marshal_response(value)[0].encode(),
        "application/json",
    )


def test_returned_bytes_are_sent_as_they_are() -> None:
    assert encode_result(b"\x00raw") == (b"\x00raw", "application/unknown")


@pytest.mark.parametrize("value", [{1, 2}, {"when": object()}, {(1, 2): "tuple key"}])
def test_a_result_that_is_not_json_is_a_marshal_error(value: Any) -> None:
    from awslambdaric.lambda_runtime_exception import FaultException
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

    with pytest.raises(FaultException) as theirs:
        LambdaMarshaller().marshal_response(value)
    with pytest.raises(Fault) as ours:
        encode_result(value)
    assert (ours.value.error_type, ours.value.message) == (
        theirs.value.exception_type,
        theirs.value.msg,
    )


@pytest.mark.parametrize("body", [b'{"a": [1, 2.5, "x"]}', b"{not json", b""])
def test_events_are_read_as_awslambdaric_reads_them(body: bytes) -> None:
    """The one difference: a JSON syntax error is worded by the json module, not simplejson
    (same error type and prefix; simplejson words and places some errors differently). Lambda's
    Invoke refuses a payload that is not JSON (InvalidRequestContentException,
    https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), so on AWS no runtime
    client sees one; wslab local still passes it on."""
    from awslambdaric.lambda_runtime_exception import FaultException
    from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

    try:
        expected: Any = LambdaMarshaller().unmarshal_request(body)
    except FaultException as fault:
        with pytest.raises(Fault) as ours:
            decode_event(body, "application/json")
        assert ours.value.error_type == fault.exception_type
        assert ours.value.message.startswith("Unable to unmarshal input: ")
    else:
        assert decode_event(body, "application/json") == expected


@pytest.fixture
def task_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "good.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "syntax_bad.py").write_text("def handler(event, context)\n    return 1\n")
    (tmp_path / "imports_missing.py").write_text("import no_such_module_here\n")
    (tmp_path / "nest" / "inner").mkdir(parents=True)
    (tmp_path / "nest" / "__init__.py").write_text("")
    (tmp_path / "nest" / "inner" / "__init__.py").write_text("")
    (tmp_path / "nest" / "inner" / "mod.py").write_text("def handler(e, c):\n    return 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.split(".")[0] in {"good", "nest"}]:
        del sys.modules[name]


@pytest.mark.parametrize(
    "name",
    [
        "good.handler",
        "nest/inner/mod.handler",
        "nest.inner.mod.handler",
        "good",
        "good.",
        "good.missing",
        "absent.handler",
        "imports_missing.handler",
        "syntax_bad.handler",
        "sys.handler",
        "nest/inner/absent.handler",
    ],
)
def test_handlers_load_and_fail_as_in_awslambdaric(task_root: Path, name: str) -> None:
    from awslambdaric.bootstrap import _get_handler
    from awslambdaric.lambda_runtime_exception import FaultException

    try:
        expected = _get_handler(name)
    except FaultException as fault:
        with pytest.raises(Fault) as ours:
            load_handler(name)
        assert (ours.value.error_type, ours.value.message, ours.value.trace) == (
            fault.exception_type,
            fault.msg,
            fault.trace,
        )
    else:
        assert load_handler(name) is expected
