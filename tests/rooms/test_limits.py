"""What one connection or one person may cost a room (meetup.rooms.limits): a frame over 64 KiB
is refused unread (1009), a stream of pings or refused frames ends the connection (1008), and one
person holds at most 5 room sockets in a process (the 6th is closed with 4429)."""

import pytest

from meetup.rooms.limits import SOCKETS_PER_PERSON
from meetup.rooms.tables import RoomMessage
from tests.rooms.conftest import close_code, frame, frame_of
from tests.rooms.factories import forum_with_people, organizer_id, room_in


async def test_a_frame_over_64_kib_is_refused_with_1009(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    await ws.send('{"type":"say","body":"' + "x" * 100 * 1024 + '"}')
    assert await close_code(ws) == 1009
    assert await RoomMessage.count() == 0


@pytest.mark.parametrize("noise", ['{"type":"ping"}', '{"type":"shout"}', "not json", '{"type":"say","body":" "}'])
async def test_more_than_30_frames_that_store_nothing_in_10_seconds_close_the_connection(live, noise):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    for _ in range(30):
        await ws.send(noise)
    for _ in range(30):  # each answered: within the budget
        assert (await frame_of(ws, "pong" if "ping" in noise else "error"))["type"]
    await ws.send(noise)
    assert await close_code(ws) == 1008


async def test_one_person_holds_at_most_5_room_sockets_and_organizers_more(live):
    event, (a,) = await forum_with_people(1)
    first, second = await room_in(event, "A"), await room_in(event, "B")
    held = []
    for n in range(SOCKETS_PER_PERSON):
        held.append(await live.connect(first if n % 2 else second, a))
        await frame_of(held[-1], "hello")
    assert await close_code(await live.connect(first, a)) == 4429
    await held.pop().close()
    again = await live.connect(first, a)  # a tab closed: room for another
    assert (await frame_of(again, "hello"))["you"]["id"] == a

    boss = await organizer_id()  # looking into many rooms at once
    watching = [await live.connect(first, boss) for _ in range(SOCKETS_PER_PERSON + 1)]
    for ws in watching:
        assert (await frame_of(ws, "hello"))["you"]["id"] == boss
    for ws in (*held, again, *watching):
        await ws.close()
