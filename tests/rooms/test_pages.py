"""The pages of breakout rooms: a forum's rooms for its participants, the room page (live chat or
the record of a closed room), and the organizer's rooms console."""

from datetime import timedelta

import pytest

from meetup.accounts.service import get_user
from meetup.db import utcnow
from meetup.events import registration
from meetup.events import service as events
from meetup.rooms import service as rooms
from meetup.rooms.tables import BreakoutRoom, RoomAssignment
from tests.factories import make_accounts, signed_in
from tests.rooms.conftest import frame, frame_of, http_as
from tests.rooms.factories import forum_with_people, organizer_id, room_in


async def people(make_client, event: dict) -> dict:
    """Clients for everyone who might knock: anonymous, a stranger, a confirmed registrant, an organizer."""
    [stranger] = await make_accounts(1, prefix="stranger")
    registrants = await events.confirmed_people(event["id"])
    return {
        "anonymous": await make_client(),
        "stranger": await signed_in(make_client, stranger),
        "registrant": await signed_in(make_client, registrants[0]),
        "organizer": await signed_in(make_client, await organizer_id()),
    }


def goes_to_login(response, path: str) -> bool:
    return response.status_code in (302, 303) and response.headers["location"] == f"/login?next={path}"


async def test_the_forums_rooms_are_for_its_confirmed_registrants_and_organizers(client, make_client):
    event, _ = await forum_with_people(1)
    room_id = await room_in(event, "石巻の部屋")
    who = await people(make_client, event)
    path = f"/events/{event['slug']}/rooms"

    assert goes_to_login(await who["anonymous"].get(path, follow_redirects=False), path)
    refused = await who["stranger"].get(path)
    assert refused.status_code == 403 and "石巻の部屋" not in refused.text
    for name in ("registrant", "organizer"):
        page = await who[name].get(path)
        assert page.status_code == 200, name
        assert "石巻の部屋" in page.text and "関係人口" in page.text
        assert f'href="/rooms/{room_id}"' in page.text
    assert f"/organizer/events/{event['slug']}/rooms" in (await who["organizer"].get(path)).text
    assert f"/organizer/events/{event['slug']}/rooms" not in (await who["registrant"].get(path)).text


async def test_your_room_is_highlighted_and_closed_rooms_stay_as_the_record(client, make_client):
    event, uids = await forum_with_people(4)
    earlier = await room_in(event, "前半の部屋")
    await rooms.close_room(earlier, None)
    made = await rooms.assign(event["id"], 2, "random")
    mine = next(room for room, members in made if uids[0] in members)
    page = (await (await signed_in(make_client, uids[0])).get(f"/events/{event['slug']}/rooms")).text

    open_part, closed_part = page.split('id="closed-rooms"')
    assert open_part.count('class="room-card is-mine"') == 1
    highlighted = open_part.split('class="room-card is-mine"')[1].split("</li>")[0]
    assert mine.name in highlighted and f'href="/rooms/{mine.id}"' in highlighted
    assert "前半の部屋" in closed_part and f'href="/rooms/{earlier}"' in closed_part
    assert "前半の部屋" not in open_part


async def test_the_room_page_is_for_those_who_may_join(client, make_client):
    event, _ = await forum_with_people(1)
    room_id = await room_in(event)
    who = await people(make_client, event)
    path = f"/rooms/{room_id}"

    assert goes_to_login(await who["anonymous"].get(path, follow_redirects=False), path)
    assert (await who["stranger"].get(path)).status_code == 403
    for name in ("registrant", "organizer"):
        page = await who[name].get(path)
        assert page.status_code == 200, name
        assert "宮城の部屋" in page.text and "関係人口" in page.text
        assert '<script src="/static/js/room.js"' in page.text
        assert 'id="composer"' in page.text
    assert (await who["registrant"].get("/rooms/999999")).status_code == 404


async def test_the_room_page_renders_the_history_as_escaped_text(client, make_client):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    await rooms.post_message(room_id, await get_user(a), "<script>alert(1)</script>", None)
    await rooms.post_message(room_id, await get_user(b), "よろしく\nお願いします", None)
    page = (await (await signed_in(make_client, b)).get(f"/rooms/{room_id}")).text

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert page.index("alert(1)") < page.index("よろしく")
    assert 'data-id="1"' in page and 'data-id="2"' in page
    assert "line mine" in page.split('data-id="2"')[0].rsplit("<li", 1)[1]  # b's own line


