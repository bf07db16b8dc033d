"""A member whose right to be in a room ends is put out at once (docs/websocket.md): a cancelled or
rejected registration, a cancelled forum or a lowered role closes their sockets with 4403, logging
out closes that session's sockets with 4401. The revocation is pushed; nobody waits for the
periodic check (15 s), which is longer than these tests wait."""

import asyncio

import pytest

from meetup.accounts import service as accounts
from meetup.errors import BadInput
from meetup.events import registration
from meetup.rooms import connection as room_connection
from tests.factories import make_accounts
from tests.rooms.conftest import close_code, frame, frame_of, http_as, members_become
from tests.rooms.factories import forum_with_people, organizer_id, room_in


async def still_open(ws) -> None:
    await ws.send('{"type":"ping"}')
    assert (await frame_of(ws, "pong")) == {"type": "pong"}


@pytest.mark.parametrize("how", ["api", "page"])
async def test_a_registrant_who_cancels_is_put_out_of_the_room_and_the_others_stay(live, how):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    alice, bob = await live.connect(room_id, a), await live.connect(room_id, b)
    await frame(alice), await frame(bob)
    client = await http_as(live, a)
    if how == "api":
        assert (await client.delete(f"/api/v1/events/{event['slug']}/registration")).status_code == 204
    else:
        assert (await client.post(f"/events/{event['slug']}/cancel")).status_code == 303
    assert await close_code(alice) == 4403
    await members_become(bob, {b})
    await still_open(bob)
    assert await close_code(await live.connect(room_id, a)) == 4403  # and cannot come back
    await bob.close(), await client.aclose()


async def test_a_registrant_the_organizer_rejects_is_put_out(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    alice = await live.connect(room_id, a)
    await frame(alice)
    mine = await registration.my_registration(event["id"], a)
    boss = await http_as(live, await organizer_id())
    response = await boss.post(f"/api/v1/events/{event['slug']}/registrations/{mine['id']}/reject")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert await close_code(alice) == 4403
    await boss.aclose()


async def test_a_cancelled_forum_puts_its_registrants_out_and_its_organizers_stay(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    boss_id = await organizer_id()
    alice, host = await live.connect(room_id, a), await live.connect(room_id, boss_id)
    await frame(alice), await frame(host)
    boss = await http_as(live, boss_id)
    assert (await boss.patch(f"/api/v1/events/{event['slug']}", json={"status": "cancelled"})).status_code == 200
    assert await close_code(alice) == 4403
    await members_become(host, {boss_id})
    await still_open(host)
    await host.close(), await boss.aclose()


async def test_an_organizer_lowered_to_participant_leaves_a_room_they_were_only_looking_into(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    boss_id = await organizer_id()
    host = await live.connect(room_id, boss_id)
    await frame(host)
    await accounts.set_role(boss_id, "participant")
    assert await close_code(host) == 4403


async def test_an_organizer_lowered_to_participant_who_is_registered_stays(live, monkeypatch):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    await accounts.set_role(a, "organizer")
    alice = await live.connect(room_id, a)
    await frame(alice)
    checked = asyncio.Event()
    real_check = room_connection.RoomConnection.check_rights

    async def check_and_tell(connection):
        await real_check(connection)
        checked.set()

    monkeypatch.setattr(room_connection.RoomConnection, "check_rights", check_and_tell)
    await accounts.set_role(a, "participant")
    await asyncio.wait_for(checked.wait(), timeout=10)  # the revocation was heard and checked...
    await still_open(alice)  # ...and she is still a confirmed registrant
    await registration.cancel(event, a)
    assert await close_code(alice) == 4403


async def test_logging_out_on_the_page_closes_that_sessions_sockets_only(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    phone = await http_as(live, a)
    on_phone = await live.connect_with_session(room_id, phone.cookies["session"])
    on_laptop = await live.connect(room_id, a)  # another session of the same person
    await frame(on_phone), await frame(on_laptop)
    assert (await phone.post("/logout")).status_code in (302, 303)
    assert await close_code(on_phone) == 4401
    await still_open(on_laptop)
    await on_laptop.close(), await phone.aclose()


async def test_a_role_that_does_not_exist_is_refused(database):
    [a] = await make_accounts(1)
    with pytest.raises(BadInput):
        await accounts.set_role(a, "superuser")
    assert (await accounts.get_user(a)).role == "participant"
    assert (await accounts.set_role(a, "organizer")).role == "organizer"
