"""Enrolment in a series (CONTRACT §5.3): one application holds a seat at every session, a
single-session registration is refused, cancelling hands the place on at every future session,
and a burst never gives more places than the series has."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from meetup.db import utcnow
from meetup.events.tables import Enrolment, Event, Registration, Series
from meetup.mail.tables import OutboxMail
from meetup.rooms.tables import RoomVisit
from tests.factories import create_forum, forum, make_accounts, organizer, signed_in
from tests.rooms.factories import room_in


def session(number: int, series: str = "migite", **overrides) -> dict:
    start = (utcnow() + timedelta(days=7 * number)).replace(microsecond=0)
    return forum(
        title=f"右腕人材育成プログラム 第{number}回",
        series=series,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=3)).isoformat(),
        **overrides,
    )


async def programme(boss, sessions: int = 3, capacity: int = 2, mode: str = "first_come", **more) -> list[str]:
    """The series `migite` with enrolment and `sessions` published sessions; their slugs by date."""
    made = await boss.post(
        "/api/v1/series",
        json={"title": "右腕人材育成プログラム 2027", "slug": "migite", "summary": "全7回",
              "enrolment": {"capacity": capacity, "mode": mode, "min_sessions": 1, **more}},
    )  # fmt: skip
    assert made.status_code == 201 and made.json() == {"slug": "migite"}, made.text
    return [await create_forum(boss, **session(n)) for n in range(sessions, 0, -1)][::-1]


async def people(make_client, n: int) -> list:
    return [await signed_in(make_client, uid) for uid in await make_accounts(n)]


async def test_the_series_shows_its_sessions_in_date_order_and_its_enrolment(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=3)
    draft = await create_forum(client, **session(4, status="draft"))

    public = (await (await make_client()).get("/api/v1/series/migite")).json()
    assert [s["slug"] for s in public["sessions"]] == slugs
    assert public["enrolment"] == {
        "capacity": 2, "mode": "first_come", "min_sessions": 1, "final_required": False,
        "confirmed_count": 0, "waitlist_count": 0, "closes_at": None, "questions": [], "held": {}, "open": True,
    }  # fmt: skip
    assert (public["title"], public["summary"]) == ("右腕人材育成プログラム 2027", "全7回")
    mine = (await client.get("/api/v1/series/migite")).json()
    assert [s["slug"] for s in mine["sessions"]] == [*slugs, draft]

    changed = await client.patch(
        "/api/v1/series/migite", json={"enrolment": {"capacity": 30, "mode": "approval", "min_sessions": 4}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enrolment"]["min_sessions"] == 4 and changed.json()["enrolment"]["mode"] == "approval"
    assert (await (await make_client()).get("/api/v1/series/no-such")).status_code == 404
    plain = await client.post("/api/v1/series", json={"title": "東北コーディネーター・フォーラム"})
    assert "enrolment" not in (await client.get(f"/api/v1/series/{plain.json()['slug']}")).json()


async def test_bad_enrolment_rules_are_refused_naming_the_field(client, make_client):
    await organizer(client)
    await programme(client, sessions=3)
    before = await Series.select().where(Series.slug == "migite").first()
    for body, field in (
        ({"capacity": 0}, "capacity"),
        ({"capacity": 5, "mode": "everyone"}, "mode"),
        ({"capacity": 5, "min_sessions": 0}, "min_sessions"),
        ({"capacity": 5, "min_sessions": 4}, "enrolment.min_sessions"),
        ({"capacity": "many"}, "capacity"),
    ):
        refused = await client.patch("/api/v1/series/migite", json={"enrolment": body})
        assert refused.status_code == 400, (body, refused.text)
        assert field in refused.text, (body, refused.text)
    assert await Series.select().where(Series.slug == "migite").first() == before
    bad_new = await client.post("/api/v1/series", json={"title": "x", "enrolment": {"capacity": -1}})
    assert bad_new.status_code == 400 and await Series.count() == 1
    stranger = (await people(make_client, 1))[0]
    assert (await stranger.patch("/api/v1/series/migite", json={"title": "乗っ取り"})).status_code == 403
    assert (await stranger.get("/api/v1/series/migite/enrolments")).status_code == 403


async def test_enrolling_holds_a_seat_at_every_session_and_single_registration_is_refused(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=3, capacity=1)
    first, second = await people(make_client, 2)

    enrolled = await first.post("/api/v1/series/migite/enrolment", json={})
    assert enrolled.status_code == 201 and enrolled.json()["status"] == "confirmed"
    again = await first.post("/api/v1/series/migite/enrolment", json={})
    assert again.status_code == 200 and again.json() == enrolled.json()
    for slug in slugs:
        mine = (await first.get(f"/api/v1/events/{slug}/registration")).json()
        assert mine["status"] == "confirmed"
        assert (await first.get(f"/events/{slug}/ticket")).status_code == 200  # the ticket works
    counts = await Event.select(Event.confirmed_count).order_by(Event.starts_at)
    assert [c["confirmed_count"] for c in counts] == [1, 1, 1]

    refused = await second.post(f"/api/v1/events/{slugs[0]}/registration", json={})
    assert refused.status_code == 409 and refused.json()["detail"]
    waiting = await second.post("/api/v1/series/migite/enrolment", json={})
    assert waiting.status_code == 201 and waiting.json()["status"] == "waitlisted"
    assert waiting.json()["waitlist_position"] == 1
    second_id = (await second.get("/api/v1/me")).json()["id"]
    assert await Registration.count().where(Registration.account == second_id) == 0

    # a session added later seats everyone enrolled
    late = await create_forum(client, **session(5))
    assert (await first.get(f"/api/v1/events/{late}/registration")).json()["status"] == "confirmed"


async def test_an_enrolled_person_may_enter_a_sessions_breakout_room(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=2)
    enrolled, stranger = await people(make_client, 2)
    assert (await enrolled.post("/api/v1/series/migite/enrolment", json={})).status_code == 201
    event = await Event.select().where(Event.slug == slugs[1]).first()
    room_id = await room_in(event)
    assert (await enrolled.get(f"/rooms/{room_id}")).status_code == 200
    assert (await stranger.get(f"/rooms/{room_id}")).status_code == 403


async def test_cancelling_hands_the_place_on_at_every_future_session(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=3, capacity=1)
    first, second, third = await people(make_client, 3)
    for person in (first, second, third):
        assert (await person.post("/api/v1/series/migite/enrolment", json={})).status_code == 201
    assert (await third.get("/api/v1/series/migite/enrolment")).json()["waitlist_position"] == 2

    assert (await first.delete("/api/v1/series/migite/enrolment")).status_code == 204
    assert (await first.get("/api/v1/series/migite/enrolment")).json()["status"] == "cancelled"
    assert (await second.get("/api/v1/series/migite/enrolment")).json()["status"] == "confirmed"
    assert (await third.get("/api/v1/series/migite/enrolment")).json()["waitlist_position"] == 1
    for slug in slugs:
        assert (await first.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "cancelled"
        assert (await second.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "confirmed"
        assert (await first.get(f"/events/{slug}/ticket")).status_code == 303
    counts = await Event.select(Event.confirmed_count, Event.waitlisted_count)
    assert {(c["confirmed_count"], c["waitlisted_count"]) for c in counts} == {(1, 0)}
    assert (await first.delete("/api/v1/series/migite/enrolment")).status_code == 404
    back = await first.post("/api/v1/series/migite/enrolment", json={})
    assert back.status_code == 201 and back.json()["waitlist_position"] == 2

    # raising the capacity hands the new places to the line, in order
    raised = await client.patch("/api/v1/series/migite", json={"enrolment": {"capacity": 2}})
    assert raised.json()["enrolment"]["confirmed_count"] == 2
    assert (await third.get("/api/v1/series/migite/enrolment")).json()["status"] == "confirmed"
    assert (await first.get("/api/v1/series/migite/enrolment")).json()["waitlist_position"] == 1
    lowered = await client.patch("/api/v1/series/migite", json={"enrolment": {"capacity": 1}})
    assert lowered.status_code == 409 and "enrolment.capacity" in lowered.text


async def test_approval_mode_waits_for_the_organizer(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=2, capacity=1, mode="approval")
    applicant, other = await people(make_client, 2)
    applied = await applicant.post("/api/v1/series/migite/enrolment", json={})
    assert applied.status_code == 201 and applied.json()["status"] == "pending"
    assert (await applicant.get(f"/api/v1/events/{slugs[0]}/registration")).status_code == 404
    other_id = (await other.post("/api/v1/series/migite/enrolment", json={})).json()["id"]

    approved = await client.post(f"/api/v1/series/migite/enrolments/{applied.json()['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    assert (await applicant.get(f"/api/v1/events/{slugs[1]}/registration")).json()["status"] == "confirmed"
    full = await client.post(f"/api/v1/series/migite/enrolments/{other_id}/approve")
    assert full.json()["status"] == "waitlisted" and full.json()["waitlist_position"] == 1

    rejected = await client.post(f"/api/v1/series/migite/enrolments/{applied.json()['id']}/reject")
    assert rejected.json()["status"] == "rejected"
    assert (await other.get("/api/v1/series/migite/enrolment")).json()["status"] == "confirmed"
    assert (await applicant.get(f"/api/v1/events/{slugs[1]}/registration")).json()["status"] == "cancelled"
    assert (await client.post("/api/v1/series/migite/enrolments/999999/approve")).status_code == 404
    switch_off = await client.patch("/api/v1/series/migite", json={"enrolment": None})
    assert switch_off.status_code == 409


async def test_the_cohort_shows_who_came_to_which_session(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=3, capacity=5)
    came, stayed_home = await people(make_client, 2)
    for person in (came, stayed_home):
        await person.post("/api/v1/series/migite/enrolment", json={})
    came_id = (await came.get("/api/v1/me")).json()["id"]
    ticket = (
        await Registration.select()
        .where(
            (Registration.account == came_id)
            & (Registration.event == (await Event.select().where(Event.slug == slugs[0]).first())["id"])
        )
        .first()
    )
    checked = await client.post(f"/api/v1/events/{slugs[0]}/registrations/{ticket['id']}/check-in")
    assert checked.status_code == 200
    third = await Event.select().where(Event.slug == slugs[2]).first()
    await RoomVisit.insert(RoomVisit(room=await room_in(third), account=came_id, event_id=third["id"]))

    rows = (await client.get("/api/v1/series/migite/enrolments")).json()
    assert [(r["user"]["id"] == came_id, r["status"], r["attended"], r["completed"]) for r in rows] == [
        (True, "confirmed", [slugs[0], slugs[2]], False),
        (False, "confirmed", [], False),
    ]
    assert (await client.get("/api/v1/series/no-such/enrolments")).status_code == 404


async def test_a_series_without_enrolment_takes_none_and_its_forums_register_as_usual(client, make_client):
    await organizer(client)
    await client.post("/api/v1/series", json={"title": "フォーラム", "slug": "forum"})
    slug = await create_forum(client, **session(1, series="forum"))
    person = (await people(make_client, 1))[0]
    assert (await person.post("/api/v1/series/forum/enrolment", json={})).status_code == 404
    assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    assert await Enrolment.count() == 0


PEOPLE, PLACES = 200, 30


async def test_a_burst_of_enrolments_never_gives_more_places_than_the_series_has(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=2, capacity=PLACES)
    clients = await people(make_client, PEOPLE)

    responses = await asyncio.gather(*(c.post("/api/v1/series/migite/enrolment", json={}) for c in clients))
    assert {r.status_code for r in responses} == {201}
    bodies = [r.json() for r in responses]
    assert sum(b["status"] == "confirmed" for b in bodies) == PLACES
    positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert positions == list(range(1, PEOPLE - PLACES + 1))
    row = await Series.select(Series.confirmed_count, Series.waitlisted_count).first()
    assert (row["confirmed_count"], row["waitlisted_count"]) == (PLACES, PEOPLE - PLACES)
    for slug in slugs:
        event = await Event.select().where(Event.slug == slug).first()
        assert event["confirmed_count"] == PLACES
        assert (
            await Registration.count().where((Registration.event == event["id"]) & (Registration.status == "confirmed"))
            == PLACES
        )


async def test_the_series_page_enrols_and_cancels_in_japanese(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=2, capacity=1)
    anonymous = await make_client()
    page = (await anonymous.get("/series/migite")).text
    assert "1名中 残り1名" in page and 'href="/login?next=/series/migite"' in page
    person, later = await people(make_client, 2)
    await person.get("/series/migite")
    enrolled = await person.post("/series/migite/enrol", data={"_csrf_token": person.cookies["csrftoken"]})
    assert enrolled.status_code == 303 and enrolled.headers["location"] == "/series/migite?done=enrolled#enrol"
    page = (await person.get("/series/migite?done=enrolled")).text
    assert 'class="my-status status-confirmed"' in page and f'href="/events/{slugs[0]}/ticket"' in page
    assert "受講が決定しています" in page  # Japanese by default

    # a session's own page sends the others to the programme, without a registration form
    session_page = (await later.get(f"/events/{slugs[0]}")).text
    assert 'href="/series/migite#enrol"' in session_page and f'action="/events/{slugs[0]}/register"' not in session_page
    newcomer = {"_csrf_token": anonymous.cookies["csrftoken"], "display_name": "新人", "email": "new@example.jp"}
    refused = await anonymous.post(f"/events/{slugs[0]}/register", data=newcomer)
    assert refused.status_code == 409
    assert await OutboxMail.count().where(OutboxMail.to_addr == "new@example.jp") == 0  # no sign-in link is mailed
    await later.get("/series/migite")
    await later.post("/series/migite/enrol", data={"_csrf_token": later.cookies["csrftoken"]})
    assert 'class="my-status status-waitlisted"' in (await later.get("/series/migite")).text

    cancelled = await person.post("/series/migite/cancel-enrolment", data={"_csrf_token": person.cookies["csrftoken"]})
    assert cancelled.status_code == 303
    assert 'class="my-status status-confirmed"' in (await later.get("/series/migite")).text
    assert (
        await anonymous.post("/series/migite/enrol", data={"_csrf_token": anonymous.cookies["csrftoken"]})
    ).status_code in (302, 303, 401)


async def test_the_organizer_series_page_lists_the_cohort_and_approves(client, make_client):
    await organizer(client)
    await programme(client, sessions=2, capacity=5, mode="approval")
    (applicant,) = await people(make_client, 1)
    applied = (await applicant.post("/api/v1/series/migite/enrolment", json={})).json()
    page = (await client.get("/organizer/series/migite")).text
    assert 'id="enrolments"' in page and "参加者 0" in page
    action = f"/organizer/series/migite/enrolments/{applied['id']}/approve"
    assert f'action="{action}"' in page
    approved = await client.post(action, data={"_csrf_token": client.cookies["csrftoken"]})
    assert approved.status_code == 303
    assert (await applicant.get("/api/v1/series/migite/enrolment")).json()["status"] == "confirmed"
    assert f'action="{action}"' not in (await client.get("/organizer/series/migite")).text


async def test_a_lottery_draws_the_applicants_holding_places_per_prefecture(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=2, capacity=3, mode="lottery")
    applicants = await people(make_client, 6)
    for number, person in enumerate(applicants):
        body = {"prefecture": "福島県"} if number == 5 else {"prefecture": "宮城県"}
        applied = await person.post("/api/v1/series/migite/enrolment", json=body)
        assert applied.status_code == 201 and applied.json()["status"] == "pending"
    outsider = (await people(make_client, 1))[0]
    refused = await outsider.post("/api/v1/series/migite/enrolment", json={"prefecture": "火星"})
    assert refused.status_code == 400 and await Enrolment.count() == 6

    preview = await client.post("/api/v1/series/migite/lottery/preview", json={"held": {"福島県": 1}})
    assert preview.status_code == 200 and preview.json()["drawn"] is False
    assert await Enrolment.count().where(Enrolment.status == "pending") == 6
    too_many = await client.post("/api/v1/series/migite/lottery", json={"held": {"福島県": 4}})
    assert too_many.status_code == 400 and await Enrolment.count().where(Enrolment.status == "pending") == 6

    drawn = await client.post("/api/v1/series/migite/lottery", json={"held": {"福島県": 1}})
    assert drawn.status_code == 200 and drawn.json()["winners"] == 3 and drawn.json()["drawn"] is True
    statuses = [(await p.get("/api/v1/series/migite/enrolment")).json() for p in applicants]
    assert statuses[5]["status"] == "confirmed"  # the held place went to Fukushima's one applicant
    assert sum(s["status"] == "confirmed" for s in statuses) == 3
    assert sorted(s["waitlist_position"] for s in statuses if s["status"] == "waitlisted") == [1, 2, 3]
    for slug in slugs:
        assert (await applicants[5].get(f"/api/v1/events/{slug}/registration")).json()["status"] == "confirmed"
        assert (await Event.select(Event.confirmed_count).where(Event.slug == slug).first())["confirmed_count"] == 3
    first_come = await client.post("/api/v1/series", json={"title": "先着", "slug": "fc", "enrolment": {"capacity": 2}})
    assert first_come.status_code == 201
    assert (await client.post("/api/v1/series/fc/lottery", json={})).status_code == 409