async def test_a_closed_room_is_a_record_without_a_composer(client, make_client):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    for i in range(60):  # more than the live history: the record shows every line
        await rooms.post_message(room_id, await get_user(a), f"発言 {i}", None)
    await rooms.close_room(room_id, None)
    member = await signed_in(make_client, a)
    page = await member.get(f"/rooms/{room_id}")

    assert page.status_code == 200
    assert "発言 0<" in page.text and "発言 59<" in page.text
    assert 'id="composer"' not in page.text and "room.js" not in page.text
    [stranger] = await make_accounts(1)
    assert (await (await signed_in(make_client, stranger)).get(f"/rooms/{room_id}")).status_code == 403


async def test_someone_who_was_in_the_room_may_read_it_after_cancelling_but_not_chat(client, make_client):
    event, (a,) = await forum_with_people(1)
    made = await rooms.assign(event["id"], 1, "random")
    room_id = made[0][0].id
    await rooms.post_message(room_id, await get_user(a), "また会いましょう", None)
    await registration.cancel(event, a)
    page = await (await signed_in(make_client, a)).get(f"/rooms/{room_id}")
    assert page.status_code == 200
    assert "また会いましょう" in page.text and 'id="composer"' not in page.text


async def test_the_console_is_for_organizers(client, make_client):
    event, _ = await forum_with_people(1)
    await room_in(event)
    who = await people(make_client, event)
    path = f"/organizer/events/{event['slug']}/rooms"
    assert goes_to_login(await who["anonymous"].get(path, follow_redirects=False), path)
    for name in ("stranger", "registrant"):
        assert (await who[name].get(path)).status_code == 403, name
        assert (await who[name].post(path, data={"name": "乗っ取り"})).status_code == 403, name
    page = await who["organizer"].get(path)
    assert page.status_code == 200 and "宮城の部屋" in page.text
    assert (await who["organizer"].get("/organizer/events/no-such-forum/rooms")).status_code == 404
    assert await BreakoutRoom.count() == 1


async def test_the_organizer_opens_a_room_and_assigns_a_round(client, make_client):
    event, uids = await forum_with_people(6)
    boss = await signed_in(make_client, await organizer_id())
    console = f"/organizer/events/{event['slug']}/rooms"

    created = await boss.post(console, data={"name": "DXの部屋", "topic": "自治体DX", "capacity": "8"})
    assert created.status_code == 303 and created.headers["location"] == f"{console}?done=created"
    [room] = await rooms.list_rooms(event["id"])
    assert (room.name, room.topic, room.capacity) == ("DXの部屋", "自治体DX", 8)
    assert "DXの部屋" in (await boss.get(created.headers["location"])).text

    blank = await boss.post(console, data={"name": "   ", "topic": "x"})
    assert blank.status_code == 400 and 'role="alert"' in blank.text
    assert await BreakoutRoom.count() == 1

    assigned = await boss.post(f"{console}/assign", data={"rooms": "3", "strategy": "themes"})
    assert assigned.status_code == 303 and assigned.headers["location"] == f"{console}?done=assigned"
    assert await BreakoutRoom.count() == 4
    assert sorted(r["account"] for r in await RoomAssignment.select(RoomAssignment.account)) == sorted(uids)
    page = (await boss.get(console)).text
    assert page.count('class="console-room"') == 4

    bad = await boss.post(f"{console}/assign", data={"rooms": "0"})
    assert bad.status_code == 400


async def test_assigning_with_nobody_confirmed_says_why(client, make_client):
    event, (a,) = await forum_with_people(1)
    await registration.cancel(event, a)
    boss = await signed_in(make_client, await organizer_id())
    response = await boss.post(f"/organizer/events/{event['slug']}/rooms/assign", data={"rooms": "2"})
    assert response.status_code == 409 and 'role="alert"' in response.text
    assert await BreakoutRoom.count() == 0


