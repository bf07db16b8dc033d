"""A line break pasted into a title or a name never breaks the mail that carries it.

One-line fields (titles, names, venues, subjects, room names) are stored as one line whether they
come through the API or a form; multi-line fields keep their line breaks and lose the other
control characters; rows stored before the rule are cleaned by a migration."""

import importlib
import sys
from datetime import timedelta

import msgspec
import pytest

from meetup import ROOT
from meetup.accounts.tables import Account
from meetup.db import utcnow
from meetup.events.tables import Event
from meetup.mail.tables import OutboxMail
from meetup.mail.worker import MailWorker
from meetup.rooms.tables import BreakoutRoom
from meetup.text import multi_line, one_line
from tests.factories import create_forum, forum, organizer, sign_up

PASTED = "東北フォーラム\r\n2026\u2028冬\t編"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("東北\r\nフォーラム", "東北 フォーラム"),
        ("  前後の空白\n", "前後の空白"),
        ("改行\u2028と段落\u2029区切り", "改行 と段落 区切り"),
        ("C1\x85制御\x9b文字\x00", "C1 制御 文字"),
        ("向き\u202eを変える\u200bゼロ幅\ufeff", "向きを変えるゼロ幅"),
        ("家族👨\u200d👩\u200d👧の絵文字", "家族👨\u200d👩\u200d👧の絵文字"),  # ZWJ stays: emoji need it
        ("全角　空白は　そのまま", "全角　空白は　そのまま"),
    ],
)
def test_one_line(typed, stored):
    assert one_line(typed) == stored


def test_multi_line_keeps_line_breaks_and_tabs_only():
    assert multi_line("一行目\r\n二行目\r三行目\u2028四行目\x00\x1b[31m\u202e\tタブ") == (
        "一行目\n二行目\n三行目\n四行目[31m\tタブ"
    )


async def registration_mail_subjects(client, make_client, slug: str, mail_settings, collector) -> list[str]:
    """Someone registers for the forum; the subjects that reached the SMTP server."""
    person = await make_client()
    await sign_up(person)
    assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    await MailWorker(mail_settings).run_once()
    [row] = await OutboxMail.select(OutboxMail.status, OutboxMail.last_error).where(OutboxMail.kind == "transactional")
    assert row["status"] == "sent", row["last_error"]
    return [message["Subject"] for message in collector.messages()]


async def test_a_title_pasted_with_line_breaks_through_the_api_is_one_line_and_its_mail_goes(
    client, make_client, mail_settings, smtp_server
):
    collector, _ = smtp_server
    await organizer(client)
    slug = await create_forum(client, title=PASTED, venue="仙台市\r\n青葉区", summary="概要\n続き")
    event = (await client.get(f"/api/v1/events/{slug}")).json()
    assert event["title"] == "東北フォーラム 2026 冬 編"
    assert (event["venue"], event["summary"]) == ("仙台市 青葉区", "概要 続き")
    assert event["description"] == forum()["description"]  # Markdown keeps its lines
    subjects = await registration_mail_subjects(client, make_client, slug, mail_settings, collector)
    assert subjects == ["【参加確定】東北フォーラム 2026 冬 編"]

    changed = await client.patch(f"/api/v1/events/{slug}", json={"title": "改題\r\nBcc: everyone@example.jp"})
    assert changed.status_code == 200
    assert changed.json()["title"] == "改題 Bcc: everyone@example.jp"
    assert (await client.patch(f"/api/v1/events/{slug}", json={"title": "\r\n\t"})).status_code == 400


async def test_a_title_pasted_into_the_organizer_form_is_one_line_and_its_mail_goes(
    client, make_client, mail_settings, smtp_server
):
    from tests.events.test_organizer_pages import forum_form

    collector, _ = smtp_server
    await organizer(client)
    fields = forum_form(client, title=PASTED, venue="仙台市\r\n青葉区")
    fields.pop("questions", None)  # the questions' own form is not what this is about
    saved = await client.post("/organizer/events/new", data=fields)
    assert saved.status_code == 303, saved.text
    row = await Event.select(Event.slug, Event.title, Event.venue).first()
    assert (row["title"], row["venue"]) == ("東北フォーラム 2026 冬 編", "仙台市 青葉区")
    subjects = await registration_mail_subjects(client, make_client, row["slug"], mail_settings, collector)
    assert subjects == ["【参加確定】東北フォーラム 2026 冬 編"]


