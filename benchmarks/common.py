"""What the benchmark scripts share: a stack to measure, timings, and the printed table.

Each script collects ``Figure``s into a ``Report``. A figure may name another figure of the
same run as its reference; the table then shows the ratio between the two, so a result
reads as "so many times a known cost measured on the same machine, at the same moment",
which survives a change of machine far better than milliseconds alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wslab.aws import LAMBDA_TRUST_POLICY, client
from wslab.deploy.packaging import zip_sources
from wslab.deploy.wiring import WIRED_FUNCTION_POLICY
from wslab.local.process import LocalAWSProcess

__all__ = [
    "REGION",
    "Clients",
    "Figure",
    "Report",
    "Stopwatch",
    "create_python_function",
    "local_stack",
    "milliseconds",
    "parse_arguments",
    "percentile",
    "process_cpu_seconds",
    "progress",
    "time_calls",
]

REGION = "us-east-1"
_ROLE_NAME = "wslab-benchmark-lambda"


# Statistics ----------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the two nearest ranks.

    With fewer than 100 samples p99 is close to the maximum: the table says how many
    samples each figure rests on so that nobody reads more into it.
    """
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def milliseconds(seconds: float) -> float:
    return seconds * 1000.0


class Stopwatch:
    """``with Stopwatch() as watch: ...`` then ``watch.ms``."""

    def __init__(self) -> None:
        self.started = 0.0
        self.ms = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.ms = milliseconds(time.perf_counter() - self.started)


def process_cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one if None): where did the time go?

    Read from /proc for another process, so that figure is Linux-only (NaN elsewhere).
    """
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    # utime and stime are the 14th and 15th fields; fields[0] here is the 3rd.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_calls(call: Callable[[], object], count: int, warm_up: int = 5) -> list[float]:
    """Latency of ``count`` sequential calls, after a few untimed ones."""
    for _ in range(warm_up):
        call()
    samples = []
    for _ in range(count):
        with Stopwatch() as watch:
            call()
        samples.append(watch.ms)
    return samples


# Figures and the table -----------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference: str | None = None  # the name of the figure this one is compared with
    samples: int = 1
    raw: list[float] = field(default_factory=list)  # every sample, for later plots


@dataclass
class Report:
    benchmark: str
    figures: list[Figure] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    # Taken when the run starts, before the run itself loads the machine.
    machine: dict[str, Any] = field(default_factory=lambda: machine_details())

    def add(
        self,
        name: str,
        value: float,
        unit: str = "ms",
        *,
        reference: str | None = None,
        raw: Sequence[float] = (),
    ) -> Figure:
        figure = Figure(name, value, unit, reference, max(len(raw), 1), list(raw))
        self.figures.append(figure)
        return figure

    def add_distribution(
        self, name: str, samples_ms: Sequence[float], *, reference_name: str | None = None
    ) -> tuple[Figure, Figure]:
        """Median and p99 of latencies; each compared with the same statistic of the reference."""
        median = self.add(
            f"{name}, median",
            statistics.median(samples_ms),
            reference=f"{reference_name}, median" if reference_name else None,
            raw=samples_ms,
        )
        p99 = self.add(
            f"{name}, p99",
            percentile(samples_ms, 99),
            reference=f"{reference_name}, p99" if reference_name else None,
            raw=samples_ms,
        )
        return median, p99

    def find(self, name: str) -> Figure:
        for figure in self.figures:
            if figure.name == name:
                return figure
        raise KeyError(name)

    def ratio(self, figure: Figure) -> float | None:
        if figure.reference is None:
            return None
        reference = self.find(figure.reference)
        return figure.value / reference.value if reference.value else None

    def table(self) -> str:
        rows = [("figure", "value", "unit", "n", "ratio")]
        for figure in self.figures:
            ratio = self.ratio(figure)
            rows.append(
                (
                    figure.name,
                    _format_value(figure.value),
                    figure.unit,
                    str(figure.samples),
                    "" if ratio is None else f"{ratio:,.1f}x {figure.reference}",
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        lines = [f"{self.benchmark} on {machine_summary(self.machine)}"]
        for index, row in enumerate(rows):
            cells = [
                row[0].ljust(widths[0]),
                row[1].rjust(widths[1]),
                row[2].ljust(widths[2]),
                row[3].rjust(widths[3]),
                row[4],
            ]
            lines.append("  ".join(cells).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in [*widths, 5]))
        elapsed = time.perf_counter() - self.started
        lines.append(f"(measuring took {elapsed:.0f} s, after the imports)")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        figures = []
        for figure in self.figures:
            entry = asdict(figure)
            entry["ratio"] = self.ratio(figure)
            figures.append(entry)
        return {
            "benchmark": self.benchmark,
            "machine": self.machine,
            "run_seconds": round(time.perf_counter() - self.started, 1),
            "figures": figures,
        }

    def publish(self, json_path: Path | None) -> None:
        print(self.table())
        if json_path is not None:
            json_path.write_text(json.dumps(self.as_json(), indent=2) + "\n")
            print(f"figures written to {json_path}")


def _format_value(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def machine_details() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        # Other work on the machine inflates every figure: this says how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def machine_summary(details: dict[str, Any]) -> str:
    return (
        f"{details['cpus']} CPUs, Python {details['python']}, {details['system']}, "
        f"load average {details['load_average_1min']}"
    )


def parse_arguments(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the figures (and samples) as JSON"
    )
    parser.add_argument(
        "--plot", type=Path, metavar="PATH", help="also draw the figures (PNG), where there is one"
    )
    return parser.parse_args()


# The stack being measured --------------------------------------------------------------


@contextlib.contextmanager
def local_stack(*extra_args: str) -> Iterator[LocalAWSProcess]:
    """A private ``wslab local --port 0``, stopped whatever happens inside the block. What
    it prints goes to a file, as a terminal would take it: read line by line by a thread of
    this process, it would take turns with the client being timed."""
    with tempfile.TemporaryDirectory(prefix="wslab-bench-") as work:
        stack = LocalAWSProcess(
            port=0, extra_args=extra_args, log_file=Path(work) / "wslab-local.log"
        )
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()


class Clients:
    """boto3 clients on one endpoint, made once each: a client costs far more than a call."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._made: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def __call__(self, service: str, **config: Any) -> Any:
        key = (service, tuple(sorted(config.items())))
        if key not in self._made:
            self._made[key] = client(service, self.endpoint_url, REGION, **config)
        return self._made[key]


