"""wslab local against serverless-offline: the same functions, the same client, one run.

Run: ``.venv/bin/python benchmarks/side_by_side.py [--serverless-offline DIR] [--json PATH]
[--plot PATH]``

Both emulators serve the functions of ``side_by_side_handler.py`` on four routes
(``$connect``, ``$disconnect``, a two-way ``$default`` echo, ``broadcast``), and one client
measures, on each:

- echo: sequential round trips through the two-way ``$default`` route (200 after 20 untimed);
- connect: sequential WebSocket handshakes, each running the ``$connect`` function (3 rounds
  of 100, all closed between rounds);
- broadcast: one client sends ``broadcast`` and the function posts to every connection
  through ``@connections``; from the send until all 50 clients have it (median of 4 runs
  after one untimed);
- post: ``post_to_connection`` from the client process, until the client has the data (200).

serverless-offline runs when ``DIR`` holds an npm install of it (``npm install
serverless@3 serverless-offline@13`` in any folder); otherwise only wslab local is measured
and the table says so. Its Python functions run in this interpreter's environment (which
has boto3), as serverless-offline runs them: under ``VIRTUAL_ENV``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket
from common import REGION, Clients, local_stack, machine_details, machine_summary, percentile

from wslab.aws import LAMBDA_TRUST_POLICY, client
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import wire_websocket_api

HANDLER = Path(__file__).with_name("side_by_side_handler.py")
ROUTES = {
    "$connect": "connect",
    "$disconnect": "disconnect",
    "$default": "echo",
    "broadcast": "broadcast",
}
ECHOES, CONNECTS, AUDIENCE, BROADCASTS, POSTS = 200, 100, 50, 5, 200
CONNECT_ROUNDS = 3  # of CONNECTS each, all closed between rounds


@dataclass
class Served:
    """Where an emulator serves the functions."""

    url: str  # WebSocket URL of the stage
    management_url: str  # endpoint_url of apigatewaymanagementapi
    connections_file: Path  # where the functions keep connection ids


@dataclass
class Results:
    emulator: str
    samples: dict[str, list[float]] = field(default_factory=dict)


# --- the two emulators ------------------------------------------------------------------


@contextlib.contextmanager
def wslab_local(work: Path) -> Iterator[Served]:
    with local_stack() as stack:
        aws = Clients(stack.endpoint_url)
        role = aws("iam").create_role(
            RoleName="side-by-side", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )["Role"]["Arn"]
        package = zip_sources({HANDLER.name: HANDLER.read_text()})
        for function in ROUTES.values():
            aws("lambda").create_function(
                FunctionName=function,
                Runtime="python3.11",
                Role=role,
                Handler=f"{HANDLER.stem}.{function}",
                Code={"ZipFile": package},
                Timeout=6,
            )
        wired = wire_websocket_api(
            aws("apigatewayv2"),
            aws("lambda"),
            "side-by-side",
            ROUTES,
            stage="local",
            two_way=["$default"],
            route_selection_expression="$request.body.action",
        )
        connections = work / "wslab-connections.json"
        for function in ROUTES.values():
            aws("lambda").update_function_configuration(
                FunctionName=function,
                Environment={
                    "Variables": {
                        "BENCH_CONNECTIONS_FILE": str(connections),
                        "BENCH_MANAGEMENT_URL": wired.management_url,
                    }
                },
            )
        yield Served(wired.url, wired.management_url, connections)


_SERVERLESS_YML = """\
service: side-by-side
frameworkVersion: '3'
provider:
  name: aws
  runtime: python3.11
  region: {region}
  stage: local
  websocketsApiRouteSelectionExpression: $request.body.action
  environment:
    BENCH_CONNECTIONS_FILE: {connections}
    BENCH_MANAGEMENT_URL: http://127.0.0.1:{ws_port}
plugins:
  - serverless-offline
custom:
  serverless-offline:
    host: 127.0.0.1
    httpPort: {http_port}
    websocketPort: {ws_port}
    lambdaPort: {lambda_port}
