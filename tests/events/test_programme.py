"""Programmes (CONTRACT §5.3, issue 15): the organizer's series form, application questions and
answers, the enrolment closing time, the completion rule's bounds, lecturers per session, the
enrolment mail, and the cohort × sessions grid."""

from __future__ import annotations

from datetime import timedelta

from meetup.db import utcnow
from meetup.events import cohort_grid
from meetup.events.tables import Enrolment, Event, Registration, Series
from meetup.mail import outbox
from meetup.rooms.tables import RoomVisit
from tests.events.test_enrolment import people, programme, session
from tests.factories import create_forum, organizer
from tests.rooms.factories import room_in

QUESTIONS = [
    {"id": "why", "label": "応募の動機", "kind": "text", "required": True},
    {"id": "role", "label": "所属の種類", "kind": "choice", "options": ["企業", "自治体", "NPO"]},
    {"id": "sendai", "label": "仙台での研修に参加できる", "kind": "checkbox"},
    {"id": "themes", "label": "関心", "kind": "checkbox", "options": ["DX", "事業承継"]},
]


async def email_of(person) -> str:
    return (await person.get("/api/v1/me")).json()["email"]


# -- application questions, answers, closing time, rule bounds -------------------------------------


async def test_application_answers_are_checked_like_a_forums_and_kept_with_the_enrolment(client, make_client):
    await organizer(client)
    await programme(client, sessions=2, capacity=5, questions=QUESTIONS)
    detail = (await client.get("/api/v1/series/migite")).json()
    assert [q["id"] for q in detail["enrolment"]["questions"]] == ["why", "role", "sendai", "themes"]
    person, other = await people(make_client, 2)

    missing = await person.post("/api/v1/series/migite/enrolment", json={"answers": {"role": "企業"}})
    assert missing.status_code == 400 and "応募の動機" in missing.json()["detail"]
    wrong = await person.post("/api/v1/series/migite/enrolment", json={"answers": {"why": "学びたい", "role": "大学"}})
    assert wrong.status_code == 400 and "所属の種類" in wrong.json()["detail"]
    unknown = await person.post("/api/v1/series/migite/enrolment", json={"answers": {"why": "x", "nope": "y"}})
    assert unknown.status_code == 400
    assert await Enrolment.count() == 0  # a refused application changes nothing

    made = await person.post(
        "/api/v1/series/migite/enrolment",
        json={"answers": {"why": "地域で右腕として働きたい", "role": "企業", "sendai": False, "themes": ["DX"]}},
    )
    assert made.status_code == 201 and made.json()["status"] == "confirmed"
    rows = (await client.get("/api/v1/series/migite/enrolments")).json()
    assert rows[0]["answers"] == {"why": "地域で右腕として働きたい", "role": "企業", "sendai": False, "themes": ["DX"]}

    csv = await client.get("/api/v1/series/migite/enrolments.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    text = csv.content.decode("utf-8-sig")
    assert "応募の動機" in text.splitlines()[0] and "地域で右腕として働きたい" in text
    assert (await other.get("/api/v1/series/migite/enrolments.csv")).status_code == 403
    page = (await client.get("/organizer/series/migite")).text
    assert "地域で右腕として働きたい" in page and "関心:</span> DX" in page
    assert "仙台での研修に参加できる:" not in page  # an unticked box is no answer to show

    # the public page asks the questions; a page answer missing shows the form again, 400
    await other.get("/series/migite")
    refused = await other.post(
        "/series/migite/enrol", data={"_csrf_token": other.cookies["csrftoken"], "q_role": "企業"}
    )
    assert refused.status_code == 400 and "応募の動機" in refused.text and 'name="q_why"' in refused.text
    taken = await other.post(
        "/series/migite/enrol", data={"_csrf_token": other.cookies["csrftoken"], "q_why": "仲間づくり", "q_role": "NPO"}
    )
    assert taken.status_code == 303
    assert await Enrolment.count() == 2


async def test_enrolment_closes_at_its_closing_time(client, make_client):
    await organizer(client)
    closes = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    await programme(client, sessions=2, capacity=5, closes_at=closes.isoformat())
    early, late = await people(make_client, 2)
    assert (await early.post("/api/v1/series/migite/enrolment", json={})).status_code == 201

    await Series.update({Series.enrol_closes_at: utcnow() - timedelta(minutes=1)}).where(Series.slug == "migite")
    refused = await late.post("/api/v1/series/migite/enrolment", json={})
    detail = refused.json()["detail"]
    assert refused.status_code == 409 and ("closed" in detail or "締め切" in detail), refused.text
    assert await Enrolment.count() == 1
    assert (await early.post("/api/v1/series/migite/enrolment", json={})).status_code == 200  # one's own place stays
    page = (await late.get("/series/migite")).text
    assert 'class="my-status enrol-closed"' in page and 'action="/series/migite/enrol"' not in page
    assert (await late.get("/api/v1/series/migite")).json()["enrolment"]["open"] is False


async def test_a_completion_rule_above_the_sessions_is_a_400_naming_the_field(client):
    await organizer(client)
    await programme(client, sessions=3, capacity=5)
    too_many = await client.patch(
        "/api/v1/series/migite", json={"enrolment": {"capacity": 5, "min_sessions": 4, "final_required": True}}
    )
    assert too_many.status_code == 400 and too_many.json()["extra"][0]["key"] == "enrolment.min_sessions", too_many.text
    assert (await Series.select(Series.min_sessions).first())["min_sessions"] == 1
    # the organizer form says the same, next to the field
    await client.get("/organizer/series/migite")
    page = await client.post(
        "/organizer/series/migite",
        data={
            "_csrf_token": client.cookies["csrftoken"], "title": "右腕", "summary": "", "enrolment_form": "1",
            "enrol": "on", "enrolment.capacity": "5", "enrolment.mode": "first_come", "enrolment.min_sessions": "9",
        },
    )  # fmt: skip
    assert page.status_code == 400 and 'id="enrolment.min_sessions-error"' in page.text
    assert (await Series.select(Series.min_sessions).first())["min_sessions"] == 1


async def test_held_seats_are_tohoku_prefectures_within_the_capacity(client):
    await organizer(client)
    bad = await client.post(
        "/api/v1/series", json={"title": "x", "enrolment": {"capacity": 2, "mode": "lottery", "held": {"東京都": 1}}}
    )
    assert bad.status_code == 400
    over = await client.post(
        "/api/v1/series", json={"title": "x", "enrolment": {"capacity": 2, "mode": "lottery", "held": {"宮城県": 3}}}
    )
    assert over.status_code == 400 and await Series.count() == 0


# -- the organizer form ----------------------------------------------------------------------------


async def test_the_organizer_creates_a_programme_with_enrolment_and_questions_on_the_page(client):
    await organizer(client)
    await client.get("/organizer/series")
    token = client.cookies["csrftoken"]
    base = {
        "_csrf_token": token, "title": "右腕人材育成プログラム 2027", "slug": "migite-2027", "summary": "## 全7回",
        "enrolment_form": "1", "enrol": "on", "enrolment.capacity": "30", "enrolment.mode": "lottery",
        "enrolment.min_sessions": "5", "enrolment.final_required": "on", "enrolment.closes_at": "2027-04-30T23:59",
        "held-宮城県": "3", "held-福島県": "2",
    }  # fmt: skip
    added = await client.post("/organizer/series", data={**base, "op": "add"})
    assert added.status_code == 200 and 'name="q-0-label"' in added.text and await Series.count() == 0
    made = await client.post(
        "/organizer/series",
        data={
            **base,
            "op": "save",
            "q-0-id": "",
            "q-0-label": "Why do you apply?",
            "q-0-kind": "text",
            "q-0-required": "on",
        },
    )
    assert made.status_code == 303 and made.headers["location"] == "/organizer/series/migite-2027", made.text
    row = await Series.select().first()
    assert (row["enrol_capacity"], row["enrol_mode"], row["min_sessions"], row["final_required"]) == (
        30,
        "lottery",
        5,
        True,
    )
    assert row["enrol_closes_at"] == utcnow().replace(
        year=2027, month=4, day=30, hour=14, minute=59, second=0, microsecond=0
    )  # 23:59 in Tokyo
    detail = (await client.get("/api/v1/series/migite-2027")).json()["enrolment"]
    assert detail["held"] == {"宮城県": 3, "福島県": 2}
    assert [(q["id"], q["required"]) for q in detail["questions"]] == [("why_do_you_apply", True)]
    page = (await client.get("/organizer/series/migite-2027")).text
    assert 'value="30"' in page and 'name="q-0-label" maxlength="200" value="Why do you apply?"' in page

    bad = await client.post("/organizer/series", data={**base, "title": "別", "slug": "", "enrolment.capacity": "0"})
    assert bad.status_code == 400 and 'id="enrolment.capacity-error"' in bad.text and await Series.count() == 1


# -- lecturers ------------------------------------------------------------------------------------


async def test_lecturers_are_part_of_a_session_and_show_on_its_pages(client, make_client):
    await organizer(client)
    await programme(client, sessions=0, capacity=5)
    lecturers = [
        {
            "name": "山田 花子",
            "affiliation": "ETIC.",
            "bio": "右腕派遣を10年。",
            "photo_url": "/static/img/lecturer.png",
        },
        {"name": "佐藤 一郎", "affiliation": "", "bio": "", "photo_url": "https://example.jp/sato.jpg"},
    ]
    bad = await client.post(
        "/api/v1/events", json=session(1, lecturers=[{"name": "x", "photo_url": "http://x.jp/a.png"}])
    )
    assert bad.status_code == 400 and "photo_url" in bad.text
    script = await client.post(
        "/api/v1/events", json=session(1, lecturers=[{"name": "x", "photo_url": "javascript:alert(1)"}])
    )
    assert script.status_code == 400 and await Event.count() == 0
    slug = await create_forum(client, **session(1, lecturers=lecturers))
    assert (await client.get(f"/api/v1/events/{slug}")).json()["lecturers"] == lecturers

    visitor = (await people(make_client, 1))[0]
    page = (await visitor.get(f"/events/{slug}")).text
    assert "山田 花子" in page and 'src="/static/img/lecturer.png"' in page and 'loading="lazy"' in page
    assert 'alt="' in page and 'src="https://example.jp/sato.jpg"' not in page  # the CSP allows no outside image
    assert 'href="https://example.jp/sato.jpg"' in page
    series_page = (await visitor.get("/series/migite")).text
    assert "山田 花子" in series_page and "佐藤 一郎" in series_page

    changed = await client.patch(f"/api/v1/events/{slug}", json={"lecturers": lecturers[:1]})
    assert changed.status_code == 200
    assert [lec["name"] for lec in (await client.get(f"/api/v1/events/{slug}")).json()["lecturers"]] == ["山田 花子"]


async def test_the_forum_form_edits_lecturers(client):
    await organizer(client)
    slug = await create_forum(client)
    form = (await client.get(f"/organizer/events/{slug}/edit")).text
    assert 'name="l-0-name"' in form
    out = (await client.get(f"/api/v1/events/{slug}")).json()
    from meetup.events.forum_form import FIELDS  # the form's own fields, as the page fills them

    data = {name: "" for name in FIELDS}
    data.update(
        _csrf_token=client.cookies["csrftoken"], title=out["title"], starts_at=out["starts_at"][:16],
        ends_at=out["ends_at"][:16], format=out["format"], registration_mode="first_come", status=out["status"],
    )  # fmt: skip
    bad = await client.post(
        f"/organizer/events/{slug}/edit", data={**data, "l-0-name": "山田", "l-0-photo_url": "http://x.jp/a.png"}
    )
    assert bad.status_code == 400 and 'id="l-0-photo_url-error"' in bad.text
    saved = await client.post(
        f"/organizer/events/{slug}/edit",
        data={
            **data,
            "l-0-name": "山田 花子",
            "l-0-affiliation": "ETIC.",
            "l-0-bio": "",
            "l-0-photo_url": "",
            "l-1-name": "",
        },
    )
    assert saved.status_code == 303, saved.text
    lecturers = (await client.get(f"/api/v1/events/{slug}")).json()["lecturers"]
    assert [(x["name"], x["affiliation"]) for x in lecturers] == [("山田 花子", "ETIC.")]


# -- mail -----------------------------------------------------------------------------------------


async def test_each_change_of_an_enrolment_is_mailed_once(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=2, capacity=1)
    first, second = await people(make_client, 2)
    await first.post("/api/v1/series/migite/enrolment", json={})
    await first.post("/api/v1/series/migite/enrolment", json={})  # again: the same place, no new mail
    await second.post("/api/v1/series/migite/enrolment", json={})
    [confirmed] = await outbox.recent(to_addr=await email_of(first))
    assert "右腕人材育成プログラム 2027" in confirmed.subject
    for slug in slugs:
        assert f"/events/{slug}/ticket" in confirmed.body_text
    [waiting] = await outbox.recent(to_addr=await email_of(second))
    assert "（1番目）" in waiting.body_text or "number 1)" in waiting.body_text

    await first.delete("/api/v1/series/migite/enrolment")
    first_mail = await outbox.recent(to_addr=await email_of(first))
    second_mail = await outbox.recent(to_addr=await email_of(second))
    assert len(first_mail) == 2 and len(second_mail) == 2
    assert f"/events/{slugs[0]}/ticket" in second_mail[0].body_text  # promoted: the place and its tickets


async def test_approval_and_rejection_are_mailed(client, make_client):
    await organizer(client)
    await programme(client, sessions=1, capacity=2, mode="approval")
    applicant, other = await people(make_client, 2)
    mine = (await applicant.post("/api/v1/series/migite/enrolment", json={})).json()
    theirs = (await other.post("/api/v1/series/migite/enrolment", json={})).json()
    [pending] = await outbox.recent(to_addr=await email_of(applicant))
    assert "受け付け" in pending.body_text or "received" in pending.body_text
    await client.post(f"/api/v1/series/migite/enrolments/{mine['id']}/approve")
    await client.post(f"/api/v1/series/migite/enrolments/{mine['id']}/approve")  # twice: one mail
    await client.post(f"/api/v1/series/migite/enrolments/{theirs['id']}/reject")
    assert len(await outbox.recent(to_addr=await email_of(applicant))) == 2
    assert len(await outbox.recent(to_addr=await email_of(other))) == 2
    keys = [m["dedupe_key"] for m in await outbox.OutboxMail.select(outbox.OutboxMail.dedupe_key)]
    assert sum(":approved:" in k for k in keys) == 1 and sum(":rejected:" in k for k in keys) == 1


# -- the grid -------------------------------------------------------------------------------------


def test_standing_against_the_rule():
    a, x, u = cohort_grid.ATTENDED, cohort_grid.ABSENT, cohort_grid.UPCOMING
    assert cohort_grid.standing([a, a, u, u], 2, False) == "met"
    assert cohort_grid.standing([a, x, u, u], 3, False) == "at_risk"  # must attend both left
    assert cohort_grid.standing([x, x, u, u], 3, False) == "missed"
    assert cohort_grid.standing([a, u, u, u], 2, False) == "on_track"
    assert cohort_grid.standing([a, a, a, x], 2, True) == "missed"  # the final is required
    assert cohort_grid.standing([a, a, a, u], 2, True) == "at_risk"  # only the final left, and needed
    assert cohort_grid.standing([a, a, a, a], 9, False) == "met"  # a rule above the sessions counts them all


async def test_the_grid_shows_attended_absent_upcoming_and_who_is_at_risk(client, make_client):
    await organizer(client)
    slugs = await programme(client, sessions=3, capacity=5, min_sessions=2, final_required=True)
    came, missed = await people(make_client, 2)
    for person in (came, missed):
        await person.post("/api/v1/series/migite/enrolment", json={})
    came_id = (await came.get("/api/v1/me")).json()["id"]
    # the first two sessions are over: `came` checked in at the first and was in a room of the second
    now = utcnow()
    for number, slug in enumerate(slugs[:2]):
        start = now - timedelta(days=10 - number)
        await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=3)}).where(
            Event.slug == slug
        )
    first = await Event.select().where(Event.slug == slugs[0]).first()
    second = await Event.select().where(Event.slug == slugs[1]).first()
    await Registration.update({Registration.checked_in_at: now}).where(
        (Registration.event == first["id"]) & (Registration.account == came_id)
    )
    await RoomVisit.insert(RoomVisit(room=await room_in(second), account=came_id, event_id=second["id"]))

    row = await Series.select().first()
    grid = await cohort_grid.grid(row)
    assert [s.slug for s in grid.sessions] == slugs
    by_id = {r.account: r for r in grid.rows}
    assert by_id[came_id].cells == ["attended", "attended", "upcoming"]
    assert by_id[came_id].standing == "at_risk"  # the final is required and it is all that is left
    other = next(r for r in grid.rows if r.account != came_id)
    assert other.cells == ["absent", "absent", "upcoming"] and other.standing == "missed"

    page = (await client.get("/organizer/series/migite")).text
    assert '<table class="grid-table">' in page and "<caption>" in page and 'scope="row"' in page
    assert page.count('class="cell-attended"') == 2 and "⚠" in page
    assert (await came.get("/organizer/series/migite")).status_code == 403


