"""Saying something in a room: post_message alone judges a line, and says no with an exception
the socket turns into the contract's error code."""

import pytest

from meetup.accounts.service import get_user
from meetup.rooms import service as rooms
from meetup.rooms.tables import RoomMessage
from tests.rooms.conftest import frame, frame_of
from tests.rooms.factories import forum_with_people, room_in


async def test_an_empty_or_too_long_line_is_refused_before_the_rate_limit_is_asked(database):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    author = await get_user(a)
    asked = []

    def throttle() -> bool:
        asked.append(True)
        return True

    with pytest.raises(rooms.EmptyLine):
        await rooms.post_message(room_id, author, " \n ", None, throttle=throttle)
    with pytest.raises(rooms.LineTooLong):
        await rooms.post_message(room_id, author, "あ" * 2001, None, throttle=throttle)
    assert asked == [] and await RoomMessage.count() == 0  # a refused line spends none of the budget

    message, created = await rooms.post_message(room_id, author, "  " + "あ" * 2000 + "  ", None, throttle=throttle)
    assert created and message.body == "あ" * 2000 and asked == [True]


async def test_a_sender_past_the_rate_limit_or_in_a_closed_room_stores_nothing(database):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    author = await get_user(a)
    with pytest.raises(rooms.SlowDown):
        await rooms.post_message(room_id, author, "速すぎる", None, throttle=lambda: False)
    await rooms.close_room(room_id, None)
    with pytest.raises(rooms.RoomClosed):
        await rooms.post_message(room_id, author, "閉まった部屋で", None)
    assert await RoomMessage.count() == 0


async def test_a_line_is_numbered_stored_as_sent_and_a_resend_returns_it(database):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    alice, bob = await get_user(a), await get_user(b)
    first, created = await rooms.post_message(room_id, alice, "はじめまして", "c-1")
    second, _ = await rooms.post_message(room_id, bob, "よろしく", None)
    again, created_again = await rooms.post_message(room_id, alice, "はじめまして", "c-1")  # the page resent it
    assert created and not created_again
    assert (first.id, second.id) == (1, 2)
    assert again == first  # the same line, its number and time as stored
    [stored_first, stored_second] = await rooms.history(room_id)
    assert stored_first == first and stored_second == second
    assert first.sent_at.utcoffset() is not None and first.author.display_name == alice.display_name
    await rooms.close_room(room_id, 0)  # the timer runs out now
    with pytest.raises(rooms.RoomClosed):
        await rooms.post_message(room_id, bob, "遅れて", None)
    assert await RoomMessage.count() == 2


@pytest.mark.parametrize(("body", "code"), [("   ", "empty"), ("あ" * 2001, "too_long"), ("ちょうどいい長さ", None)])
async def test_the_socket_hands_every_line_to_post_message(live, monkeypatch, body, code):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    judged = []
    real_post = rooms.post_message

    async def post_message(room, author, text, client_id, **options):
        judged.append(text)
        return await real_post(room, author, text, client_id, **options)

    monkeypatch.setattr(rooms, "post_message", post_message)
    ws = await live.connect(room_id, a)
    await frame(ws)
    await ws.send(f'{{"type":"say","body":"{body}"}}')
    if code is None:
        assert (await frame_of(ws, "message"))["body"] == body
    else:
        assert (await frame_of(ws, "error"))["code"] == code
    assert judged == [body]  # the socket does not judge a line itself
    await ws.close()
