"""Follows (CONTRACT §5.4): following a series, an organisation, a prefecture or a theme, and the
one mail each follower gets when matching forums are published — through the scheduler's job,
the outbox and the worker, to a real SMTP server."""

from __future__ import annotations

import email.policy
from datetime import timedelta

import httpx
import msgspec

from meetup.accounts import mail_preferences
from meetup.coordinators import organizations
from meetup.db import utcnow
from meetup.events import service as events
from meetup.events.schemas import EventIn
from meetup.followups.follows import queue_follow_mail
from meetup.followups.tables import FollowNotice
from meetup.mail.worker import MailWorker
from meetup.scheduler import JOBS
from tests.conftest import BASE_URL
from tests.factories import forum, make_accounts, organizer, signed_in


async def a_series_and_a_host(client) -> tuple[str, int]:
    created = await client.post("/api/v1/series", json={"title": "右腕人材育成プログラム", "slug": "migiude"})
    assert created.status_code == 201, created.text
    host = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    return "migiude", host


async def follow(person, **target) -> httpx.Response:
    return await person.post("/api/v1/follows", json=target)


def field_of(response: httpx.Response) -> str:
    extra = response.json().get("extra") or [{}]
    return extra[0].get("key") or response.json()["detail"]


async def test_following_each_kind_listing_and_unfollowing(client, make_client):
    await organizer(client)
    series_slug, host = await a_series_and_a_host(client)
    me, other = await make_accounts(2)
    person = await signed_in(make_client, me)

    made = await follow(person, series=series_slug)
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "series" and made.json()["series"] == series_slug
    assert made.json()["label"] == "右腕人材育成プログラム" and made.json()["url"] == "/series/migiude"
    again = await follow(person, series=series_slug)
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]  # the same follow, once
    assert (await follow(person, organization=host)).status_code == 201
    assert (await follow(person, prefecture="宮城県")).status_code == 201
    assert (await follow(person, theme="#関係人口")).json()["theme"] == "関係人口"  # curated, written as a tag

    mine = (await person.get("/api/v1/me/follows")).json()
    assert [(f["kind"], f["label"]) for f in mine] == [
        ("series", "右腕人材育成プログラム"),
        ("organization", "ワカツク"),
        ("prefecture", "宮城県"),
        ("theme", "#関係人口"),
    ]
    stranger = await signed_in(make_client, other)
    assert (await stranger.get("/api/v1/me/follows")).json() == []
    assert (await stranger.delete(f"/api/v1/follows/{made.json()['id']}")).status_code == 404  # not theirs
    assert (await person.delete(f"/api/v1/follows/{made.json()['id']}")).status_code == 204
    assert (await person.delete(f"/api/v1/follows/{made.json()['id']}")).status_code == 404
    assert [f["kind"] for f in (await person.get("/api/v1/me/follows")).json()] == [
        "organization",
        "prefecture",
        "theme",
    ]
    anonymous = await make_client()
    assert (await follow(anonymous, prefecture="宮城県")).status_code == 401


async def test_what_cannot_be_followed_is_a_400_naming_the_field(client, make_client):
    await organizer(client)
    await a_series_and_a_host(client)
    [me] = await make_accounts(1)
    person = await signed_in(make_client, me)
    for target, field in (
        ({"series": "no-such-series"}, "series"),
        ({"organization": 999999}, "organization"),
        ({"organization": -1}, "organization"),
        ({"prefecture": "宮城"}, "prefecture"),
        ({"theme": "誰も使っていないテーマ"}, "theme"),
        ({"theme": "   "}, "theme"),
    ):
        refused = await follow(person, **target)
        assert refused.status_code == 400, (target, refused.text)
        assert field_of(refused) == field, (target, refused.json())
    for target in ({}, {"series": "migiude", "prefecture": "宮城県"}):
        refused = await follow(person, **target)
        assert refused.status_code == 400 and "exactly one" in str(refused.json()), refused.json()
    assert (await person.get("/api/v1/me/follows")).json() == []


async def test_a_theme_some_forum_carries_can_be_followed(client, make_client):
    await organizer(client)
    assert (await client.post("/api/v1/events", json=forum(themes=["半島の未来", "#半島の未来"]))).status_code == 201
    [me] = await make_accounts(1)
    person = await signed_in(make_client, me)
    assert (await follow(person, theme="半島の未来")).status_code == 201


