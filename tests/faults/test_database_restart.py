"""PostgreSQL restarted while people register and chat: requests fail cleanly (503 with
Retry-After, never a 500) and the app recovers by itself once the database is back."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from meetup.mail.tables import OutboxMail
from tests.conftest import TEST_DATABASE_URL
from tests.factories import create_forum, make_accounts, organizer, signed_in

CLUSTERS = Path("/etc/postgresql")

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and shutil.which("pg_ctlcluster") and CLUSTERS.is_dir() and os.geteuid() == 0),
    reason="needs the PostgreSQL service and its pg_ctlcluster (make test's PostgreSQL pass)",
)


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