def _lambda_role_arn(aws: Callable[..., Any]) -> str:
    iam = aws("iam")
    try:
        return str(iam.get_role(RoleName=_ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        created = iam.create_role(
            RoleName=_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )
        iam.put_role_policy(
            RoleName=_ROLE_NAME,
            PolicyName="benchmark",
            PolicyDocument=json.dumps(WIRED_FUNCTION_POLICY),
        )
        return str(created["Role"]["Arn"])


def create_function(
    aws: Callable[..., Any], name: str, files: Mapping[str, str], handler: str, runtime: str
) -> str:
    """Deploy a package of ``files`` with any runtime; returns the function's ARN."""
    created = aws("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=_lambda_role_arn(aws),
        Handler=handler,
        Code={"ZipFile": zip_sources(files)},
    )
    return str(created["FunctionArn"])


def create_python_function(
    aws: Callable[..., Any], name: str, source: str, handler: str = "app.handler"
) -> str:
    """Deploy ``source`` as ``app.py`` of a python3.12 function; returns its ARN."""
    return create_function(aws, name, {"app.py": source}, handler, "python3.12")


def progress(message: str) -> None:
    """What the script is doing now, on stderr: the table alone goes to stdout."""
    print(message, file=sys.stderr, flush=True)


def raise_open_file_limit(needed: int) -> None:
    """Many connections take a descriptor each here and another in the stack, which inherits
    this process's limit: raise it before the stack starts."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def open_websockets(session: Any, url: str, count: int, at_a_time: int) -> list[Any]:
    """``count`` client WebSockets to ``url``, at most ``at_a_time`` handshakes in flight
    (a burst of a thousand would measure the listen backlog, not the gateway)."""
    gate = asyncio.Semaphore(at_a_time)

    async def join() -> Any:
        async with gate:
            return await session.ws_connect(url)

    return list(await asyncio.gather(*(join() for _ in range(count))))
