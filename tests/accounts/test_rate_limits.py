"""Guessing passwords or flooding someone's inbox with links is stopped (429), and guesses sent
all at the same moment meet the same limit as guesses sent one after another."""

import asyncio
from collections import Counter

from meetup.accounts import service
from meetup.accounts.magic_link import PER_ADDRESS as MAGIC_LINKS_PER_ADDRESS
from meetup.accounts.magic_link import PER_EMAIL as MAGIC_LINKS_PER_EMAIL
from meetup.accounts.service import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_EMAIL
from meetup.accounts.tables import Account
from meetup.mail.tables import OutboxMail
from tests.factories import PASSWORD, new_email, sign_up


def statuses(responses) -> Counter:
    return Counter(response.status_code for response in responses)


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


async def test_wrong_passwords_sent_at_the_same_moment_meet_the_same_limit(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    guessers = [await make_client(f"10.0.1.{i}") for i in range(25)]
    answers = await asyncio.gather(
        *(
            g.post("/api/v1/auth/login", json={"email": email, "password": f"guess-{i:04d}"})
            for i, g in enumerate(guessers)
        )
    )
    counted = statuses(answers)
    assert counted[401] == LOGIN_FAILURES_PER_EMAIL, counted
    assert counted[429] == 25 - LOGIN_FAILURES_PER_EMAIL, counted
    owner = await make_client("10.0.2.1")
    assert (await owner.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code == 429


async def test_guesses_from_one_client_address_at_once_meet_its_limit(make_client):
    guesser = await make_client("10.0.0.3")
    answers = await asyncio.gather(
        *(
            guesser.post("/api/v1/auth/login", json={"email": new_email(), "password": "guess-guess"})
            for _ in range(LOGIN_FAILURES_PER_ADDRESS + 10)
        )
    )
    counted = statuses(answers)
    assert counted[401] == LOGIN_FAILURES_PER_ADDRESS, counted
    assert counted[429] == 10, counted


async def test_successful_logins_are_not_counted(client, make_client):
    """A venue shares one address: people logging in there never use up its budget of guesses."""
    email = new_email()
    await sign_up(client, email=email)
    person = await make_client("10.0.0.4")
    for _ in range(LOGIN_FAILURES_PER_EMAIL + 3):
        assert (await person.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code == 200
    password_hash = await service.hash_password(PASSWORD)
    emails = [new_email("venue") for _ in range(LOGIN_FAILURES_PER_ADDRESS + 2)]
    await Account.insert(*[Account(email=e, display_name="会場の人", password_hash=password_hash) for e in emails])
    venue = await make_client("10.0.0.40")
    for address in emails:
        assert (
            await venue.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
        ).status_code == 200


async def test_magic_link_requests_are_limited_and_send_nothing_more(make_client):
    email = new_email()
    person = await make_client("10.0.0.5")
    for _ in range(MAGIC_LINKS_PER_EMAIL):
        assert (await person.post("/api/v1/auth/magic-link", json={"email": email})).status_code == 202
    assert (await person.post("/api/v1/auth/magic-link", json={"email": email})).status_code == 429
    assert await OutboxMail.count().where(OutboxMail.to_addr == email) == MAGIC_LINKS_PER_EMAIL


async def test_magic_link_requests_sent_at_once_meet_the_same_limits(make_client):
    email = new_email()
    senders = [await make_client(f"10.0.3.{i}") for i in range(25)]
    answers = await asyncio.gather(*(s.post("/api/v1/auth/magic-link", json={"email": email}) for s in senders))
    assert statuses(answers) == {202: MAGIC_LINKS_PER_EMAIL, 429: 25 - MAGIC_LINKS_PER_EMAIL}
    assert await OutboxMail.count().where(OutboxMail.to_addr == email) == MAGIC_LINKS_PER_EMAIL

    one_address = await make_client("10.0.4.1")
    answers = await asyncio.gather(
        *(
            one_address.post("/api/v1/auth/magic-link", json={"email": new_email()})
            for _ in range(MAGIC_LINKS_PER_ADDRESS + 10)
        )
    )
    assert statuses(answers) == {202: MAGIC_LINKS_PER_ADDRESS, 429: 10}


async def test_many_signups_from_one_address_are_allowed(make_client):
    """A forum venue shares one address: 30 people signing up in a row are all let in."""
    venue = await make_client("10.0.0.6")
    for i in range(30):
        response = await venue.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": PASSWORD, "display_name": f"参加者{i}"}
        )
        assert response.status_code == 201


async def test_signups_sent_at_once_meet_the_hourly_limit(make_client, monkeypatch):
    monkeypatch.setattr(service, "SIGNUPS_PER_ADDRESS_HOUR", 3)
    venue = await make_client("10.0.0.7")
    answers = await asyncio.gather(
        *(
            venue.post("/api/v1/auth/signup", json={"email": new_email(), "password": PASSWORD, "display_name": "x"})
            for _ in range(12)
        )
    )
    assert statuses(answers) == {201: 3, 429: 9}
    assert await Account.count() == 3


async def test_signups_with_an_address_in_use_count_like_failed_logins(client, make_client, monkeypatch):
    email = new_email()
    await sign_up(client, email=email)
    hashed = []
    real_hash = service.hash_password

    async def counting_hash(password: str) -> str:
        hashed.append(password)
        return await real_hash(password)

    monkeypatch.setattr(service, "hash_password", counting_hash)
    prober = await make_client("10.0.0.8")
    body = {"email": email, "password": PASSWORD, "display_name": "なりすまし"}
    answers = [await prober.post("/api/v1/auth/signup", json=body) for _ in range(60)]
    assert statuses(answers) == {409: LOGIN_FAILURES_PER_EMAIL, 429: 60 - LOGIN_FAILURES_PER_EMAIL}
    assert hashed == []  # the address was checked before any password was hashed
    # they used up the e-mail's budget of guesses: a password guess is refused too
    guess = await (await make_client("10.0.0.9")).post("/api/v1/auth/login", json={"email": email, "password": "x"})
    assert guess.status_code == 429


async def test_signups_with_an_address_in_use_sent_at_once_meet_the_limit(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    probers = [await make_client(f"10.0.5.{i}") for i in range(25)]
    body = {"email": email, "password": PASSWORD, "display_name": "なりすまし"}
    answers = await asyncio.gather(*(p.post("/api/v1/auth/signup", json=body) for p in probers))
    assert statuses(answers) == {409: LOGIN_FAILURES_PER_EMAIL, 429: 25 - LOGIN_FAILURES_PER_EMAIL}
    assert await Account.count() == 1
