"""A member who stops reading never stalls a room: the others keep receiving every frame, and
the slow one is disconnected (1013) once too much waits for it, then resumes with ?after=."""

import asyncio
import base64
import json
import os

from websockets.exceptions import ConnectionClosed

from meetup.rooms import connection as room_connection
from meetup.rooms.hub import publish, room_channel
from tests.rooms.conftest import frame, frame_of
from tests.rooms.factories import forum_with_people, room_in

# ~90 kB of random text a frame, without compression: a few hundred fill a stalled client's buffers
BIG = base64.b64encode(os.urandom(66_000)).decode()


async def test_a_client_that_stops_reading_is_dropped_and_the_others_keep_receiving(live, monkeypatch):
    monkeypatch.setattr(room_connection, "LAG_LIMIT", 20)
    monkeypatch.setattr(room_connection, "SEND_TIMEOUT", 2.0)
    event, (reader_id, stalled_id) = await forum_with_people(2)
    room_id = await room_in(event)
    reader = await live.connect(room_id, reader_id, compression=None)
    await frame(reader)
    stalled = await live.connect(room_id, stalled_id, max_queue=1, compression=None)
    await frame(stalled)
    await frame_of(reader, "presence")
    await reader.send('{"type":"say","body":"はじめまして","client_id":"slow-0"}')
    first = await frame_of(reader, "message")
    assert (await frame_of(stalled, "message"))["id"] == first["id"]  # from here on it stops reading
    channels = live.app.state.hub

    sent = 0
    received = 0
    spoken = 0
    said: list[int] = []  # the ids of the lines said while the slow member was not reading

    async def say() -> None:
        nonlocal spoken
        spoken += 1
        await reader.send(json.dumps({"type": "say", "body": f"行 {spoken}", "client_id": f"slow-{spoken}"}))

    dropped = asyncio.Event()  # the reader saw the stalled member leave: the server dropped it

    async def read_all() -> None:
        nonlocal received
        while True:
            got = await frame(reader, timeout=20)
            if got["type"] == "broadcast":
                received += 1
            elif got["type"] == "message":
                said.append(got["id"])
            elif got["type"] == "presence" and {m["id"] for m in got["members"]} == {reader_id}:
                dropped.set()

    seen_late: list[int] = []  # lines the slow member still got from its buffers

    async def drain_once_dropped() -> int | None:
        """The slow member's page reads what is left in its buffers: at the end, the close code."""
        await dropped.wait()
        try:
            while True:
                got = json.loads(await asyncio.wait_for(stalled.recv(), timeout=30))
                if got["type"] == "message":
                    seen_late.append(got["id"])
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    reading = asyncio.create_task(read_all())
    draining = asyncio.create_task(drain_once_dropped())
    deadline = asyncio.get_running_loop().time() + 30  # the send bound (2 s here) acts well within this
    while not dropped.is_set() and asyncio.get_running_loop().time() < deadline:
        line = {"type": "broadcast", "body": f"{sent}:{BIG}", "sent_at": "2026-12-01T10:00:00+09:00"}
        await publish(channels, line, room_channel(room_id))
        sent += 1
        if sent % 5 == 0 and spoken < 8:  # the reader talks on while the other is stuck
            await say()
        while received < sent - 5 and not reading.done():  # a steady pace the reading member keeps up with
            await asyncio.sleep(0.005)
    assert dropped.is_set(), f"the stalled member was never dropped ({sent} frames sent)"
    assert await asyncio.wait_for(draining, timeout=60) == 1013  # try again later, with a close frame
    await say()  # and while it is away
    for _ in range(400):
        if received == sent and len(said) == spoken:
            break
        await asyncio.sleep(0.05)
    assert received == sent  # the reader got every frame, in spite of the stalled member
    assert len(said) == spoken
    reading.cancel()

    # the page reconnects with the last line it has, and gets every line it missed, once
    last = max([first["id"], *seen_late])
    again = await live.connect(room_id, stalled_id, after=last)
    hello = await frame_of(again, "hello")
    missed = [m["id"] for m in hello["history"]]
    assert missed == [i for i in said if i > last]
    assert sorted(seen_late + missed) == said
    await again.close()
    await reader.close()
