"""The network is measured in a process of its own: while a large network is measured the event
loop keeps serving (chat frames, other requests), and requests that find the kept network stale
at the same moment share one measurement."""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections import OrderedDict

from meetup.coordinators import network, network_graph
from meetup.coordinators.tables import Profile, Tie
from tests.coordinators.measuring import counted_measurements
from tests.factories import make_accounts

LOOP_GAP_LIMIT = 0.25  # generous: a measurement on the loop holds it for seconds at this size
TICK = 0.01


async def a_large_network(people: int, ties: int) -> list[int]:
    """`people` public profiles and `ties` random connections between them."""
    ids = await make_accounts(people)
    for start in range(0, people, 500):
        await Profile.insert(
            *[
                Profile(account=uid, name=f"人 {start + i}", prefecture="宮城県", visibility="public")
                for i, uid in enumerate(ids[start : start + 500])
            ]
        )
    rng = random.Random(14)
    pairs = {tuple(sorted(rng.sample(ids, 2))) for _ in range(ties)}
    rows = [Tie(person_low=lo, person_high=hi, kind="connection", source=f"test:{lo}-{hi}") for lo, hi in pairs]
    for start in range(0, len(rows), 1000):
        await Tie.insert(*rows[start : start + 1000])
    return ids


async def longest_gap_while(work) -> tuple[float, object]:
    """The longest time a task ticking every TICK seconds waited beyond its tick while `work` ran."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            gaps.append(now - last - TICK)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        result = await work
    finally:
        done.set()
        await ticker
    return max(gaps), result


async def test_measuring_a_large_network_leaves_the_event_loop_free(database, monkeypatch):
    await a_large_network(2000, 8000)
    measured = counted_measurements(monkeypatch)
    monkeypatch.setattr(network, "_kept", OrderedDict())
    # As the app does at start-up (app.py: gc.freeze): what this process already holds (pytest, the
    # setup's rows) is kept out of full collections, which would otherwise land in the window.
    gc.collect()
    gc.freeze()
    try:
        gap, out = await longest_gap_while(network.network(None))
    finally:
        gc.unfreeze()

    assert measured == ["build"]
    assert out.metrics.people == 2000 and out.metrics.hubs_sampled
    assert out.metrics.betweenness_sample == network_graph.sample_size(2000, out.metrics.ties)
    assert gap < LOOP_GAP_LIMIT, f"the event loop was held {gap * 1000:.0f} ms"


async def test_requests_arriving_together_share_one_measurement(database, monkeypatch):
    await a_large_network(600, 1500)
    measured = counted_measurements(monkeypatch)
    monkeypatch.setattr(network, "_kept", OrderedDict())

    first, second = await asyncio.gather(network.network_json(None), network.network_json(None))

    assert measured == ["build"]
    assert first == second
    await asyncio.gather(network.network_json(None, ties="contact"), network.network_json(None))
    assert len(measured) == 2  # another choice of ties is another measurement; the kept one is reused


async def test_a_version_reading_is_shared_only_by_requests_that_asked_before_it_began(monkeypatch):
    """Many requests at once cost two readings of the version, not one each; and none gets a
    reading begun before it asked (it could miss a tie written just before)."""
    began: list[int] = []
    answer = asyncio.Event()

    async def reading() -> tuple:
        began.append(len(began))
        await answer.wait()
        return (began[-1],)

    monkeypatch.setattr(network, "_read_version", reading)
    monkeypatch.setattr(network, "_versions", network._Versions())
    first = asyncio.create_task(network._version())
    while not began:  # the first reading is under way
        await asyncio.sleep(0)
    later = [asyncio.create_task(network._version()) for _ in range(5)]
    await asyncio.sleep(0)
    answer.set()

    assert await first == (0,)
    assert {await task for task in later} == {(1,)}  # a reading of their own, shared by all five
    assert began == [0, 1]
