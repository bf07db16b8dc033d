"""The organizer's campaign pages: write, preview for a real recipient, test, send, watch, retry."""

import re

from meetup import demo
from meetup.events import service as events
from meetup.followups import campaigns
from meetup.followups.tables import Campaign
from meetup.mail.tables import OutboxMail
from tests.factories import organizer, sign_up
from tests.followups.factories import forum_with_audience, rename


def form(client, **values) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **values}


async def test_an_organizer_writes_previews_tests_and_sends_a_follow_up(client):
    me = await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.in_room, "岩手 一郎")
    slug = forum.event["slug"]
    page = await client.get(f"/organizer/events/{slug}/campaigns")
    assert page.status_code == 200
    assert "フォローアップメール" in page.text
    assert re.search(r"参加した人.*\(2\)", page.text)  # audience sizes beside each choice

    created = await client.post(
        f"/organizer/events/{slug}/campaigns",
        data=form(
            client, subject="ご参加ありがとうございました", body="{{ name }} さん、資料です。", audience="attended"
        ),
    )
    assert created.status_code == 303
    campaign_path = created.headers["location"].split("?")[0]
    draft = await client.get(f"{campaign_path}?recipient={forum.in_room}")
    assert draft.status_code == 200
    assert "岩手 一郎 さん、資料です。" in draft.text  # the preview, for that real person
    assert 'sandbox srcdoc="' in draft.text

    tested = await client.post(f"{campaign_path}/test", data=form(client))
    assert tested.status_code == 303
    assert await OutboxMail.count().where(OutboxMail.to_addr == me["email"]) == 1

    sent = await client.post(f"{campaign_path}/send", data=form(client))
    assert sent.status_code == 303
    progress = await client.get(campaign_path)
    assert 'data-campaign-progress="/api/v1/campaigns/' in progress.text
    assert 'data-count="queued">2<' in progress.text
    assert "岩手 一郎" in progress.text  # the delivery log


async def test_a_bad_placeholder_in_the_form_is_shown_on_the_page_and_nothing_is_saved(client):
    await organizer(client)
    forum = await forum_with_audience()
    response = await client.post(
        f"/organizer/events/{forum.event['slug']}/campaigns",
        data=form(client, subject="お礼", body="{{ nmae }} さん", audience="confirmed"),
    )
    assert response.status_code == 400
    assert "nmae" in response.text
    assert "{{ nmae }} さん" in response.text  # what was typed is kept
    assert await Campaign.count() == 0
    empty = await client.post(
        f"/organizer/events/{forum.event['slug']}/campaigns", data=form(client, subject="お礼", body="本文")
    )
    assert empty.status_code == 400  # no audience ticked
    assert await Campaign.count() == 0


async def test_what_people_wrote_is_escaped_on_the_campaign_pages(client):
    await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.checked_in, '<img src=x onerror="alert(1)">')
    created = await client.post(
        f"/organizer/events/{forum.event['slug']}/campaigns",
        data=form(client, subject="<script>alert(2)</script>", body="こんにちは {{ name }}", audience="attended"),
    )
    path = created.headers["location"].split("?")[0]
    for page in (await client.get(path), await client.get(f"/organizer/events/{forum.event['slug']}/campaigns")):
        assert "<script>alert(2)" not in page.text
        assert '<img src=x onerror="alert(1)">' not in page.text


async def test_only_organizers_see_the_campaign_pages(client, make_client):
    await organizer(client)
    forum = await forum_with_audience()
    participant = await make_client()
    await sign_up(participant)
    assert (await participant.get(f"/organizer/events/{forum.event['slug']}/campaigns")).status_code == 403
    assert (await client.get("/organizer/campaigns/424242")).status_code == 404


async def test_the_demo_has_a_draft_follow_up_to_try(database):
    await demo.load_demo()
    await demo.load_demo()
    forum = await events.event_row("coordinator-forum-next")
    [draft] = await campaigns.campaigns_of(forum["id"])
    assert draft.status == "draft"
    assert draft.recipient_count > 0
    shown = await campaigns.preview(draft.id)
    assert "様" in shown.text
    assert "/stay-in-touch/" in shown.html  # the sample participants share themes
