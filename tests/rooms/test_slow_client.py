"""A member who stops reading never stalls a room: the others keep receiving every frame, and
the slow one is disconnected (1013) once too much waits for it, then resumes with ?after=."""

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed

from meetup.rooms import socket as room_socket
from meetup.rooms.hub import publish, room_channel
from tests.rooms.conftest import frame, frame_of
from tests.rooms.factories import forum_with_people, room_in

BIG = "あ" * 30_000  # ~90 kB a frame: a few dozen fill a stalled client's socket buffers


async def test_a_client_that_stops_reading_is_dropped_and_the_others_keep_receiving(live, monkeypatch):
    monkeypatch.setattr(room_socket, "LAG_LIMIT", 20)
    monkeypatch.setattr(room_socket, "SEND_TIMEOUT", 2.0)
    event, (reader_id, stalled_id) = await forum_with_people(2)
    room_id = await room_in(event)
    reader = await live.connect(room_id, reader_id)
    await frame(reader)
    stalled = await live.connect(room_id, stalled_id, max_queue=1)  # stops reading: TCP fills up
    await frame(stalled)
    await frame_of(reader, "presence")
    channels = live.app.plugins.get("ChannelsPlugin")

    sent = 400
    received = 0

    async def read_all() -> None:
        nonlocal received
        while received < sent:
            got = await frame(reader, timeout=20)
            if got["type"] == "broadcast":
                received += 1

    reading = asyncio.create_task(read_all())
    for i in range(sent):
        line = {"type": "broadcast", "body": f"{i}:{BIG}", "sent_at": "2026-12-01T10:00:00+09:00"}
        await publish(channels, line, room_channel(room_id))
        while received < i - 5:  # a steady pace the reading member keeps up with
            await asyncio.sleep(0.005)
    await asyncio.wait_for(reading, timeout=60)
    assert received == sent  # the reader got everything, in spite of the stalled member

    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(sent + 10):
            await asyncio.wait_for(stalled.recv(), timeout=30)
    assert closed.value.rcvd.code == 1013  # try again later: its page reconnects with ?after=
    await reader.close()
