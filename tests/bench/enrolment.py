"""Enrolment burst benchmark: `python tests/bench/enrolment.py [--people 200] [--places 30] [--lanes 200]`.

For each database (SQLite always; PostgreSQL + Redis when they answer) it starts the real server
(`main.py serve`) on a fresh database holding a programme (a series with enrolment, `--places`
places, three sessions to come) and `--people` signed-in accounts, and sends every enrolment at
once (`POST /api/v1/series/{slug}/enrolment`): each lane is one keep-alive connection sending its
share back to back (`--lanes 200`: all at the same moment). Each enrolment locks the series,
takes a place or the end of the waitlist, seats the person at every session and queues the mail.
It then checks that nothing was oversold: exactly `--places` confirmed, waitlist positions
1..people-places, and every session holding exactly `--places` seats.

In the same run, the floor: a bare Litestar app whose one endpoint inserts one row with the raw
driver (asyncpg's pool, or one persistent aiosqlite connection), driven by the same lanes. It
prints both rates, the ratio, and the client's own CPU, so a saturated client is seen rather
than mistaken for a slow server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import secrets
import signal
import sys
from datetime import timedelta
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from meetup import db  # noqa: E402
from meetup.app import make_session_store  # noqa: E402
from meetup.settings import Settings  # noqa: E402
from tests.bench.registration import (  # noqa: E402
    cpu_seconds,
    drive,
    each_database,
    figures,
    free_port,
    fresh_postgres,
    serve,
    wait_until_up,
)

BARE_APP = """
import os
from datetime import UTC, datetime
import asyncio
import aiosqlite, asyncpg
from litestar import Litestar, post

url = os.environ["BARE_DATABASE_URL"]
DDL = ('CREATE TABLE IF NOT EXISTS bare_enrolment (id {key}, series INTEGER, account INTEGER, status TEXT, '
       'created_at TIMESTAMPTZ)')
state = {}
writer = asyncio.Lock()  # one aiosqlite connection: one statement and its commit at a time

@post("/enrol")
async def enrol(data: dict) -> dict:
    now = datetime.now(UTC)
    if "pool" in state:
        row = await state["pool"].fetchrow(
            "INSERT INTO bare_enrolment (series, account, status, created_at) "
            "VALUES ($1, $2, 'confirmed', $3) RETURNING id",
            1, data["person"], now)
    else:
        connection = state["sqlite"]
        async with writer:
            async with connection.execute(
                "INSERT INTO bare_enrolment (series, account, status, created_at) "
                "VALUES (?, ?, 'confirmed', ?) RETURNING id",
                (1, data["person"], now.isoformat())) as cursor:
                row = await cursor.fetchone()
            await connection.commit()
    return {"id": row[0]}

async def start():
    if url.startswith("postgres"):
        state["pool"] = pool = await asyncpg.create_pool(url, min_size=1, max_size=20)
        await pool.execute(DDL.format(key="SERIAL PRIMARY KEY"))
    else:
        state["sqlite"] = connection = await aiosqlite.connect(url.removeprefix("sqlite:///"), timeout=30)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute(DDL.format(key="INTEGER PRIMARY KEY"))

async def stop():
    if "pool" in state:
        await state["pool"].close()
    else:
        await state["sqlite"].close()

