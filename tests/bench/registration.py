"""Registration burst benchmark: `python tests/bench/registration.py [--people 1000] [--seats 100]`.

For each database (SQLite always; PostgreSQL + Redis when they answer) it starts the real server
(`main.py serve`) on a fresh database, signs in `--people` accounts, fires all their
registrations at once for `--seats` seats over HTTP, and checks nothing was oversold. In the
same run it starts a bare Litestar app whose one endpoint inserts one row (the floor), fires the
same burst at it, and prints both rates and the ratio.
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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.app import make_session_store  # noqa: E402
from meetup.settings import Settings  # noqa: E402
from tests.services import reachable  # noqa: E402

PG_URL = os.environ.get("MEETUP_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/meetup_bench")
REDIS_URL = os.environ.get("MEETUP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

BARE_APP = """
import os
from litestar import Litestar, post
from piccolo.columns import Integer, Varchar
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

url = os.environ["BARE_DATABASE_URL"]
engine = PostgresEngine(config={"dsn": url}) if url.startswith("postgres") else SQLiteEngine(
    path=url.removeprefix("sqlite:///"), timeout=30)

class BenchRow(Table, tablename="bench_row", db=engine):
    person = Varchar(length=40)
    n = Integer()

@post("/insert")
async def insert(data: dict) -> dict:
    rows = await BenchRow.insert(BenchRow(person=str(data["person"]), n=1)).returning(BenchRow.id)
    return {"id": rows[0]["id"]}

async def start():
    await BenchRow.create_table(if_not_exists=True)
    if engine.engine_type == "postgres":
        await engine.start_connection_pool(min_size=1, max_size=20)
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")

async def stop():
    if engine.engine_type == "postgres":
        await engine.close_connection_pool()

app = Litestar([insert], on_startup=[start], on_shutdown=[stop])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def burst(requests: list[tuple[httpx.AsyncClient, str, dict]]) -> tuple[float, list[float], list]:
    """Fire every request at once; (seconds, latencies, responses)."""
    latencies: list[float] = []

    async def one(client: httpx.AsyncClient, url: str, body: dict):
        started = time.perf_counter()
        response = await client.post(url, json=body)
        latencies.append(time.perf_counter() - started)
        return response

    started = time.perf_counter()
    responses = await asyncio.gather(*(one(c, u, b) for c, u, b in requests))
    return time.perf_counter() - started, latencies, responses


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def figures(label: str, seconds: float, latencies: list[float], cpu: float) -> float:
    rate = len(latencies) / seconds
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"  {label:<28} {rate:8.1f} req/s   p50 {cuts[49] * 1000:7.1f} ms   p99 {cuts[98] * 1000:7.1f} ms"
        f"   server CPU {cpu / len(latencies) * 1000:5.2f} ms/req ({cpu / seconds:.0%} of a core)"
    )
    return rate


async def prepare(settings: Settings, people: int, seats: int) -> tuple[str, list[str]]:
    """Migrate, make an organizer's forum and `people` accounts with sessions; (slug, session ids)."""
    from redis.asyncio import Redis

    from meetup.accounts.tables import Account
    from meetup.events import service as events
    from meetup.events.schemas import EventIn
    from meetup.settings import use
    from tests.factories import forum

    use(settings)
    db.configure(settings)
    await db.open_database()
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    slug = await events.create_event(msgspec.convert(forum(capacity=seats), EventIn), None)
    rows = await Account.insert(
        *[Account(email=f"bench{i}@example.jp", display_name=f"参加者{i}") for i in range(people)]
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
    return slug, sessions


async def run_meetup(settings: Settings, people: int, seats: int, workdir: Path) -> float:
    slug, sessions = await prepare(settings, people, seats)
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
    log = workdir / "meetup.log"
    command = [sys.executable, "main.py", "serve", "--port", str(port)]
    if os.environ.get("MEETUP_BENCH_PROFILE"):  # e.g. /tmp/reg: py-spy writes /tmp/reg-<db>.txt
        out = f"{os.environ['MEETUP_BENCH_PROFILE']}-{settings.database_url.split(':')[0]}.txt"
        command = ["py-spy", "record", "--rate", "300", "--format", "raw", "-o", out, "--", *command]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server, log)
        limits = httpx.Limits(max_connections=people, max_keepalive_connections=people)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as probe:
            csrf = (await probe.get("/healthz")).cookies["csrftoken"]
        clients = [
            httpx.AsyncClient(
                base_url=base,
                timeout=120,
                cookies={"session": sid, "csrftoken": csrf},
                headers={"x-csrftoken": csrf},
            )
            for sid in sessions
        ]
        cpu = cpu_seconds(server.pid)
        seconds, latencies, responses = await burst([(c, f"/api/v1/events/{slug}/registration", {}) for c in clients])
        cpu = cpu_seconds(server.pid) - cpu
        for client in clients:
            await client.aclose()
        statuses = [r.json().get("status") for r in responses if r.status_code == 201]
        errors = sum(1 for r in responses if r.status_code != 201)
        confirmed = statuses.count("confirmed")
        positions = sorted(r.json()["waitlist_position"] for r in responses if r.json().get("status") == "waitlisted")
        ok = confirmed == seats and positions == list(range(1, people - seats + 1)) and not errors
        print(
            f"  registrations: {confirmed} confirmed for {seats} seats, {len(positions)} waitlisted, "
            f"{errors} errors -> {'no oversell, positions 1..N' if ok else 'WRONG'}"
        )
        return figures("meetup registration", seconds, latencies, cpu)
    finally:
        server.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly; py-spy writes its profile
        server.wait(timeout=60)


