"""Organizers write a follow-up, pick who gets it, preview it, test it and send it once."""

import asyncio

import pytest

from meetup.followups import campaigns
from meetup.followups.tables import Campaign
from meetup.mail.tables import OutboxMail
from meetup.mail.worker import MailWorker
from tests.factories import organizer, sign_up
from tests.followups.factories import address_of, forum_with_audience, rename

BODY = "本日はご参加ありがとうございました。\n\n資料は [フォーラムのページ]({{ event_url }}) にあります。"


async def new_campaign(client, slug: str, **overrides) -> dict:
    payload = {"subject": "{{ event_title }} のお礼", "body": BODY, "audience": ["attended"]} | overrides
    response = await client.post(f"/api/v1/events/{slug}/campaigns", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("audience", "who"),
    [
        (["confirmed"], lambda f: f.confirmed),
        (["waitlisted"], lambda f: f.waitlisted),
        (["attended"], lambda f: [f.checked_in, f.in_room]),
        (["no_show"], lambda f: [f.no_show]),
        (["no_show", "waitlisted"], lambda f: [f.no_show, *f.waitlisted]),
    ],
)
async def test_the_audience_is_picked_by_status_and_attendance(client, audience, who):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"], audience=audience)
    assert created["recipient_count"] == len(who(forum))
    people = await campaigns.audience(forum.event["id"], audience)
    assert sorted(p.id for p in people) == sorted(who(forum))


async def test_pending_applicants_are_an_audience_too(client):
    from meetup.events import registration
    from meetup.events.schemas import RegistrationIn
    from tests.factories import create_forum, make_accounts

    await organizer(client)
    slug = await create_forum(client, registration_mode="approval")
    event = (await client.get(f"/api/v1/events/{slug}")).json()
    from meetup.events import service as events

    row = await events.event_row(slug)
    uids = await make_accounts(2)
    for uid in uids:
        await registration.register(row, uid, RegistrationIn(), [])
    assert event["registration_mode"] == "approval"
    assert (await new_campaign(client, slug, audience=["pending"]))["recipient_count"] == 2


async def test_each_mail_has_text_and_html_the_name_with_sama_and_one_click_unsubscribe(client):
    await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.checked_in, "宮城 美咲")
    created = await new_campaign(client, forum.event["slug"])
    response = await client.post(f"/api/v1/campaigns/{created['id']}/send")
    assert response.status_code == 202
    rows = {row["account_id"]: row for row in await OutboxMail.select().where(OutboxMail.kind == "campaign")}
    assert set(rows) == {forum.checked_in, forum.in_room}
    mail = rows[forum.checked_in]
    assert mail["to_addr"] == await address_of(forum.checked_in)
    assert mail["subject"] == "東北コーディネーター・フォーラム のお礼"
    assert mail["body_text"].startswith("宮城 美咲 様")
    assert f"http://testserver.local/events/{forum.event['slug']}" in mail["body_text"]
    assert "宮城 美咲 様" in mail["body_html"]
    assert f'<a href="http://testserver.local/events/{forum.event["slug"]}"' in mail["body_html"]
    import msgspec

    headers = msgspec.json.decode(mail["headers_json"])
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://testserver.local/unsubscribe/")
    assert headers["List-Unsubscribe"][1:-1] in mail["body_text"]  # the visible link too


async def test_english_speakers_get_english_around_the_body(client):
    from meetup.accounts.tables import Account

    await organizer(client)
    forum = await forum_with_audience()
    await Account.update({Account.locale: "en"}).where(Account.id == forum.checked_in)
    created = await new_campaign(client, forum.event["slug"])
    shown = (await client.get(f"/api/v1/campaigns/{created['id']}/preview?recipient={forum.checked_in}")).json()
    assert "様" not in shown["text"].splitlines()[0]
    assert "Stop follow-up mail" in shown["html"]


async def test_sending_twice_or_at_once_mails_each_person_once(client):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"], audience=["confirmed", "waitlisted"])
    sends = await asyncio.gather(*(client.post(f"/api/v1/campaigns/{created['id']}/send") for _ in range(4)))
    assert {r.status_code for r in sends} == {202}
    again = await client.post(f"/api/v1/campaigns/{created['id']}/send")
    assert again.status_code == 202
    assert await OutboxMail.count().where(OutboxMail.campaign_id == created["id"]) == 5
    state = (await client.get(f"/api/v1/campaigns/{created['id']}")).json()
    assert state["status"] == "sending"
    assert state["counts"] == {"queued": 5, "sent": 0, "failed": 0}


