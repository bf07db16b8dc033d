"""A member who stops reading never stalls a room: the others keep receiving every frame, and
the slow one is disconnected (1013) once too much waits for it, then resumes with ?after=."""

import asyncio
import base64
import os

import pytest
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
    stalled = await live.connect(room_id, stalled_id, max_queue=1, compression=None)  # stops reading
    await frame(stalled)
    await frame_of(reader, "presence")
    channels = live.app.state.hub

    sent = 0
    received = 0
    dropped = asyncio.Event()  # the reader saw the stalled member leave: the server dropped it

    async def read_all() -> None:
        nonlocal received
        while True:
            got = await frame(reader, timeout=20)
            if got["type"] == "broadcast":
                received += 1
            elif got["type"] == "presence" and {m["id"] for m in got["members"]} == {reader_id}:
                dropped.set()

    reading = asyncio.create_task(read_all())
    deadline = asyncio.get_running_loop().time() + 30  # the send bound (2 s here) acts well within this
    while not dropped.is_set() and asyncio.get_running_loop().time() < deadline:
        line = {"type": "broadcast", "body": f"{sent}:{BIG}", "sent_at": "2026-12-01T10:00:00+09:00"}
        await publish(channels, line, room_channel(room_id))
        sent += 1
        while received < sent - 5 and not reading.done():  # a steady pace the reading member keeps up with
            await asyncio.sleep(0.005)
    assert dropped.is_set(), f"the stalled member was never dropped ({sent} frames sent)"
    for _ in range(400):
        if received == sent:
            break
        await asyncio.sleep(0.05)
    assert received == sent  # the reader got every frame, in spite of the stalled member
    reading.cancel()

    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(sent + 10):
            await asyncio.wait_for(stalled.recv(), timeout=30)
    # 1013 (try again later) when the close got through; none when its buffers stayed full too long
    assert closed.value.rcvd is None or closed.value.rcvd.code == 1013
    await reader.close()
