"""Traffic: a burst into one room, and steady load over many rooms.

- **burst**: ``clients`` members of one room each send ``messages`` messages back to back,
  all at once; every member must receive every one of the room's ``seq`` numbers.
- **steady**: rooms of ``room_size`` members; messages are offered at ``rate`` per second in
  all, round robin over the members, for ``duration_s``; every message is delivered to its
  whole room. Deliveries per second are counted from the first send to the last arrival,
  and each delivery's latency from its send.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass, field

from .chat import (
    Chat,
    Member,
    Tally,
    new_room,
    open_members,
    session,
    stack_cpu_seconds,
    wait_until,
)

__all__ = ["BurstResult", "SteadyResult", "burst", "steady"]

# An answer is due within the integration timeout (29 s) plus the time to post it.
SETTLE_S = 45.0


@dataclass
class BurstResult:
    runs: int = 0
    sent: int = 0
    tally: Tally = field(default_factory=Tally)
    seconds: list[float] = field(default_factory=list)  # each run, first send to last arrival
    failed_runs: int = 0  # runs with anything lost or any error frame


async def _burst_once(chat: Chat, clients: int, messages: int, result: BurstResult) -> None:
    room = new_room("burst")
    async with session() as http:
        members = await open_members(http, chat.url, room, clients)
        total = clients * messages
        started = time.perf_counter()

        async def speak(member: Member, index: int) -> None:
            for number in range(messages):
                await member.say(f"burst {index}.{number}")

        await asyncio.gather(*(speak(member, index) for index, member in enumerate(members)))

        def settled() -> bool:
            # A message that failed ends in an error frame to its sender instead.
            failed = sum(len(m.gateway_errors) + len(m.envelopes) for m in members)
            return all(member.has_all(total - failed) for member in members)

        await wait_until(settled, SETTLE_S)
        last = max((max(m.arrived_at.values(), default=started) for m in members), default=started)
        tally = Tally()
        for member in members:
            tally.add(member, range(1, total + 1))
        result.runs += 1
        result.sent += total
        result.seconds.append(last - started)
        result.tally.merge(tally)
        result.failed_runs += bool(tally.lost or tally.error_frames)
        await asyncio.gather(*(member.close() for member in members))


async def burst(chat: Chat, runs: int, clients: int = 20, messages: int = 5) -> BurstResult:
    """``runs`` bursts, each into a new room of ``clients`` members."""
    result = BurstResult()
    for _ in range(runs):
        await _burst_once(chat, clients, messages, result)
    return result


@dataclass
class SteadyResult:
    rooms: int
    room_size: int
    offered_per_s: float
    sent: int = 0
    send_seconds: float = 0.0
    seconds: float = 0.0  # first send to last arrival
    tally: Tally = field(default_factory=Tally)
    latencies_ms: list[float] = field(default_factory=list)
    stack_cpu_s: float = 0.0  # the stack process, while the messages were sent
    functions_cpu_s: float = 0.0  # its Lambda workers, over the same time

    def cpu_ms_per_delivery(self, seconds: float) -> float:
        return seconds * 1000 / self.tally.delivered if self.tally.delivered else float("nan")

    @property
    def deliveries_per_s(self) -> float:
        return self.tally.delivered / self.seconds if self.seconds else 0.0

    @property
    def offered_deliveries_per_s(self) -> float:
        return self.offered_per_s * self.room_size

    def latency_ms(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def steady(
    chat: Chat, rooms: int, rate: float, duration_s: float, room_size: int = 10
) -> SteadyResult:
    """Offer ``rate`` messages per second for ``duration_s`` over ``rooms`` rooms."""
    result = SteadyResult(rooms, room_size, rate)
    async with session() as http:
        names = [new_room("steady") for _ in range(rooms)]
        opened = await asyncio.gather(*(open_members(http, chat.url, n, room_size) for n in names))
        everyone = [member for members in opened for member in members]
        sent_per_room = dict.fromkeys(names, 0)
        sent_at: dict[str, float] = {}
        speakers = itertools.cycle(
            [member for group in zip(*opened, strict=True) for member in group]
        )
        cpu_before = stack_cpu_seconds(chat.process.pid)
        started = time.perf_counter()
        count = int(rate * duration_s)
        for number in range(count):
            due = started + number / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            speaker = next(speakers)
            text = f"steady {number}"
            sent_at[text] = time.perf_counter()
            sent_per_room[speaker.room] += 1
            await speaker.say(text)
        result.send_seconds = time.perf_counter() - started
        result.sent = count

        def complete() -> bool:
            return all(member.has_all(sent_per_room[member.room]) for member in everyone)

        await wait_until(complete, SETTLE_S, interval_s=0.05)
        cpu_after = stack_cpu_seconds(chat.process.pid)
        result.stack_cpu_s = cpu_after[0] - cpu_before[0]
        result.functions_cpu_s = cpu_after[1] - cpu_before[1]
        last = started
        for member in everyone:
            result.tally.add(member, range(1, sent_per_room[member.room] + 1))
            for seq, arrived in member.arrived_at.items():
                last = max(last, arrived)
                sent = sent_at.get(member.texts[seq])
                if sent is not None:
                    result.latencies_ms.append((arrived - sent) * 1000)
        result.seconds = last - started
        await asyncio.gather(*(member.close() for member in everyone))
    return result


def describe_latency(result: SteadyResult) -> str:
    if not result.latencies_ms:
        return "no deliveries"
    return (
        f"latency median {statistics.median(result.latencies_ms):.0f} ms, "
        f"p99 {result.latency_ms(99):.0f} ms, max {max(result.latencies_ms):.0f} ms"
    )
