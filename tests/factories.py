"""Small factories: make people and sign them in through the real API."""

from __future__ import annotations

import itertools

from meetup.accounts import service as accounts

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def new_email(prefix: str = "person") -> str:
    return f"{prefix}{next(_counter)}@example.jp"


async def sign_up(client, email: str | None = None, name: str = "東北 太郎", password: str = PASSWORD) -> dict:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": email or new_email(), "password": password, "display_name": name},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def organizer(client, email: str | None = None, password: str = PASSWORD) -> dict:
    """An organizer account, signed in on `client`."""
    email = email or new_email("organizer")
    await accounts.make_organizer(email, password, "主催 花子")
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()
