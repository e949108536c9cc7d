"""Which runtime client a function gets: from its ``Runtime``, and for Python from
``WSLAB_PYTHON_RUNTIME_CLIENT`` (awslambdaric where installed, else wslab's own)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from wslab.local.api_hosts import parse_host
from wslab.local.control import FunctionSpec
from wslab.local.runtime.launch import RuntimeUnavailable
from wslab.local.runtime.node import BOOTSTRAP, PRELOAD
from wslab.local.runtime.python_client import choice
from wslab.local.runtime.python_client.choice import CLIENT_VARIABLE, CLIENTS
from wslab.local.runtime.runtimes import PYTHON_BOOTSTRAP, launch_for

needs_awslambdaric = pytest.mark.skipif(
    not choice.awslambdaric_installed(), reason="awslambdaric has wheels for Linux only"
)


def _spec(runtime: str, package_type: str = "Zip") -> FunctionSpec:
    return FunctionSpec(
        account_id="123456789012",
        region="us-east-1",
        name="fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
        version="$LATEST",
        handler="index.handler",
        runtime=runtime,
        environment=(),
        timeout_s=3.0,
        memory_mb=128,
        code_sha256="abc",
        reserved_concurrency=None,
        package_type=package_type,
    )


@pytest.mark.parametrize("client", CLIENTS)
def test_python_runs_the_chosen_client_on_the_local_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: str
) -> None:
    if client == "awslambdaric" and not choice.awslambdaric_installed():
        pytest.skip("awslambdaric has wheels for Linux only")
    monkeypatch.setenv(CLIENT_VARIABLE, client)
    launch = launch_for(_spec("python3.11"), tmp_path / "code" / "abc")
    assert launch.command == (*PYTHON_BOOTSTRAP, client)
    assert launch.environment["PYTHONPATH"] == str(tmp_path / "code" / "abc")
    assert launch.notice == ""


def test_a_newer_python_runtime_gets_a_one_line_notice(tmp_path: Path) -> None:
    runtime = f"python3.{sys.version_info.minor + 1}"
    launch = launch_for(_spec(runtime), tmp_path)
    assert launch.command[: len(PYTHON_BOOTSTRAP)] == PYTHON_BOOTSTRAP
    local = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert launch.notice == (
        f"wslab local: this {runtime} function runs on the local Python {local}, "
        "older than its runtime"
    )


@needs_awslambdaric
def test_awslambdaric_is_the_default_where_it_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CLIENT_VARIABLE, raising=False)
    assert choice.python_client() == "awslambdaric"


def test_without_awslambdaric_python_runs_wslabs_own_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As on macOS and Windows, where awslambdaric has no wheel."""
    monkeypatch.setattr(choice, "awslambdaric_installed", lambda: False)
    monkeypatch.delenv(CLIENT_VARIABLE, raising=False)
    assert launch_for(_spec("python3.12"), tmp_path).command == (*PYTHON_BOOTSTRAP, "wslab")
    monkeypatch.setenv(CLIENT_VARIABLE, "awslambdaric")
    with pytest.raises(RuntimeUnavailable) as refused:
        launch_for(_spec("python3.12"), tmp_path)
    assert str(refused.value) == (
        "WSLAB_PYTHON_RUNTIME_CLIENT=awslambdaric, but awslambdaric is not installed (it has "
        "wheels for Linux only): set WSLAB_PYTHON_RUNTIME_CLIENT=wslab, or unset it"
    )


def test_an_unknown_client_is_refused_naming_the_choices(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CLIENT_VARIABLE, "bootstrap")
    with pytest.raises(RuntimeUnavailable) as refused:
        launch_for(_spec("python3.12"), tmp_path)
    assert str(refused.value) == (
        "WSLAB_PYTHON_RUNTIME_CLIENT=bootstrap names no runtime client: use awslambdaric or wslab"
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
def test_nodejs_runs_the_bootstrap_on_node_with_the_redirect_preloaded(tmp_path: Path) -> None:
    launch = launch_for(_spec("nodejs20.x"), tmp_path / "code" / "abc")
    assert launch.command[-3:] == ("--require", str(PRELOAD), str(BOOTSTRAP))
    assert str(tmp_path / "code" / "abc") in launch.environment["NODE_PATH"]


def test_nodejs_without_node_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No node on PATH: refused (never run with Python's client), saying what to install."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeUnavailable) as refused:
        launch_for(_spec("nodejs22.x"), tmp_path)
    message = str(refused.value)
    assert "nodejs22.x" in message
    assert "no `node` on its PATH" in message
    assert "install Node.js 22 (https://nodejs.org/)" in message


@pytest.mark.parametrize("runtime", ["java21", "provided.al2023", "dotnet8", "ruby3.3", ""])
def test_other_runtimes_are_refused(tmp_path: Path, runtime: str) -> None:
    with pytest.raises(RuntimeUnavailable, match=f"cannot run {runtime or 'this'} functions"):
        launch_for(_spec(runtime), tmp_path)


def test_container_images_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeUnavailable, match="container image"):
        launch_for(_spec("", package_type="Image"), tmp_path)


@pytest.mark.parametrize(
    ("host", "parsed"),
    [
        ("abc123defg.execute-api.us-east-1.amazonaws.com", ("abc123defg", "us-east-1")),
        ("ABC123DEFG.execute-api.eu-west-3.amazonaws.com.", ("abc123defg", "eu-west-3")),
        ("abc123defg.execute-api.cn-north-1.amazonaws.com.cn", ("abc123defg", "cn-north-1")),
        ("abc123defg.execute-api.us-gov-west-1.amazonaws.com", ("abc123defg", "us-gov-west-1")),
        ("abc123defg.execute-api.us-east-1.amazonaws.com.evil.example", None),
        ("chat.example.com", None),
        ("abc123defg.lambda-url.us-east-1.on.aws", None),
    ],
)
def test_execute_api_hosts(host: str, parsed: tuple[str, str] | None) -> None:
    assert parse_host(host) == parsed
