"""Guessing passwords or flooding someone's inbox with links is stopped (429)."""

from meetup.accounts.service import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_EMAIL, MAGIC_LINKS_PER_EMAIL
from meetup.mail.tables import OutboxMail
from tests.factories import PASSWORD, new_email, sign_up


async def test_failed_logins_for_one_address_are_limited(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    guesser = await make_client("10.0.0.1")
    for _ in range(LOGIN_FAILURES_PER_EMAIL):
        wrong = await guesser.post("/api/v1/auth/login", json={"email": email, "password": "guess-guess"})
        assert wrong.status_code == 401
    blocked = await guesser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers
    # the limit is on the e-mail: another machine guessing it is stopped too
    elsewhere = await make_client("10.0.0.2")
    assert (await elsewhere.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code == 429


async def test_failed_logins_from_one_client_address_are_limited(make_client):
    guesser = await make_client("10.0.0.3")
    for _ in range(LOGIN_FAILURES_PER_ADDRESS):
        response = await guesser.post("/api/v1/auth/login", json={"email": new_email(), "password": "guess-guess"})
        assert response.status_code == 401
    response = await guesser.post("/api/v1/auth/login", json={"email": new_email(), "password": "guess-guess"})
    assert response.status_code == 429


async def test_successful_logins_are_not_counted(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    person = await make_client("10.0.0.4")
    for _ in range(LOGIN_FAILURES_PER_EMAIL + 3):
        assert (await person.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code == 200


async def test_magic_link_requests_are_limited_and_send_nothing_more(make_client):
    email = new_email()
    person = await make_client("10.0.0.5")
    for _ in range(MAGIC_LINKS_PER_EMAIL):
        assert (await person.post("/api/v1/auth/magic-link", json={"email": email})).status_code == 202
    assert (await person.post("/api/v1/auth/magic-link", json={"email": email})).status_code == 429
    assert await OutboxMail.count().where(OutboxMail.to_addr == email) == MAGIC_LINKS_PER_EMAIL


async def test_many_signups_from_one_address_are_allowed(make_client):
    """A forum venue shares one address: 30 people signing up in a row are all let in."""
    venue = await make_client("10.0.0.6")
    for i in range(30):
        response = await venue.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": PASSWORD, "display_name": f"参加者{i}"}
        )
        assert response.status_code == 201
