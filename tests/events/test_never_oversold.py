"""Capacity holds under a burst: 120 people at once for 10 seats, then cancellations promote."""

import asyncio

from meetup.events.tables import Event, Registration
from meetup.mail.tables import OutboxMail
from tests.factories import create_forum, make_accounts, organizer, signed_in

PEOPLE = 120
SEATS = 10


async def test_a_burst_of_registrations_never_oversells(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=SEATS)
    clients = [await signed_in(make_client, uid) for uid in await make_accounts(PEOPLE)]

    responses = await asyncio.gather(*(c.post(f"/api/v1/events/{slug}/registration", json={}) for c in clients))
    assert {r.status_code for r in responses} == {201}
    bodies = [r.json() for r in responses]
    confirmed = [b for b in bodies if b["status"] == "confirmed"]
    waitlisted = [b for b in bodies if b["status"] == "waitlisted"]
    assert len(confirmed) == SEATS
    assert len(waitlisted) == PEOPLE - SEATS
    assert sorted(b["waitlist_position"] for b in waitlisted) == list(range(1, PEOPLE - SEATS + 1))
    row = await Event.select(Event.confirmed_count, Event.waitlisted_count).first()
    assert (row["confirmed_count"], row["waitlisted_count"]) == (SEATS, PEOPLE - SEATS)
    assert await Registration.count().where(Registration.status == "confirmed") == SEATS

    # Five of the confirmed cancel at once: the first five in line take their seats.
    by_id = {b["id"]: c for b, c in zip(bodies, clients, strict=True)}
    leaving = [by_id[b["id"]] for b in confirmed[:5]]
    first_five = sorted(waitlisted, key=lambda b: b["waitlist_position"])[:5]
    cancels = await asyncio.gather(*(c.delete(f"/api/v1/events/{slug}/registration") for c in leaving))
    assert {r.status_code for r in cancels} == {204}
    for body in first_five:
        mine = await by_id[body["id"]].get(f"/api/v1/events/{slug}/registration")
        assert mine.json()["status"] == "confirmed"
    assert await Registration.count().where(Registration.status == "confirmed") == SEATS
    positions = [
        (await by_id[b["id"]].get(f"/api/v1/events/{slug}/registration")).json()["waitlist_position"]
        for b in sorted(waitlisted, key=lambda b: b["waitlist_position"])[5:]
    ]
    assert positions == list(range(1, PEOPLE - SEATS - 5 + 1))
    assert (await Event.select(Event.waitlisted_count).first())["waitlisted_count"] == PEOPLE - SEATS - 5


async def test_concurrent_double_clicks_make_one_registration(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=SEATS)
    [uid] = await make_accounts(1)
    person = await signed_in(make_client, uid)
    responses = await asyncio.gather(*(person.post(f"/api/v1/events/{slug}/registration", json={}) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Registration.count() == 1
    assert await OutboxMail.count() == 1  # the others' statements queued no mail either
