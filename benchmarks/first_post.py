"""The first post of a new execution environment, through the worker's management redirect.

Run: ``.venv/bin/python benchmarks/first_post.py [--json PATH]``

The chat is deployed from cloudformation/template.yaml on a private ``wslab local --port 0``.
Each round gives the ``sendmessage`` function a new execution environment (a configuration
change: Lambda starts new environments for it), then a client in a room of its own sends
``sendmessage`` and waits for its own message: the **first post** of that environment (start,
the handler's first ``@connections`` call, which makes the management client, and, locally,
the redirect's one lookup of the API's host). Then the same message again, warm: every later
post. Timed in the client, from the send until the message is back.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
from common import Clients, Report, Stopwatch, local_stack, parse_arguments, progress

from wslab.aws import Target
from wslab.deploy.stack import ChatStack, deploy

STACK_NAME = "bench-first-post"
ROUNDS = 15
WARM_PER_ROUND = 5
TIMEOUT_S = 60.0


async def round_trip(ws: aiohttp.ClientWebSocketResponse, text: str) -> float:
    """sendmessage until the sender has its own message back, in milliseconds."""
    with Stopwatch() as watch:
        await ws.send_str(json.dumps({"action": "sendmessage", "data": text}))
        while True:
            frame = json.loads(await ws.receive_str(timeout=TIMEOUT_S))
            if frame.get("text") == text:
                break
    return watch.ms


def new_environment(aws: Clients, function: str, round_index: int) -> None:
    """A configuration change: the next invocation starts a new execution environment."""
    lambda_ = aws("lambda")
    variables = lambda_.get_function_configuration(FunctionName=function)["Environment"]
    changed = {**variables["Variables"], "BENCH_ROUND": str(round_index)}
    lambda_.update_function_configuration(FunctionName=function, Environment={"Variables": changed})
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=function)


async def measure(report: Report, aws: Clients, url: str, function: str) -> None:
    first: list[float] = []
    warm: list[float] = []
    async with aiohttp.ClientSession() as session:
        for index in range(ROUNDS):
            new_environment(aws, function, index)
            ws = await session.ws_connect(f"{url}?roomId=first{index}")
            try:
                first.append(await round_trip(ws, f"first {index}"))
                for repeat in range(WARM_PER_ROUND):
                    warm.append(await round_trip(ws, f"warm {index}.{repeat}"))
            finally:
                await ws.close()
    report.add_distribution("sendmessage, first post of a new environment", first)
    report.add_distribution("sendmessage, warm", warm)


def main() -> None:
    arguments = parse_arguments(__doc__.splitlines()[0] if __doc__ else None)
    report = Report("first_post")
    with local_stack() as stack:
        progress("deploying cloudformation/template.yaml")
        target = ChatStack(Target.local(stack.endpoint_url), STACK_NAME, say=lambda line: None)
        outputs = deploy(target)
        aws = Clients(stack.endpoint_url)
        started = time.monotonic()
        asyncio.run(measure(report, aws, outputs["WebSocketURL"], f"{STACK_NAME}-sendmessage"))
        progress(f"measured in {time.monotonic() - started:.1f} s")
    report.publish(arguments.json)


if __name__ == "__main__":
    main()