app = Litestar([enrol], on_startup=[start], on_shutdown=[stop])
"""

SLUG = "migite-bench"


async def prepare(settings: Settings, people: int, places: int) -> list[str]:
    """Migrate; a programme with `places` places and three sessions to come, and `people`
    accounts with sessions; returns the session ids."""
    from redis.asyncio import Redis

    from meetup.accounts.tables import Account
    from meetup.db import utcnow
    from meetup.events import series
    from meetup.events import service as events
    from meetup.events.schemas import EventIn, SeriesIn
    from meetup.settings import use
    from tests.factories import forum

    use(settings)
    db.configure(settings)
    await db.open_database()
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    await series.create_series(
        msgspec.convert({"title": "右腕 bench", "slug": SLUG, "enrolment": {"capacity": places}}, SeriesIn)
    )
    for week in (1, 2, 3):
        start = (utcnow() + timedelta(days=7 * week)).replace(microsecond=0)
        data = forum(series=SLUG, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=3)).isoformat())
        await events.create_event(msgspec.convert(data, EventIn), None)
    rows = await Account.insert(
        *[Account(email=f"bench{i}@example.jp", display_name=f"受講者{i}") for i in range(people)]
    ).returning(Account.id)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    store = make_session_store(settings, redis)
    sessions = []
    for row in rows:
        sid = secrets.token_hex(32)
        await store.set(sid, msgspec.json.encode({"uid": row["id"]}), expires_in=3600)
        sessions.append(sid)
    if redis is not None:
        await redis.aclose()
    await db.close_database()
    return sessions


async def check_seats(settings: Settings, places: int) -> str:
    from meetup.events.tables import Enrolment, Event, Registration

    db.configure(settings)
    confirmed = await Enrolment.count().where(Enrolment.status == "confirmed")
    seats = [
        await Registration.count().where((Registration.event == e["id"]) & (Registration.status == "confirmed"))
        for e in await Event.select(Event.id)
    ]
    ok = confirmed == places and set(seats) == {places}
    return f"{confirmed} enrolled, sessions hold {seats} seats -> {'no oversell' if ok else 'OVERSOLD'}"


async def run_meetup(settings: Settings, args: argparse.Namespace, workdir: Path) -> float:
    sessions = await prepare(settings, args.people, args.places)
    port = free_port()
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": settings.database_url,
        "MEETUP_VAR_DIR": settings.var_dir,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": settings.secret_key,
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("MEETUP_REDIS_URL", None)
    if settings.redis_url:
        env["MEETUP_REDIS_URL"] = settings.redis_url
    server = serve([sys.executable, "main.py", "serve", "--port", str(port)], ROOT, env, workdir / "meetup.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server, workdir / "meetup.log")
        async with httpx.AsyncClient(base_url=base) as probe:
            csrf = (await probe.get("/healthz")).cookies["csrftoken"]
        jobs = [({"session": sid, "csrftoken": csrf}, {"x-csrftoken": csrf}, {}) for sid in sessions]
        cpu = cpu_seconds(server.pid)
        seconds, latencies, responses, client_cpu = await drive(
            f"{base}/api/v1/series/{SLUG}/enrolment", args.lanes, jobs
        )
        cpu = cpu_seconds(server.pid) - cpu
        bodies = [r.json() for r in responses if r.status_code == 201]
        errors = len(responses) - len(bodies)
        confirmed = sum(b["status"] == "confirmed" for b in bodies)
        positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
        in_order = positions == list(range(1, args.people - args.places + 1))
        print(
            f"  enrolments: {confirmed} confirmed for {args.places} places, {len(positions)} waitlisted"
            f" ({'positions 1..N' if in_order else 'POSITIONS WRONG'}), {errors} errors; "
            + await check_seats(settings, args.places)
        )
        return figures("meetup enrolment", seconds, latencies, cpu, client_cpu)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


async def run_bare(database_url: str, args: argparse.Namespace, workdir: Path) -> float:
    (workdir / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    env = {**os.environ, "BARE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"]
    server = serve(command, workdir, env, workdir / "bare.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/", server, workdir / "bare.log")
        jobs = [({}, {}, {"person": p}) for p in range(1, args.people + 1)]
        cpu = cpu_seconds(server.pid)
        seconds, latencies, responses, client_cpu = await drive(f"{base}/enrol", args.lanes, jobs)
        cpu = cpu_seconds(server.pid) - cpu
        errors = sum(1 for r in responses if r.status_code != 201)
        if errors:
            print(f"  bare endpoint: {errors} errors")
        return figures("bare raw-driver insert", seconds, latencies, cpu, client_cpu)
    finally:
        server.terminate()
        server.wait(timeout=15)


async def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--places", type=int, default=30)
    parser.add_argument("--lanes", type=int, default=200, help="keep-alive connections sending at once")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    args = parser.parse_args()
    print(f"{args.people} concurrent enrolments for {args.places} places over {args.lanes} keep-alive lanes")
    async for label, settings, workdir, pg_url in each_database(args.only):
        print(f"\n{label}")
        rate = await run_meetup(settings, args, workdir)
        if pg_url:
            await fresh_postgres(pg_url)
        bare = await run_bare(pg_url or f"sqlite:///{workdir / 'bare.sqlite3'}", args, workdir)
        print(f"  ratio meetup / bare: {rate / bare:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
