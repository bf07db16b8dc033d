"""A newcomer gets a sign-in link by mail. Opening it only shows a button (mail scanners open
links); pressing the button signs in, once, within 15 minutes."""

import asyncio
import re
from datetime import timedelta

from meetup.accounts.tables import Account, MagicLink
from meetup.db import utcnow
from meetup.mail import outbox
from tests.factories import new_email, sign_up

LINK = re.compile(r"http://testserver\.local/auth/magic/([A-Za-z0-9_\-]+)")


async def mailed_token(email: str) -> str:
    mails = await outbox.recent(to_addr=email)
    assert mails, f"no mail to {email}"
    match = LINK.search(mails[0].body_text)
    assert match, mails[0].body_text
    assert match.group(0) in mails[0].body_html
    return match.group(1)


def main_part(page) -> str:
    return page.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]


async def press(client, token: str, **fields: str):
    """Press the button on the link's page, as the browser would (the form's CSRF token)."""
    return await client.post(
        f"/auth/magic/{token}",
        data={"_csrf_token": client.cookies["csrftoken"], **fields},
        follow_redirects=False,
    )


async def test_opening_the_link_signs_nobody_in_and_shows_one_button(client):
    email = new_email("newcomer")
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)

    for _ in range(3):  # a mail scanner, a preview pane, the person
        page = await client.get(f"/auth/magic/{token}", follow_redirects=False)
        assert page.status_code == 200
        assert main_part(page).count("<button") == 1
        assert '<form method="post" class="stack">' in main_part(page)  # it posts to the link itself
    assert (await client.get("/api/v1/me")).status_code == 401
    assert await Account.count().where(Account.email == email) == 0
    assert (await MagicLink.select(MagicLink.used_at).first())["used_at"] is None


async def test_pressing_the_button_creates_the_account_and_signs_in(client):
    email = new_email("newcomer")
    response = await client.post("/api/v1/auth/magic-link", json={"email": email})
    assert response.status_code == 202
    token = await mailed_token(email)

    pressed = await press(client, token)
    assert pressed.status_code == 303
    me = (await client.get("/api/v1/me")).json()
    assert me["email"] == email
    assert me["role"] == "participant"


async def test_the_button_needs_the_csrf_token(client):
    """A page elsewhere cannot sign a visitor into the attacker's account (login CSRF)."""
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    del client.headers["x-csrftoken"]
    forged = await client.post(f"/auth/magic/{token}", follow_redirects=False)
    assert forged.status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await MagicLink.select(MagicLink.used_at).first())["used_at"] is None


async def test_the_link_works_only_once(client, make_client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    assert (await press(client, token)).status_code == 303
    other = await make_client()
    page = await other.get(f"/auth/magic/{token}")
    assert page.status_code == 410
    assert "使用済み" in page.text
    again = await press(other, token)
    assert again.status_code == 410
    assert (await other.get("/api/v1/me")).status_code == 401


async def test_pressed_twice_at_once_signs_in_once(client, make_client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    people = [await make_client() for _ in range(5)]
    answers = await asyncio.gather(*(press(person, token) for person in people))
    assert sorted(a.status_code for a in answers) == [303, 410, 410, 410, 410]
    assert await Account.count().where(Account.email == email) == 1


async def test_an_expired_link_says_so_and_does_not_sign_in(client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    await MagicLink.update({MagicLink.expires_at: utcnow() - timedelta(seconds=1)}).where(MagicLink.email == email)
    page = await client.get(f"/auth/magic/{token}")
    assert page.status_code == 410
    assert "期限" in page.text  # the page says why, in Japanese by default
    assert 'href="/magic-link"' in page.text  # and how to get a new one
    assert "<button" not in main_part(page)
    assert (await press(client, token)).status_code == 410
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_known_and_unknown_addresses_get_the_same_answer(client, make_client):
    known = new_email()
    await sign_up(client, email=known)
    person = await make_client()
    a = await person.post("/api/v1/auth/magic-link", json={"email": known})
    b = await person.post("/api/v1/auth/magic-link", json={"email": new_email()})
    assert a.status_code == b.status_code == 202
    assert a.json() == b.json()


async def test_the_link_signs_into_the_existing_account_and_goes_where_asked(client, make_client):
    email = new_email()
    user = await sign_up(client, email=email)
    person = await make_client()
    await person.post("/api/v1/auth/magic-link", json={"email": email, "next": "/me"})
    token = await mailed_token(email)
    page = await person.get(f"/auth/magic/{token}")
    assert 'name="display_name"' not in page.text  # the account has its name already
    pressed = await press(person, token, display_name="別の名前")
    assert pressed.headers["location"] == "/me"
    me = (await person.get("/api/v1/me")).json()
    assert me["id"] == user["id"]
    assert me["display_name"] == user["display_name"]


async def test_the_link_never_sends_people_off_site(client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email, "next": "//evil.example/phish"})
    token = await mailed_token(email)
    assert (await press(client, token)).headers["location"] == "/"


async def test_the_mail_is_in_the_recipients_language(client, make_client):
    email = new_email()
    await sign_up(client, email=email)  # locale ja by default
    await client.post("/api/v1/auth/logout")
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    mail = (await outbox.recent(to_addr=email))[0]
    assert "ログイン" in mail.subject
    assert "様" in mail.body_text
    assert "ボタン" in mail.body_text  # opening the link is not enough: it says to press the button
    english = new_email()
    person = await make_client()
    await person.get("/?lang=en")
    await person.post("/api/v1/auth/magic-link", json={"email": english})
    mail = (await outbox.recent(to_addr=english))[0]
    assert "sign-in link" in mail.subject
    assert "press the button" in mail.body_text
