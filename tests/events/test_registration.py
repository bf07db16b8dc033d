"""Coordinators register; seats, the waitlist and every status change behave as people expect."""

from datetime import timedelta

import pytest

from meetup.db import utcnow
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
    not_a_code = await client.post(f"/api/v1/events/{slug}/check-in", json={"code": "nope"})
    assert not_a_code.status_code == 400
    unknown = await client.post(f"/api/v1/events/{slug}/check-in", json={"code": "2222-2222"})
    assert unknown.status_code == 404


async def test_each_registration_queues_one_status_mail_written_when_read(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    clients = await people(make_client, 3)
    for person in clients:
        await person.post(f"/api/v1/events/{slug}/registration", json={})
    again = await clients[2].post(f"/api/v1/events/{slug}/registration", json={})
    assert again.status_code == 200
    # queued with the registration, to be written: only the recipient is fixed
    queued = await outbox.OutboxMail.select().order_by(outbox.OutboxMail.id)
    emails = [(await c.get("/api/v1/me")).json()["email"] for c in clients]
    assert [m["to_addr"] for m in queued] == emails
    assert all(m["compose_json"] and not m["subject"] for m in queued)

    [confirmed], [first], [second] = [await outbox.recent(to_addr=e) for e in emails]
    assert "確定" in confirmed.subject or "Confirmed" in confirmed.subject
    assert "https://teams.example/meet/secret-room" in confirmed.body_text
    assert [a.filename for a in confirmed.attachments] == ["forum.ics"]
    assert "（1番目）" in first.body_text or "number 1)" in first.body_text
    assert "（2番目）" in second.body_text or "number 2)" in second.body_text
    assert not first.attachments and "secret-room" not in first.body_text
    # written once and stored so: reading again changes nothing
    stored = await outbox.OutboxMail.select().order_by(outbox.OutboxMail.id)
    assert all(not m["compose_json"] and m["subject"] for m in stored)
    assert [m.body_text for m in await outbox.recent()] == [m["body_text"] for m in reversed(stored)]


async def test_a_mail_is_written_as_the_registration_is_when_it_goes(client, make_client):
    """Who cancelled before their confirmation was written gets no online URL in it; who moved up
    from the waitlist meanwhile gets no stale number."""
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    [holder, waiting] = await people(make_client, 2)
    await holder.post(f"/api/v1/events/{slug}/registration", json={})
    await waiting.post(f"/api/v1/events/{slug}/registration", json={})
    assert (await holder.delete(f"/api/v1/events/{slug}/registration")).status_code in (200, 204)
    holder_email, waiting_email = [(await c.get("/api/v1/me")).json()["email"] for c in (holder, waiting)]

    cancelled, confirmed = await outbox.recent(to_addr=holder_email)
    assert "キャンセル" in cancelled.subject or "Cancellation" in cancelled.subject
    assert "確定" in confirmed.subject or "Confirmed" in confirmed.subject
    assert "secret-room" not in confirmed.body_text + confirmed.body_html
    assert b"secret-room" not in confirmed.attachments[0].data

    promoted, waitlisted = await outbox.recent(to_addr=waiting_email)
    assert "secret-room" in promoted.body_text
    assert "番目）" not in waitlisted.body_text and "number" not in waitlisted.body_text
    assert "キャンセル待ち" in waitlisted.body_text or "waitlist" in waitlisted.body_text


async def test_a_mail_whose_person_is_gone_fails_with_the_reason(client, make_client):
    from meetup.accounts.tables import Account

    await organizer(client)
    slug = await create_forum(client)
    [person] = await people(make_client, 1)
    me = (await person.get("/api/v1/me")).json()
    await person.post(f"/api/v1/events/{slug}/registration", json={})
    await Account.delete().where(Account.id == me["id"])
    [mail] = await outbox.recent(to_addr=me["email"])
    assert (mail.status, mail.last_error) == ("failed", "nothing to send: its person or forum is gone")


async def test_the_waitlist_count_follows_every_way_on_and_off_the_waitlist(client, make_client):
    """A newcomer's position comes from the forum's waitlisted_count: it must stay the true count."""
    await organizer(client)
    first_come = await create_forum(client, capacity=1)
    a, b, c, d, e = await people(make_client, 5)
    for person in (a, b, c, d):
        await person.post(f"/api/v1/events/{first_come}/registration", json={})
    await c.delete(f"/api/v1/events/{first_come}/registration")  # leaves the waitlist
    newcomer = await e.post(f"/api/v1/events/{first_come}/registration", json={})
    assert newcomer.json()["waitlist_position"] == 3  # behind b and d
    await a.delete(f"/api/v1/events/{first_come}/registration")  # b moves up
    await client.patch(f"/api/v1/events/{first_come}", json={"capacity": 2})  # d moves up
    back = await c.post(f"/api/v1/events/{first_come}/registration", json={})
    assert (back.json()["status"], back.json()["waitlist_position"]) == ("waitlisted", 2)  # behind e

    approval = await create_forum(client, registration_mode="approval", capacity=1)
    applied = [(await p.post(f"/api/v1/events/{approval}/registration", json={})).json() for p in (a, b, c)]
    for reg in applied:
        await client.post(f"/api/v1/events/{approval}/registrations/{reg['id']}/approve")
    await client.post(f"/api/v1/events/{approval}/registrations/{applied[1]['id']}/reject")

    lottery = await create_forum(client, registration_mode="lottery", capacity=1)
    for person in (a, b, c):
        await person.post(f"/api/v1/events/{lottery}/registration", json={})
    await client.post(f"/api/v1/events/{lottery}/lottery", json={})

    listed = {item["slug"]: item["waitlist_count"] for item in (await client.get("/api/v1/events")).json()}
    for event in await Event.select(Event.id, Event.slug, Event.waitlisted_count):
        waiting = await Registration.count().where(
            (Registration.event == event["id"]) & (Registration.status == "waitlisted")
        )
        assert event["waitlisted_count"] == waiting
        # what the forum's page and the list say is the same truth
        assert (await client.get(f"/api/v1/events/{event['slug']}")).json()["waitlist_count"] == waiting
        assert listed[event["slug"]] == waiting
    assert [e["waitlisted_count"] for e in await Event.select(Event.waitlisted_count).order_by(Event.id)] == [2, 1, 2]
