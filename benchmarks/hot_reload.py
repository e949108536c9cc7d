"""Hot reload: from saving a handler to the answer of the new code, and what it costs.

Run: ``.venv/bin/python benchmarks/hot_reload.py [--json PATH]``

On a private ``wslab local --port 0``, functions created with ``Code: {S3Bucket:
hot-reload, S3Key: <tmp folder>}`` (Python, and Node.js where ``node`` is installed). Each
round writes a new handler file, then invokes until the new answer comes back: **edit to
new answer** is timed from the write to that answer (it includes the folder's watch noticing
the change and the new execution environment's cold start). Then what the two ways of
noticing a change cost: the watch alone (in this process, from a write to the
generation's bump), and a walk that stats every file of ``lambda_src/`` (what a check per
invocation would pay on the event loop instead). Last, warm invokes of a hot-reload function
beside those of a zip function: the warm path must not pay for hot reload.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    Clients,
    Report,
    Stopwatch,
    create_python_function,
    local_stack,
    milliseconds,
    parse_arguments,
    progress,
    time_calls,
)

from wslab.deploy import project
from wslab.local.runtime.hot_reload import FolderWatch

ROUNDS = 20
WARM_CALLS = 200
TIMEOUT_S = 60.0

PYTHON = ("app.py", "app.handler", "python3.12", "def handler(event, context):\n    return {n}\n")
NODE = ("index.js", "index.handler", "nodejs20.x", "exports.handler = async () => {n};\n")


def _invoke(aws: Clients, name: str) -> object:
    return json.loads(aws("lambda").invoke(FunctionName=name)["Payload"].read())


def edit_to_new_answer(aws: Clients, name: str, folder: Path, kind: tuple[str, ...]) -> list[float]:
    file_name, handler, runtime, template = kind
    (folder / file_name).write_text(template.format(n=0))
    aws("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=aws("iam").get_role(RoleName="wslab-benchmark-lambda")["Role"]["Arn"],
        Handler=handler,
        Code={"S3Bucket": "hot-reload", "S3Key": str(folder)},
    )
    assert _invoke(aws, name) == 0
    samples = []
    for round_index in range(1, ROUNDS + 1):
        with Stopwatch() as watch:
            (folder / file_name).write_text(template.format(n=round_index))
            deadline = time.monotonic() + TIMEOUT_S
            while _invoke(aws, name) != round_index:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name}: round {round_index} never answered")
        samples.append(watch.ms)
    return samples


def watch_alone(folder: Path) -> list[float]:
    """From a write to the watch's generation moving, in this process."""
    watch = FolderWatch(folder)
    watch.start()
    watch.wait_ready(10.0)
    samples = []
    try:
        for round_index in range(ROUNDS):
            seen = watch.generation
            started = time.perf_counter()
            (folder / "watched.py").write_text(f"N = {round_index}\n")
            while watch.generation == seen:
                time.sleep(0.0005)
            samples.append(milliseconds(time.perf_counter() - started))
            time.sleep(0.1)  # past the watch's quiet period: one change per round
    finally:
        watch.stop()
    return samples


def stat_walk(folder: Path) -> int:
    """What a per-invocation check would do: stat every file, fold into a fingerprint."""
    fingerprint = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in files:
            status = os.stat(os.path.join(root, name))
            fingerprint ^= hash((name, status.st_mtime_ns, status.st_size))
    return fingerprint


def measure(report: Report, aws: Clients, work: Path) -> None:
    kinds: list[tuple[str, tuple[str, ...]]] = [("Python", PYTHON)]
    if shutil.which("node"):
        kinds.append(("Node.js", NODE))
    for label, kind in kinds:
        folder = work / label.lower().replace(".", "")
        folder.mkdir()
        progress(f"{label}: {ROUNDS} edits")
        samples = edit_to_new_answer(aws, f"bench-hot-{folder.name}", folder, kind)
        report.add_distribution(f"{label}: edit to new answer", samples)

    progress("the watch alone, and a stat walk of lambda_src/")
    watched = work / "watched"
    watched.mkdir()
    report.add_distribution("watch: write to generation bump", watch_alone(watched))
    files = sum(len(found) for _, _, found in os.walk(project.lambda_src()))
    walks = time_calls(lambda: stat_walk(project.lambda_src()), 200)
    report.add_distribution(f"stat walk of lambda_src/ ({files} files)", walks)

    progress(f"warm invokes: {WARM_CALLS} of a zip function, then of a hot-reload one")
    create_python_function(aws, "bench-zip", "def handler(event, context):\n    return 0\n")
    zip_calls = time_calls(_caller(aws, "bench-zip"), WARM_CALLS)
    report.add_distribution("warm invoke, zip function", zip_calls)
    hot_calls = time_calls(_caller(aws, "bench-hot-python"), WARM_CALLS)
    report.add_distribution(
        "warm invoke, hot-reload function",
        hot_calls,
        reference_name="warm invoke, zip function",
    )
    progress(
        f"medians: zip {statistics.median(zip_calls):.2f} ms, "
        f"hot {statistics.median(hot_calls):.2f} ms"
    )


def _caller(aws: Clients, name: str) -> Callable[[], object]:
    return lambda: _invoke(aws, name)


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("hot_reload")
    with local_stack() as stack, tempfile.TemporaryDirectory(prefix="wslab-hot-") as work:
        aws = Clients(stack.endpoint_url)
        create_python_function(aws, "bench-role", "def handler(e, c):\n    return 0\n")
        measure(report, aws, Path(work).resolve())
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
