"""How fast the local AWS starts and runs Lambda code, against a control-plane call.

Run: ``.venv/bin/python benchmarks/local_aws.py [--json PATH]``

- start-up of ``wslab local --port 0``: from process start to its first line
  (``AWS_ENDPOINT_URL=...``) and to the first successful boto3 call, median of 5 starts;
  and how long it takes to stop on SIGTERM;
- the baseline: a DynamoDB ``ListTables`` round trip through the stack (boto3 -> the
  stack's port -> moto);
- a cold invoke: the first invoke of a freshly created function, which starts its
  execution environment (a worker process running awslambdaric, or node);
- a warm invoke: sequential invokes of a trivial handler whose environment is running;
- both for a Python and, when node is on PATH, a Node.js function;
- the management API from a new environment: the first and second request a handler sends
  to ``https://<apiId>.execute-api.<region>.amazonaws.com/<stage>``, the first of which
  asks the stack whether it serves that host.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import statistics
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from common import (
    Clients,
    Report,
    Stopwatch,
    create_function,
    local_stack,
    parse_arguments,
    progress,
    time_calls,
)

from wslab.aws import client
from wslab.local.process import LocalAWSProcess

STARTS = 5
BASELINE_CALLS = 100
WARM_INVOKES = 100
COLD_FUNCTIONS = 20
MANAGEMENT_FUNCTIONS = 10
WARM_UP_CALLS = 5
BASELINE = "control-plane call (ListTables)"

INIT_DURATION = re.compile(r"Init Duration: ([\d.]+) ms")


@dataclass(frozen=True)
class Language:
    name: str
    runtime: str
    handler: str
    trivial: Mapping[str, str]  # a package whose handler returns {"ok": true}
    management: Mapping[str, str]  # times two requests to event["host"]'s @connections


PYTHON = Language(
    "Python",
    "python3.12",
    "app.handler",
    {"app.py": "def handler(event, context):\n    return {'ok': True}\n"},
    {
        "app.py": """
import time
import boto3

def handler(event, context):
    client = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{event['host']}/dev")

    def once():
        started = time.perf_counter()
        try:
            client.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")
        except client.exceptions.GoneException:
            pass
        return (time.perf_counter() - started) * 1000

    return {"first": once(), "second": once()}
"""
    },
)
NODE = Language(
    "Node.js",
    "nodejs20.x",
    "index.handler",
    {"index.js": "exports.handler = async () => ({ ok: true });\n"},
    {
        "index.mjs": """
