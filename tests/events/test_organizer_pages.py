"""An organizer runs forums from the /organizer/ pages: create and edit them, approve, draw and
check people in, with the same services as the API."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from meetup.db import utcnow
from meetup.events.tables import Event, Registration
from meetup.i18n import TOKYO
from tests.factories import create_forum, make_accounts, organizer, sign_up, signed_in


def form_data(client, **fields) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **fields}


def tokyo_day(days_ahead: int = 30):
    return (utcnow().astimezone(TOKYO) + timedelta(days=days_ahead)).date()


def forum_form(client, **overrides) -> dict:
    """What an organizer types into the forum form: times on a clock in Tokyo."""
    day = tokyo_day()
    fields = {
        "title": "東北コーディネーター・フォーラム",
        "summary": "ハブ人材が集う場",
        "description": "## 内容\n\n- 基調講演",
        "starts_at": f"{day}T13:00",
        "ends_at": f"{day}T16:30",
        "format": "hybrid",
        "venue": "仙台市 みやぎ復興パーク",
        "online_url": "https://teams.example/meet/forum",
        "capacity": "40",
        "registration_mode": "first_come",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "status": "published",
        "series": "",
    }
    fields.update(overrides)
    return form_data(client, **fields)


async def register(make_client, slug: str, name: str = "東北 太郎", **body):
    """A participant who signs up and registers for the forum; returns their client."""
    person = await make_client()
    await sign_up(person, name=name)
    response = await person.post(f"/api/v1/events/{slug}/registration", json=body)
    assert response.status_code == 201, response.text
    return person


async def registration_of(slug: str, name: str) -> dict:
    rows = await Registration.select(
        Registration.all_columns(), Registration.account.display_name.as_alias("name")
    ).where(Registration.event.slug == slug)
    return next(row for row in rows if row["name"] == name)


async def test_only_organizers_reach_the_organizer_pages(client, make_client):
    anonymous = await make_client()
    response = await anonymous.get("/organizer/")
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=/organizer")
    participant = await make_client()
    await sign_up(participant)
    assert (await participant.get("/organizer/")).status_code == 403
    assert (await participant.get("/organizer/events/new")).status_code == 403
    assert (await participant.post("/organizer/events/new", data=forum_form(participant))).status_code == 403
    assert await Event.count() == 0


async def test_the_dashboard_lists_every_forum_with_its_seats(client):
    await organizer(client)
    await create_forum(client, title="公開中のフォーラム", capacity=25)
    await create_forum(client, title="準備中のフォーラム", status="draft")
    cancelled = await create_forum(client, title="中止したフォーラム")
    await client.patch(f"/api/v1/events/{cancelled}", json={"status": "cancelled"})
    page = await client.get("/organizer/")
    assert page.status_code == 200
    for title in ("公開中のフォーラム", "準備中のフォーラム", "中止したフォーラム"):
        assert title in page.text
    assert "0 / 25" in page.text
    assert 'href="/organizer/events/new"' in page.text
    assert f'href="/organizer/events/{cancelled}/edit"' in page.text


async def test_creating_a_forum_reads_the_times_as_tokyo_time(client):
    await organizer(client)
    assert (await client.get("/organizer/events/new")).status_code == 200
    questions = {
        "q-0-label": "所属団体", "q-0-kind": "text", "q-0-required": "on",
        "q-1-label": "昼食", "q-1-kind": "choice", "q-1-choices": "要\n不要",
    }  # fmt: skip
    response = await client.post("/organizer/events/new", data=forum_form(client, **questions))
    assert response.status_code == 303, response.text
    slug = response.headers["location"].removeprefix("/organizer/events/")
    row = await Event.select().where(Event.slug == slug).first()
    day = tokyo_day()
    assert row["starts_at"] == datetime.combine(day, time(13, 0), tzinfo=TOKYO)
    assert row["starts_at"].astimezone(TOKYO).hour == 13  # 04:00 UTC
    assert row["ends_at"] == datetime.combine(day, time(16, 30), tzinfo=TOKYO)
    assert row["capacity"] == 40
    assert row["format"] == "hybrid"
    detail = (await client.get(f"/api/v1/events/{slug}")).json()
    assert detail["questions"] == [
        {"id": "q1", "label": "所属団体", "kind": "text", "required": True, "options": []},
        {"id": "q2", "label": "昼食", "kind": "choice", "required": False, "options": ["要", "不要"]},
    ]
    manage = await client.get(response.headers["location"])
    assert manage.status_code == 200
    assert "東北コーディネーター・フォーラム" in manage.text


async def test_editing_a_forum_shows_its_values_and_saves_changes(client):
    await organizer(client)
    slug = await create_forum(client, questions=[{"id": "org", "label": "所属", "required": True}])
    page = await client.get(f"/organizer/events/{slug}/edit")
    assert page.status_code == 200
    row = await Event.select().where(Event.slug == slug).first()
    assert f'value="{row["starts_at"].astimezone(TOKYO):%Y-%m-%dT%H:%M}"' in page.text
    assert 'name="q-0-id" value="org"' in page.text and 'name="q-0-label" maxlength="200" value="所属"' in page.text
    day = tokyo_day(40)
    response = await client.post(
        f"/organizer/events/{slug}/edit",
        data=forum_form(
            client,
            title="改題したフォーラム",
            capacity="",
            starts_at=f"{day}T10:00",
            ends_at=f"{day}T12:00",
            registration_closes_at=f"{day - timedelta(days=1)}T23:59",
        ),
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/organizer/events/{slug}"
    row = await Event.select().where(Event.slug == slug).first()
    assert row["title"] == "改題したフォーラム"
    assert row["capacity"] is None
    assert row["starts_at"] == datetime.combine(day, time(10, 0), tzinfo=TOKYO)
    assert row["registration_closes_at"] == datetime.combine(day - timedelta(days=1), time(23, 59), tzinfo=TOKYO)
    assert row["questions_json"] == "[]"
    assert row["revision"] == 1  # the time moved: calendars update


async def test_a_bad_form_comes_back_with_the_problem_and_nothing_is_stored(client):
    await organizer(client)
    day = tokyo_day()
    bad = [
        ({"ends_at": f"{day}T09:00"}, "ends_at"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"capacity": "ten"}, "capacity"),
        ({"title": "   "}, "title"),
        ({"format": "zoom"}, "format"),
        ({"q-0-label": "", "q-0-kind": "choice", "q-0-choices": "要"}, "q-0-label"),
        ({"q-0-label": "食事", "q-0-kind": "choice"}, "q-0-choices"),
        ({"q-0-label": "食事", "q-0-kind": "maybe"}, "q-0-kind"),
        ({"series": "no-such-series"}, "series"),
    ]
    for overrides, field in bad:
        response = await client.post("/organizer/events/new", data=forum_form(client, **overrides))
        assert response.status_code == 400, (overrides, response.status_code)
        assert f'id="{field}-error"' in response.text, overrides
        assert 'class="alert"' in response.text
    assert await Event.count() == 0
    # what was typed is still there to correct
    response = await client.post("/organizer/events/new", data=forum_form(client, ends_at=f"{day}T09:00"))
    assert 'value="東北コーディネーター・フォーラム"' in response.text
    assert f'value="{day}T09:00"' in response.text


async def test_a_refused_edit_keeps_the_forum_as_it_was(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=3)
    for name in ("一人目", "二人目"):
        await register(make_client, slug, name)
    response = await client.post(f"/organizer/events/{slug}/edit", data=forum_form(client, capacity="1"))
    assert response.status_code == 409
    assert 'id="capacity-error"' in response.text
    row = await Event.select().where(Event.slug == slug).first()
    assert (row["capacity"], row["title"]) == (3, "東北コーディネーター・フォーラム")
    response = await client.post(f"/organizer/events/{slug}/edit", data=forum_form(client, online_url="ftp://x"))
    assert response.status_code == 400


async def test_cancelling_a_forum_from_the_edit_page(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    await register(make_client, slug)
    assert f'action="/organizer/events/{slug}/cancel"' in (await client.get(f"/organizer/events/{slug}/edit")).text
    response = await client.post(f"/organizer/events/{slug}/cancel", data=form_data(client))
    assert response.status_code == 303
    assert (await Event.select(Event.status).where(Event.slug == slug).first())["status"] == "cancelled"
    # a called-off forum can still be corrected without publishing it again
    page = await client.get(f"/organizer/events/{slug}/edit")
    assert f'action="/organizer/events/{slug}/cancel"' not in page.text
    assert '<option value="cancelled" selected>' in page.text
    fixed = await client.post(
        f"/organizer/events/{slug}/edit", data=forum_form(client, title="訂正したタイトル", status="cancelled")
    )
    assert fixed.status_code == 303
    row = await Event.select(Event.status, Event.title).where(Event.slug == slug).first()
    assert row == {"status": "cancelled", "title": "訂正したタイトル"}


async def test_unknown_forums_are_404_pages(client):
    await organizer(client)
    for path in ("/organizer/events/no-such-forum", "/organizer/events/no-such-forum/edit"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
    response = await client.post("/organizer/events/no-such-forum/edit", data=forum_form(client))
    assert response.status_code == 404


async def test_the_manage_page_lists_registrants_and_filters_them(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1, questions=[{"id": "org", "label": "所属団体"}])
    await register(make_client, slug, "佐藤 一番", answers={"org": "ワカツク"}, prefecture="宮城県")
    await register(make_client, slug, "鈴木 二番")
    page = await client.get(f"/organizer/events/{slug}")
    assert page.status_code == 200
    assert "佐藤 一番" in page.text and "鈴木 二番" in page.text
    assert "所属団体" in page.text and "ワカツク" in page.text and "宮城県" in page.text
    assert f'href="/api/v1/events/{slug}/registrations.csv"' in page.text
    waitlisted = await client.get(f"/organizer/events/{slug}", params={"status": "waitlisted"})
    assert "鈴木 二番" in waitlisted.text and "佐藤 一番" not in waitlisted.text
    searched = await client.get(f"/organizer/events/{slug}", params={"q": "佐藤"})
    assert "佐藤 一番" in searched.text and "鈴木 二番" not in searched.text
    not_in = await client.get(f"/organizer/events/{slug}", params={"checked_in": "yes"})
    assert "佐藤 一番" not in not_in.text
    odd = await client.get(f"/organizer/events/{slug}", params={"status": "<b>", "checked_in": "maybe"})
    assert odd.status_code == 200 and "佐藤 一番" in odd.text


async def test_approve_reject_and_check_in_buttons(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="approval", capacity=5)
    for name in ("承認 される人", "断られる人"):
        await register(make_client, slug, name)
    chosen, turned_away = await registration_of(slug, "承認 される人"), await registration_of(slug, "断られる人")
    page = await client.get(f"/organizer/events/{slug}", params={"status": "pending"})
    assert f"/registrations/{chosen['id']}/approve?status=pending" in page.text
    base = f"/organizer/events/{slug}/registrations"

    response = await client.post(f"{base}/{chosen['id']}/approve?status=pending", data=form_data(client))
    assert response.status_code == 303
    assert response.headers["location"] == f"/organizer/events/{slug}?status=pending"  # the filter is kept
    response = await client.post(f"{base}/{turned_away['id']}/reject", data=form_data(client))
    assert response.status_code == 303
    assert (await registration_of(slug, "承認 される人"))["status"] == "confirmed"
    assert (await registration_of(slug, "断られる人"))["status"] == "rejected"

    assert (await client.post(f"{base}/{chosen['id']}/check-in", data=form_data(client))).status_code == 303
    assert (await registration_of(slug, "承認 される人"))["checked_in_at"] is not None
    checked = await client.get(f"/organizer/events/{slug}", params={"checked_in": "yes"})
    assert "承認 される人" in checked.text and f"{chosen['id']}/undo-check-in" in checked.text
    assert (await client.post(f"{base}/{chosen['id']}/undo-check-in", data=form_data(client))).status_code == 303
    assert (await registration_of(slug, "承認 される人"))["checked_in_at"] is None

    refused = await client.post(f"{base}/{turned_away['id']}/check-in", data=form_data(client))
    assert refused.status_code == 409  # only confirmed registrants check in
    assert 'class="alert"' in refused.text
    assert (await client.post(f"{base}/999999/approve", data=form_data(client))).status_code == 404


async def test_lottery_preview_and_draw_from_the_page(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=3)
    ids = await make_accounts(6)
    for i, user_id in enumerate(ids):
        person = await signed_in(make_client, user_id)
        prefecture = "岩手県" if i < 2 else "東京都"
        response = await person.post(f"/api/v1/events/{slug}/registration", json={"prefecture": prefecture})
        assert response.status_code == 201, response.text
    page = await client.get(f"/organizer/events/{slug}")
    assert f'action="/organizer/events/{slug}/lottery/preview"' in page.text

    preview = await client.post(
        f"/organizer/events/{slug}/lottery/preview", data=form_data(client, seats="", **{"held-岩手県": "1"})
    )
    assert preview.status_code == 200
    result = preview.text[preview.text.index('class="lottery-result"') :]
    assert re.search(r"岩手県</td><td>.*?2</td><td>.*?1</td>", result)
    assert await Registration.count().where(Registration.status == "pending") == 6  # nothing drawn

    bad = await client.post(f"/organizer/events/{slug}/lottery/preview", data=form_data(client, seats="-1"))
    assert bad.status_code == 400

    drawn = await client.post(f"/organizer/events/{slug}/lottery", data=form_data(client, **{"held-岩手県": "1"}))
    assert drawn.status_code == 200
    assert "lottery-result" in drawn.text
    assert await Registration.count().where(Registration.status == "confirmed") == 3
    assert await Registration.count().where(Registration.status == "waitlisted") == 3
    winners = await Registration.select(Registration.prefecture).where(Registration.status == "confirmed")
    assert "岩手県" in [w["prefecture"] for w in winners]  # one seat was held for Iwate

    first_come = await create_forum(client)
    refused = await client.post(f"/organizer/events/{first_come}/lottery", data=form_data(client))
    assert refused.status_code == 409


async def test_the_check_in_desk_takes_a_ticket_code(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    await register(make_client, slug, "受付 される人")
    desk = await client.get(f"/organizer/events/{slug}/check-in")
    assert desk.status_code == 200
    assert re.search(r'<input[^>]*name="code"[^>]*autofocus', desk.text)
    assert "/static/js/checkin.js" in desk.text
    code = (await registration_of(slug, "受付 される人"))["ticket_code"]

    # the QR code holds the ticket URL or the bare code: both work
    arrived = await client.post(
        f"/organizer/events/{slug}/check-in",
        data=form_data(client, code=f"https://testserver.local/events/{slug}/ticket/{code}"),
    )
    assert arrived.status_code == 200
    assert 'class="desk-result desk-ok"' in arrived.text and "受付 される人" in arrived.text
    reg_id = (await registration_of(slug, "受付 される人"))["id"]
    an_hour_ago = utcnow() - timedelta(hours=1)
    await Registration.update({Registration.checked_in_at: an_hour_ago}).where(Registration.id == reg_id)
    again = await client.post(f"/organizer/events/{slug}/check-in", data=form_data(client, code=code))
    assert 'class="desk-result desk-again"' in again.text and "受付 される人" in again.text
    assert f"{an_hour_ago.astimezone(TOKYO):%H:%M}" in again.text  # when the ticket first came in

    unknown = await client.post(f"/organizer/events/{slug}/check-in", data=form_data(client, code="not-a-ticket"))
    assert unknown.status_code == 400  # cannot be a ticket code
    assert 'class="desk-result desk-error"' in unknown.text
    assert "not-a-ticket" in unknown.text
    empty = await client.post(f"/organizer/events/{slug}/check-in", data=form_data(client, code="  "))
    assert empty.status_code == 400

    undo = await client.post(
        f"/organizer/events/{slug}/registrations/{reg_id}/undo-check-in?from=desk", data=form_data(client)
    )
    assert undo.status_code == 303
    assert undo.headers["location"] == f"/organizer/events/{slug}/check-in"
    assert (await registration_of(slug, "受付 される人"))["checked_in_at"] is None


async def test_a_ticket_that_is_not_confirmed_cannot_check_in(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    await register(make_client, slug, "一人目")
    await register(make_client, slug, "待っている人")
    code = (await registration_of(slug, "待っている人"))["ticket_code"]
    response = await client.post(f"/organizer/events/{slug}/check-in", data=form_data(client, code=code))
    assert response.status_code == 409
    assert "desk-error" in response.text


async def test_the_registration_curve_is_drawn(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    assert "<svg" not in (await client.get(f"/organizer/events/{slug}")).text
    for name in ("一人目", "二人目"):
        await register(make_client, slug, name)
    page = (await client.get(f"/organizer/events/{slug}")).text
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count('class="bar"') == 1  # one day, two registrations
    assert "polyline" in svg
    today = utcnow().astimezone(TOKYO)
    assert f"{today.month}/{today.day}" in svg  # the date axis


async def test_names_are_escaped_on_the_organizer_pages(client, make_client):
    await organizer(client)
    slug = await create_forum(client, title="<img src=x onerror=alert(1)>")
    await register(make_client, slug, "<script>alert('x')</script>")
    code = (await registration_of(slug, "<script>alert('x')</script>"))["ticket_code"]
    for page in (
        await client.get(f"/organizer/events/{slug}"),
        await client.get("/organizer/"),
        await client.post(f"/organizer/events/{slug}/check-in", data=form_data(client, code=code)),
    ):
        assert "<script>alert(" not in page.text
        assert "<img src=x" not in page.text
    assert "&lt;script&gt;" in (await client.get(f"/organizer/events/{slug}")).text


async def test_odd_input_gets_a_clear_answer_never_a_server_error(client):
    await organizer(client)
    slug = await create_forum(client)
    base = f"/organizer/events/{slug}"
    assert (
        await client.post(f"{base}/registrations/99999999999999999999/approve", data=form_data(client))
    ).status_code == 404
    assert (await client.get("/organizer/events/a%00b")).status_code == 404
    assert (await client.get(base, params={"q": "\x00%_", "status": "x" * 500})).status_code == 200
    assert (await client.post(f"{base}/check-in", data=form_data(client, code="ab\x00c"))).status_code == 400
    many = {f"q-{i}-label": f"質問{i}" for i in range(31)}
    response = await client.post("/organizer/events/new", data=forum_form(client, **many))
    assert response.status_code == 400 and 'id="questions-error"' in response.text
    response = await client.post("/organizer/events/new", data=forum_form(client, title="あ" * 100_000))
    assert response.status_code == 400 and 'id="title-error"' in response.text
    assert await Event.count() == 1
