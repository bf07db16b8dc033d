"""Calendars to subscribe to (CONTRACT §5.4): every forum, a series, and my forums behind a secret
address — as Google Calendar and Outlook read them."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from meetup.db import utcnow
from tests.conftest import BASE_URL
from tests.factories import create_forum, forum, make_accounts, organizer, signed_in

SECRET = "https://teams.example/meet/secret-room"  # the factories' online URL


def parsed(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def summaries(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


async def test_every_published_forum_as_one_calendar(client, make_client):
    await organizer(client)
    open_forum = await create_forum(client, title="公開フォーラム", prefecture="宮城県")
    await create_forum(client, title="下書きフォーラム", status="draft")
    called_off = await create_forum(client, title="中止フォーラム")
    assert (await client.patch(f"/api/v1/events/{called_off}", json={"status": "cancelled"})).status_code == 200
    long_ago = utcnow() - timedelta(days=90)
    await create_forum(
        client,
        title="昔のフォーラム",
        starts_at=long_ago.isoformat(),
        ends_at=(long_ago + timedelta(hours=2)).isoformat(),
    )
    anonymous = await make_client()
    for path in ("/events.ics", "/api/v1/events.ics"):
        response = await anonymous.get(path)
        calendar = parsed(response)
        assert calendar["VERSION"] == "2.0" and calendar["METHOD"] == "PUBLISH" and calendar["CALSCALE"] == "GREGORIAN"
        assert "NEXT TOHOKU MEETUP" in str(calendar["PRODID"])
        assert "フォーラム" in str(calendar["X-WR-CALNAME"]) and calendar["X-WR-TIMEZONE"] == "Asia/Tokyo"
        events = summaries(calendar)
        assert set(events) == {"公開フォーラム", "中止フォーラム"}  # no draft, nothing from long ago
        shown = events["公開フォーラム"]
        assert str(shown["UID"]).startswith("event-") and str(shown["UID"]).endswith("@testserver.local")
        assert shown["DTSTART"].dt.utcoffset() == timedelta(0)  # UTC times: no VTIMEZONE needed
        assert shown["SEQUENCE"] == 0 and "DTSTAMP" in shown
        assert str(shown["URL"]) == f"{BASE_URL}/events/{open_forum}"
        assert str(events["中止フォーラム"]["STATUS"]) == "CANCELLED"
        assert SECRET not in response.text  # never the online URL in a public feed
    signed = await client.get("/events.ics")  # an organizer's copy is the public one too
    assert SECRET not in signed.text


async def test_a_calendar_answers_304_while_nothing_changed(client, make_client):
    await organizer(client)
    slug = await create_forum(client, title="変わるフォーラム")
    anonymous = await make_client()
    first = await anonymous.get("/events.ics")
    again = await anonymous.get("/events.ics")
    assert first.content == again.content and first.headers["etag"] == again.headers["etag"]  # stable bytes
    assert first.headers["last-modified"].endswith("GMT")
    unchanged = await anonymous.get("/events.ics", headers={"if-none-match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert (await client.patch(f"/api/v1/events/{slug}", json={"venue": "仙台市"})).status_code == 200
    changed = await anonymous.get("/events.ics", headers={"if-none-match": first.headers["etag"]})
    event = summaries(parsed(changed))["変わるフォーラム"]
    assert event["SEQUENCE"] == 1 and "仙台市" in str(event["LOCATION"])  # calendars update the event


async def test_a_series_calendar_holds_its_sessions(client, make_client):
    await organizer(client)
    created = await client.post("/api/v1/series", json={"title": "右腕人材育成プログラム", "slug": "migiude"})
    assert created.status_code == 201
    await create_forum(client, title="第1回", series="migiude")
    await create_forum(client, title="ほかのフォーラム")
    anonymous = await make_client()
    for path in ("/series/migiude.ics", "/api/v1/series/migiude.ics"):
        calendar = parsed(await anonymous.get(path))
        assert set(summaries(calendar)) == {"第1回"}
        assert "右腕人材育成プログラム" in str(calendar["X-WR-CALNAME"])
    assert (await anonymous.get("/series/nothing-here.ics")).status_code == 404
    page = await anonymous.get("/series/migiude")
    assert 'href="webcal://testserver.local/series/migiude.ics"' in page.text
    assert f'href="{BASE_URL}/series/migiude.ics"' in page.text
    assert 'href="webcal://testserver.local/events.ics"' in (await anonymous.get("/events")).text


async def test_my_calendar_holds_my_confirmed_forums_behind_a_secret_address(client, make_client):
    await organizer(client)
    mine = await create_forum(client, title="参加するフォーラム")
    full = await create_forum(client, title="満席フォーラム", capacity=1)
    await create_forum(client, title="関係ないフォーラム")
    me, first = await make_accounts(2)
    person, early = await signed_in(make_client, me), await signed_in(make_client, first)
    assert (await early.post(f"/api/v1/events/{full}/registration", json={})).status_code == 201
    assert (await person.post(f"/api/v1/events/{mine}/registration", json={})).json()["status"] == "confirmed"
    assert (await person.post(f"/api/v1/events/{full}/registration", json={})).json()["status"] == "waitlisted"

    url = (await person.get("/api/v1/me")).json()["calendar_url"]
    assert url.startswith(f"{BASE_URL}/calendars/") and url.endswith(".ics")
    anybody = await make_client()  # a calendar app: no session
    response = await anybody.get(url.removeprefix(BASE_URL))
    calendar = parsed(response)
    assert set(summaries(calendar)) == {"参加するフォーラム"}  # confirmed only, not waitlisted
    assert SECRET in response.text  # a confirmed registrant may see the online URL
    assert "private" in response.headers["cache-control"]
    assert (await early.get("/api/v1/me")).json()["calendar_url"] != url

    page = await person.get("/me")
    assert url in page.text and 'action="/me/calendar/reset"' in page.text
    reset = await person.post("/api/v1/me/calendar/reset")
    assert reset.status_code == 200
    new_url = reset.json()["calendar_url"]
    assert new_url != url
    assert (await anybody.get(url.removeprefix(BASE_URL))).status_code == 404  # the old address is dead
    assert (await anybody.get(new_url.removeprefix(BASE_URL))).status_code == 200
    pressed = await person.post("/me/calendar/reset", data={})
    assert pressed.status_code == 303
    assert (await anybody.get(new_url.removeprefix(BASE_URL))).status_code == 404
    for forged in ("/calendars/1-AAAA.ics", f"/calendars/{me}-{'A' * 32}.ics", "/calendars/x", "/calendars/%00.ics"):
        assert (await anybody.get(forged)).status_code == 404, forged


async def test_forum_host_prefecture_and_themes(client, make_client):
    await organizer(client)
    bad_host = await client.post("/api/v1/events", json=forum(organization=999999))
    assert bad_host.status_code == 400 and bad_host.json()["extra"][0]["key"] == "organization"
    bad_place = await client.post("/api/v1/events", json=forum(prefecture="仙台"))
    assert bad_place.status_code == 400 and "prefecture" in str(bad_place.json())
    slug = await create_forum(client, prefecture="岩手県", themes=["#DX", "DX", " 関係人口 "])
    shown = (await client.get(f"/api/v1/events/{slug}")).json()
    assert shown["prefecture"] == "岩手県" and shown["themes"] == ["DX", "関係人口"]
    anonymous = await make_client()
    assert [e["slug"] for e in (await anonymous.get("/api/v1/events?prefecture=岩手県")).json()] == [slug]
    assert [e["slug"] for e in (await anonymous.get("/api/v1/events?theme=関係人口")).json()] == [slug]
    assert (await anonymous.get("/api/v1/events?theme=関係")).json() == []  # a whole tag, not part of one
    assert (await anonymous.get("/api/v1/events?prefecture=宮城県")).json() == []


async def test_the_forum_form_sets_host_prefecture_and_themes(client):
    from meetup.coordinators import organizations
    from tests.events.test_organizer_pages import forum_form

    await organizer(client)
    host = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    page = await client.get("/organizer/events/new")
    assert f'<option value="{host}"' in page.text and 'name="themes"' in page.text
    fields = {"organization": str(host), "prefecture": "宮城県", "themes": "関係人口、DX, #DX"}
    response = await client.post("/organizer/events/new", data=forum_form(client, **fields))
    assert response.status_code == 303, response.text
    slug = response.headers["location"].removeprefix("/organizer/events/")
    shown = (await client.get(f"/api/v1/events/{slug}")).json()
    assert shown["organization"] == {"id": host, "name": "ワカツク"}
    assert (shown["prefecture"], shown["themes"]) == ("宮城県", ["関係人口", "DX"])
    edit = await client.get(f"/organizer/events/{slug}/edit")
    assert 'value="関係人口、DX"' in edit.text
    for bad in ({"organization": "999999"}, {"organization": "x"}, {"prefecture": "仙台"}):
        refused = await client.post("/organizer/events/new", data=forum_form(client, **bad))
        assert refused.status_code == 400, (bad, refused.status_code)
    too_big = await client.post("/api/v1/events", json=forum(organization=2**40))
    assert too_big.status_code == 400
