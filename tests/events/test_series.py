"""Series are records with a title, a Markdown description and a slug: an organizer makes one
on /organizer/series or from the forum form, edits its title and description (never its
address), and its public page is titled with its title."""

from __future__ import annotations

import importlib.util
import re
from datetime import timedelta

from meetup import ROOT
from meetup.db import utcnow
from meetup.events.tables import Event, Series
from meetup.i18n import TOKYO
from tests.factories import create_forum, organizer


def forum_fields(client, **overrides) -> dict[str, str]:
    day = (utcnow().astimezone(TOKYO) + timedelta(days=30)).date()
    return {
        "_csrf_token": client.cookies["csrftoken"],
        "title": "右腕人材育成プログラム 第1回",
        "starts_at": f"{day}T10:30",
        "ends_at": f"{day}T17:00",
        "status": "published",
        **overrides,
    }


async def test_a_series_page_is_titled_with_its_title_and_shows_its_description(client, make_client):
    await organizer(client)
    made = await client.post(
        "/organizer/series",
        data={
            "_csrf_token": client.cookies["csrftoken"],
            "title": "右腕人材育成プログラム",
            "slug": "migite-2027",
            "summary": "## 全7回の講座\n\n- 集合研修（仙台）\n- オンライン講義",
        },
    )
    assert made.status_code == 303, made.text
    assert made.headers["location"] == "/organizer/series/migite-2027"
    form = (await client.get("/organizer/events/new")).text
    assert re.search(r'<option value="migite-2027"\s*>右腕人材育成プログラム</option>', form)
    saved = await client.post("/organizer/events/new", data=forum_fields(client, series="migite-2027"))
    assert saved.status_code == 303, saved.text

    page = await (await make_client()).get("/series/migite-2027")
    assert page.status_code == 200
    assert "<title>右腕人材育成プログラム | NEXT TOHOKU MEETUP</title>" in page.text
    assert "<h1>右腕人材育成プログラム</h1>" in page.text
    assert "<h2>全7回の講座</h2>" in page.text and "<li>集合研修（仙台）</li>" in page.text
    assert "右腕人材育成プログラム 第1回" in page.text
    assert "migite-2027</h1>" not in page.text
    forum = (await client.get(saved.headers["location"].replace("/organizer/events/", "/events/"))).text
    assert '<a href="/series/migite-2027">右腕人材育成プログラム</a>' in forum


async def test_a_new_series_is_made_from_the_forum_form_with_its_title(client):
    await organizer(client)
    saved = await client.post(
        "/organizer/events/new",
        data=forum_fields(client, series="new", series_title="東北コーディネーター・フォーラム"),
    )
    assert saved.status_code == 303, saved.text
    series = await Series.select().first()
    assert series["title"] == "東北コーディネーター・フォーラム"
    event = await Event.select(Event.series).first()
    assert event["series"] == series["id"]
    assert "<h1>東北コーディネーター・フォーラム</h1>" in (await client.get(f"/series/{series['slug']}")).text

    # "new series" without a title, or a series that does not exist: refused, nothing made
    for fields, field in (({"series": "new"}, "series_title"), ({"series": "made-up"}, "series")):
        refused = await client.post("/organizer/events/new", data=forum_fields(client, **fields))
        assert refused.status_code == 400 and f'id="{field}-error"' in refused.text
    assert await Series.count() == 1 and await Event.count() == 1

    # a forum refused for another reason leaves no series behind
    refused = await client.post(
        "/organizer/events/new",
        data=forum_fields(
            client, series="new", series_title="残らないシリーズ", **{"q-0-label": "", "q-0-choices": "x"}
        ),
    )
    assert refused.status_code == 400
    assert await Series.count() == 1


async def test_an_organizer_edits_a_series_but_not_its_address(client):
    await organizer(client)
    await create_forum(client, series="coordinator-forum")  # the API may still name a new slug
    listing = await client.get("/organizer/series")
    assert 'href="/organizer/series/coordinator-forum"' in listing.text
    page = await client.get("/organizer/series/coordinator-forum")
    assert page.status_code == 200 and 'value="/series/coordinator-forum" readonly' in page.text
    saved = await client.post(
        "/organizer/series/coordinator-forum",
        data={
            "_csrf_token": client.cookies["csrftoken"],
            "title": "東北コーディネーター・フォーラム",
            "summary": "東北内外のハブ人材が集う場です。",
            "slug": "renamed",
        },
    )
    assert saved.status_code == 303
    row = await Series.select().first()
    assert (row["slug"], row["title"], row["summary"]) == (
        "coordinator-forum",
        "東北コーディネーター・フォーラム",
        "東北内外のハブ人材が集う場です。",
    )
    refused = await client.post(
        "/organizer/series/coordinator-forum", data={"_csrf_token": client.cookies["csrftoken"], "title": " "}
    )
    assert refused.status_code == 400 and 'id="title-error"' in refused.text
    assert (await Series.select(Series.title).first())["title"] == "東北コーディネーター・フォーラム"
    assert (await client.get("/organizer/series/no-such-series")).status_code == 404


async def test_a_series_address_is_checked_and_never_taken_twice(client):
    await organizer(client)
    token = client.cookies["csrftoken"]
    for slug, status, field in (("Bad Slug", 400, "slug"), ("", 400, "title")):
        refused = await client.post(
            "/organizer/series", data={"_csrf_token": token, "title": "" if not slug else "x", "slug": slug}
        )
        assert refused.status_code == status and f'id="{field}-error"' in refused.text
    first = await client.post("/organizer/series", data={"_csrf_token": token, "title": "Coordinator Forum"})
    assert first.headers["location"] == "/organizer/series/coordinator-forum"
    second = await client.post("/organizer/series", data={"_csrf_token": token, "title": "Coordinator Forum"})
    assert second.headers["location"] == "/organizer/series/coordinator-forum-2"
    taken = await client.post(
        "/organizer/series", data={"_csrf_token": token, "title": "別の名前", "slug": "coordinator-forum"}
    )
    assert taken.status_code == 409 and 'id="slug-error"' in taken.text
    assert await Series.count() == 2


async def test_series_titled_with_their_slug_get_their_real_title_on_migration(database):
    await Series.insert(
        Series(slug="coordinator-forum", title="coordinator-forum"),
        Series(slug="migite-2021", title="右腕（編集済み）"),
        Series(slug="other", title="other"),
    )
    path = ROOT / "migrations" / "meetup_2026_12_02t08_31_55_000000.py"
    spec = importlib.util.spec_from_file_location("series_titles_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for step in (await migration.forwards()).raw:
        await step()
    titles = {row["slug"]: row["title"] for row in await Series.select(Series.slug, Series.title)}
    assert titles == {
        "coordinator-forum": "東北コーディネーター・フォーラム",
        "migite-2021": "右腕（編集済み）",
        "other": "other",
    }
