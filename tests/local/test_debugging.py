"""``wslab local --debug FUNCTION``: an editor's debugger stops in a handler.

A real ``wslab local`` process, a function deployed with boto3, a WebSocket client, and a
Debug Adapter Protocol client speaking to debugpy in the function's environment as VS Code
does: a breakpoint set on the editor's copy of the handler stops the invocation, the
paused frame shows the event's connection id, and on ``continue`` the client gets the
handler's answer. First with no ``pathMappings`` from the client (``--debug-source`` maps
the copy to the editor's folder), then attached again to the warm environment with the
repository's ``.vscode/launch.json`` configuration. Node.js functions: the inspector
answers on the port.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket

from tests.local.dap_client import DapClient
from tests.local.lambda_helpers import create_package_function, requires_node, role_arn
from tests.support import clients_on, scaled
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import wire_websocket_api
from wslab.local.process import LocalAWSProcess

FUNCTION = "debugged"
NODE_FUNCTION = "debugged-node"
HANDLER_SOURCE = """\
import json


def handler(event, context):
    connection_id = event["requestContext"]["connectionId"]
    text = json.loads(event["body"])["text"]
    answer = {"echo": text, "from": connection_id}  # the breakpoint's line
    return {"statusCode": 200, "body": json.dumps(answer)}
"""
BREAKPOINT_LINE = 7


ROOT = Path(__file__).resolve().parents[2]


def _launch_configuration(name: str) -> dict[str, Any]:
    """A configuration of the repository's ``.vscode/launch.json`` (JSON with comments)."""
    text = (ROOT / ".vscode" / "launch.json").read_text()
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    configurations = json.loads("\n".join(lines))["configurations"]
    found: dict[str, Any] = next(c for c in configurations if c["name"] == name)
    return found


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The editor's workspace: the function is deployed from its ``lambda_src``."""
    folder = tmp_path_factory.mktemp("workspace")
    (folder / "lambda_src").mkdir()
    (folder / "lambda_src" / "app.py").write_text(HANDLER_SOURCE)
    return folder


@pytest.fixture(scope="module")
def source(workspace: Path) -> Path:
    return workspace / "lambda_src"