async def test_a_display_name_with_controls_is_one_line_in_mail(client, make_client, mail_settings, smtp_server):
    collector, _ = smtp_server
    await organizer(client)
    slug = await create_forum(client)
    person = await make_client()
    me = await sign_up(person, name="宮城\r\n美咲\u202e\x9b")
    assert me["display_name"] == "宮城 美咲"
    assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    await MailWorker(mail_settings).run_once()
    [message] = collector.messages()
    assert message["To"].addresses[0].display_name == "宮城 美咲"


async def test_room_names_and_topics_are_one_line_through_the_api_and_the_console(client):
    await organizer(client)
    slug = await create_forum(client)
    created = await client.post(f"/api/v1/events/{slug}/rooms", json={"name": "A\r\n室", "topic": "移住\n相談\u2028会"})
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["topic"]) == ("A 室", "移住 相談 会")
    form = {"_csrf_token": client.cookies["csrftoken"], "name": "B\r\n室", "topic": "関係人口\t\t話"}
    assert (await client.post(f"/organizer/events/{slug}/rooms", data=form)).status_code in (302, 303)
    names = {row["name"]: row["topic"] for row in await BreakoutRoom.select(BreakoutRoom.name, BreakoutRoom.topic)}
    assert names == {"A 室": "移住 相談 会", "B 室": "関係人口 話"}
    assert (await client.post(f"/api/v1/events/{slug}/rooms", json={"name": "\r\n"})).status_code == 400


async def test_profile_and_campaign_fields(client):
    me = await sign_up(client)
    profile = {
        "name": "宮城\n美咲",
        "name_kana": "みやぎ\tみさき",
        "organization": "一般社団法人\r\nわかつく",
        "prefecture": "宮城県",
        "themes": ["移住\n定住"],
        "bio": "一行目\r\n二行目\x00",
        "links": ["https://example.jp/misaki\n"],
    }
    saved = await client.put("/api/v1/me/profile", json=profile)
    assert saved.status_code == 200, saved.text
    out = (await client.get(f"/api/v1/coordinators/{me['id']}")).json()
    assert (out["name"], out["name_kana"]) == ("宮城 美咲", "みやぎ みさき")
    assert out["organization"] == "一般社団法人 わかつく"
    assert (out["themes"], out["links"], out["bio"]) == (["移住 定住"], ["https://example.jp/misaki"], "一行目\n二行目")


async def test_rows_stored_before_the_rule_are_cleaned_by_the_migration(database):
    start = utcnow() + timedelta(days=7)
    await Event.insert(Event(slug="old", title="古い\r\nタイトル", venue="会場\n", starts_at=start, ends_at=start))
    event = await Event.select(Event.id).first()
    await Account.insert(Account(email="old@example.jp", display_name="古い\r\n名前\u202e"))
    await BreakoutRoom.insert(BreakoutRoom(event=event["id"], name="古い\n部屋", topic="話題\t"))
    sys.path.insert(0, str(ROOT / "migrations"))
    try:
        migration = importlib.import_module("meetup_2026_12_02t08_30_00_000000")
    finally:
        sys.path.remove(str(ROOT / "migrations"))
    manager = await migration.forwards()
    for step in manager.raw:
        await step()
    assert await Event.select(Event.title, Event.venue).first() == {"title": "古い タイトル", "venue": "会場"}
    assert (await Account.select(Account.display_name).first())["display_name"] == "古い 名前"
    room = await BreakoutRoom.select(BreakoutRoom.name, BreakoutRoom.topic).first()
    assert room == {"name": "古い 部屋", "topic": "話題"}


def test_the_campaign_subject_schema_is_one_line():
    from meetup.followups.schemas import CampaignIn

    data = msgspec.convert({"subject": "お礼\u2028Bcc: x@example.jp\x85", "body": "本文\r\n"}, CampaignIn)
    assert (data.subject, data.body) == ("お礼 Bcc: x@example.jp", "本文\n")