@pytest.mark.parametrize(
    ("field", "text", "says"),
    [
        ("body", "{{ nmae }} さん", "nmae"),
        ("subject", "{{ title }}", "title"),
        ("body", "{{ name.__class__ }}", "差し込み項目だけ"),
        ("body", "{{ name['x'] }}", "差し込み項目だけ"),
        ("body", "{{ ''.__class__.__mro__ }}", "差し込み項目だけ"),
        ("body", "{{ name|attr('__class__') }}", "差し込み項目だけ"),
        ("body", "{% for x in range(10) %}{{ x }}{% endfor %}", "差し込み項目だけ"),
        ("body", "{{ 'x' * 100000000 }}", "差し込み項目だけ"),
        ("body", "{{ lipsum() }}", "差し込み項目だけ"),
        ("body", "{{ name", "1行目"),
    ],
)
async def test_unknown_placeholders_and_template_tricks_are_a_400_and_nothing_is_stored(client, field, text, says):
    await organizer(client)
    forum = await forum_with_audience()
    payload = {"subject": "お礼", "body": BODY, "audience": ["confirmed"], field: text}
    response = await client.post(f"/api/v1/events/{forum.event['slug']}/campaigns", json=payload)
    assert response.status_code == 400, response.text
    assert says in response.json()["detail"]
    assert response.json()["extra"][0]["key"] == field
    assert await Campaign.count() == 0


async def test_names_with_markup_stay_plain_text(client):
    await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.checked_in, "<script>alert(1)</script>[x](javascript:alert(2))")
    created = await new_campaign(client, forum.event["slug"], body="こんにちは {{ name }} さん")
    shown = (await client.get(f"/api/v1/campaigns/{created['id']}/preview?recipient={forum.checked_in}")).json()
    assert "<script>" not in shown["html"]
    assert "javascript:" not in shown["html"].replace("[x](javascript:alert(2))", "")
    assert 'href="javascript' not in shown["html"]
    assert "&lt;script&gt;" in shown["html"]
    assert "こんにちは <script>alert(1)</script>[x](javascript:alert(2)) さん" in shown["text"]


async def test_preview_is_for_a_real_recipient_and_the_test_goes_to_me(client):
    me = await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.in_room, "岩手 一郎")
    created = await new_campaign(client, forum.event["slug"], body="{{ name }} さん、ありがとうございました。")
    shown = await client.get(f"/api/v1/campaigns/{created['id']}/preview?recipient={forum.in_room}")
    assert shown.status_code == 200
    assert shown.json()["to"] == await address_of(forum.in_room)
    assert "岩手 一郎 さん、ありがとうございました。" in shown.json()["text"]
    outsider = await client.get(f"/api/v1/campaigns/{created['id']}/preview?recipient={forum.no_show}")
    assert outsider.status_code == 400  # not in this audience

    tested = await client.post(f"/api/v1/campaigns/{created['id']}/test", json={})
    assert tested.status_code == 202
    assert tested.json() == {"to": me["email"]}
    [mail] = await OutboxMail.select().where(OutboxMail.to_addr == me["email"])
    assert mail["subject"].startswith("[テスト]")
    assert mail["campaign_id"] is None  # a test is not part of the campaign's progress
    assert (await client.get(f"/api/v1/campaigns/{created['id']}")).json()["status"] == "draft"


