"""How fast the local AWS starts and runs Lambda code, against a control-plane call.

Run: ``.venv/bin/python benchmarks/local_aws.py [--json PATH]``

- start-up of ``wslab local --port 0``: from process start to its first line
  (``AWS_ENDPOINT_URL=...``) and to the first successful boto3 call, median of 5 starts;
  and how long it takes to stop on SIGTERM;
- the baseline: a DynamoDB ``ListTables`` round trip through the stack (boto3 -> the
  stack's port -> moto);
- a cold invoke: the first invoke of a freshly created function, which starts its
  execution environment (a worker process running awslambdaric);
- a warm invoke: sequential invokes of a trivial handler whose environment is running.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import uuid

from common import (
    Clients,
    Report,
    Stopwatch,
    create_python_function,
    local_stack,
    parse_arguments,
    progress,
    time_calls,
)

from wslab.aws import client
from wslab.local.process import LocalStackProcess

STARTS = 5
BASELINE_CALLS = 100
WARM_INVOKES = 100
COLD_FUNCTIONS = 20
BASELINE = "control-plane call (ListTables)"

INIT_DURATION = re.compile(r"Init Duration: ([\d.]+) ms")

TRIVIAL_HANDLER = """
def handler(event, context):
    return {"ok": True}
"""


def preload_botocore_models() -> None:
    """Load the service models before any timing: it is the benchmark's cost, not the stack's."""
    for service in ("dynamodb", "lambda", "iam"):
        client(service, "http://127.0.0.1:9")


def measure_one_start() -> tuple[float, float, float]:
    """(ms to the first line, ms to the first successful boto3 call, ms to stop)."""
    stack = LocalStackProcess(port=0)
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


def measure_warm_invokes(aws: Clients) -> list[float]:
    name = f"bench-warm-{uuid.uuid4().hex[:8]}"
    create_python_function(aws, name, TRIVIAL_HANDLER)
    return time_calls(lambda: invoke(aws, name), WARM_INVOKES)


def measure_cold_invokes(aws: Clients) -> tuple[list[float], list[float]]:
    """The first invoke of each of many new functions: each starts a new environment.

    Returns the invokes' latencies and the Init Duration each one reported.
    """
    names = [f"bench-cold-{index}-{uuid.uuid4().hex[:6]}" for index in range(COLD_FUNCTIONS)]
    for name in names:
        create_python_function(aws, name, TRIVIAL_HANDLER)
    latencies, init_durations = [], []
    for name in names:
        with Stopwatch() as watch:
            log = invoke(aws, name, log_tail=True)
        latencies.append(watch.ms)
        init_durations.append(init_duration_ms(log))
    return latencies, init_durations


def measure_invocations(report: Report) -> None:
    with local_stack() as stack:
        aws = Clients(stack.endpoint_url)
        progress(f"baseline: {BASELINE_CALLS} ListTables calls")
        dynamodb = aws("dynamodb")
        baseline = time_calls(dynamodb.list_tables, BASELINE_CALLS)
        progress(f"warm invokes: {WARM_INVOKES} sequential")
        warm = measure_warm_invokes(aws)
        progress(f"cold invokes: {COLD_FUNCTIONS} new functions")
        cold, init_durations = measure_cold_invokes(aws)
    report.add_distribution(BASELINE, baseline)
    report.add_distribution("Lambda warm invoke", warm, reference_name=BASELINE)
    report.add_distribution("Lambda cold invoke", cold, reference_name=BASELINE)
    report.add(
        "Lambda cold invoke: its Init Duration, median",
        statistics.median(init_durations),
        reference=f"{BASELINE}, median",
        raw=init_durations,
    )


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