async def test_the_grid_takes_the_same_number_of_queries_for_any_cohort(client, make_client, monkeypatch):
    """Its data comes in a fixed number of queries, never one per person or per cell."""
    from piccolo.query.base import Query

    await organizer(client)
    await programme(client, sessions=3, capacity=50)
    counted = []
    real = Query._run

    async def counting(self, *args, **kwargs):
        counted.append(1)
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Query, "_run", counting)
    sizes = []
    for batch in (2, 12):
        for person in await people(make_client, batch):
            await person.post("/api/v1/series/migite/enrolment", json={})
        row = await Series.select().first()
        counted.clear()
        grid = await cohort_grid.grid(row)
        sizes.append((len(grid.rows), len(counted)))
    assert sizes[0][0] == 2 and sizes[1][0] == 14
    assert sizes[0][1] == sizes[1][1] <= 5


async def test_a_lottery_programme_draws_with_its_held_seats_from_the_page(client, make_client):
    await organizer(client)
    await programme(client, sessions=1, capacity=2, mode="lottery", held={"福島県": 1})
    applicants = await people(make_client, 4)
    for number, person in enumerate(applicants):
        prefecture = "福島県" if number == 3 else "東京都"
        answer = await person.post("/api/v1/series/migite/enrolment", json={"prefecture": prefecture})
        assert answer.json()["status"] == "pending"
    preview = (await client.post("/api/v1/series/migite/lottery/preview", json={})).json()
    assert preview["held"] == 1 and preview["seats"] == 2  # the series' held seat is the default
    await client.get("/organizer/series/migite")
    drawn = await client.post("/organizer/series/migite/lottery", data={"_csrf_token": client.cookies["csrftoken"]})
    assert drawn.status_code == 303
    fukushima = (await applicants[3].get("/api/v1/series/migite/enrolment")).json()
    assert fukushima["status"] == "confirmed"  # the held seat went to the one applicant from 福島県
    assert await Enrolment.count().where(Enrolment.status == "confirmed") == 2
    assert await Enrolment.count().where(Enrolment.status == "waitlisted") == 2
    keys = [m["dedupe_key"] for m in await outbox.OutboxMail.select(outbox.OutboxMail.dedupe_key)]
    assert sum(":won:" in k for k in keys) == 2 and sum(":lost:" in k for k in keys) == 2