functions:
{functions}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serverless_functions() -> str:
    lines = []
    for route, function in ROUTES.items():
        lines += [
            f"  {function}:",
            f"    handler: {HANDLER.stem}.{function}",
            "    events:",
            "      - websocket:",
            f"          route: {route}",
        ]
        if route == "$default":
            lines.append("          routeResponseSelectionExpression: $default")
    return "\n".join(lines)


@contextlib.contextmanager
def serverless_offline(install: Path, work: Path) -> Iterator[Served]:
    service = work / "serverless-offline"
    service.mkdir()
    (service / "node_modules").symlink_to(install / "node_modules")
    (service / HANDLER.name).write_text(HANDLER.read_text())
    ws_port = _free_port()
    connections = work / "sls-connections.json"
    (service / "serverless.yml").write_text(
        _SERVERLESS_YML.format(
            region=REGION,
            connections=connections,
            ws_port=ws_port,
            http_port=_free_port(),
            lambda_port=_free_port(),
            functions=_serverless_functions(),
        )
    )
    venv = Path(sys.prefix)
    env = {
        **os.environ,
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        "SLS_DEPRECATION_DISABLE": "*",
        # serverless-offline runs Python functions with the python3 of VIRTUAL_ENV.
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = (work / "serverless-offline.log").open("w")
    process = subprocess.Popen(
        [str(install / "node_modules" / ".bin" / "serverless"), "offline", "start"],
        cwd=service,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its Python workers go down with it, by process group
    )
    try:
        deadline = time.monotonic() + 120
        while "websocket] listening" not in (work / "serverless-offline.log").read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "serverless-offline did not start:\n"
                    + (work / "serverless-offline.log").read_text()[-2000:]
                )
            time.sleep(0.2)
        yield Served(f"ws://127.0.0.1:{ws_port}", f"http://127.0.0.1:{ws_port}", connections)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


# --- the workload -------------------------------------------------------------------------


def _ids(path: Path) -> list[str]:
    try:
        return list(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError):
        return []


def _wait_for_ids(path: Path, count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(_ids(path)) != count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(_ids(path))} connection ids stored, expected {count}")
        time.sleep(0.05)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def measure_echo(served: Served) -> list[float]:
    ws = websocket.create_connection(served.url, timeout=30)
    try:
        for _ in range(20):
            ws.send("warm-up")
            ws.recv()
        samples = []
        for index in range(ECHOES):
            started = time.perf_counter()
            ws.send(f"echo-{index}")
            if ws.recv() != f"echo-{index}":
                raise RuntimeError("the echo came back wrong")
            samples.append(_ms_since(started))
    finally:
        ws.close()
    _wait_for_ids(served.connections_file, 0)
    return samples


def measure_connects(served: Served) -> list[float]:
    samples: list[float] = []
    for _ in range(CONNECT_ROUNDS):
        clients = []
        try:
            for _ in range(CONNECTS):
                started = time.perf_counter()
                clients.append(websocket.create_connection(served.url, timeout=30))
                samples.append(_ms_since(started))
            _wait_for_ids(served.connections_file, CONNECTS)
        finally:
            for ws in clients:
                ws.close()
        _wait_for_ids(served.connections_file, 0)
    return samples


def measure_broadcasts(served: Served) -> list[float]:
    clients = [websocket.create_connection(served.url, timeout=30) for _ in range(AUDIENCE)]
    try:
        _wait_for_ids(served.connections_file, AUDIENCE)
        samples = []
        for run in range(BROADCASTS):
            tag = f"broadcast-{run}-{time.time_ns()}"
            arrived: list[float] = []
            lock = threading.Lock()

            def receive(
                ws: Any,
                tag: str = tag,
                arrived: list[float] = arrived,
                lock: threading.Lock = lock,
            ) -> None:
                while tag not in ws.recv():
                    pass
                with lock:
                    arrived.append(time.perf_counter())

            threads = [threading.Thread(target=receive, args=(ws,), daemon=True) for ws in clients]
            for thread in threads:
                thread.start()
            started = time.perf_counter()
            clients[0].send(json.dumps({"action": "broadcast", "data": tag}))
            for thread in threads:
                thread.join(60)
            if len(arrived) != AUDIENCE:
                raise RuntimeError(f"broadcast reached {len(arrived)} of {AUDIENCE}")
            samples.append((max(arrived) - started) * 1000)
            time.sleep(0.3)  # the function back to idle: no second environment
        return samples[1:]
    finally:
        for ws in clients:
            ws.close()
        _wait_for_ids(served.connections_file, 0)


