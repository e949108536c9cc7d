"""A stack makes its resources under their services' locks, as those services' own calls do:
never in the middle of another thread's call to the same moto backend."""

from __future__ import annotations

import asyncio
import threading

from tests.local.cfn_helpers import ONE_TABLE
from tests.support import scaled
from wslab.aws import client
from wslab.local import LocalAWS
from wslab.local.moto_ext.core.host import HOST


def test_a_stack_creates_and_deletes_its_table_under_dynamodb_s_lock() -> None:
    """While another thread holds DynamoDB's lock, CreateStack and DeleteStack of a table
    wait for it; released, they complete."""

    async def scenario() -> list[tuple[bool, str]]:
        async with LocalAWS(port=0, log=lambda line: None) as stack:
            loop = asyncio.get_running_loop()
            cfn = client("cloudformation", stack.endpoint_url)
            await loop.run_in_executor(None, cfn.list_stacks)  # CloudFormation loaded
            seen = []
            for call in (
                lambda: cfn.create_stack(StackName="locked", TemplateBody=ONE_TABLE),
                lambda: cfn.delete_stack(StackName="locked"),
            ):
                held, release = threading.Event(), threading.Event()

                def hold(held: threading.Event = held, release: threading.Event = release) -> None:
                    with HOST.locks.of("dynamodb"):
                        held.set()
                        release.wait(scaled(30))

                holder = threading.Thread(target=hold)
                holder.start()
                held.wait(scaled(10))
                running = loop.run_in_executor(None, call)
                done, _ = await asyncio.wait({running}, timeout=1.0)
                release.set()
                holder.join()
                await running
                stacks = await loop.run_in_executor(
                    None, lambda: cfn.list_stacks()["StackSummaries"]
                )
                status = next(s["StackStatus"] for s in stacks if s["StackName"] == "locked")
                seen.append((not done, status))
            return seen

    assert asyncio.run(scenario()) == [(True, "CREATE_COMPLETE"), (True, "DELETE_COMPLETE")]
