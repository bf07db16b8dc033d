"""Survey burst benchmark: `python tests/bench/survey.py [--people 1000] [--lanes 1000] [--twice 20]`.

For each database (SQLite always; PostgreSQL + Redis when they answer) it starts the real server
(`main.py serve`) on a fresh database with a forum of `--people` confirmed registrants and an
open survey, and submits every registrant's response at once: each lane is one keep-alive
connection sending its share back to back (`--lanes 1000`: all 1,000 at the same moment; fewer
lanes measure a saturated server). Every pair of people names each other, and `--twice` people
send theirs twice at the same moment. It then checks that every response is stored once, each
duplicate answered 200, and every pair tied once.

In the same run, the baseline: a bare Litestar app whose one endpoint inserts the same row
(`survey_response`, the same unique index, ON CONFLICT DO NOTHING) with the raw driver (asyncpg's
pool, or one aiosqlite connection), driven by the same lanes. It prints both rates, the ratio,
and the client's own CPU, so a saturated client is seen rather than mistaken for a slow server.
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
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

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
DDL = ('CREATE TABLE IF NOT EXISTS survey_response (id {key}, survey INTEGER, account INTEGER, '
       'answers_json TEXT, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ)',
       'CREATE UNIQUE INDEX IF NOT EXISTS bare_uq ON survey_response (survey, account)')
state = {}
writer = asyncio.Lock()  # one aiosqlite connection: one statement and its commit at a time

@post("/response")
async def response(data: dict) -> dict:
    now = datetime.now(UTC)
    answers = str(data["answers"])
    if "pool" in state:
        row = await state["pool"].fetchrow(
            "INSERT INTO survey_response (survey, account, answers_json, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (survey, account) DO NOTHING RETURNING id",
            1, data["person"], answers, now)
    else:
        connection = state["sqlite"]
        async with writer:
            async with connection.execute(
                "INSERT INTO survey_response (survey, account, answers_json, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (survey, account) DO NOTHING RETURNING id",
                (1, data["person"], answers, now.isoformat(), now.isoformat())) as cursor:
                row = await cursor.fetchone()
            await connection.commit()
    return {"id": row[0] if row else None}

async def start():
    if url.startswith("postgres"):
        state["pool"] = pool = await asyncpg.create_pool(url, min_size=1, max_size=20)
        for statement in DDL:
            await pool.execute(statement.format(key="SERIAL PRIMARY KEY"))
    else:
        state["sqlite"] = connection = await aiosqlite.connect(url.removeprefix("sqlite:///"), timeout=30)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA synchronous=NORMAL")
        for statement in DDL:
            await connection.execute(statement.format(key="INTEGER PRIMARY KEY"))

async def stop():
    if "pool" in state:
        await state["pool"].close()
    else:
        await state["sqlite"].close()

app = Litestar([response], on_startup=[start], on_shutdown=[stop])
"""


class Submission(msgspec.Struct):
    person: int  # the account id
    session: str
    body: dict


async def prepare(settings: Settings, people: int) -> tuple[str, list[Submission]]:
    """Migrate; a forum with `people` confirmed registrants (sessions made) and an open survey."""
    from redis.asyncio import Redis

    from meetup.accounts.tables import Account
    from meetup.events import service as events
    from meetup.events import tickets
    from meetup.events.schemas import EventIn
    from meetup.events.tables import Event, Registration
    from meetup.settings import use
    from meetup.surveys import service as surveys
    from meetup.surveys.schemas import SurveyIn
    from tests.factories import forum
    from tests.surveys.factories import QUESTIONS

    use(settings)
    db.configure(settings)
    await db.open_database()
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    slug = await events.create_event(msgspec.convert(forum(capacity=people), EventIn), None)
    event = await events.event_row(slug)
    rows = await Account.insert(
        *[Account(email=f"bench{i}@example.jp", display_name=f"参加者{i}") for i in range(people)]
    ).returning(Account.id)
    ids = [row["id"] for row in rows]
    for start in range(0, people, 200):  # confirmed seats, written directly: the bench is about the survey
        await Registration.insert(
            *[
                Registration(event=event["id"], account=uid, status="confirmed", ticket_code=tickets.new_code())
                for uid in ids[start : start + 200]
            ]
        )
    await Event.update({Event.confirmed_count: people}).where(Event.id == event["id"])
    await surveys.save_survey(event, msgspec.convert({"questions": QUESTIONS, "open": True}, SurveyIn))
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    store = make_session_store(settings, redis)
    submissions = []
    for index, uid in enumerate(ids):
        sid = secrets.token_hex(32)
        await store.set(sid, msgspec.json.encode({"uid": uid}), expires_in=3600)
        partner = ids[index ^ 1] if index ^ 1 < people else ids[0]
        answers = {"satisfaction": index % 5 + 1, "comment": f"感想 {index}", "met": [partner]}
        submissions.append(Submission(uid, sid, {"answers": answers}))
    if redis is not None:
        await redis.aclose()
    await db.close_database()
    return slug, submissions


async def check_stored(settings: Settings, people: int) -> str:
    from meetup.coordinators.tables import Tie
    from meetup.surveys.tables import SurveyPick, SurveyResponse

    db.configure(settings)
    responses = await SurveyResponse.count()
    distinct = len({r["account"] for r in await SurveyResponse.select(SurveyResponse.account)})
    picks = await SurveyPick.count()
    ties = await Tie.count().where(Tie.kind == "survey")
    ok = responses == distinct == picks == people and ties == people // 2
    return f"{responses} responses ({distinct} people), {picks} picks, {ties} survey ties -> {'OK' if ok else 'WRONG'}"


async def run_meetup(settings: Settings, args: argparse.Namespace, workdir: Path) -> float:
    slug, submissions = await prepare(settings, args.people)
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
        jobs = [
            ({"session": s.session, "csrftoken": csrf}, {"x-csrftoken": csrf}, s.body)
            for s in [*submissions, *submissions[: args.twice]]
        ]
        cpu = cpu_seconds(server.pid)
        seconds, latencies, responses, client_cpu = await drive(
            f"{base}/api/v1/events/{slug}/survey/response", args.lanes, jobs
        )
        cpu = cpu_seconds(server.pid) - cpu
        statuses = [r.status_code for r in responses]
        print(
            f"  answers: {statuses.count(201)} created, {statuses.count(200)} replaced, "
            f"{len(statuses) - statuses.count(201) - statuses.count(200)} errors; "
            + await check_stored(settings, args.people)
        )
        return figures("meetup survey response", seconds, latencies, cpu, client_cpu)
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
        people = list(range(1, args.people + 1))
        jobs = [
            ({}, {}, {"person": p, "answers": {"satisfaction": p % 5 + 1}}) for p in [*people, *people[: args.twice]]
        ]
        cpu = cpu_seconds(server.pid)
        seconds, latencies, responses, client_cpu = await drive(f"{base}/response", args.lanes, jobs)
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
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--lanes", type=int, default=1000, help="keep-alive connections sending at once")
    parser.add_argument("--twice", type=int, default=20, help="people who send their response twice at once")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    args = parser.parse_args()
    print(f"{args.people} survey responses (+{args.twice} sent twice) over {args.lanes} keep-alive lanes")
    async for label, settings, workdir, pg_url in each_database(args.only):
        print(f"\n{label}")
        rate = await run_meetup(settings, args, workdir)
        if pg_url:
            await fresh_postgres(pg_url)
        bare = await run_bare(pg_url or f"sqlite:///{workdir / 'bare.sqlite3'}", args, workdir)
        print(f"  ratio meetup / bare: {rate / bare:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
