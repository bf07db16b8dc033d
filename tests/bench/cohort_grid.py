"""Cohort grid benchmark: `python tests/bench/cohort_grid.py [--people 100] [--sessions 7] [--rounds 60]`.

For each database (SQLite always; PostgreSQL + Redis when they answer) it starts the real server
(`main.py serve`) on a fresh database holding a programme of `--sessions` sessions (four over,
the rest to come) and `--people` people enrolled, each checked in at some of the sessions held,
and asks for the organizer's series page (`/organizer/series/{slug}`: the form, the cohort ×
sessions grid and the applications list) `--rounds` times, one after another, printing p50 and
p95. The target: p50 under 200 ms.

In the same run, the floor: a bare Litestar app whose one page reads the same rows (the enrolled
people, the sessions, the check-ins) with the raw driver (asyncpg's pool, or one persistent
aiosqlite connection) and returns them as a tiny HTML table; it prints the same figures and the
ratio of the two p50s.
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
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.app import make_session_store  # noqa: E402
from meetup.settings import Settings  # noqa: E402
from tests.bench.registration import each_database, free_port, wait_until_up  # noqa: E402
from tests.bench.survey import serve  # noqa: E402

SLUG = "migite-grid"
TARGET_MS = 200

BARE_APP = """
import html, os
import aiosqlite, asyncpg
from litestar import Litestar, get
from litestar.response import Response

url = os.environ["BARE_DATABASE_URL"]
SQL = (
    "SELECT a.display_name AS name, e.slug AS slug, r.checked_in_at AS came FROM enrolment n "
    "JOIN account a ON a.id = n.account JOIN event e ON e.series = n.series "
    "LEFT JOIN registration r ON r.event = e.id AND r.account = n.account "
    "WHERE n.series = {p} AND n.status = 'confirmed' ORDER BY a.display_name, e.starts_at"
)
state = {}

@get("/grid")
async def grid(series: int) -> Response:
    if "pool" in state:
        rows = await state["pool"].fetch(SQL.format(p="$1"), series)
    else:
        async with state["sqlite"].execute(SQL.format(p="?"), (series,)) as cursor:
            rows = await cursor.fetchall()
    cells = {}
    for name, slug, came in rows:
        cells.setdefault(name, []).append("✓" if came else "·")
    body = "".join(
        f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{c}</td>" for c in marks) + "</tr>"
        for name, marks in cells.items()
    )
    return Response(f"<table>{body}</table>", media_type="text/html")

async def start():
    if url.startswith("postgres"):
        state["pool"] = await asyncpg.create_pool(url, min_size=1, max_size=4)
    else:
        state["sqlite"] = await aiosqlite.connect(url.removeprefix("sqlite:///"), timeout=30)

async def stop():
    if "pool" in state:
        await state["pool"].close()
    else:
        await state["sqlite"].close()

app = Litestar([grid], on_startup=[start], on_shutdown=[stop])
"""


async def prepare(settings: Settings, people: int, sessions: int) -> tuple[str, int]:
    """Migrate; the programme, its people and their attendance; (organizer session id, series id)."""
    from redis.asyncio import Redis

    from meetup.accounts.tables import Account
    from meetup.db import utcnow, write_transaction
    from meetup.events import enrolment, seats, series, tickets
    from meetup.events import service as events
    from meetup.events.schemas import EventIn, SeriesIn
    from meetup.events.tables import Event, Registration
    from meetup.settings import use
    from tests.factories import forum

    use(settings)
    db.configure(settings)
    await db.open_database()
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    rule = {"capacity": people, "min_sessions": min(5, sessions), "final_required": True}
    await series.create_series(msgspec.convert({"title": "右腕 grid", "slug": SLUG, "enrolment": rule}, SeriesIn))
    now = utcnow().replace(microsecond=0)
    slugs = []
    for number in range(sessions):
        start = now + timedelta(days=7 * (number - 4))  # four held, the rest to come
        data = forum(series=SLUG, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=3)).isoformat())
        data["title"] = f"右腕人材育成プログラム 第{number + 1}回"
        slugs.append(await events.create_event(msgspec.convert(data, EventIn), None))
    organizer = await Account.insert(
        Account(email="organizer@example.jp", display_name="事務局", role="organizer")
    ).returning(Account.id)
    rows = await Account.insert(
        *[Account(email=f"grid{i}@example.jp", display_name=f"受講者 {i:03d}") for i in range(people)]
    ).returning(Account.id)
    ids = [row["id"] for row in rows]
    programme = await enrolment.open_series(SLUG)
    for uid in ids:
        await enrolment.enrol(programme, uid)
    for number, slug in enumerate(slugs[:4]):
        event = await events.event_row(slug)
        async with write_transaction():
            await seats.seat_past_attendees(event["id"], ids, tickets.new_code)
        came = [uid for i, uid in enumerate(ids) if (i + number) % 4]  # each misses one in four
        await Registration.update({Registration.checked_in_at: event["starts_at"]}).where(
            (Registration.event == event["id"]) & Registration.account.is_in(came)
        )
    held = await Event.count().where(Event.series == programme["id"])
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    store = make_session_store(settings, redis)
    sid = secrets.token_hex(32)
    await store.set(sid, msgspec.json.encode({"uid": organizer[0]["id"]}), expires_in=3600)
    if redis is not None:
        await redis.aclose()
    await db.close_database()
    assert held == sessions
    return sid, programme["id"]


async def timed(client: httpx.AsyncClient, url: str, rounds: int, check: str) -> list[float]:
    for _ in range(5):  # warm up
        answer = await client.get(url)
        assert answer.status_code == 200 and check in answer.text, answer.text[:500]
    latencies = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = await client.get(url)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200
    return latencies


def figures(label: str, latencies: list[float]) -> float:
    cuts = statistics.quantiles(latencies, n=20)
    p50, p95 = statistics.median(latencies) * 1000, cuts[18] * 1000
    print(f"  {label:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    return p50


async def run_meetup(settings: Settings, args: argparse.Namespace, workdir: Path) -> tuple[float, int]:
    sid, series_id = await prepare(settings, args.people, args.sessions)
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
        async with httpx.AsyncClient(base_url=base, cookies={"session": sid}, timeout=60) as client:
            latencies = await timed(client, f"/organizer/series/{SLUG}", args.rounds, 'class="grid-table"')
            page = (await client.get(f"/organizer/series/{SLUG}")).text
        rows = page.count('<th scope="row" class="grid-name">')
        print(f"  the page shows {rows} people × {args.sessions} sessions ({len(page) // 1024} KiB)")
        return figures("meetup organizer series page", latencies), series_id
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


async def run_bare(database_url: str, series_id: int, args: argparse.Namespace, workdir: Path) -> float:
    (workdir / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    env = {**os.environ, "BARE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"]
    server = serve(command, workdir, env, workdir / "bare.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/", server, workdir / "bare.log")
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            latencies = await timed(client, f"/grid?series={series_id}", args.rounds, "<table>")
        return figures("bare raw-driver HTML table", latencies)
    finally:
        server.terminate()
        server.wait(timeout=15)


async def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    args = parser.parse_args()
    print(f"organizer series page: {args.people} people × {args.sessions} sessions, {args.rounds} requests each")
    async for label, settings, workdir, _pg_url in each_database(args.only):
        print(f"\n{label}")
        p50, series_id = await run_meetup(settings, args, workdir)
        bare = await run_bare(settings.database_url, series_id, args, workdir)  # the same rows, read raw
        verdict = "under" if p50 < TARGET_MS else "OVER"
        print(f"  ratio meetup / bare (p50): {p50 / bare:.1f}   target p50 < {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
