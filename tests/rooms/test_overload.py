"""A room whose fan-out falls behind slows its senders down ("send it again in a moment") instead
of dropping its readers; one or two slow readers do not silence a room."""

import contextlib

from meetup.rooms.hub import BEHIND_FRAMES, Hub, room_channel
from meetup.rooms.tables import RoomMessage
from tests.rooms.conftest import frame, frame_of
from tests.rooms.factories import forum_with_people, room_in


async def listeners(hub: Hub, channel: str, count: int, waiting: int):
    subscriptions = [await hub.subscribe([channel]) for _ in range(count)]
    for subscription in subscriptions:
        for _ in range(waiting):
            subscription.put(b"{}")
    return subscriptions


async def test_a_room_is_behind_when_many_of_its_listeners_wait():
    hub = Hub()
    channel = room_channel(1)
    await listeners(hub, channel, 9, waiting=0)
    assert not hub.behind(channel)
    slow = await listeners(hub, channel, 2, waiting=BEHIND_FRAMES + 1)
    assert not hub.behind(channel)  # two slow readers of eleven: their own problem (LAG_LIMIT)
    slow += await listeners(hub, channel, 2, waiting=BEHIND_FRAMES + 1)
    assert hub.behind(channel)  # four of thirteen: the process is not keeping up
    assert not hub.behind(room_channel(2))  # other rooms are not
    for subscription in slow:
        await hub.unsubscribe(subscription)
    assert not hub.behind(channel)


async def test_two_people_and_a_stuck_reader_do_not_make_a_room_busy():
    hub = Hub()
    channel = room_channel(1)
    await listeners(hub, channel, 1, waiting=0)
    await listeners(hub, channel, 1, waiting=10 * BEHIND_FRAMES)
    assert not hub.behind(channel)


async def test_lines_said_while_the_room_is_behind_are_refused_unstored_then_taken(live):
    event, (speaker,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, speaker)
    await frame(ws)
    hub = live.app.state.hub
    backlog = await listeners(hub, room_channel(room_id), 3, waiting=BEHIND_FRAMES + 1)

    await ws.send('{"type":"say","body":"混んでいますか","client_id":"busy-1"}')
    refused = await frame_of(ws, "error")
    assert refused["code"] == "unavailable"
    assert await RoomMessage.count().where(RoomMessage.room == room_id) == 0

    for subscription in backlog:  # the fan-out caught up
        await hub.unsubscribe(subscription)
    await ws.send('{"type":"say","body":"混んでいますか","client_id":"busy-1"}')
    line = await frame_of(ws, "message")
    assert line["body"] == "混んでいますか"
    assert await RoomMessage.count().where(RoomMessage.room == room_id) == 1
    await ws.close()


async def test_a_process_with_many_lines_waiting_to_be_stored_is_behind_everywhere():
    """Saturated, a process reads lines seconds after they were sent while every queue is empty:
    the lines waiting to be stored are what shows it."""
    from meetup.rooms.hub import STORING_LIMIT

    hub = Hub()
    channel = room_channel(1)
    await listeners(hub, channel, 5, waiting=0)
    with contextlib.ExitStack() as stack:
        for _ in range(STORING_LIMIT - 1):
            stack.enter_context(hub.storing_line())
        assert not hub.behind(channel)
        with hub.storing_line():
            assert hub.behind(channel) and hub.behind(room_channel(2))
        assert not hub.behind(channel)
    assert hub.storing == 0
