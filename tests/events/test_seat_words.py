"""Seats are told in the words of how they are given: "抽選30席" and the draw date for a
lottery (then "抽選済み"), "定員20名（承認制）" for approval, "残り10席" first come; in both
languages, on the cards and on the forum page."""

from __future__ import annotations

from datetime import timedelta

from meetup.db import utcnow
from meetup.i18n import TOKYO
from tests.factories import create_forum, make_accounts, organizer, signed_in


def lottery_times(days: int = 20) -> dict[str, str]:
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0, second=0, minute=0)
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "registration_closes_at": (start - timedelta(days=7)).isoformat(),
        "draws_at": (start - timedelta(days=6)).isoformat(),
    }


def card_of(listing: str, title: str) -> str:
    start = listing.index(title)
    return listing[start : listing.index("</li>", start)]


async def test_a_lottery_forum_says_seats_drawn_and_when(client, make_client):
    await organizer(client)
    times = lottery_times()
    slug = await create_forum(client, title="抽選のセミナー", registration_mode="lottery", capacity=30, **times)
    draws_at = utcnow().fromisoformat(times["draws_at"]).astimezone(TOKYO)
    when = f"{draws_at.year}年{draws_at.month}月{draws_at.day}日"
    visitor = await make_client()

    card = card_of((await visitor.get("/events")).text, "抽選のセミナー")
    assert "抽選30席" in card and "残り30席" not in card
    assert f"抽選日 {when}" in card
    page = (await visitor.get(f"/events/{slug}")).text
    assert "抽選30席" in page and "残り30席" not in page
    assert f"{when}" in page and "に抽選し、結果をメールでお知らせします" in page
    assert (await visitor.get(f"/api/v1/events/{slug}")).json()["draws_at"].startswith(f"{draws_at:%Y-%m-%d}")

    reader = await make_client()  # ?lang= is remembered: another visitor reads in English
    english = card_of((await reader.get("/events?lang=en")).text, "抽選のセミナー")
    assert "Lottery: 30 seats" in english and "seats left" not in english
    assert "Draw: " in english

    for user_id in await make_accounts(2):
        person = await signed_in(make_client, user_id)
        assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    assert (await client.post(f"/api/v1/events/{slug}/lottery", json={})).status_code == 200

    card = card_of((await visitor.get("/events")).text, "抽選のセミナー")
    assert "抽選済み" in card and "抽選30席" not in card and "抽選日" not in card
    page = (await visitor.get(f"/events/{slug}")).text
    assert "抽選済み" in page and "に抽選しました" in page
    assert "Lottery drawn" in (await reader.get(f"/events/{slug}")).text
    assert (await visitor.get(f"/api/v1/events/{slug}")).json()["drawn_at"]


async def test_a_lottery_without_a_draw_date_says_it_follows_the_closing(client, make_client):
    await organizer(client)
    times = lottery_times()
    del times["draws_at"]
    slug = await create_forum(client, registration_mode="lottery", capacity=12, **times)
    page = (await (await make_client()).get(f"/events/{slug}")).text
    assert "抽選12席" in page and "申込締切の後に抽選し" in page


async def test_an_approval_forum_says_its_capacity_and_that_it_is_approved(client, make_client):
    await organizer(client)
    await create_forum(client, title="承認制のワークショップ", registration_mode="approval", capacity=20)
    await create_forum(client, title="先着のフォーラム", capacity=10)
    visitor = await make_client()
    listing = (await visitor.get("/events")).text
    assert "定員20名（承認制）" in card_of(listing, "承認制のワークショップ")
    assert "残り10席" in card_of(listing, "先着のフォーラム")
    reader = await make_client()
    assert "20 seats (approval)" in card_of((await reader.get("/events?lang=en")).text, "承認制のワークショップ")


async def test_a_draw_date_must_fall_between_the_closing_and_the_start(client):
    await organizer(client)
    times = lottery_times()
    start = utcnow().fromisoformat(times["starts_at"])
    too_early = {**times, "draws_at": (start - timedelta(days=8)).isoformat()}
    assert (
        await client.post("/api/v1/events", json={"title": "x", "registration_mode": "lottery", **too_early})
    ).status_code == 400
    slug = await create_forum(client, registration_mode="lottery", **times)
    late = await client.patch(f"/api/v1/events/{slug}", json={"draws_at": (start + timedelta(hours=1)).isoformat()})
    assert late.status_code == 400
    earlier_close = await client.patch(
        f"/api/v1/events/{slug}", json={"registration_closes_at": (start - timedelta(days=5)).isoformat()}
    )
    assert earlier_close.status_code == 400  # the draw would come before registration closes

    day = start.astimezone(TOKYO)
    form = {
        "_csrf_token": client.cookies["csrftoken"],
        "title": "抽選のフォーラム",
        "starts_at": f"{day:%Y-%m-%dT%H:%M}",
        "ends_at": f"{day + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        "registration_mode": "lottery",
        "draws_at": f"{day + timedelta(days=1):%Y-%m-%dT%H:%M}",
    }
    refused = await client.post("/organizer/events/new", data=form)
    assert refused.status_code == 400 and 'id="draws_at-error"' in refused.text
    form["draws_at"] = f"{day - timedelta(days=1):%Y-%m-%dT%H:%M}"
    saved = await client.post("/organizer/events/new", data=form)
    assert saved.status_code == 303, saved.text
    edit = await client.get(saved.headers["location"] + "/edit")
    assert f'name="draws_at" value="{form["draws_at"]}"' in edit.text
