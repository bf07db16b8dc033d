"""A newcomer gets a sign-in link by mail; it works once, within 15 minutes."""

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


async def test_a_new_address_gets_a_link_that_creates_the_account(client):
    email = new_email("newcomer")
    response = await client.post("/api/v1/auth/magic-link", json={"email": email})
    assert response.status_code == 202
    assert await Account.count().where(Account.email == email) == 0
    token = await mailed_token(email)

    opened = await client.get(f"/auth/magic/{token}", follow_redirects=False)
    assert opened.status_code in (302, 303)
    me = (await client.get("/api/v1/me")).json()
    assert me["email"] == email
    assert me["role"] == "participant"


async def test_the_link_works_only_once(client, make_client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    assert (await client.get(f"/auth/magic/{token}", follow_redirects=False)).status_code in (302, 303)
    other = await make_client()
    again = await other.get(f"/auth/magic/{token}", follow_redirects=False)
    assert again.status_code == 410
    assert (await other.get("/api/v1/me")).status_code == 401


async def test_an_expired_link_does_not_sign_in(client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    await MagicLink.update({MagicLink.expires_at: utcnow() - timedelta(seconds=1)}).where(MagicLink.email == email)
    response = await client.get(f"/auth/magic/{token}", follow_redirects=False)
    assert response.status_code == 410
    assert "期限" in response.text  # the page says why, in Japanese by default


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
    opened = await person.get(f"/auth/magic/{token}", follow_redirects=False)
    assert opened.headers["location"] == "/me"
    assert (await person.get("/api/v1/me")).json()["id"] == user["id"]


async def test_the_link_never_sends_people_off_site(client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email, "next": "//evil.example/phish"})
    token = await mailed_token(email)
    opened = await client.get(f"/auth/magic/{token}", follow_redirects=False)
    assert opened.headers["location"] == "/"


async def test_the_mail_is_in_the_recipients_language(client, make_client):
    email = new_email()
    await sign_up(client, email=email)  # locale ja by default
    await client.post("/api/v1/auth/logout")
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    mail = (await outbox.recent(to_addr=email))[0]
    assert "ログイン" in mail.subject
    assert "様" in mail.body_text
    english = new_email()
    person = await make_client()
    await person.get("/?lang=en")
    await person.post("/api/v1/auth/magic-link", json={"email": english})
    assert "sign-in link" in (await outbox.recent(to_addr=english))[0].subject
