"""``python -m tests.load [--quick] [--json PATH] [scenario ...]``: run and print figures.

Scenarios, all by default: ``atomic``, ``burst``, ``steady``, ``faults``, ``query``,
``fuzz``, ``stop``, in this order (closing 10,000 connections queues 10,000 $disconnect
invocations, which a later fault would wait behind). The long sizes are the issue's own
(32 x 1,000 ADD; 20 bursts of 20 x 5; 500 deliveries/s for 60 s; 10,000 connections;
2,000 fuzzed messages); ``--quick`` runs the sizes ``make test`` runs. Progress goes to
stderr, the figures to stdout, with the machine's load average (other work on the
machine slows everything).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import Report

from . import faults
from .atomic import concurrent_adds
from .chat import Chat, deployed_chat
from .fuzz import fuzz
from .scale import query_cost, raise_open_file_limit, stop_with_connections
from .sizes import LONG, QUICK, Sizes
from .traffic import burst, describe_latency, steady

SCENARIOS = ("atomic", "burst", "steady", "faults", "query", "fuzz", "stop")
ROOT = Path(__file__).resolve().parents[2]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


async def run_chat_scenarios(
    chat: Chat, chosen: list[str], sizes: Sizes, report: Report
) -> list[str]:
    notes: list[str] = []
    if "atomic" in chosen:
        threads, each = sizes.atomic
        progress(f"atomic: {threads} threads x {each} UpdateItem ADD on one item")
        result = await asyncio.to_thread(concurrent_adds, chat, threads, each)
        report.add(f"ADD on one item, {threads} x {each}: lost", result.lost, "adds")
        report.add("ADD on one item: calls per second", result.expected / result.seconds, "/s")
    if "burst" in chosen:
        progress(f"burst: {sizes.bursts} runs of 20 clients x 5 messages into one room")
        result_b = await burst(chat, sizes.bursts)
        tally = result_b.tally
        report.add(f"burst, {result_b.runs} runs: lost deliveries", tally.lost, "msgs")
        report.add("burst: error frames", tally.error_frames, "frames")
        report.add("burst: duplicates", tally.duplicates, "msgs")
        report.add("burst: runs with a loss or an error", result_b.failed_runs, "runs")
        report.add("burst: out of order (held back by clients)", tally.out_of_order, "msgs")
        notes.append(f"burst: {tally.summary()}")
    if "steady" in chosen:
        rooms, rate, seconds = sizes.steady
        progress(
            f"steady: {rate:g} msgs/s ({rate * 10:g} deliveries/s) in {rooms} rooms of 10 "
            f"for {seconds:g} s; {load_average()}"
        )
        result_s = await steady(chat, rooms, rate, seconds)
        name = f"steady, {result_s.offered_deliveries_per_s:.0f} deliveries/s offered"
        report.add(f"{name}: delivered per second", result_s.deliveries_per_s, "/s")
        report.add("steady: error frames", result_s.tally.error_frames, "frames")
        report.add("steady: lost", result_s.tally.lost, "msgs")
        report.add("steady: duplicates", result_s.tally.duplicates, "msgs")
        report.add("steady: latency, median", result_s.latency_ms(50), "ms")
        report.add("steady: latency, p99", result_s.latency_ms(99), "ms")
        report.add(
            "steady: stack CPU per delivery",
            result_s.cpu_ms_per_delivery(result_s.stack_cpu_s),
            "ms",
        )
        report.add(
            "steady: Lambda workers' CPU per delivery",
            result_s.cpu_ms_per_delivery(result_s.functions_cpu_s),
            "ms",
        )
        notes.append(f"steady: {result_s.tally.summary()}; {describe_latency(result_s)}")
    if "faults" in chosen:
        progress("faults: vanishing clients, handler exception, timeout, worker SIGKILL, frozen")
        outcomes = [
            await faults.vanishing_clients(chat),
            await faults.handler_exception(chat),
            await faults.integration_timeout(chat),
            await faults.worker_killed_mid_broadcast(chat, sizes.audience),
            await faults.frozen_client(chat),
        ]
        notes.append("faults:\n" + faults.summary(outcomes))
        report.add("faults that did not hold", sum(not o.held for o in outcomes), "faults")
    if "query" in chosen:
        count = sizes.connections
        progress(f"query: a room's cost with 100 and with {count:,} connections")
        cost = await query_cost(chat, count)
        report.add("room Query, 100 connections in the table, median", cost.query_ms[100], "ms")
        report.add(
            f"room Query, {count:,} connections, median",
            cost.query_ms[count],
            "ms",
            reference="room Query, 100 connections in the table, median",
        )
        report.add(
            "sendmessage alone in a room, 100 connections, median", cost.round_trip_ms[100], "ms"
        )
        report.add(
            f"sendmessage alone in a room, {count:,} connections, median",
            cost.round_trip_ms[count],
            "ms",
            reference="sendmessage alone in a room, 100 connections, median",
        )
        report.add(
            f"opening {count - 100:,} connections through $connect",
            cost.connect_seconds * 1000,
            "ms",
        )
        report.add(f"stack memory with {count:,} connections", cost.stack_rss_mb, "MB")
        report.add(f"ListTables with {count:,} connections, median", cost.control_call_ms, "ms")
    if "fuzz" in chosen:
        messages, handshakes, calls = sizes.fuzz
        progress(f"fuzz: {messages} messages, {handshakes} handshakes, {calls} @connections calls")
        result_f = await fuzz(chat, messages, handshakes, calls)
        report.add(f"fuzz, {result_f.messages} messages: Internal server error frames",
                   result_f.internal_server_errors, "frames")  # fmt: skip
        report.add("fuzz: messages without an answer", result_f.unanswered, "msgs")
        report.add(
            "fuzz: HTTP 5xx (handshakes, @connections)", len(result_f.server_errors), "answers"
        )
        report.add(
            "fuzz: frames not closed as RFC 6455 says", len(result_f.frame_failures), "cases"
        )
        report.add("fuzz: tracebacks on the stack's output", result_f.tracebacks, "lines")
        notes.append(
            f"fuzz: answers {dict(result_f.answers)}; frames {result_f.frames}; handshakes "
            f"{dict(result_f.handshakes)}; @connections {dict(result_f.connections_calls)}"
        )
    return notes


def run_throttling_tests() -> str:
    """DynamoDB throttling is injected with botocore's Stubber, in the handler tests."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--no-header", "-p", "no:cacheprovider",
         "tests/handlers/test_throttling.py"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    verdict = "held" if result.returncode == 0 else "FAILED"
    return f"  {verdict:6}  DynamoDB throttling (Stubber): {last}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__)
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help=", ".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="the sizes make test runs")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario {', '.join(sorted(unknown))}: choose among {SCENARIOS}")
    chosen = list(args.scenarios) or list(SCENARIOS)
    sizes = QUICK if args.quick else LONG
    raise_open_file_limit(max(sizes.connections, 1000) * 2)
    report = Report("load, fault and fuzz suite" + (" (quick)" if args.quick else ""))
    notes: list[str] = []
    if set(chosen) - {"stop"}:
        progress("deploying the chat on a wslab local of its own")
        with deployed_chat() as chat:
            notes += asyncio.run(run_chat_scenarios(chat, chosen, sizes, report))
    if "faults" in chosen:
        progress("faults: stack restart; DynamoDB throttling (handler tests)")
        restart = faults.stack_restart()
        notes.append(faults.summary([restart]) + "\n" + run_throttling_tests())
    if "stop" in chosen:
        progress(f"stop: SIGTERM with {sizes.connections:,} connections open")
        stopped = stop_with_connections(sizes.connections)
        report.add(f"stop with {stopped.connections:,} connections (SIGTERM to exit)",
                   stopped.stop_seconds * 1000, "ms")  # fmt: skip
        report.add("stop: lines on stderr besides the banner", len(stopped.stderr_lines), "lines")
        notes.append(f"stop: exit code {stopped.exit_code}; {stopped.stderr_lines[:3]}")
    report.publish(args.json)
    print("\n".join(notes))
    print(f"(at the end: {load_average()})")


if __name__ == "__main__":
    main()