async def run_bare(database_url: str, people: int, workdir: Path) -> float:
    app_file = workdir / "bare_app.py"
    app_file.write_text(BARE_APP)
    port = free_port()
    env = {**os.environ, "BARE_DATABASE_URL": database_url}
    log = workdir / "bare.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"],
        cwd=workdir,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/", server, log)
        clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(people)]
        cpu = cpu_seconds(server.pid)
        seconds, latencies, responses = await burst([(c, "/insert", {"person": i}) for i, c in enumerate(clients)])
        cpu = cpu_seconds(server.pid) - cpu
        for client in clients:
            await client.aclose()
        errors = sum(1 for r in responses if r.status_code != 201)
        if errors:
            print(f"  bare endpoint: {errors} errors")
        return figures("bare Litestar insert", seconds, latencies, cpu)
    finally:
        server.terminate()
        server.wait(timeout=15)


async def each_database(only: str | None) -> AsyncIterator[tuple[str, Settings, Path, str | None]]:
    """(label, the app's settings, a work folder, the PostgreSQL URL or None) for SQLite and, when
    they answer, PostgreSQL + Redis, each on a fresh database; `only` ("sqlite" / "postgres") keeps one."""
    targets: list[tuple[str, str | None]] = [("SQLite", None)] if only != "postgres" else []
    if only != "sqlite":
        if await reachable(PG_URL.rsplit("/", 1)[0] + "/postgres", REDIS_URL):
            targets.append(("PostgreSQL + Redis", PG_URL))
        else:
            print("PostgreSQL or Redis not reachable: SQLite only")
    for label, pg_url in targets:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            if pg_url:
                await fresh_postgres(pg_url)
            settings = Settings(
                database_url=pg_url or f"sqlite:///{workdir / 'meetup.sqlite3'}",
                redis_url=REDIS_URL if pg_url else None,
                env="test",
                secret_key="bench-secret",
                var_dir=str(workdir / "var"),
            )
            yield label, settings, workdir, pg_url


async def fresh_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    args = parser.parse_args()
    targets = [("SQLite", None)] if args.only != "postgres" else []
    if args.only == "sqlite":
        pass
    elif await reachable(PG_URL.rsplit("/", 1)[0] + "/postgres", REDIS_URL):
        targets.append(("PostgreSQL + Redis", PG_URL))
    else:
        print("PostgreSQL or Redis not reachable: SQLite only")
    print(f"burst of {args.people} concurrent registrations for {args.seats} seats")
    for label, pg_url in targets:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            if pg_url:
                await fresh_postgres(pg_url)
                meetup_url, redis_url = pg_url, REDIS_URL
            else:
                meetup_url, redis_url = f"sqlite:///{workdir / 'meetup.sqlite3'}", None
            settings = Settings(
                database_url=meetup_url,
                redis_url=redis_url,
                env="test",
                secret_key="bench-secret",
                var_dir=str(workdir / "var"),
            )
            print(f"\n{label}")
            rate = await run_meetup(settings, args.people, args.seats, workdir)
            if pg_url:
                await fresh_postgres(pg_url)
                bare_url = pg_url
            else:
                bare_url = f"sqlite:///{workdir / 'bare.sqlite3'}"
            bare = await run_bare(bare_url, args.people, workdir)
            print(f"  ratio meetup / bare: {rate / bare:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
