"""The local AWS: up and answering AWS calls, and one WebSocket frame through it and back."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import websocket

from wslab.aws import LAMBDA_TRUST_POLICY, Target
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import wire_websocket_api
from wslab.doctor.report import Outcome, failed, passed
from wslab.local.process import LocalAWSProcess, LocalAWSStartError, health

__all__ = ["LocalAWS", "round_trip"]

# What the echo function answers on a two-way route is sent back to the client.
_ECHO = "def handler(event, context):\n    return {'statusCode': 200, 'body': event['body']}\n"
_STARTUP_TIMEOUT_S = 40.0
_ANSWER_TIMEOUT_S = 15.0


class LocalAWS:
    """The stack on ``port`` if one answers there, else one started on a free port for the
    checks and stopped after them (``close``)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.endpoint_url: str | None = None
        self._started: LocalAWSProcess | None = None

    def check(self) -> Outcome:
        running = health(self.port)
        if running is not None:
            self.endpoint_url = str(running["endpoint_url"])
            tables = len(self._answers())
            return passed(f"wslab local at {self.endpoint_url} answers ({tables} table(s) there)")
        self._started = LocalAWSProcess(port=0, startup_timeout_s=_STARTUP_TIMEOUT_S)
        try:
            with _ctrl_c_once_started():
                self.endpoint_url = self._started.start()
        except LocalAWSStartError as error:
            said = [line for line in str(error).splitlines() if line.strip()]
            return failed(f"wslab local did not start: {said[-1] if said else error}", _REINSTALL)
        self._answers()
        return passed(
            f"none answers on {self.port}, so one was started at {self.endpoint_url} for these "
            "checks (stopped after them)"
        )

    def _answers(self) -> list[str]:
        assert self.endpoint_url is not None
        tables: list[str] = (
            Target.local(self.endpoint_url).client("dynamodb").list_tables()["TableNames"]
        )
        return tables

    def close(self) -> None:
        if self._started is not None:
            self._started.stop()
            self._started = None


@contextlib.contextmanager
def _ctrl_c_once_started() -> Iterator[None]:
    """Hold a Ctrl-C until the block ends: one that lands while the child process is being
    created (before its handle exists) would leave it running with no one to stop it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


_REINSTALL = (
    "run wslab local in a terminal to see its error; reinstall with make if it is an import"
)


@contextlib.contextmanager
def _echo_api(target: Target) -> Iterator[str]:
    """A WebSocket API whose $default route answers with what it got; deleted after."""
    name = f"wslab-doctor-{uuid.uuid4().hex[:8]}"
    iam, lambda_, apigw = (
        target.client("iam"),
        target.client("lambda"),
        target.client("apigatewayv2"),
    )
    api_id = None
    try:
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )
        lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="echo.handler",
            Code={"ZipFile": zip_sources({"echo.py": _ECHO})},
        )
        lambda_.get_waiter("function_active_v2").wait(FunctionName=name)
        api = wire_websocket_api(
            apigw, lambda_, name, {"$default": name}, stage="doctor", two_way=["$default"]
        )
        api_id = api.api_id
        yield api.url
    finally:
        if api_id is not None:
            _quietly(apigw.delete_api, ApiId=api_id)
        _quietly(lambda_.delete_function, FunctionName=name)
        _quietly(target.client("logs").delete_log_group, logGroupName=f"/aws/lambda/{name}")
        _quietly(iam.delete_role, RoleName=name)


def _quietly(call: Any, **kwargs: Any) -> None:
    with contextlib.suppress(Exception):  # cleanup of what may not have been made
        call(**kwargs)


def round_trip(endpoint_url: str) -> Outcome:
    """One frame through API Gateway's WebSocket endpoint, a Lambda function and back."""
    target = Target.local(endpoint_url)
    with _echo_api(target) as url:
        started = time.monotonic()
        sent = f"doctor {uuid.uuid4().hex}"
        connection = websocket.create_connection(url, timeout=_ANSWER_TIMEOUT_S)
        try:
            connection.send(sent)
            answer = connection.recv()
        except websocket.WebSocketTimeoutException:
            return failed(
                f"no answer within {_ANSWER_TIMEOUT_S:.0f} s from the echo function",
                "look at the local AWS's output for the function's error",
            )
        finally:
            connection.close()
    if answer != sent:
        return failed(f"sent {sent!r}, got {answer!r} back")
    return passed(
        "a frame went through API Gateway's WebSocket endpoint, a Lambda echo and back "
        f"in {time.monotonic() - started:.2f} s"
    )
