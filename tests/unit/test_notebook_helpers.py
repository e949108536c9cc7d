"""What the notebooks use besides wslab.notebook.tutorial: code excerpts from the deployed files,
commands run as printed, stored outputs rewritten to the default port, and the local AWS
reached directly whatever proxy is set."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.support import scaled
from wslab.deploy import project
from wslab.local.process import loopback_without_proxy
from wslab.notebook import commands, excerpts
from wslab.notebook.outputs import store_as_on_default_port
from wslab.notebook.target import commands_on_path

ROOT = Path(__file__).resolve().parents[2]


def test_a_python_excerpt_is_the_function_with_its_decorator_and_where_it_is() -> None:
    path = project.lambda_src() / "chat" / "handlers.py"
    excerpt = excerpts.python(path, "connect")
    lines = path.read_text().splitlines()
    assert excerpt.text.splitlines()[0] == '@_route("$connect")'
    assert excerpt.text.splitlines()[1].startswith("def connect(")
    assert lines[excerpt.first - 1 : excerpt.first - 1 + len(excerpt.text.splitlines())] == (
        excerpt.text.splitlines()
    )
    # The next top-level function is not part of it.
    assert "def disconnect" not in excerpt.text
    assert excerpt.heading().startswith("lambda_src/chat/handlers.py, lines ")
    assert excerpt._repr_markdown_().startswith("`lambda_src/chat/handlers.py, lines ")
    assert "```python\n@_route" in excerpt._repr_markdown_()


def test_a_yaml_excerpt_is_one_resource_with_the_comment_above_it() -> None:
    excerpt = excerpts.yaml(project.template(), "Deployment2")
    shown = excerpt.text.splitlines()
    assert shown[0].startswith("# A deployment is a snapshot")
    assert "Deployment2:" in shown and shown[-1].startswith("    Description: wslab chat routes")
    assert not any(line.startswith("Stage:") for line in shown)


def test_a_javascript_excerpt_ends_at_its_closing_brace() -> None:
    excerpt = excerpts.javascript(project.lambda_src() / "article-nodejs" / "index.mjs", "handler")
    assert excerpt.text.startswith("export const handler = async (event) => {")
    assert excerpt.text.endswith("\n};") and "async function" not in excerpt.text


def test_an_excerpt_of_what_is_not_there_says_so() -> None:
    with pytest.raises(LookupError, match="no top-level function or class 'nothing'"):
        excerpts.python(project.lambda_src() / "chat" / "handlers.py", "nothing")
    with pytest.raises(LookupError, match="no 'Nothing' block"):
        excerpts.yaml(project.template(), "Nothing")


def test_a_command_runs_as_printed_with_this_environment_first_on_path() -> None:
    """``wslab`` is the kernel's own, as in a terminal with the venv activated."""
    printed = commands.run("command -v wslab; echo to stderr >&2")
    found, error = printed.splitlines()
    assert Path(found) == Path(sys.executable).parent / "wslab"
    assert error == "to stderr"


def test_a_command_keeps_its_input_open_like_a_terminal() -> None:
    """Programs that quit when their input ends (wscat) still do what they were asked."""
    assert commands.run("read -t 1 line; echo $?") != "0"  # timed out: input open, empty


def test_a_failing_command_says_what_it_printed() -> None:
    with pytest.raises(commands.CommandFailed, match="exited with status 3:\noops"):
        commands.run("echo oops; exit 3")


def test_a_command_that_takes_too_long_is_ended_with_what_it_started() -> None:
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        commands.run("sleep 30 & wait", timeout_s=0.5)
    # Well before the 30 s the background sleep would take: it was ended, not waited for.
    assert time.monotonic() - started < min(scaled(10), 25)


def test_stored_outputs_are_rewritten_to_the_default_port(tmp_path: Path) -> None:
    cell = nbformat.v4.new_code_cell("print(url)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="ws://127.0.0.1:40123/abc/prod\n"),
        nbformat.v4.new_output("stream", name="stdout", text="The local AWS on port 40123 was"),
        nbformat.v4.new_output(
            "display_data", data={"text/plain": "http://127.0.0.1:40123/", "image/png": "AAAA"}
        ),
    ]
    cell.source = "requests.get('http://127.0.0.1:40123/')"  # a cell's source is left alone
    path = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    store_as_on_default_port(path, "http://127.0.0.1:40123")
    (stored,) = nbformat.read(path, as_version=4).cells
    assert stored.outputs[0]["text"] == "ws://127.0.0.1:4577/abc/prod\n"
    assert stored.outputs[1]["text"] == "The local AWS on port 4577 was"  # tutorial.local_log()
    assert stored.outputs[2]["data"]["text/plain"] == "http://127.0.0.1:4577/"
    assert stored.source == "requests.get('http://127.0.0.1:40123/')"


def test_a_proxy_in_the_environment_is_not_asked_for_the_local_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An office laptop's HTTP_PROXY would otherwise be asked for 127.0.0.1, and fail."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    # An opener of its own: urlopen's shared one took its proxies from an earlier test's
    # environment. Whether to bypass the proxy is decided per request, from NO_PROXY.
    opener = urllib.request.build_opener()
    try:
        with pytest.raises(OSError):
            opener.open(url, timeout=scaled(5))
        monkeypatch.setenv("NO_PROXY", "example.com")
        loopback_without_proxy()
        assert opener.open(url, timeout=scaled(5)).status == 200
        assert os.environ["NO_PROXY"] == "example.com,127.0.0.1,localhost"
    finally:
        server.shutdown()
        server.server_close()


def test_without_a_proxy_the_environment_is_left_alone() -> None:
    environ = {"PATH": "/usr/bin"}
    loopback_without_proxy(environ)
    assert environ == {"PATH": "/usr/bin"}


def test_the_kernels_commands_come_first_on_path_once() -> None:
    """``!wslab ...`` in a cell runs the kernel's own wslab, as in an activated environment."""
    bin_dir = str(Path(sys.executable).parent)
    environ = {"PATH": os.pathsep.join(["/usr/local/bin", "/usr/bin"])}
    commands_on_path(environ)
    assert environ["PATH"].split(os.pathsep) == [bin_dir, "/usr/local/bin", "/usr/bin"]
    commands_on_path(environ)  # a second notebook's start() adds nothing
    assert environ["PATH"].split(os.pathsep) == [bin_dir, "/usr/local/bin", "/usr/bin"]
    empty: dict[str, str] = {}
    commands_on_path(empty)
    assert empty["PATH"] == bin_dir
