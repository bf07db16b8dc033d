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


def forum(**overrides) -> dict:
    """A forum payload: published, online, a week from now, 10 seats, first come."""
    from datetime import timedelta

    from meetup.db import utcnow

    start = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    body = {
        "title": "東北コーディネーター・フォーラム",
        "summary": "東北内外のハブ人材が集う場",
        "description": "## 内容\n\n- 基調講演\n- ブレイクアウト",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "format": "online",
        "online_url": "https://teams.example/meet/secret-room",
        "capacity": 10,
        "registration_mode": "first_come",
        "status": "published",
    }
    body.update(overrides)
    return body


async def create_forum(organizer_client, **overrides) -> str:
    response = await organizer_client.post("/api/v1/events", json=forum(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["slug"]


async def make_accounts(n: int, prefix: str = "member") -> list[int]:
    """`n` participant accounts without passwords (fast: no hashing)."""
    from meetup.accounts.tables import Account

    rows = await Account.insert(
        *[Account(email=new_email(prefix), display_name=f"参加者 {i}") for i in range(n)]
    ).returning(Account.id)
    return [row["id"] for row in rows]


async def signed_in(make_client, user_id: int):
    """A client whose session belongs to `user_id`, made the way sign-in makes it."""
    import secrets

    import msgspec

    client = await make_client()
    store = client._transport.app.stores.get("sessions")
    session_id = secrets.token_hex(32)
    await store.set(session_id, msgspec.json.encode({"uid": user_id}), expires_in=3600)
    client.cookies.set("session", session_id, domain="testserver.local")
    return client