async def test_progress_counts_come_from_the_outbox_and_failures_can_be_retried(client, mail_settings, smtp_server):
    collector, _ = smtp_server
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"], audience=["confirmed"])
    await client.post(f"/api/v1/campaigns/{created['id']}/send")
    collector.reply = "550 5.1.1 mailbox unavailable"
    worker = MailWorker(mail_settings)
    await worker.run_once()
    state = (await client.get(f"/api/v1/campaigns/{created['id']}")).json()
    assert state["counts"] == {"queued": 0, "sent": 0, "failed": 3}
    log = (await client.get(f"/api/v1/campaigns/{created['id']}/deliveries")).json()
    assert {d["status"] for d in log} == {"failed"}
    assert all("550" in d["error"] for d in log)

    collector.reply = None
    retried = await client.post(f"/api/v1/campaigns/{created['id']}/retry")
    assert retried.json() == {"retried": 3}
    await worker.run_once()
    state = (await client.get(f"/api/v1/campaigns/{created['id']}")).json()
    assert state["status"] == "sent"
    assert state["counts"] == {"queued": 0, "sent": 3, "failed": 0}
    assert sorted(e.rcpt_tos[0] for e in collector.envelopes) == sorted(
        [await address_of(uid) for uid in forum.confirmed]
    )


async def test_a_draft_can_be_changed_and_a_sent_campaign_cannot(client):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"])
    changed = await client.patch(f"/api/v1/campaigns/{created['id']}", json={"audience": ["waitlisted"]})
    assert changed.status_code == 200
    assert changed.json()["recipient_count"] == 2
    await client.post(f"/api/v1/campaigns/{created['id']}/send")
    late = await client.patch(f"/api/v1/campaigns/{created['id']}", json={"subject": "訂正"})
    assert late.status_code == 409
    assert (await client.get(f"/api/v1/campaigns/{created['id']}")).json()["subject"] == "{{ event_title }} のお礼"


@pytest.mark.parametrize(
    "payload",
    [
        {"subject": "お礼", "body": BODY, "audience": ["everyone"]},
        {"subject": "お礼", "body": BODY, "audience": []},
        {"subject": "お礼", "audience": ["confirmed"]},
        {"subject": "", "body": BODY},
        {"subject": "   ", "body": BODY},
        {"subject": "x" * 1_000_000, "body": BODY},
        {"subject": "お礼", "body": "x" * 1_000_000},
        {"subject": "お礼", "body": BODY, "introductions": "yes"},
        {"subject": "お礼", "body": BODY, "extra": 1},
    ],
)
async def test_bad_campaigns_are_a_400_and_nothing_is_stored(client, payload):
    await organizer(client)
    forum = await forum_with_audience()
    response = await client.post(f"/api/v1/events/{forum.event['slug']}/campaigns", json=payload)
    assert response.status_code == 400, response.text
    assert await Campaign.count() == 0


async def test_a_subject_is_one_line_whatever_is_typed(client):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"], subject="お礼\r\nBcc: everyone@example.jp")
    await client.post(f"/api/v1/campaigns/{created['id']}/send")
    subjects = {
        row["subject"] for row in await OutboxMail.select(OutboxMail.subject).where(OutboxMail.kind == "campaign")
    }
    assert subjects == {"お礼 Bcc: everyone@example.jp"}


async def test_sending_to_nobody_and_unknown_campaigns_are_refused(client):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"], audience=["pending"])
    assert created["recipient_count"] == 0
    assert (await client.post(f"/api/v1/campaigns/{created['id']}/send")).status_code == 409
    for path in ("/api/v1/campaigns/999999", "/api/v1/campaigns/99999999999", "/api/v1/campaigns/0"):
        assert (await client.get(path)).status_code == 404
    assert (
        await client.post("/api/v1/events/no-such-forum/campaigns", json={"subject": "x", "body": "y"})
    ).status_code == 404


async def test_only_organizers_touch_campaigns(client, make_client):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"])
    anonymous = await make_client()
    participant = await make_client()
    await sign_up(participant)
    for who, code in ((anonymous, 401), (participant, 403)):
        assert (await who.get(f"/api/v1/campaigns/{created['id']}")).status_code == code
        assert (await who.post(f"/api/v1/campaigns/{created['id']}/send")).status_code == code
        assert (await who.get(f"/api/v1/campaigns/{created['id']}/preview")).status_code == code
        response = await who.post(f"/api/v1/events/{forum.event['slug']}/campaigns", json={"subject": "x", "body": "y"})
        assert response.status_code == code
    assert await OutboxMail.count().where(OutboxMail.kind == "campaign") == 0
    assert (await client.get(f"/api/v1/campaigns/{created['id']}")).json()["status"] == "draft"