import {
  ApiGatewayManagementApiClient, GetConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

export const handler = async (event) => {
  const client = new ApiGatewayManagementApiClient({ endpoint: `https://${event.host}/dev` });
  const once = async () => {
    const started = performance.now();
    await client.send(new GetConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=' })).catch(
      (error) => { if (error.name !== 'GoneException') throw error; });
    return performance.now() - started;
  };
  return { first: await once(), second: await once() };
};
"""
    },
)


def preload_botocore_models() -> None:
    """Load the service models before any timing: it is the benchmark's cost, not the stack's."""
    for service in ("dynamodb", "lambda", "iam"):
        client(service, "http://127.0.0.1:9")


def measure_one_start() -> tuple[float, float, float]:
    """(ms to the first line, ms to the first successful boto3 call, ms to stop)."""
    stack = LocalAWSProcess(port=0)
    try:
        with Stopwatch() as to_first_call:
            with Stopwatch() as to_first_line:
                stack.start()
            client("dynamodb", stack.endpoint_url).list_tables()
    finally:
        with Stopwatch() as to_stop:
            exit_code = stack.stop()
    if exit_code != 0:
        progress(f"warning: wslab local exited with {exit_code} after SIGTERM")
    return to_first_line.ms, to_first_call.ms, to_stop.ms


def measure_start_up(report: Report) -> None:
    progress(f"start-up: {STARTS} starts of wslab local --port 0")
    runs = [measure_one_start() for _ in range(STARTS)]
    first_line, first_call, stop = (list(column) for column in zip(*runs, strict=True))
    for name, samples in (
        ("start-up to first line, median", first_line),
        ("start-up to first boto3 call, median", first_call),
        ("stop (SIGTERM to exit), median", stop),
    ):
        report.add(name, statistics.median(samples), reference=f"{BASELINE}, median", raw=samples)


def invoke(aws: Clients, function_name: str, *, log_tail: bool = False) -> str:
    """Invoke synchronously; returns the tail of the invocation's log if asked for."""
    options = {"LogType": "Tail"} if log_tail else {}
    response = aws("lambda").invoke(FunctionName=function_name, Payload=b"{}", **options)
    payload = response["Payload"].read()
    if "FunctionError" in response or json.loads(payload) != {"ok": True}:
        raise RuntimeError(f"{function_name} failed: {payload[:300]!r}")
    return base64.b64decode(response.get("LogResult", "")).decode()


def init_duration_ms(log: str) -> float:
    """The ``Init Duration`` of a REPORT line: the environment's start, as Lambda counts it."""
    match = INIT_DURATION.search(log)
    if match is None:
        raise RuntimeError(f"a cold invoke without Init Duration in its log: {log[-300:]!r}")
    return float(match.group(1))


def create(aws: Clients, language: Language, name: str, files: Mapping[str, str]) -> None:
    create_function(aws, name, files, language.handler, language.runtime)


def measure_warm_invokes(aws: Clients, language: Language) -> list[float]:
    name = f"bench-warm-{uuid.uuid4().hex[:8]}"
    create(aws, language, name, language.trivial)
    return time_calls(lambda: invoke(aws, name), WARM_INVOKES)


def measure_cold_invokes(aws: Clients, language: Language) -> tuple[list[float], list[float]]:
    """The first invoke of each of many new functions: each starts a new environment.

    Returns the invokes' latencies and the Init Duration each one reported.
    """
    names = [f"bench-cold-{index}-{uuid.uuid4().hex[:6]}" for index in range(COLD_FUNCTIONS)]
    for name in names:
        create(aws, language, name, language.trivial)
    latencies, init_durations = [], []
    for name in names:
        with Stopwatch() as watch:
            log = invoke(aws, name, log_tail=True)
        latencies.append(watch.ms)
        init_durations.append(init_duration_ms(log))
    return latencies, init_durations


def measure_management_requests(
    aws: Clients, language: Language, host: str
) -> tuple[list[float], list[float]]:
    """The first and the second management request of each of many new environments."""
    first, second = [], []
    for index in range(MANAGEMENT_FUNCTIONS):
        name = f"bench-mgmt-{index}-{uuid.uuid4().hex[:6]}"
        create(aws, language, name, language.management)
        response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps({"host": host}))
        timings = json.loads(response["Payload"].read())
        if "FunctionError" in response:
            raise RuntimeError(f"{name} failed: {timings}")
        first.append(timings["first"])
        second.append(timings["second"])
    return first, second


def measure_invocations(report: Report) -> None:
    languages = [PYTHON] if shutil.which("node") is None else [PYTHON, NODE]
    if NODE not in languages:
        progress("node is not on PATH: the Node.js figures are left out")
    found: dict[str, tuple[list[float], str | None]] = {}  # name -> (samples, compared with)
    with local_stack() as stack:
        aws = Clients(stack.endpoint_url)
        progress(f"baseline: {BASELINE_CALLS} ListTables calls")
        dynamodb = aws("dynamodb")
        found[BASELINE] = (time_calls(dynamodb.list_tables, BASELINE_CALLS), None)
        api = aws("apigatewayv2").create_api(
            Name="bench-management", ProtocolType="WEBSOCKET",
            RouteSelectionExpression="$request.body.action",
        )  # fmt: skip
        host = f"{api['ApiId']}.execute-api.{aws('lambda').meta.region_name}.amazonaws.com"
        for language in languages:
            label = f"Lambda ({language.name})"

            def compared(what: str, label: str = label) -> str:
                """Python's figures against the baseline; Node's against Python's."""
                return BASELINE if label == "Lambda (Python)" else f"Lambda (Python) {what}"

            progress(f"{language.name}: {WARM_INVOKES} warm invokes")
            warm = measure_warm_invokes(aws, language)
            found[f"{label} warm invoke"] = (warm, compared("warm invoke"))
            progress(f"{language.name}: cold invokes of {COLD_FUNCTIONS} new functions")
            cold, init_durations = measure_cold_invokes(aws, language)
            found[f"{label} cold invoke"] = (cold, compared("cold invoke"))
            found[f"{label} cold invoke: its Init Duration"] = (
                init_durations,
                compared("cold invoke: its Init Duration"),
            )
            progress(f"{language.name}: management requests from new environments")
            first, second = measure_management_requests(aws, language, host)
            found[f"{label} first management request of an environment"] = (
                first,
                f"{label} second management request",
            )
            found[f"{label} second management request"] = (second, None)
    for name, (samples, reference) in found.items():
        if name.endswith("Init Duration"):
            report.add(
                f"{name}, median",
                statistics.median(samples),
                reference=f"{reference}, median",
                raw=samples,
            )
        else:
            report.add_distribution(name, samples, reference_name=reference)


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("local_aws")
    preload_botocore_models()
    # The baseline comes first in the table: every other figure is a multiple of it.
    measure_invocations(report)
    measure_start_up(report)
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
