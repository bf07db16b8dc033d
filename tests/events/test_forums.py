"""Organizers create, edit, publish and cancel forums; the public sees what it may."""

from datetime import timedelta

import pytest

from meetup.db import utcnow
from meetup.events.tables import Event
from tests.factories import create_forum, forum, organizer, sign_up


async def test_an_organizer_creates_a_forum_and_the_public_sees_it(client, make_client):
    await organizer(client)
    slug = await create_forum(client, title="Relationship Population Seminar 関係人口セミナー")
    assert slug.startswith("relationship-population-seminar-")
    public = await make_client()
    listed = (await public.get("/api/v1/events")).json()
    assert [e["slug"] for e in listed] == [slug]
    item = listed[0]
    assert item["capacity"] == 10
    assert item["confirmed_count"] == 0
    assert item["waitlist_count"] == 0
    assert item["status"] == "published"
    assert item["registration_mode"] == "first_come"
    assert item["starts_at"].endswith("+09:00")  # shown in Asia/Tokyo
    detail = (await public.get(f"/api/v1/events/{slug}")).json()
    assert detail["title"] == "Relationship Population Seminar 関係人口セミナー"
    assert "online_url" not in detail


async def test_drafts_are_for_organizers_only(client, make_client):
    await organizer(client)
    slug = await create_forum(client, status="draft")
    public = await make_client()
    assert (await public.get("/api/v1/events")).json() == []
    assert (await public.get(f"/api/v1/events/{slug}")).status_code == 404
    assert (await client.get(f"/api/v1/events/{slug}")).status_code == 200
    published = await client.patch(f"/api/v1/events/{slug}", json={"status": "published"})
    assert published.status_code == 200
    assert (await public.get(f"/api/v1/events/{slug}")).status_code == 200


async def test_only_organizers_create_and_edit(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    participant = await make_client()
    await sign_up(participant)
    assert (await participant.post("/api/v1/events", json=forum())).status_code == 403
    assert (await participant.patch(f"/api/v1/events/{slug}", json={"capacity": 99})).status_code == 403
    anonymous = await make_client()
    assert (await anonymous.post("/api/v1/events", json=forum())).status_code == 401
    assert await Event.count() == 1


async def test_list_is_soonest_first_and_searchable(client):
    await organizer(client)
    now = utcnow()
    later = await create_forum(
        client,
        title="DX推進ワークショップ",
        starts_at=(now + timedelta(days=30)).isoformat(),
        ends_at=(now + timedelta(days=30, hours=2)).isoformat(),
    )
    sooner = await create_forum(
        client,
        title="石巻 関係人口セミナー",
        venue="ISHINOMAKI2.0",
        starts_at=(now + timedelta(days=3)).isoformat(),
        ends_at=(now + timedelta(days=3, hours=2)).isoformat(),
    )
    assert [e["slug"] for e in (await client.get("/api/v1/events")).json()] == [sooner, later]
    assert [e["slug"] for e in (await client.get("/api/v1/events", params={"q": "DX"})).json()] == [later]
    assert [e["slug"] for e in (await client.get("/api/v1/events", params={"q": "石巻"})).json()] == [sooner]
    window = {"from": (now + timedelta(days=10)).isoformat(), "to": (now + timedelta(days=40)).isoformat()}
    assert [e["slug"] for e in (await client.get("/api/v1/events", params=window)).json()] == [later]


async def test_the_calendar_file(client, make_client):
    await organizer(client)
    slug = await create_forum(client, venue="仙台市 みやぎ復興パーク")
    public = await make_client()
    response = await public.get(f"/api/v1/events/{slug}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert body.count("BEGIN:VEVENT") == 1
    uid = next(line for line in body.splitlines() if line.startswith("UID:"))
    assert uid == next(line for line in (await public.get(f"/events/{slug}.ics")).text.splitlines() if "UID:" in line)
    assert "DTSTART" in body and "Z" in next(line for line in body.splitlines() if line.startswith("DTSTART"))
    assert "secret-room" not in body  # the public file never holds the online URL


async def test_changing_time_bumps_the_calendar_sequence(client):
    await organizer(client)
    slug = await create_forum(client)
    before = (await client.get(f"/api/v1/events/{slug}.ics")).text
    start = utcnow() + timedelta(days=8)
    await client.patch(
        f"/api/v1/events/{slug}",
        json={"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()},
    )
    after = (await client.get(f"/api/v1/events/{slug}.ics")).text
    assert "SEQUENCE:0" in before
    assert "SEQUENCE:1" in after


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": "2026-12-01T10:00:00"}, "starts_at"),  # no offset: ambiguous
        ({"ends_at": "2020-01-01T00:00:00+09:00"}, "ends_at"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"title": "あ" * 1_000_000}, "title"),
        ({"title": "   "}, "title"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "ten"}, "capacity"),
        ({"format": "zoom"}, "format"),
        ({"registration_mode": "random"}, "registration_mode"),
        ({"questions": [{"id": "q", "label": "x", "kind": "choice"}]}, "questions"),
        ({"questions": [{"id": "Bad Id", "label": "x"}]}, "questions"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
async def test_bad_forums_are_refused_and_nothing_is_stored(client, overrides, field):
    await organizer(client)
    response = await client.post("/api/v1/events", json=forum(**overrides))
    assert response.status_code == 400, response.text
    assert field in response.text
    assert await Event.count() == 0


async def test_capacity_cannot_drop_below_confirmed_seats(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=3)
    for _ in range(2):
        person = await make_client()
        await sign_up(person)
        await person.post(f"/api/v1/events/{slug}/registration", json={})
    response = await client.patch(f"/api/v1/events/{slug}", json={"capacity": 1})
    assert response.status_code == 409
    assert (await client.get(f"/api/v1/events/{slug}")).json()["capacity"] == 3


async def test_unknown_forum_is_404(client):
    assert (await client.get("/api/v1/events/no-such-forum")).status_code == 404
    assert (await client.get("/api/v1/events/no-such-forum.ics")).status_code == 404
