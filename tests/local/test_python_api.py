"""The Python API: LocalAWS in-process, and a background stack that outlives its starter."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.support import scaled
from wslab.aws import client
from wslab.local import LocalAWS
from wslab.local.process import LocalAWSStartError, ensure_running, health, stop_background


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_aws_is_an_async_context_manager() -> None:
    """Inside ``async with LocalAWS(port=0)``, endpoint_url serves; after it, nothing listens."""

    async def scenario() -> tuple[str, list[str]]:
        async with LocalAWS(port=0, log=lambda line: None) as stack:
            loop = asyncio.get_running_loop()
            dynamodb = client("dynamodb", stack.endpoint_url)
            await loop.run_in_executor(
                None,
                lambda: dynamodb.create_table(
                    TableName="inprocess",
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                ),
            )
            tables = await loop.run_in_executor(None, dynamodb.list_tables)
            return stack.endpoint_url, tables["TableNames"]

    endpoint, tables = asyncio.run(scenario())
    assert "inprocess" in tables
    port = int(endpoint.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_background_stack_outlives_the_process_that_started_it() -> None:
    """A table made through one process's stack is there for the next process, as in notebooks."""
    port = _free_port()
    make_table = textwrap.dedent(
        f"""
        from wslab.aws import client
        from wslab.local.process import ensure_running
        endpoint = ensure_running({port})
        client("dynamodb", endpoint).create_table(
            TableName="carried-over",
            KeySchema=[{{"AttributeName": "id", "KeyType": "HASH"}}],
            AttributeDefinitions=[{{"AttributeName": "id", "AttributeType": "S"}}],
            BillingMode="PAY_PER_REQUEST",
        )
        print(endpoint)
        """
    )
    try:
        first = subprocess.run(
            [sys.executable, "-c", make_table], capture_output=True, text=True, timeout=scaled(120)
        )
        assert first.returncode == 0, first.stderr
        started = health(port)
        assert started is not None
        endpoint = ensure_running(port)
        assert endpoint == first.stdout.strip()
        again = health(port)
        assert again is not None and again["pid"] == started["pid"], "a second stack started"
        assert "carried-over" in client("dynamodb", endpoint).list_tables()["TableNames"]
    finally:
        assert stop_background(port)
    assert health(port) is None
    assert not stop_background(port)


def test_a_background_stack_that_cannot_start_says_why() -> None:
    """A port taken by something else: ensure_running names the port and the log's words."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LocalAWSStartError) as refused:
            ensure_running(port, startup_timeout_s=scaled(60))
    message = str(refused.value)
    assert f"did not start on port {port}" in message
    assert f"cannot listen on 127.0.0.1:{port}" in message
