"""A draft forum's page for organizers has a clear "公開する" button; a published one can go back
to draft (registrations kept, nobody mailed); a called-off forum cannot be published."""

from __future__ import annotations

from meetup.events.tables import Event
from meetup.mail.tables import OutboxMail
from tests.factories import create_forum, organizer, sign_up


async def status_of(slug: str) -> str:
    return (await Event.select(Event.status).where(Event.slug == slug).first())["status"]


async def test_the_publish_button_publishes_a_draft(client, make_client):
    await organizer(client)
    slug = await create_forum(client, title="準備中のフォーラム", status="draft")
    visitor = await make_client()
    assert (await visitor.get(f"/events/{slug}")).status_code == 404

    page = (await client.get(f"/organizer/events/{slug}")).text
    assert "このフォーラムは下書きです" in page
    form = page[page.index(f'action="/organizer/events/{slug}/publish"') :]
    assert 'name="_csrf_token"' in form[: form.index("</form>")]
    assert "公開する</button>" in form[: form.index("</form>")]
    assert "申込の受付もすぐに始まります" in page  # what will happen, said before pressing

    response = await client.post(f"/organizer/events/{slug}/publish", data={"_csrf_token": client.cookies["csrftoken"]})
    assert response.status_code == 303 and response.headers["location"] == f"/organizer/events/{slug}"
    assert await status_of(slug) == "published"
    assert "準備中のフォーラム" in (await visitor.get("/events")).text
    page = (await client.get(f"/organizer/events/{slug}")).text
    assert f'action="/organizer/events/{slug}/publish"' not in page
    assert f'action="/organizer/events/{slug}/unpublish"' in page and "非公開に戻す" in page


async def test_publishing_needs_the_csrf_token_and_an_organizer(client, make_client):
    await organizer(client)
    slug = await create_forum(client, status="draft")
    stranger = await make_client()
    del stranger.headers["x-csrftoken"]
    assert (await stranger.post(f"/organizer/events/{slug}/publish")).status_code == 403
    participant = await make_client()
    await sign_up(participant)
    assert (await participant.post(f"/organizer/events/{slug}/publish")).status_code == 403
    assert await status_of(slug) == "draft"


async def test_back_to_draft_keeps_registrations_and_mails_nobody(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    person = await make_client()
    await sign_up(person)
    assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    mails = await OutboxMail.count()
    response = await client.post(f"/organizer/events/{slug}/unpublish", data={})
    assert response.status_code == 303
    assert await status_of(slug) == "draft"
    assert await OutboxMail.count() == mails
    assert (await person.get(f"/api/v1/events/{slug}")).status_code == 404
    assert (await client.post(f"/organizer/events/{slug}/publish", data={})).status_code == 303
    assert (await person.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "confirmed"


async def test_a_called_off_forum_is_not_published_again(client):
    await organizer(client)
    slug = await create_forum(client)
    await client.patch(f"/api/v1/events/{slug}", json={"status": "cancelled"})
    page = (await client.get(f"/organizer/events/{slug}")).text
    assert "/publish" not in page and "/unpublish" not in page
    refused = await client.post(f"/organizer/events/{slug}/publish", data={})
    assert refused.status_code == 409 and 'class="alert"' in refused.text
    assert await status_of(slug) == "cancelled"
    assert (await client.post("/organizer/events/no-such-forum/publish", data={})).status_code == 404


async def test_the_publish_panel_says_when_registration_opens(client):
    from datetime import timedelta

    from meetup.db import utcnow

    await organizer(client)
    opens = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    later = await create_forum(client, status="draft", registration_opens_at=opens.isoformat())
    page = (await client.get(f"/organizer/events/{later}")).text
    assert "申込受付は" in page and "に始まります" in page
    assert "申込の受付もすぐに始まります" not in page
    earlier = await create_forum(
        client, status="draft", registration_opens_at=(utcnow() - timedelta(days=1)).isoformat()
    )
    assert "申込の受付もすぐに始まります" in (await client.get(f"/organizer/events/{earlier}")).text