async def test_pages_follow_and_unfollow_without_javascript(client, make_client):
    await organizer(client)
    series_slug, host = await a_series_and_a_host(client)
    [me] = await make_accounts(1)
    person = await signed_in(make_client, me)
    page = await person.get("/series/migiude")
    assert 'action="/me/follows"' in page.text and 'name="value" value="migiude"' in page.text
    token = person.cookies["csrftoken"]
    pressed = await person.post(
        "/me/follows", data={"kind": "series", "value": "migiude", "next": "/series/migiude", "_csrf_token": token}
    )
    assert pressed.status_code == 303 and pressed.headers["location"].startswith("/series/migiude?done=followed")
    page = await person.get("/series/migiude")
    [follow_id] = [f["id"] for f in (await person.get("/api/v1/me/follows")).json()]
    assert f'action="/me/follows/{follow_id}/delete"' in page.text
    for path, value in ((f"/organizations/{host}", str(host)), ("/events?prefecture=宮城県", "宮城県")):
        shown = await person.get(path)
        assert shown.status_code == 200 and f'name="value" value="{value}"' in shown.text, path
    listing = await person.get("/me/follows")
    assert "右腕人材育成プログラム" in listing.text
    undone = await person.post(f"/me/follows/{follow_id}/delete", data={"next": "/me/follows", "_csrf_token": token})
    assert undone.status_code == 303
    assert (await person.get("/api/v1/me/follows")).json() == []
    bad = await person.post("/me/follows", data={"kind": "prefecture", "value": "どこか", "_csrf_token": token})
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    anonymous = await make_client()
    assert "/login?next=" in (await anonymous.get("/series/migiude")).text


async def publish(client, **fields) -> str:
    created = await client.post("/api/v1/events", json=forum(**fields))
    assert created.status_code == 201, created.text
    return created.json()["slug"]


async def deliver(mail_settings) -> None:
    worker = MailWorker(msgspec.structs.replace(mail_settings, mail_rate=0))
    while await worker.run_once():
        pass


def inbox(collector) -> dict[str, list]:
    found: dict[str, list] = {}
    for envelope in collector.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for rcpt in envelope.rcpt_tos:
            found.setdefault(rcpt, []).append(message)
    return found


async def email_of(person) -> str:
    return (await person.get("/api/v1/me")).json()["email"]


