"""PostgreSQL restarted while people register and chat: requests fail cleanly (503 with
Retry-After, never a 500), room sockets stay open and refuse a line they cannot store, and the
app recovers by itself once the database is back."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from meetup import db
from meetup.mail.tables import OutboxMail
from tests.conftest import TEST_DATABASE_URL
from tests.factories import create_forum, make_accounts, organizer, signed_in
from tests.rooms.conftest import frame, frame_of
from tests.rooms.factories import forum_with_people, room_in

CLUSTERS = Path("/etc/postgresql")

pytestmark = [
    pytest.mark.skipif(
        not (TEST_DATABASE_URL and shutil.which("pg_ctlcluster") and CLUSTERS.is_dir() and os.geteuid() == 0),
        reason="needs the PostgreSQL service and its pg_ctlcluster (make test's PostgreSQL pass)",
    ),
    pytest.mark.serial,  # it restarts the PostgreSQL every other test is using
]


def cluster(action: str) -> None:
    version = sorted(p.name for p in CLUSTERS.iterdir())[0]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


async def until_ready(client, path: str = "/healthz", seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        if (await client.get(path)).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the app did not recover")


async def test_a_database_restart_fails_cleanly_and_the_app_recovers(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=50)
    people = [await signed_in(make_client, uid) for uid in await make_accounts(3)]
    assert (await people[0].post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201

    cluster("stop")
    try:
        down = [
            await people[1].post(f"/api/v1/events/{slug}/registration", json={}),
            await people[1].get(f"/api/v1/events/{slug}"),
            await people[1].get("/events", headers={"accept": "text/html"}),
        ]
        health = await client.get("/healthz")
    finally:
        cluster("start")
    for answer in down:
        assert answer.status_code == 503, (answer.request.url, answer.status_code, answer.text[:200])
        assert answer.headers["retry-after"] == "5"
    assert "しばらく" in down[2].text or "一時的" in down[2].text  # a page for people, in Japanese
    assert health.status_code == 503

    await until_ready(client)
    for _ in range(50):  # the pool may still hand out a connection that died in the restart
        again = await people[1].post(f"/api/v1/events/{slug}/registration", json={})
        if again.status_code != 503:
            break
        await asyncio.sleep(0.1)
    assert again.status_code == 201, again.text
    assert (await people[2].post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    mine = await people[1].get(f"/api/v1/events/{slug}/registration")
    assert mine.json()["status"] == "confirmed"  # the refused attempt stored nothing; the retry did
    assert await OutboxMail.count() == 3  # one confirmation each: nothing lost, nothing doubled


async def test_people_chatting_through_a_database_restart_keep_their_sockets_and_lose_no_line(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    alice, bob = await live.connect(room_id, a), await live.connect(room_id, b)
    await frame_of(alice, "hello"), await frame_of(bob, "hello")
    await alice.send('{"type":"say","body":"before the restart","client_id":"k0"}')
    await frame_of(bob, "message")

    cluster("stop")
    try:
        await alice.send('{"type":"say","body":"while it restarts","client_id":"k1"}')
        refused = await frame_of(alice, "error", timeout=15)
        assert refused["code"] == "unavailable"  # nothing stored: send it again later
        await alice.send('{"type":"ping"}')
        assert (await frame_of(alice, "pong")).get("type") == "pong"  # the socket lives on
    finally:
        cluster("start")
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        await until_ready(http)
    got = None
    for _ in range(50):  # the pool may still hand out a connection that died in the restart
        await alice.send('{"type":"say","body":"while it restarts","client_id":"k1"}')
        answer = await frame(alice, timeout=15)
        while answer["type"] not in ("message", "error"):
            answer = await frame(alice, timeout=15)
        if answer["type"] == "message":
            got = answer
            break
        await asyncio.sleep(0.2)
    assert got is not None and got["body"] == "while it restarts"
    assert (await frame_of(bob, "message"))["body"] == "while it restarts"
    await alice.send('{"type":"say","body":"while it restarts","client_id":"k1"}')  # a late resend
    await frame_of(alice, "message")
    history = await live.connect(room_id, b, after=0)
    bodies = [m["body"] for m in (await frame_of(history, "hello"))["history"]]
    assert bodies == ["before the restart", "while it restarts"]  # stored once
    for ws in (alice, bob, history):
        await ws.close()
    pool = db.engine().pool
    for _ in range(50):  # the sockets' handlers finish; every pooled connection comes back
        if pool.get_idle_size() == pool.get_size():
            break
        await asyncio.sleep(0.1)
    assert pool.get_idle_size() == pool.get_size()  # none kept by a transaction that failed to BEGIN