async def test_the_timer_sets_closes_at_and_close_now_closes(client, make_client):
    event, _ = await forum_with_people(1)
    first, second = await room_in(event, "一"), await room_in(event, "二")
    boss = await signed_in(make_client, await organizer_id())
    console = f"/organizer/events/{event['slug']}/rooms"

    before = utcnow()
    response = await boss.post(f"{console}/{first}/timer", data={"minutes": "5"})
    assert response.status_code == 303 and response.headers["location"] == f"{console}?done=timer"
    closes_at = (await rooms.room_row(first))["closes_at"]
    assert before + timedelta(minutes=5) <= closes_at <= utcnow() + timedelta(minutes=5)
    assert (await rooms.room_row(first))["status"] == "open"

    assert (await boss.post(f"{console}/{second}/timer", data={"minutes": "0"})).status_code == 400
    assert (await rooms.room_row(second))["closes_at"] is None

    closed = await boss.post(f"{console}/{second}/close")
    assert closed.status_code == 303
    assert not rooms.is_open(await rooms.room_row(second))
    again = await boss.post(f"{console}/{second}/close")
    assert again.status_code == 410 and 'role="alert"' in again.text

    everything = await boss.post(f"{console}/timer", data={"action": "close"})
    assert everything.status_code == 303
    assert not rooms.is_open(await rooms.room_row(first))


async def test_a_room_of_another_forum_is_not_reachable_from_this_console(client, make_client):
    event, _ = await forum_with_people(1)
    other, _ = await forum_with_people(1)
    elsewhere = await room_in(other)
    boss = await signed_in(make_client, await organizer_id())
    response = await boss.post(f"/organizer/events/{event['slug']}/rooms/{elsewhere}/close")
    assert response.status_code == 404
    assert rooms.is_open(await rooms.room_row(elsewhere))


async def test_the_organizer_moves_a_person(client, make_client):
    event, (a, b) = await forum_with_people(2)
    made = await rooms.assign(event["id"], 2, "random")
    target = next(room for room, members in made if a not in members)
    boss = await signed_in(make_client, await organizer_id())
    console = f"/organizer/events/{event['slug']}/rooms"
    page = (await boss.get(console)).text
    assert f'<option value="{a}"' in page  # picked from the confirmed people

    moved = await boss.post(f"{console}/move", data={"user_id": str(a), "room_id": str(target.id)})
    assert moved.status_code == 303 and moved.headers["location"] == f"{console}?done=moved"
    assert await rooms.assigned_room(event["id"], a) == target.id

    [outsider] = await make_accounts(1)
    by_id = await boss.post(
        f"{console}/move", data={"user_id": "", "other_user_id": str(outsider), "room_id": str(target.id)}
    )
    assert by_id.status_code == 400  # not registered: could not join the room anyway
    assert await rooms.assigned_room(event["id"], outsider) is None
    organizer = await organizer_id()
    helper = await boss.post(
        f"{console}/move", data={"user_id": "", "other_user_id": str(organizer), "room_id": str(target.id)}
    )
    assert helper.status_code == 303  # an organizer may be sent to a room to help
    assert await rooms.assigned_room(event["id"], organizer) == target.id

    nobody = await boss.post(f"{console}/move", data={"other_user_id": "999999", "room_id": str(target.id)})
    assert nobody.status_code == 404
    assert (await boss.post(f"{console}/move", data={"room_id": str(target.id)})).status_code == 400


@pytest.mark.parametrize("action", ["broadcast", "timer"])
async def test_broadcast_and_timer_from_the_console_reach_live_sockets(live, action):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    boss = await http_as(live, await organizer_id())
    console = f"/organizer/events/{event['slug']}/rooms"
    if action == "broadcast":
        response = await boss.post(f"{console}/broadcast", data={"body": "  あと5分です  "})
        assert response.status_code == 303 and response.headers["location"] == f"{console}?done=broadcast"
        received = await frame_of(ws, "broadcast")
        assert received["body"] == "あと5分です" and received["sent_at"].endswith("+09:00")
        assert (await boss.post(f"{console}/broadcast", data={"body": "   "})).status_code == 400
    else:
        response = await boss.post(f"{console}/timer", data={"minutes": "3", "action": "timer"})
        assert response.status_code == 303 and response.headers["location"] == f"{console}?done=timer"
        received = await frame_of(ws, "timer")
        closes_at = (await rooms.room_row(room_id))["closes_at"]
        assert received["closes_at"].endswith("+09:00")
        assert abs((closes_at - utcnow()).total_seconds() - 180) < 10
        await boss.post(f"{console}/{room_id}/close")
        assert (await frame_of(ws, "closed")) == {"type": "closed"}
    await ws.close()
    await boss.aclose()
