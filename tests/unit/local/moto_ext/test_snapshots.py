"""Snapshots: read without a lock on the event loop, rebuilt where a lock may be waited for."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from tests.support import scaled
from wslab.local.control import ApiSnapshot, DeployedFunction, IntegrationSnapshot, RouteSnapshot
from wslab.local.moto_ext.apigatewayv2.deployments import serves_the_same
from wslab.local.moto_ext.core.control_plane import FunctionDirectory
from wslab.local.moto_ext.core.host import MotoHost
from wslab.local.moto_ext.core.snapshots import Snapshot

LIVENESS_S = scaled(10)


class Source:
    """What a snapshot is built from: a value and how many times it was read."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.builds = 0

    def build(self) -> str:
        self.builds += 1
        return self.value


def test_a_read_off_the_loop_rebuilds_a_stale_snapshot_and_then_reuses_it() -> None:
    host, source = MotoHost(), Source("first")
    snapshot = Snapshot(host, "iam", source.build, "")
    assert snapshot.read() == "first"
    assert snapshot.read() == "first"
    assert source.builds == 1
    source.value = "second"
    host.changes.bump("iam")
    assert snapshot.read() == "second"
    assert source.builds == 2


def test_a_change_to_another_service_leaves_the_snapshot_current() -> None:
    host, source = MotoHost(), Source("first")
    snapshot = Snapshot(host, "iam", source.build, "")
    snapshot.rebuild()
    host.changes.bump("dynamodb")
    assert snapshot.read() == "first"
    assert source.builds == 1


def test_on_the_loop_a_stale_read_serves_the_last_snapshot_while_the_lock_is_held() -> None:
    """The service's lock is busy: the loop gets the previous value at once, takes no lock,
    and the rebuild, on a worker thread, lands once the lock is free."""
    host, source = MotoHost(), Source("first")
    snapshot = Snapshot(host, "apigateway", source.build, "")
    snapshot.rebuild()
    source.value = "second"
    host.changes.bump("apigateway")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with host.locks.of("apigateway"):
            held.set()
            release.wait(LIVENESS_S)

    async def scenario() -> tuple[str, str]:
        host.locks.loop_thread = threading.get_ident()
        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(LIVENESS_S)
        during = snapshot.read()
        release.set()
        await asyncio.to_thread(holder.join)
        deadline = asyncio.get_running_loop().time() + LIVENESS_S
        while snapshot.read() != "second" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        return during, snapshot.read()

    assert asyncio.run(scenario()) == ("first", "second")
    assert host.locks.taken_on_loop == []


def test_ready_waits_off_the_loop_for_the_first_build() -> None:
    host, source = MotoHost(), Source("built")
    snapshot = Snapshot(host, "sts", source.build, "empty")

    async def scenario() -> str:
        host.locks.loop_thread = threading.get_ident()
        return await snapshot.ready()

    assert asyncio.run(scenario()) == "built"
    assert host.locks.taken_on_loop == []


ROUTE = RouteSnapshot("r1", "$default", "i1", "NONE", None, True)
USED = IntegrationSnapshot("i1", "AWS_PROXY", "arn:one", 29_000)
UNUSED = IntegrationSnapshot("i2", "AWS_PROXY", "arn:two", 29_000)
DEPLOYED = ApiSnapshot("api", "$request.body.action", {"$default": ROUTE}, {"i1": USED}, {})


def test_an_integration_no_route_uses_serves_the_same() -> None:
    current = replace(DEPLOYED, integrations={"i1": USED, "i2": UNUSED})
    assert serves_the_same(DEPLOYED, current)


def test_a_changed_route_or_used_integration_serves_something_else() -> None:
    slower = replace(DEPLOYED, integrations={"i1": replace(USED, timeout_ms=5_000)})
    rerouted = replace(DEPLOYED, routes={"$default": replace(ROUTE, integration_id="i2")})
    reselected = replace(DEPLOYED, route_selection_expression="$request.body.type")
    assert not serves_the_same(DEPLOYED, slower)
    assert not serves_the_same(DEPLOYED, replace(rerouted, integrations={"i2": UNUSED}))
    assert not serves_the_same(DEPLOYED, reselected)


class BlockedDirectory(FunctionDirectory):
    """Look-ups that wait for the test's word, counted."""

    def __init__(self, host: MotoHost) -> None:
        super().__init__(host)
        self.loads = 0
        self.release = threading.Event()

    def load(self, arn: str) -> DeployedFunction | None:
        self.loads += 1
        self.release.wait(LIVENESS_S)
        return None


def test_concurrent_finds_of_one_function_share_one_look_up() -> None:
    directory = BlockedDirectory(MotoHost())

    async def scenario() -> list[DeployedFunction | None]:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
        finds = [asyncio.ensure_future(directory.find(arn)) for _ in range(100)]
        await asyncio.sleep(0)  # every find is now waiting
        directory.release.set()
        return await asyncio.gather(*finds)

    assert asyncio.run(scenario()) == [None] * 100
    assert directory.loads == 1