def measure_posts(served: Served) -> list[float]:
    management = client("apigatewaymanagementapi", served.management_url, REGION)
    ws = websocket.create_connection(served.url, timeout=30)
    try:
        _wait_for_ids(served.connections_file, 1)
        [connection_id] = _ids(served.connections_file)
        samples = []
        for index in range(POSTS):
            started = time.perf_counter()
            management.post_to_connection(ConnectionId=connection_id, Data=f"p{index}".encode())
            if ws.recv() != f"p{index}":
                raise RuntimeError("the post came back wrong")
            samples.append(_ms_since(started))
        return samples
    finally:
        ws.close()


WORKLOAD: dict[str, Callable[[Served], list[float]]] = {
    "echo": measure_echo,
    "connect": measure_connects,
    "broadcast to 50": measure_broadcasts,
    "post_to_connection": measure_posts,
}


def run_workload(name: str, served: Served) -> Results:
    results = Results(name)
    for measure, run in WORKLOAD.items():
        print(f"{name}: {measure} ...", file=sys.stderr, flush=True)
        results.samples[measure] = run(served)
    return results


# --- the table --------------------------------------------------------------------------

ROWS = [
    ("echo round trip, p50", "echo", 50),
    ("echo round trip, p99", "echo", 99),
    ("sequential connect, p50", "connect", 50),
    ("sequential connect, p99", "connect", 99),
    ("broadcast to 50 by a function, median", "broadcast to 50", 50),
    ("post_to_connection from a client, p50", "post_to_connection", 50),
]


def table(runs: list[Results], note: str) -> str:
    by_name = {run.emulator: run for run in runs}
    wslab, sls = by_name["wslab local"], by_name.get("serverless-offline")
    header = ["measure (ms)", "serverless-offline", "wslab local", "wslab / s-o"]
    lines = [header]
    for label, measure, q in ROWS:
        ours = percentile(wslab.samples[measure], q)
        theirs = percentile(sls.samples[measure], q) if sls else None
        lines.append(
            [
                label,
                f"{theirs:.2f}" if theirs is not None else "-",
                f"{ours:.2f}",
                f"{ours / theirs:.2f}x" if theirs else "-",
            ]
        )
    widths = [max(len(row[column]) for row in lines) for column in range(4)]
    out = [f"side by side on {machine_summary(machine_details())}"]
    for index, row in enumerate(lines):
        cells = zip(row, widths, strict=True)
        out.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(cells)
            )
        )
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    if note:
        out.append(note)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--serverless-offline",
        type=Path,
        metavar="DIR",
        help="a folder holding an npm install of serverless and serverless-offline",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every sample as JSON")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="write the distributions (PNG)")
    args = parser.parse_args()
    install = args.serverless_offline
    note = ""
    if install is None or not (install / "node_modules" / ".bin" / "serverless").exists():
        note = (
            "serverless-offline: not measured (pass --serverless-offline DIR, a folder where "
            "`npm install serverless@3 serverless-offline@13` was run)"
        )
        install = None
    runs = []
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as scratch:
        work = Path(scratch)
        if install is not None:
            with serverless_offline(install, work) as served:
                runs.append(run_workload("serverless-offline", served))
        with wslab_local(work) as served:
            runs.append(run_workload("wslab local", served))
    print(table(runs, note))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine_details(),
                    "runs": [{"emulator": r.emulator, "samples": r.samples} for r in runs],
                },
                indent=1,
            )
            + "\n"
        )
    if args.plot:
        from plots import plot_side_by_side

        plot_side_by_side({run.emulator: run.samples for run in runs}, args.plot)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
