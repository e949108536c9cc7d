"""What ``wslab local --state-dir`` costs: a save, a load, a start from a saved state.

Run: ``.venv/bin/python benchmarks/state.py [--json PATH]``

The state is realistic: the chat deployed by CloudFormation (``wslab.deploy``) and 1000
items in its history table, made on a ``wslab local --state-dir`` and saved by its clean
stop. Then:

- the state file's size;
- a save (what the background saver does within a second of each change: every service's
  locks held while moto's backends are pickled, then written and flushed to disk), 20 saves
  of that state loaded into this process's moto;
- a load of it into moto (what a start does before it answers);
- ``wslab local`` from the start to its first line, with the saved state and with none,
  5 starts each (the first of each untimed): the state start also installs CloudFormation
  before it answers, where an empty start loads it in the background.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import REGION, Clients, Report, Stopwatch, parse_arguments, progress

from wslab.aws import Target
from wslab.deploy.stack import ChatStack, deploy
from wslab.local import moto_ext
from wslab.local.moto_ext.core.state import STATE_FILE, StateDir
from wslab.local.process import LocalAWSProcess

ITEMS = 1000
SAVES = 20
STARTS = 5


def _make_state(state_dir: Path) -> None:
    with LocalAWSProcess(port=0, extra_args=["--state-dir", str(state_dir)]) as stack:
        chat = ChatStack(Target.local(stack.endpoint_url, REGION), "bench-state", say=progress)
        history = deploy(chat)["HistoryTableName"]
        dynamodb = Clients(stack.endpoint_url)("dynamodb")
        for start in range(0, ITEMS, 25):
            dynamodb.batch_write_item(
                RequestItems={
                    history: [
                        {
                            "PutRequest": {
                                "Item": {
                                    "roomId": {"S": "lobby"},
                                    "seq": {"N": str(n)},
                                    "text": {"S": f"message {n} " + "x" * 80},
                                }
                            }
                        }
                        for n in range(start, start + 25)
                    ]
                }
            )


def _start_ms(*extra_args: str) -> float:
    with Stopwatch() as watch:
        stack = LocalAWSProcess(port=0, extra_args=extra_args)
        stack.start()
    stack.stop()
    return watch.ms


def main() -> None:
    arguments = parse_arguments(__doc__)
    report = Report("state kept by --state-dir")
    with tempfile.TemporaryDirectory(prefix="wslab-bench-state-") as work:
        state_dir = Path(work) / "state"
        progress(f"the chat and {ITEMS} items, saved by a clean stop")
        _make_state(state_dir)
        report.add("state file", (state_dir / STATE_FILE).stat().st_size / 1e6, "MB")

        moto_ext.install()
        state = StateDir(state_dir)
        with Stopwatch() as load:
            state.load()
        report.add("load into moto", load.ms)
        saves = []
        for _ in range(SAVES):
            with Stopwatch() as save:
                state.save()
            saves.append(save.ms)
        report.add_distribution(f"save (chat + {ITEMS} items)", saves)

        progress("starts, with the saved state and with none")
        args = ("--state-dir", str(state_dir))
        _start_ms(*args)
        with_state = [_start_ms(*args) for _ in range(STARTS - 1)]
        _start_ms()
        empty = [_start_ms() for _ in range(STARTS - 1)]
        report.add_distribution("start, empty", empty)
        report.add_distribution(
            "start, from the saved state", with_state, reference_name="start, empty"
        )
    print(report.table())
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
