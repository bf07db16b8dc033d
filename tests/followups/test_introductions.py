"""A follow-up can list "people you met"; when both press "stay in touch", both are
introduced by mail and become connected on the network map (double opt-in)."""

import asyncio
import re
from urllib.parse import urlsplit

from meetup.coordinators.tables import Tie
from meetup.followups.tables import StayInTouch
from meetup.mail.tables import OutboxMail
from meetup.rooms import service as rooms
from tests.factories import make_accounts, organizer, signed_in
from tests.followups.factories import forum_with_audience, profile


async def follow_up(client, slug: str) -> dict[int, dict]:
    created = await client.post(
        f"/api/v1/events/{slug}/campaigns",
        json={"subject": "お礼", "body": "ありがとうございました。", "audience": ["confirmed"], "introductions": True},
    )
    assert created.status_code == 201, created.text
    await client.post(f"/api/v1/campaigns/{created.json()['id']}/send")
    rows = await OutboxMail.select().where(OutboxMail.kind == "campaign")
    return {row["account_id"]: row for row in rows}


def stay_paths(mail: dict) -> dict[str, str]:
    """{profile path: stay-in-touch path} from the mail's HTML."""
    html = mail["body_html"]
    profiles = re.findall(r'href="http://testserver.local(/coordinators/\d+)"', html)
    stays = re.findall(r'href="http://testserver.local(/stay-in-touch/[^"]+)"', html)
    return dict(zip(profiles, stays, strict=True))


async def two_who_met(client) -> tuple[int, int, dict[int, dict]]:
    """Two attendees who share a theme, and the follow-up each of them got."""
    await organizer(client)
    forum = await forum_with_audience()
    a, b = forum.checked_in, forum.in_room
    await profile(a, "青森 あおい", ["移住"])
    await profile(b, "岩手 いわお", ["移住"])
    return a, b, await follow_up(client, forum.event["slug"])


async def introductions_sent() -> list[dict]:
    return await OutboxMail.select().where(OutboxMail.dedupe_key.like("intro:%"))


async def test_people_you_met_are_roommates_then_shared_themes_never_private_ones(client):
    await organizer(client)
    forum = await forum_with_audience()
    a, b, c = forum.checked_in, forum.in_room, forum.no_show
    await profile(a, "青森 あおい", ["移住", "観光"])
    await profile(b, "岩手 いわお", ["農業"], visibility="public")
    await profile(c, "秋田 あきこ", ["観光"])
    await rooms.record_visit(forum.room, a)  # a and b shared the breakout room
    hidden = (await make_accounts(1))[0]
    await profile(hidden, "非公開 ひとみ", ["観光"], visibility="private")
    await rooms.record_visit(forum.room, hidden)

    mails = await follow_up(client, forum.event["slug"])
    met = stay_paths(mails[a])
    assert list(met) == [f"/coordinators/{b}", f"/coordinators/{c}"]  # roommate first, then a shared theme
    assert "同じブレイクアウトルーム" in mails[a]["body_html"]
    assert "共通のテーマ: 観光" in mails[a]["body_html"]
    assert "非公開" not in mails[a]["body_html"]
    assert "非公開" not in mails[a]["body_text"]
    assert f"/coordinators/{a}" in stay_paths(mails[b])
    assert "つながる" in mails[a]["body_text"]


async def test_both_pressing_stay_in_touch_introduces_them_and_connects_them(client, make_client):
    a, b, mails = await two_who_met(client)
    a_to_b = stay_paths(mails[a])[f"/coordinators/{b}"]
    b_to_a = stay_paths(mails[b])[f"/coordinators/{a}"]

    reader = await make_client()
    page = await reader.get(a_to_b)
    assert page.status_code == 200
    assert "岩手 いわお" in page.text
    assert await StayInTouch.count() == 0  # opening the link presses nothing

    first = await reader.post(a_to_b, data={"_csrf_token": reader.cookies["csrftoken"]})
    assert first.status_code == 200
    assert await introductions_sent() == []
    assert await Tie.count().where(Tie.kind == "connection") == 0

    second = await (await make_client()).post(f"/api/v1{b_to_a}")
    assert second.status_code == 200
    assert second.json() == {"status": "connected", "other": a}
    intros = {row["account_id"] or row["to_addr"]: row for row in await introductions_sent()}
    assert len(intros) == 2
    subjects = sorted(row["subject"] for row in intros.values())
    assert subjects == ["【ご紹介】参加者 0 さん", "【ご紹介】参加者 1 さん"]
    [tie] = await Tie.select().where(Tie.kind == "connection")
    assert (tie["person_low"], tie["person_high"]) == (min(a, b), max(a, b))
    [introduced] = await Tie.select().where(Tie.kind == "introduction")  # the follow-up brought them together
    assert (introduced["person_low"], introduced["person_high"]) == (min(a, b), max(a, b))
    assert introduced["event_id"] is not None

    viewer = await signed_in(make_client, a)
    edges = (await viewer.get("/api/v1/network")).json()["edges"]
    assert any(e["kind"] == "connection" and {e["source"], e["target"]} == {a, b} for e in edges)


async def test_pressing_at_the_same_moment_introduces_once(client, make_client):
    a, b, mails = await two_who_met(client)
    presses = [stay_paths(mails[a])[f"/coordinators/{b}"], stay_paths(mails[b])[f"/coordinators/{a}"]]
    clients = [await make_client() for _ in range(4)]
    answers = await asyncio.gather(*(c.post(f"/api/v1{presses[i % 2]}") for i, c in enumerate(clients)))
    assert {r.status_code for r in answers} == {200}
    assert "connected" in {r.json()["status"] for r in answers}
    assert len(await introductions_sent()) == 2
    assert await Tie.count().where(Tie.kind == "connection") == 1


async def test_a_tampered_stay_link_is_a_404(client, make_client):
    a, b, mails = await two_who_met(client)
    path = stay_paths(mails[a])[f"/coordinators/{b}"]
    token = urlsplit(path).path.rsplit("/", 1)[1]
    payload, signature = token.rsplit(".", 1)
    swapped = f"/stay-in-touch/{b}-{a}-{payload.split('-')[2]}.{signature}"
    stranger = await make_client()
    for forged in (swapped, path + "x", "/stay-in-touch/1-2-3"):
        assert (await stranger.get(forged)).status_code == 404
        assert (await stranger.post(f"/api/v1{forged}")).status_code == 404
    assert await StayInTouch.count() == 0


def test_an_introduction_in_english_names_the_prefecture_in_english():
    from types import SimpleNamespace

    from meetup.templating import render_mail

    other = SimpleNamespace(display_name="Iwate Iwao", email="iwao@example.jp")
    profile = SimpleNamespace(organization="", prefecture="岩手県")
    context = dict(other=other, profile=profile, forum=None, profile_url="/p", connections_url="/c")
    text, html = render_mail("followups/mail/introduction", "en", name="Aoi", **context)
    assert "Iwate" in text and "岩手県" not in text
    assert "Iwate" in html and "岩手県" not in html
    text, _ = render_mail("followups/mail/introduction", "ja", name="あおい", **context)
    assert "岩手県" in text
