"""Unsubscribing from follow-ups: one click (RFC 8058), a visible link, a settings page.
Later campaigns skip the person; mail they need for a registration still goes."""

from urllib.parse import urlsplit

import msgspec
import pytest

from meetup.accounts import mail_preferences
from meetup.accounts.tables import MailPreference
from meetup.followups import preferences
from meetup.mail.tables import OutboxMail
from tests.factories import organizer, signed_in
from tests.followups.factories import address_of, forum_with_audience


async def campaign_mail_of(client, slug: str, uid: int) -> dict:
    created = await client.post(
        f"/api/v1/events/{slug}/campaigns", json={"subject": "お礼", "body": "ありがとう", "audience": ["confirmed"]}
    )
    await client.post(f"/api/v1/campaigns/{created.json()['id']}/send")
    return await OutboxMail.select().where((OutboxMail.kind == "campaign") & (OutboxMail.account_id == uid)).first()


def unsubscribe_path(mail: dict) -> str:
    header = msgspec.json.decode(mail["headers_json"])["List-Unsubscribe"]
    return urlsplit(header.strip("<>")).path


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_one_click_from_the_mail_header_needs_no_cookie_and_never_redirects(client, make_client, encoding):
    await organizer(client)
    forum = await forum_with_audience()
    mail = await campaign_mail_of(client, forum.event["slug"], forum.no_show)
    mailbox_provider = await make_client()
    mailbox_provider.cookies.clear()
    del mailbox_provider.headers["x-csrftoken"]
    if encoding == "urlencoded":
        response = await mailbox_provider.post(unsubscribe_path(mail), data={"List-Unsubscribe": "One-Click"})
    else:
        response = await mailbox_provider.post(unsubscribe_path(mail), files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert (await mail_preferences.preferences(forum.no_show)).followups is False
    again = await client.post(
        f"/api/v1/events/{forum.event['slug']}/campaigns",
        json={"subject": "次回のご案内", "body": "また会いましょう", "audience": ["confirmed"]},
    )
    assert again.json()["recipient_count"] == 2  # the person is skipped from now on


async def test_opening_the_link_asks_first_and_the_button_unsubscribes(client, make_client):
    await organizer(client)
    forum = await forum_with_audience()
    mail = await campaign_mail_of(client, forum.event["slug"], forum.in_room)
    browser = await make_client()
    page = await browser.get(unsubscribe_path(mail))
    assert page.status_code == 200
    assert "配信を停止する" in page.text
    # a GET (a link scanner) changes nothing
    assert (await mail_preferences.preferences(forum.in_room)).followups is True
    done = await browser.post(unsubscribe_path(mail), data={"_csrf_token": browser.cookies["csrftoken"]})
    assert done.status_code == 200
    assert "配信を停止しました" in done.text
    back = await browser.post(
        unsubscribe_path(mail) + "/resubscribe", data={"_csrf_token": browser.cookies["csrftoken"]}
    )
    assert back.status_code == 200
    assert (await mail_preferences.preferences(forum.in_room)).followups is True


async def test_transactional_mail_still_goes_after_unsubscribing(client):
    forum = await forum_with_audience()
    await mail_preferences.set_followups(forum.no_show, False, "one-click")
    email = await address_of(forum.no_show)
    response = await client.post("/api/v1/auth/magic-link", json={"email": email})
    assert response.status_code == 202
    [mail] = await OutboxMail.select().where(
        (OutboxMail.to_addr == email) & (OutboxMail.body_text.like("%/auth/magic/%"))
    )
    assert mail["kind"] == "transactional"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "99999." + token.split(".")[1],
        lambda token: "not-a-token",
        lambda token: "x" * 5000,
    ],
)
async def test_a_forged_link_is_a_404_and_changes_nothing(client, make_client, mangle):
    forum = await forum_with_audience()
    token = preferences.unsubscribe_token(forum.no_show)
    stranger = await make_client()
    stranger.cookies.clear()
    response = await stranger.post(f"/unsubscribe/{mangle(token)}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert await MailPreference.count() == 0


async def test_settings_page_and_api(client, make_client):
    forum = await forum_with_audience()
    person = await signed_in(make_client, forum.in_room)
    assert (await person.get("/api/v1/me/mail-preferences")).json()["followups"] is True
    turned = await person.put("/api/v1/me/mail-preferences", json={"followups": False})
    assert turned.status_code == 200
    assert turned.json()["followups"] is False
    page = await person.get("/me/mail")
    assert page.status_code == 200
    assert 'name="followups" checked' not in page.text
    saved = await person.post("/me/mail", data={"followups": "on", "_csrf_token": person.cookies["csrftoken"]})
    assert saved.status_code == 200
    assert (await mail_preferences.preferences(forum.in_room)).followups is True
    assert (await person.put("/api/v1/me/mail-preferences", json={"followups": "nope"})).status_code == 400
    anonymous = await make_client()
    assert (await anonymous.get("/api/v1/me/mail-preferences")).status_code == 401