async def test_publishing_mails_each_follower_one_digest_through_smtp(client, make_client, mail_settings, smtp_server):
    collector, _ = smtp_server
    boss = await organizer(client)
    series_slug, host = await a_series_and_a_host(client)
    a, b, c, d = await make_accounts(4)
    people = {uid: await signed_in(make_client, uid) for uid in (a, b, c, d)}
    assert (await follow(people[a], series=series_slug)).status_code == 201
    assert (await follow(people[b], prefecture="宮城県")).status_code == 201
    assert (await follow(people[c], series=series_slug)).status_code == 201
    assert (await follow(people[c], theme="DX")).status_code == 201
    assert (await follow(people[d], organization=host)).status_code == 201
    await mail_preferences.set_follows(d, False, "preferences")  # d turned this mail off
    assert (await follow(client, series=series_slug)).status_code == 201  # the organizer follows too

    first = await publish(client, title="右腕 第1回", series=series_slug, prefecture="宮城県")
    second = await publish(client, title="DXと事業承継", organization=host, themes=["DX"])
    draft = await publish(client, title="右腕 第2回（準備中）", series=series_slug, status="draft")
    called_off = await publish(client, title="右腕 特別回", series=series_slug)
    assert (await client.patch(f"/api/v1/events/{called_off}", json={"status": "cancelled"})).status_code == 200
    await publish(client, title="終わった回", series=series_slug, starts_at=(utcnow() - timedelta(days=2)).isoformat(),
                  ends_at=(utcnow() - timedelta(days=2, hours=-2)).isoformat())  # fmt: skip
    assert not collector.envelopes  # nothing is mailed in the request

    assert await queue_follow_mail() == 3  # a, b, c: one mail each
    assert await queue_follow_mail() == 0
    await deliver(mail_settings)
    got = inbox(collector)
    addresses = {uid: await email_of(people[uid]) for uid in (a, b, c, d)}
    assert set(got) == {addresses[a], addresses[b], addresses[c]}  # not d (off), not the organizer
    assert boss["email"] not in got
    [to_c] = got[addresses[c]]
    text = to_c.get_body(("plain",)).get_content()
    assert "右腕 第1回" in text and "DXと事業承継" in text  # two publications, one mail
    assert f"{BASE_URL}/events/{first}" in text and f"{BASE_URL}/events/{second}" in text
    assert "準備中" not in text and "特別回" not in text and "終わった回" not in text
    assert "#DX" in text and "右腕人材育成プログラム" in text  # why each forum is there
    [to_a] = got[addresses[a]]
    assert "右腕 第1回" in to_a["Subject"] and "DXと事業承継" not in to_a.get_body(("plain",)).get_content()
    unsubscribe = to_a["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith(f"{BASE_URL}/follows/unsubscribe/")
    assert to_a["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # taking the forum back to draft and publishing it again tells nobody twice
    assert (await client.patch(f"/api/v1/events/{first}", json={"status": "draft"})).status_code == 200
    assert (await client.patch(f"/api/v1/events/{first}", json={"status": "published"})).status_code == 200
    assert await queue_follow_mail() == 0
    # publishing the draft now tells the series' followers about it alone
    assert (await client.patch(f"/api/v1/events/{draft}", json={"status": "published"})).status_code == 200
    assert await queue_follow_mail() == 2
    await deliver(mail_settings)
    got = inbox(collector)
    assert [len(got[addresses[uid]]) for uid in (a, b, c)] == [2, 1, 2]
    latest = got[addresses[a]][-1].get_body(("plain",)).get_content()
    assert "第2回" in latest and "第1回" not in latest
    assert await FollowNotice.count() == 6  # a: 2 forums, b: 1, c: 3


async def test_one_click_unsubscribe_stops_only_the_follows_mail(client, make_client, mail_settings, smtp_server):
    collector, _ = smtp_server
    await organizer(client)
    [me] = await make_accounts(1)
    person = await signed_in(make_client, me)
    assert (await follow(person, prefecture="岩手県")).status_code == 201
    await publish(client, title="遠野の集い", prefecture="岩手県")
    await queue_follow_mail()
    await deliver(mail_settings)
    [mail] = inbox(collector)[await email_of(person)]
    link = mail["List-Unsubscribe"].strip().strip("<>")
    path = link.removeprefix(BASE_URL)
    mailbox_provider = await make_client()  # no session, no CSRF token: RFC 8058
    mailbox_provider.headers.pop("x-csrftoken", None)
    mailbox_provider.cookies.clear()
    assert "List-Unsubscribe" not in (await mailbox_provider.get(path)).text  # a GET changes nothing
    assert (await mail_preferences.preferences(me)).follows is True
    done = await mailbox_provider.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    prefs = await mail_preferences.preferences(me)
    assert prefs.follows is False and prefs.followups is True  # the campaigns' choice stays
    await publish(client, title="釜石の集い", prefecture="岩手県")
    assert await queue_follow_mail() == 0
    forged = await mailbox_provider.post(path[:-3] + "AAA")
    assert forged.status_code == 404


async def test_the_scheduler_runs_the_follows_job():
    assert "follows" in {name for name, _job, _every in JOBS}
    assert {name: every for name, _job, every in JOBS}["follows"] <= 120  # "within a few minutes"


async def test_thousands_of_followers_are_queued_by_the_job_not_the_request(client, make_client):
    await organizer(client)
    followers = await make_accounts(1200)
    from meetup.accounts.tables import Follow

    await Follow.insert(*(Follow(account=uid, kind="prefecture", value="福島県") for uid in followers))
    slug = await publish(client, title="会津の集い", prefecture="福島県")
    from meetup.mail.tables import OutboxMail

    assert await OutboxMail.count().where(OutboxMail.kind == "campaign") == 0
    assert await queue_follow_mail() == 1200
    assert await OutboxMail.count().where(OutboxMail.kind == "campaign") == 1200
    row = await events.event_row(slug)
    assert row["announced_at"] is not None
    assert await queue_follow_mail() == 0


async def test_a_forum_made_by_the_service_records_its_publication(client):
    slug = await events.create_event(msgspec.convert(forum(status="draft"), EventIn), None)
    assert (await events.event_row(slug, organizer=True))["published_at"] is None
    await events.set_published(slug, True)
    first = (await events.event_row(slug))["published_at"]
    assert first is not None
    await events.set_published(slug, False)
    await events.set_published(slug, True)
    assert (await events.event_row(slug))["published_at"] == first  # the first publication stays