@pytest.fixture(scope="module")
def debug_stack(source: Path) -> Iterator[LocalAWSProcess]:
    """``wslab local --debug debugged:0`` (port 0: a free port, printed in its log)."""
    with LocalAWSProcess(
        extra_args=["--debug", f"{FUNCTION}:0", "--debug-source", str(source)]
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def aws(debug_stack: LocalAWSProcess) -> Callable[..., Any]:
    return clients_on(debug_stack.endpoint_url)


def _printed(
    stack: LocalAWSProcess, pattern: str, timeout_s: float = 60.0, after: int = 0
) -> re.Match[str]:
    """The first line the stack printed (its ``after``-th line on) that matches."""
    deadline = time.monotonic() + scaled(timeout_s)
    while True:
        for line in stack.output()[after:]:
            if found := re.search(pattern, line):
                return found
        assert time.monotonic() < deadline, f"nothing printed matches {pattern!r}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def api_url(aws: Callable[..., Any], source: Path) -> str:
    aws("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role_arn(aws("iam"), "wslab-test-lambda"),
        Handler="app.handler",
        Code={"ZipFile": zip_sources({"app.py": (source / "app.py").read_text()})},
        Timeout=3,  # suspended while debugging: the pause below outlasts it
    )
    api = wire_websocket_api(
        aws("apigatewayv2"), aws("lambda"), "debugged", {"$default": FUNCTION}, two_way=["$default"]
    )
    return str(api.url)


def _paused_variables(dap: DapClient, thread_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The top frame and its local variables (name -> value) where the thread stopped."""
    frame = dap.request("stackTrace", threadId=thread_id)["stackFrames"][0]
    scopes = dap.request("scopes", frameId=frame["id"])["scopes"]
    local_scope = next(scope for scope in scopes if scope["name"] == "Locals")
    variables = dap.request("variables", variablesReference=local_scope["variablesReference"])
    return frame, {variable["name"]: variable["value"] for variable in variables["variables"]}


def test_a_breakpoint_in_the_editors_file_stops_the_handler(
    debug_stack: LocalAWSProcess, api_url: str, source: Path
) -> None:
    """The first message starts the environment, which waits for the debugger; the
    client sends no pathMappings: ``--debug-source`` maps the copy to the editor's folder."""
    client = websocket.create_connection(api_url, timeout=scaled(120))
    try:
        client.send(json.dumps({"text": "hello"}))
        port = int(_printed(debug_stack, rf"\[{FUNCTION}\].*debugpy listens on [\d.]+:(\d+)")[1])
        dap = DapClient(port)
        try:
            dap.request("initialize", adapterID="debugpy", clientID="wslab-tests")
            attach = dap.send_request("attach", justMyCode=True)  # no pathMappings of its own
            dap.event("initialized")
            editor_file = str(source / "app.py")
            set_breakpoints = dap.request(
                "setBreakpoints",
                source={"path": editor_file},
                breakpoints=[{"line": BREAKPOINT_LINE}],
            )
            assert set_breakpoints["breakpoints"][0]["verified"], set_breakpoints
            dap.request("configurationDone")
            dap.response(attach)
            stopped = dap.event("stopped")["body"]
            assert stopped["reason"] == "breakpoint"
            # Paused longer than the function's 3 s Timeout: nothing times out.
            time.sleep(3.5)
            frame, variables = _paused_variables(dap, stopped["threadId"])
            assert frame["line"] == BREAKPOINT_LINE
            assert Path(frame["source"]["path"]) == Path(editor_file)  # the editor's path
            connection_id = variables["connection_id"].strip("'")
            assert connection_id and variables["text"] == "'hello'"
            dap.request("continue", threadId=stopped["threadId"])
            dap.request("disconnect", terminateDebuggee=False)
        finally:
            dap.close()
        answer = json.loads(client.recv())
        assert answer == {"echo": "hello", "from": connection_id}
    finally:
        client.close()
    attached = _printed(debug_stack, rf"\[{FUNCTION}\] wslab local: debugger attached")
    assert "Endpoint request timed out" in attached.string
    assert "apigateway/latest/developerguide/limits.html" in attached.string


def test_vscodes_configuration_attaches_to_the_warm_environment(
    debug_stack: LocalAWSProcess, api_url: str, tmp_path: Path, source: Path
) -> None:
    """``wslab: attach to a Python handler`` as VS Code sends it: its pathMappings (the
    workspace's lambda_src to the environment's working directory, the copy) replace the
    mapping ``--debug-source`` gave: here, to another checkout of the same code."""
    workspace = tmp_path / "other-checkout"
    (workspace / "lambda_src").mkdir(parents=True)
    (workspace / "lambda_src" / "app.py").write_text((source / "app.py").read_text())
    configuration = _launch_configuration("wslab: attach to a Python handler")
    mappings = json.loads(
        json.dumps(configuration["pathMappings"]).replace("${workspaceFolder}", str(workspace))
    )
    port = int(_printed(debug_stack, rf"\[{FUNCTION}\].*debugpy listens on [\d.]+:(\d+)")[1])
    assert configuration["connect"] == {"host": "127.0.0.1", "port": 5678}  # the default
    client = websocket.create_connection(api_url, timeout=scaled(120))
    dap = DapClient(port)
    try:
        editor_file = str(workspace / "lambda_src" / "app.py")
        dap.request("initialize", adapterID="debugpy", clientID="wslab-tests")
        attach = dap.send_request("attach", justMyCode=True, pathMappings=mappings)
        dap.event("initialized")
        set_breakpoints = dap.request(
            "setBreakpoints", source={"path": editor_file}, breakpoints=[{"line": BREAKPOINT_LINE}]
        )
        assert set_breakpoints["breakpoints"][0]["verified"], set_breakpoints
        dap.request("configurationDone")
        dap.response(attach)
        client.send(json.dumps({"text": "again"}))
        stopped = dap.event("stopped")["body"]
        frame, variables = _paused_variables(dap, stopped["threadId"])
        assert (frame["line"], Path(frame["source"]["path"])) == (
            BREAKPOINT_LINE,
            Path(editor_file),
        )
        assert variables["text"] == "'again'"
        dap.request("continue", threadId=stopped["threadId"])
        assert json.loads(client.recv())["echo"] == "again"
    finally:
        dap.close()
        client.close()


def test_breakpoint_in_the_code_stops_there_under_the_debugger(
    debug_stack: LocalAWSProcess, aws: Callable[..., Any], api_url: str
) -> None:
    """New code with ``breakpoint()``: a new environment, waiting for the debugger again;
    attached with no breakpoints of its own, the client sees the handler stop there."""
    printed_before = len(debug_stack.output())
    code = HANDLER_SOURCE.replace("    answer = ", "    breakpoint()\n    answer = ")
    aws("lambda").update_function_code(FunctionName=FUNCTION, ZipFile=zip_sources({"app.py": code}))
    client = websocket.create_connection(api_url, timeout=scaled(120))
    try:
        client.send(json.dumps({"text": "stop here"}))
        found = _printed(
            debug_stack, rf"\[{FUNCTION}\].*debugpy listens on [\d.]+:(\d+)", after=printed_before
        )
        dap = DapClient(int(found[1]))
        try:
            dap.request("initialize", adapterID="debugpy", clientID="wslab-tests")
            attach = dap.send_request("attach", justMyCode=True)
            dap.event("initialized")
            dap.request("configurationDone")
            dap.response(attach)
            stopped = dap.event("stopped")["body"]
            frame, variables = _paused_variables(dap, stopped["threadId"])
            assert frame["name"] == "handler" and variables["text"] == "'stop here'"
            dap.request("continue", threadId=stopped["threadId"])
        finally:
            dap.close()
        assert json.loads(client.recv())["echo"] == "stop here"
    finally:
        client.close()


@requires_node
def test_a_nodejs_function_runs_with_its_inspector_listening(
    debug_stack: LocalAWSProcess, aws: Callable[..., Any]
) -> None:
    """``--debug`` naming a Node.js function: ``node --inspect`` on 127.0.0.1."""
    debug_stack_with_node = LocalAWSProcess(extra_args=["--debug", f"{NODE_FUNCTION}:0"])
    with debug_stack_with_node as stack:
        node_aws = clients_on(stack.endpoint_url)
        create_package_function(
            node_aws,
            NODE_FUNCTION,
            {"index.mjs": "export const handler = async () => 'inspected';\n"},
        )
        answer = node_aws("lambda").invoke(FunctionName=NODE_FUNCTION)["Payload"].read()
        assert json.loads(answer) == "inspected"
        found = _printed(stack, rf"\[{NODE_FUNCTION}\] Debugger listening on ws://127.0.0.1:(\d+)/")
        with urllib.request.urlopen(
            f"http://127.0.0.1:{found[1]}/json/list", timeout=scaled(10)
        ) as response:
            targets = json.loads(response.read())
        assert targets and targets[0]["webSocketDebuggerUrl"].startswith("ws://127.0.0.1:")
        assert any("Endpoint request timed out" in line for line in stack.output())


def test_the_start_says_which_function_and_where_to_attach(debug_stack: LocalAWSProcess) -> None:
    said = _printed(debug_stack, rf"^wslab local: debugging {FUNCTION}: ").string
    assert "a debugger on 127.0.0.1:0" in said and "'wslab: attach to a Python handler'" in said


@pytest.mark.parametrize(
    ("arguments", "environment", "said"),
    [
        (["--debug", "a/b"], {}, "wslab local: --debug: 'a/b' is not FUNCTION or FUNCTION:PORT"),
        ([], {"WSLAB_DEBUG": "fn:99999"}, "wslab local: --debug: the port in 'fn:99999' must be"),
        (["--debug", "fn", "--debug-source", "/no/such/folder"], {}, "no such folder"),
    ],
)
def test_a_bad_debug_option_is_one_line(
    arguments: list[str], environment: dict[str, str], said: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wslab", "local", "--port", "0", *arguments],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and said in done.stderr, done.stderr


def test_the_readmes_command_starts_as_printed() -> None:
    """``wslab local --debug wslab-chat-sendmessage``, on a free port (the README's is 4577,
    which other tests may hold): it starts and says which function it debugs."""
    readme = (ROOT / "README.md").read_text()
    block = next(
        b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if b.startswith("# Debugging")
    )
    command = block.splitlines()[1]
    assert command == "wslab local --debug wslab-chat-sendmessage"
    arguments = shlex.split(command)[2:]
    with LocalAWSProcess(extra_args=arguments) as stack:
        said = _printed(stack, r"^wslab local: debugging wslab-chat-sendmessage: ").string
    assert "debugpy on 127.0.0.1:5678 (Python) or Node.js's inspector on 127.0.0.1:9229" in said
