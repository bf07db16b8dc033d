"""Completing a programme and its alumni (CONTRACT §5.3): completion waits for the last session
and follows the series' rule, is for good, shows on the profile and in the directory's programme
filter, opens alumni-only forums, and past graduates are recorded from a CSV file, all or
nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from meetup.accounts.tables import Account
from meetup.db import utcnow
from meetup.events.tables import Alumnus, Event, Registration
from meetup.mail.tables import OutboxMail
from tests.events.test_enrolment import people, programme
from tests.factories import create_forum, forum, make_accounts, organizer, signed_in

TITLE = "右腕人材育成プログラム 2027"


async def _id(person) -> int:
    return (await person.get("/api/v1/me")).json()["id"]


async def _check_in(boss, slug: str, user_id: int) -> None:
    event = await Event.select(Event.id).where(Event.slug == slug).first()
    seat = (
        await Registration.select(Registration.id)
        .where((Registration.event == event["id"]) & (Registration.account == user_id))
        .first()
    )
    checked = await boss.post(f"/api/v1/events/{slug}/registrations/{seat['id']}/check-in")
    assert checked.status_code == 200, checked.text


async def _move_to_the_past(slugs: list[str]) -> None:
    """The programme took place: its sessions, in order, ended in the past (a test's time machine)."""
    start = utcnow() - timedelta(days=30)
    for number, slug in enumerate(slugs):
        begins = start + timedelta(days=7 * number)
        await Event.update({Event.starts_at: begins, Event.ends_at: begins + timedelta(hours=3)}).where(
            Event.slug == slug
        )


async def _profile(person, name: str, visibility: str = "members") -> None:
    saved = await person.put(
        "/api/v1/me/profile", json={"name": name, "prefecture": "宮城県", "visibility": visibility}
    )
    assert saved.status_code == 200, saved.text


async def completed_cohort(client, make_client):
    """migite (3 sessions; at least 2, the last among them): A came to 1 and 3 (completes), B to
    1 and 2 (missed the last), C to 3 only (too few). Returns the slugs and (A, B, C) clients."""
    await organizer(client)
    slugs = await programme(client, sessions=3, capacity=5, min_sessions=2, final_required=True)
    a, b, c = await people(make_client, 3)
    for person in (a, b, c):
        assert (await person.post("/api/v1/series/migite/enrolment", json={})).status_code == 201
    ids = [await _id(p) for p in (a, b, c)]
    for person_id, sessions in zip(ids, ((0, 2), (0, 1), (2,)), strict=True):
        for number in sessions:
            await _check_in(client, slugs[number], person_id)
    return slugs, (a, b, c), ids


async def test_completion_waits_for_the_last_session_then_marks_who_meets_the_rule(client, make_client):
    slugs, (a, b, c), ids = await completed_cohort(client, make_client)

    early = await client.post("/api/v1/series/migite/completions")
    assert early.status_code == 409
    assert "最終回" in early.json()["detail"]
    assert await Alumnus.count() == 0

    await _move_to_the_past(slugs)
    done = await client.post("/api/v1/series/migite/completions")
    assert done.status_code == 200 and done.json() == {"completed": 1}
    again = await client.post("/api/v1/series/migite/completions")
    assert again.json() == {"completed": 0}

    rows = {r["user"]["id"]: r for r in (await client.get("/api/v1/series/migite/enrolments")).json()}
    assert [(rows[i]["completed"], len(rows[i]["attended"])) for i in ids] == [(True, 2), (False, 2), (False, 1)]
    record = await Alumnus.select().first()
    last = await Event.select(Event.starts_at).where(Event.slug == slugs[-1]).first()
    assert (record["account"], record["source"]) == (ids[0], "completed")
    assert record["year"] == (last["starts_at"] + timedelta(hours=9)).year

    for person, refused in ((a, 403), (await make_client(), 401)):
        assert (await person.post("/api/v1/series/migite/completions")).status_code == refused
    assert (await client.post("/api/v1/series/no-such/completions")).status_code == 404


async def test_completion_is_for_good_on_the_profile_and_in_the_directory(client, make_client):
    slugs, (a, b, _c), ids = await completed_cohort(client, make_client)
    await _move_to_the_past(slugs)
    await client.post("/api/v1/series/migite/completions")
    await _profile(a, "修了 一郎")
    await _profile(b, "未修了 二郎")

    # cancelling the enrolment afterwards takes nothing away
    await Event.update({Event.status: "cancelled"}).where(Event.slug == slugs[0])
    assert (await client.post("/api/v1/series/migite/completions")).json() == {"completed": 0}

    viewer = await signed_in(make_client, (await make_accounts(1))[0])
    shown = (await viewer.get(f"/api/v1/coordinators/{ids[0]}")).json()
    assert shown["alumni"] == [{"series": "migite", "title": TITLE, "year": shown["alumni"][0]["year"]}]
    assert (await viewer.get(f"/api/v1/coordinators/{ids[1]}")).json()["alumni"] == []

    found = await viewer.get("/api/v1/coordinators", params={"alumni": "migite"})
    assert [p["id"] for p in found.json()] == [ids[0]] and found.headers["x-total-count"] == "1"
    assert len((await viewer.get("/api/v1/coordinators")).json()) == 2
    assert (await viewer.get("/api/v1/coordinators", params={"alumni": "no-such"})).json() == []

    page = await viewer.get(f"/coordinators/{ids[0]}")
    assert "2027 修了" in page.text or f"{shown['alumni'][0]['year']} 修了" in page.text
    directory = await viewer.get("/coordinators", params={"alumni": "migite"})
    assert "修了 一郎" in directory.text and "未修了 二郎" not in directory.text
    assert 'name="alumni"' in directory.text

    # one cohort: the year it completed in; another year finds nobody; a year out of range is a 400
    year = shown["alumni"][0]["year"]
    cohort = await viewer.get("/api/v1/coordinators", params={"alumni": "migite", "cohort": year})
    assert [p["id"] for p in cohort.json()] == [ids[0]]
    other = await viewer.get("/api/v1/coordinators", params={"alumni": "migite", "cohort": year - 1})
    assert other.json() == [] and other.headers["x-total-count"] == "0"
    assert (await viewer.get("/api/v1/coordinators", params={"cohort": "20x1"})).status_code == 400
    page_cohort = await viewer.get("/coordinators", params={"alumni": "migite", "cohort": year - 1})
    assert (
        page_cohort.status_code == 200 and "修了 一郎" not in page_cohort.text and 'name="cohort"' in page_cohort.text
    )


async def test_the_alumni_page_is_for_members_and_names_only_visible_profiles(client, make_client):
    slugs, (a, b, c), ids = await completed_cohort(client, make_client)
    await _check_in(client, slugs[2], ids[1])  # B now meets the rule too
    await _move_to_the_past(slugs)
    assert (await client.post("/api/v1/series/migite/completions")).json() == {"completed": 2}
    await _profile(a, "公開 一郎", "public")
    await _profile(b, "非公開 二郎", "private")

    anonymous = await make_client()
    assert (await anonymous.get("/series/migite/alumni", follow_redirects=False)).status_code in (302, 303, 401)
    page = await c.get("/series/migite/alumni")
    assert page.status_code == 200
    assert "公開 一郎" in page.text and "非公開 二郎" not in page.text
    assert "@example.jp" not in page.text
    assert (await c.get("/series/no-such/alumni")).status_code == 404


async def test_the_certificate_is_for_its_person_and_organizers_only(client, make_client):
    slugs, (a, b, c), ids = await completed_cohort(client, make_client)
    await _move_to_the_past(slugs)
    await client.post("/api/v1/series/migite/completions")
    path = f"/series/migite/certificates/{ids[0]}"

    mine = await a.get(path)
    assert mine.status_code == 200
    assert "修了証" in mine.text and TITLE in mine.text and "参加者" in mine.text
    assert "@page" in (await a.get("/static/css/certificate.css")).text
    assert (await client.get(path)).status_code == 200
    assert (await b.get(path)).status_code == 404
    assert (await b.get(f"/series/migite/certificates/{ids[1]}")).status_code == 404  # not completed
    assert (await (await make_client()).get(path, follow_redirects=False)).status_code in (302, 303, 401)


async def test_the_organizer_marks_completion_from_the_series_page(client, make_client):
    slugs, _people, ids = await completed_cohort(client, make_client)
    page = await client.get("/organizer/series/migite")
    assert 'action="/organizer/series/migite/completions"' in page.text
    early = await client.post("/organizer/series/migite/completions")
    assert early.status_code == 409 and "最終回" in early.text
    await _move_to_the_past(slugs)
    marked = await client.post("/organizer/series/migite/completions", follow_redirects=True)
    assert marked.status_code == 200 and 'data-completed="1"' in marked.text
    assert f"/series/migite/certificates/{ids[0]}" in marked.text
    assert (await _people[0].post("/organizer/series/migite/completions")).status_code == 403


# --- alumni-only forums -------------------------------------------------------------------------


async def test_an_alumni_only_forum_admits_only_those_alumni(client, make_client):
    slugs, (a, b, _c), _ids = await completed_cohort(client, make_client)
    await _move_to_the_past(slugs)
    await client.post("/api/v1/series/migite/completions")

    unknown = await client.post("/api/v1/events", json=forum(audience={"alumni_of": ["no-such"]}))
    assert unknown.status_code == 400 and unknown.json()["extra"][0]["key"] == "audience.alumni_of"
    bad = await client.post("/api/v1/events", json=forum(audience={"alumni_of": ["Not A Slug"]}))
    assert bad.status_code == 400
    slug = await create_forum(client, title="右腕OB会 研究会", audience={"alumni_of": ["migite"]})
    assert (await a.get(f"/api/v1/events/{slug}")).json()["audience"] == {"alumni_of": ["migite"]}

    refused = await b.post(f"/api/v1/events/{slug}/registration", json={})
    assert refused.status_code == 403 and TITLE in refused.json()["detail"]
    assert await Registration.count().where(Registration.event.slug == slug) == 0
    assert (await a.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    page = await b.get(f"/events/{slug}")
    assert "のみ" in page.text and TITLE in page.text

    opened = await client.patch(f"/api/v1/events/{slug}", json={"audience": None})
    assert opened.status_code == 200, opened.text
    assert "audience" not in (await b.get(f"/api/v1/events/{slug}")).json()
    assert (await b.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    wrong = await client.patch(f"/api/v1/events/{slug}", json={"audience": {"alumni_of": ["nope"]}})
    assert wrong.status_code == 400 and wrong.json()["extra"][0]["key"] == "audience.alumni_of"


async def test_the_forum_form_makes_a_forum_for_alumni(client, make_client):
    await organizer(client)
    await client.post("/api/v1/series", json={"title": "地域イノベーションプロデューサー塾", "slug": "rips"})
    new = await client.get("/organizer/events/new")
    assert 'name="alumni_of"' in new.text
    start = utcnow() + timedelta(days=10)
    saved = await client.post(
        "/organizer/events/new",
        data={"title": "RIPS OB会", "starts_at": f"{start:%Y-%m-%dT%H:%M}",
              "ends_at": f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}", "status": "published",
              "alumni_of": "rips", "op": "save"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    slug = saved.headers["location"].rsplit("/", 1)[-1]
    assert (await client.get(f"/api/v1/events/{slug}")).json()["audience"] == {"alumni_of": ["rips"]}
    edit = await client.get(f"/organizer/events/{slug}/edit")
    assert re.search(r'<option value="rips"\s+selected', edit.text)


# --- importing past graduates -------------------------------------------------------------------


def _csv(*lines: str, bom: bool = True) -> bytes:
    return ("\ufeff" if bom else "").encode() + "\r\n".join(("name,email,year", *lines)).encode() + b"\r\n"


async def _import(boss, content: bytes, slug: str = "rips"):
    return await boss.post(f"/api/v1/series/{slug}/alumni.csv", files={"file": ("alumni.csv", content, "text/csv")})


async def _rips(client) -> None:
    await organizer(client)
    made = await client.post(
        "/api/v1/series", json={"title": "地域イノベーションプロデューサー塾（RIPS）", "slug": "rips"}
    )
    assert made.status_code == 201


async def test_past_graduates_are_recorded_and_invited_once(client, make_client):
    await _rips(client)
    known = await make_accounts(1)
    known_email = (await Account.select(Account.email).where(Account.id == known[0]).first())["email"]
    content = _csv(
        "東北 一郎,ichiro@example.jp,2019", "宮城 花子,Hanako@Example.jp,2020", f"既存 三郎,{known_email},2018"
    )
    before = await Account.count()

    first = await _import(client, content)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "invited": 2, "skipped": 0}
    assert await Account.count() == before + 2
    rows = await Alumnus.select(Alumnus.year, Alumnus.source, Alumnus.account.email.as_alias("email"))
    assert sorted((r["email"], r["year"], r["source"]) for r in rows) == [
        ("hanako@example.jp", 2020, "imported"),
        ("ichiro@example.jp", 2019, "imported"),
        (known_email, 2018, "imported"),
    ]
    mails = await OutboxMail.select().where(OutboxMail.to_addr.is_in(["ichiro@example.jp", "hanako@example.jp"]))
    assert len(mails) == 2
    assert all("/auth/magic/" in m["body_text"] and "地域イノベーションプロデューサー塾" in m["subject"] for m in mails)

    again = await _import(client, content)
    assert again.json() == {"created": 0, "invited": 0, "skipped": 3}
    assert await OutboxMail.count() == len(await OutboxMail.select(OutboxMail.id)) and await Alumnus.count() == 3
    assert await OutboxMail.count().where(OutboxMail.to_addr == "ichiro@example.jp") == 1

    # the claim link signs the graduate in, once; nothing of them is public meanwhile
    link = re.search(r"/auth/magic/[A-Za-z0-9_-]{43}", mails[0]["body_text"]).group(0)
    assert (await (await make_client()).get(link)).status_code == 200
    ichiro = (await Account.select(Account.id).where(Account.email == "ichiro@example.jp").first())["id"]
    assert (await client.get(f"/api/v1/coordinators/{ichiro}")).status_code == 404
    assert (await client.get("/api/v1/coordinators", params={"alumni": "rips"})).json() == []


async def test_a_shift_jis_file_from_excel_imports(client, make_client):
    await _rips(client)
    content = "name,email,year\r\n岩手 太郎,taro@example.jp,2021\r\n".encode("cp932")
    answer = await _import(client, content)
    assert answer.status_code == 200 and answer.json()["created"] == 1
    account = await Account.select(Account.display_name).where(Account.email == "taro@example.jp").first()
    assert account["display_name"] == "岩手 太郎"


async def test_a_bad_file_imports_nothing_and_names_each_bad_line(client, make_client):
    await _rips(client)
    accounts, mails = await Account.count(), await OutboxMail.count()
    content = _csv(
        "東北 一郎,ichiro@example.jp,2019",
        "宮城 花子,not-an-address,2020",
        "東北 一郎2,ICHIRO@example.jp,2019",
        "未来 三郎,saburo@example.jp,1850",
        ",empty@example.jp,2019",
        "short,line",
    )
    answer = await _import(client, content)
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert re.findall(r"(\d+) 行目：", detail) == ["3", "4", "5", "6", "7"], detail
    assert "2 行目と同じ" in detail  # the repeated address names the line it repeats
    assert (await Account.count(), await OutboxMail.count(), await Alumnus.count()) == (accounts, mails, 0)

    for content in (
        b"name,mail,year\r\nx,x@example.jp,2019\r\n",
        b"name,email,year\r\n\xff\xfe\xfa,a@example.jp,2019\r\n",
        b"name,email,year\r\n",
    ):
        refused = await _import(client, content)
        assert refused.status_code == 400 and refused.json()["extra"][0]["key"] == "file", refused.text
    big = b"name,email,year\r\n" + b"x" * (10 * 1024 * 1024 + 10)
    assert (await _import(client, big)).status_code in (400, 413)
    assert (await Account.count(), await Alumnus.count()) == (accounts, 0)
    assert (await client.post("/api/v1/series/rips/alumni.csv", data={"file": "text"})).status_code == 400
    assert (await _import(client, _csv("a,a@example.jp,2019"), slug="no-such")).status_code == 404


async def test_only_organizers_import_graduates(client, make_client):
    await _rips(client)
    person = (await people(make_client, 1))[0]
    assert (await _import(person, _csv("a,a@example.jp,2019"))).status_code == 403
    assert (await _import(await make_client(), _csv("a,a@example.jp,2019"))).status_code == 401
    assert await Alumnus.count() == 0


async def test_the_import_page_reports_what_it_did(client, make_client):
    await _rips(client)
    page = await client.get("/organizer/series/rips/alumni-import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    done = await client.post(
        "/organizer/series/rips/alumni-import", files={"file": ("a.csv", _csv("東北 一郎,ichiro@example.jp,2019"))}
    )
    assert done.status_code == 200 and 'data-created="1"' in done.text
    bad = await client.post(
        "/organizer/series/rips/alumni-import", files={"file": ("a.csv", _csv("東北 一郎,bad,2019"))}
    )
    assert bad.status_code == 400 and "<td>2</td>" in bad.text
    assert "/organizer/series/rips/alumni-import" in (await client.get("/organizer/series/rips")).text
