"""Coordinators register; seats, the waitlist and every status change behave as people expect."""

from datetime import timedelta

import pytest

from meetup.db import utcnow
from meetup.events import registration
from meetup.events.tables import Event, Registration
from meetup.mail import outbox
from tests.factories import create_forum, make_accounts, organizer, sign_up, signed_in


async def people(make_client, n: int) -> list:
    return [await signed_in(make_client, user_id) for user_id in await make_accounts(n)]


async def test_first_come_confirms_then_waitlists_in_order(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=2)
    clients = await people(make_client, 4)
    answers = [(await c.post(f"/api/v1/events/{slug}/registration", json={})) for c in clients]
    assert [r.status_code for r in answers] == [201, 201, 201, 201]
    bodies = [r.json() for r in answers]
    assert [b["status"] for b in bodies] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [b.get("waitlist_position") for b in bodies] == [None, None, 1, 2]
    summary = (await client.get(f"/api/v1/events/{slug}")).json()
    assert (summary["confirmed_count"], summary["waitlist_count"], summary["seats_left"]) == (2, 2, 0)


async def test_registering_twice_returns_the_same_registration(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    [person] = await people(make_client, 1)
    first = await person.post(f"/api/v1/events/{slug}/registration", json={})
    again = await person.post(f"/api/v1/events/{slug}/registration", json={})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert await Registration.count() == 1
    mine = await person.get(f"/api/v1/events/{slug}/registration")
    assert mine.json()["id"] == first.json()["id"]


async def test_a_cancelled_seat_passes_at_once_to_the_first_waitlisted(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    holder, first_waiting, second_waiting = await people(make_client, 3)
    for person in (holder, first_waiting, second_waiting):
        await person.post(f"/api/v1/events/{slug}/registration", json={})
    assert (await holder.delete(f"/api/v1/events/{slug}/registration")).status_code == 204
    assert (await first_waiting.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "confirmed"
    second = (await second_waiting.get(f"/api/v1/events/{slug}/registration")).json()
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
    promoted_to = (await first_waiting.get("/api/v1/me")).json()["email"]
    mails = await outbox.recent(to_addr=promoted_to)
    assert "繰り上げ" in mails[0].subject or "A seat is yours" in mails[0].subject
    assert mails[0].attachments[0].filename == "forum.ics"
    assert (await holder.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "cancelled"
    assert (await holder.delete(f"/api/v1/events/{slug}/registration")).status_code == 404


async def test_raising_capacity_promotes_in_order(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    clients = await people(make_client, 4)
    for person in clients:
        await person.post(f"/api/v1/events/{slug}/registration", json={})
    response = await client.patch(f"/api/v1/events/{slug}", json={"capacity": 3})
    assert response.status_code == 200
    statuses = [(await c.get(f"/api/v1/events/{slug}/registration")).json() for c in clients]
    assert [s["status"] for s in statuses] == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert statuses[3]["waitlist_position"] == 1


async def test_the_confirmation_mail_carries_the_calendar_and_the_online_url(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    person = await make_client()
    me = await sign_up(person)
    await person.post(f"/api/v1/events/{slug}/registration", json={})
    [mail] = await outbox.recent(to_addr=me["email"])
    assert "参加確定" in mail.subject or "Confirmed" in mail.subject
    assert "様" in mail.body_text
    assert "https://teams.example/meet/secret-room" in mail.body_text
    [ics] = mail.attachments
    assert ics.content_type.startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.data
    assert b"secret-room" in ics.data  # the registrant's own calendar entry has the link


@pytest.mark.parametrize(
    ("overrides", "change"),
    [
        ({"status": "draft"}, None),
        ({}, {"status": "cancelled"}),
        ({"registration_closes_at": (utcnow() - timedelta(hours=1)).isoformat()}, None),
        ({"registration_opens_at": (utcnow() + timedelta(days=1)).isoformat()}, None),
    ],
)
async def test_closed_forums_refuse_registration(client, make_client, overrides, change):
    await organizer(client)
    slug = await create_forum(client, **overrides)
    if change:
        await client.patch(f"/api/v1/events/{slug}", json=change)
    [person] = await people(make_client, 1)
    response = await person.post(f"/api/v1/events/{slug}/registration", json={})
    assert response.status_code in (404, 409)  # a draft does not exist for the public
    if overrides.get("status") != "draft":
        assert response.status_code == 409
        assert response.json()["detail"]
    assert await Registration.count() == 0


async def test_a_past_forum_refuses_registration(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    await Event.update(
        {Event.starts_at: utcnow() - timedelta(days=2), Event.ends_at: utcnow() - timedelta(days=1)}, force=True
    )
    [person] = await people(make_client, 1)
    response = await person.post(f"/api/v1/events/{slug}/registration", json={})
    assert response.status_code == 409
    assert await Registration.count() == 0


QUESTIONS = [
    {"id": "organization", "label": "所属", "kind": "text", "required": True},
    {"id": "session", "label": "希望分科会", "kind": "choice", "required": True, "options": ["移住", "DX"]},
    {"id": "topics", "label": "関心", "kind": "checkbox", "options": ["観光", "農業", "水産"]},
    {"id": "consent", "label": "名簿共有に同意", "kind": "checkbox", "required": True},
]


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"organization": "ワカツク", "session": "移住"},  # consent missing
        {"organization": "ワカツク", "session": "宇宙", "consent": True},
        {"organization": "ワカツク", "session": "DX", "consent": True, "topics": ["宇宙"]},
        {"organization": "ワカツク", "session": "DX", "consent": True, "unknown": "x"},
        {"organization": ["a"], "session": "DX", "consent": True},
    ],
)
async def test_missing_or_wrong_answers_are_refused(client, make_client, answers):
    await organizer(client)
    slug = await create_forum(client, questions=QUESTIONS)
    [person] = await people(make_client, 1)
    response = await person.post(f"/api/v1/events/{slug}/registration", json={"answers": answers})
    assert response.status_code == 400, response.text
    assert "answers" in response.text
    assert await Registration.count() == 0


async def test_good_answers_are_kept(client, make_client):
    await organizer(client)
    slug = await create_forum(client, questions=QUESTIONS)
    [person] = await people(make_client, 1)
    answers = {"organization": " ワカツク ", "session": "DX", "consent": True, "topics": ["観光", "水産"]}
    response = await person.post(
        f"/api/v1/events/{slug}/registration", json={"answers": answers, "prefecture": "宮城県"}
    )
    assert response.status_code == 201
    assert response.json()["answers"] == {**answers, "organization": "ワカツク"}


async def test_approval_mode(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="approval", capacity=1)
    first, second = await people(make_client, 2)
    ids = [(await c.post(f"/api/v1/events/{slug}/registration", json={})).json() for c in (first, second)]
    assert [r["status"] for r in ids] == ["pending", "pending"]
    approved = await client.post(f"/api/v1/events/{slug}/registrations/{ids[0]['id']}/approve")
    assert approved.json()["status"] == "confirmed"
    overflow = await client.post(f"/api/v1/events/{slug}/registrations/{ids[1]['id']}/approve")
    assert (overflow.json()["status"], overflow.json()["waitlist_position"]) == ("waitlisted", 1)
    rejected = await client.post(f"/api/v1/events/{slug}/registrations/{ids[0]['id']}/reject")
    assert rejected.json()["status"] == "rejected"
    assert (await second.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "confirmed"
    again = await first.post(f"/api/v1/events/{slug}/registration", json={})
    assert (again.status_code, again.json()["status"]) == (200, "rejected")


async def test_check_in_and_undo(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    [person] = await people(make_client, 1)
    reg = (await person.post(f"/api/v1/events/{slug}/registration", json={})).json()
    checked = await client.post(f"/api/v1/events/{slug}/registrations/{reg['id']}/check-in")
    assert checked.json()["checked_in_at"]
    undone = await client.delete(f"/api/v1/events/{slug}/registrations/{reg['id']}/check-in")
    assert undone.json().get("checked_in_at") is None
    code = (await Registration.select(Registration.ticket_code).first())["ticket_code"]
    by_code = await client.post(f"/api/v1/events/{slug}/check-in", json={"code": f"https://x/t/{code}"})
    assert by_code.status_code == 200
    assert by_code.json()["checked_in_at"]
    unknown = await client.post(f"/api/v1/events/{slug}/check-in", json={"code": "nope"})
    assert unknown.status_code == 404


async def test_each_registration_sends_one_status_mail_and_the_sweep_adds_none(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    clients = await people(make_client, 3)
    for person in clients:
        await person.post(f"/api/v1/events/{slug}/registration", json={})
    again = await clients[2].post(f"/api/v1/events/{slug}/registration", json={})
    assert again.status_code == 200
    emails = [(await c.get("/api/v1/me")).json()["email"] for c in clients]
    assert [len(await outbox.recent(to_addr=e)) for e in emails] == [1, 1, 1]
    # the registrations' flags are still up until the sweep lowers them
    assert await Registration.count().where(Registration.mail_pending == True) == 3  # noqa: E712
    assert await registration.queue_pending_mail(older_than=timedelta(0)) == 0
    assert [len(await outbox.recent(to_addr=e)) for e in emails] == [1, 1, 1]
    assert await Registration.count().where(Registration.mail_pending == True) == 0  # noqa: E712


async def test_a_status_mail_lost_to_a_crash_is_sent_by_the_sweep_once(client, make_client):
    """The seat was committed, the process died before queueing its mail: the sweep sends it."""
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    [holder, waiting] = await people(make_client, 2)
    await holder.post(f"/api/v1/events/{slug}/registration", json={})
    await waiting.post(f"/api/v1/events/{slug}/registration", json={})
    waiting_email = (await waiting.get("/api/v1/me")).json()["email"]
    await outbox.OutboxMail.delete(force=True)  # as if neither mail had been queued
    await Registration.update(
        {Registration.mail_pending: True, Registration.updated_at: utcnow() - timedelta(minutes=5)}, force=True
    )
    fresh = await registration.queue_pending_mail(older_than=timedelta(minutes=10))
    assert fresh == 0  # younger than the grace period: its request may still be queueing it
    assert await registration.queue_pending_mail() == 2
    assert await registration.queue_pending_mail() == 0
    [mail] = await outbox.recent(to_addr=waiting_email)
    assert "1" in mail.body_text  # the waitlist position
    assert "キャンセル待ち" in mail.subject or "Waitlist" in mail.subject
    assert await outbox.OutboxMail.count() == 2
