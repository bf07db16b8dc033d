"""Registration burst benchmark: `python tests/bench/registration.py [--people 300] [--seats 50] [--lanes 50]`.

For each database (SQLite always; PostgreSQL + Redis when they answer) it starts the real server
(`main.py serve`) on a fresh database, signs in `--people` accounts and sends all their
registrations for `--seats` seats over `--lanes` keep-alive connections at once (each lane its
share back to back), then checks nothing was oversold and every confirmation mail was queued
once. In the same run the floor: a bare Litestar endpoint that inserts one row through the raw
driver (aiosqlite on one persistent connection in WAL with synchronous=NORMAL, as the app; an
asyncpg pool), driven by the same lanes. Both servers are warmed first (the lanes ask a page that
reads the database, twice: a server that has been up has its pool's connections open). Printed:
both rates, p50/p99, server and client CPU (a client at a full core is the bottleneck, and the
line says so) and the ratio (issue 18: ≥ 0.5).

Also home of what the other HTTP benches share: the floor app, `drive`, `figures`, `each_database`.
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

# The floor: one row inserted per request through the raw driver, no ORM, no session, no checks.
BARE_APP = """
import os
from datetime import UTC, datetime
import asyncio
import aiosqlite, asyncpg
from litestar import Litestar, get, post

url = os.environ["BARE_DATABASE_URL"]
DDL = 'CREATE TABLE IF NOT EXISTS bare_row (id {key}, person INTEGER, status TEXT, created_at TIMESTAMPTZ)'
state = {}
writer = asyncio.Lock()  # one aiosqlite connection: one statement and its commit at a time

@post("/insert")
async def insert(data: dict) -> dict:
    now = datetime.now(UTC)
    if "pool" in state:
        row = await state["pool"].fetchrow(
            "INSERT INTO bare_row (person, status, created_at) VALUES ($1, 'confirmed', $2) RETURNING id",
            data["person"], now)
    else:
        connection = state["sqlite"]
        async with writer:
            async with connection.execute(
                "INSERT INTO bare_row (person, status, created_at) VALUES (?, 'confirmed', ?) RETURNING id",
                (data["person"], now.isoformat())) as cursor:
                row = await cursor.fetchone()
            await connection.commit()
    return {"id": row[0]}

@get("/healthz")
async def healthz() -> dict:
    if "pool" in state:
        await state["pool"].fetchval("SELECT 1")
    else:
        async with writer:
            async with state["sqlite"].execute("SELECT 1") as cursor:
                await cursor.fetchone()
    return {"status": "ok"}

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

app = Litestar([insert, healthz], on_startup=[start], on_shutdown=[stop])
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


async def drive(url: str, lanes: int, jobs: list[tuple[dict, dict, dict]]) -> tuple[float, list[float], list, float]:
    """Send `jobs` (cookies, headers, body) over `lanes` keep-alive connections, each lane its
    share back to back, all lanes at once; (seconds, latencies, responses, client CPU seconds).
    The lanes are plain http: they skip loading a CA bundle each (`verify=False`), which would
    otherwise cost the client more CPU than the requests. A job's cookies go as one Cookie header,
    as a browser sends them: through httpx's cookie jar (the standard library's, with its policy
    checks on every request and answer) they cost the client ~0.4 ms a request, which the floor's
    cookieless requests did not pay."""
    latencies: list[float] = []
    answers: list = []
    shares = [jobs[lane::lanes] for lane in range(lanes)]
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(timeout=300, limits=limits, verify=False) for share in shares if share]  # noqa: S501

    async def lane(client: httpx.AsyncClient, share: list[tuple[dict, dict, dict]]) -> None:
        async with client:
            for cookies, headers, body in share:
                if client.cookies:  # whatever an answer set is not the next person's
                    client.cookies.clear()
                if cookies:
                    headers = {**headers, "cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
                started = time.perf_counter()
                answers.append(await client.post(url, json=body, headers=headers))
                latencies.append(time.perf_counter() - started)

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(lane(client, share) for client, share in zip(clients, shares, strict=False)))
    return time.perf_counter() - started, latencies, answers, time.process_time() - cpu


async def warm_up(url: str, lanes: int) -> None:
    """`lanes` requests at once, twice, to a page that asks the database: a server that has been
    up opens its pool's connections once (and keeps them), so the burst is measured on a warm one,
    for the floor as for meetup."""
    async with httpx.AsyncClient(timeout=60, verify=False) as client:  # noqa: S501
        for _ in range(2):
            await asyncio.gather(*(client.get(url) for _ in range(lanes)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def services_cpu_seconds() -> float:
    """CPU time used so far by this machine's PostgreSQL and Redis processes (their share of the
    two cores is the third party in every run: the more statements a request makes, the more)."""
    total = 0.0
    for name in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):  # a process that ended meanwhile
            if name.read_text().strip() in ("postgres", "redis-server"):
                total += cpu_seconds(int(name.parent.name))
    return total


def figures(
    label: str, seconds: float, latencies: list[float], server_cpu: float, client_cpu: float, services_cpu: float
) -> float:
    """Print a run's rate, p50/p99 and the CPUs; a client near a full core measured itself."""
    rate = len(latencies) / seconds
    cuts = statistics.quantiles(latencies, n=100)
    bound = "  (CLIENT-BOUND: the client, not the server, set this rate)" if client_cpu / seconds > 0.9 else ""
    print(
        f"  {label:<26} {rate:8.1f} req/s   p50 {cuts[49] * 1000:7.1f} ms   p99 {cuts[98] * 1000:7.1f} ms"
        f"   server CPU {server_cpu / seconds:.0%} of a core   client CPU {client_cpu / seconds:.0%} of a core"
        f"   PostgreSQL + Redis CPU {services_cpu / seconds:.0%}{bound}"
    )
    return rate


def serve(command: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


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


async def run_meetup(settings: Settings, args: argparse.Namespace, workdir: Path) -> float:
    slug, sessions = await prepare(settings, args.people, args.seats)
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
    log = Path(os.environ.get("KEEP_LOG", workdir / "meetup.log"))
    command = [sys.executable, "main.py", "serve", "--port", str(port)]
    if os.environ.get("MEETUP_BENCH_PROFILE"):  # e.g. /tmp/reg: py-spy writes /tmp/reg-<db>.txt
        out = f"{os.environ['MEETUP_BENCH_PROFILE']}-{settings.database_url.split(':')[0]}.txt"
        command = ["py-spy", "record", "--rate", "300", "--format", "raw", "-o", out, "--", *command]
    server = serve(command, ROOT, env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server, log)
        async with httpx.AsyncClient(base_url=base) as probe:
            csrf = (await probe.get("/healthz")).cookies["csrftoken"]
        jobs = [({"session": sid, "csrftoken": csrf}, {"x-csrftoken": csrf}, {}) for sid in sessions]
        await warm_up(f"{base}/healthz", args.lanes)
        cpu, services = cpu_seconds(server.pid), services_cpu_seconds()
        seconds, latencies, responses, client_cpu = await drive(
            f"{base}/api/v1/events/{slug}/registration", args.lanes, jobs
        )
        cpu, services = cpu_seconds(server.pid) - cpu, services_cpu_seconds() - services
        bodies = [r.json() for r in responses if r.status_code == 201]
        errors = len(responses) - len(bodies)
        confirmed = sum(b["status"] == "confirmed" for b in bodies)
        positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
        ok = confirmed == args.seats and positions == list(range(1, args.people - args.seats + 1)) and not errors
        print(
            f"  registrations: {confirmed} confirmed for {args.seats} seats, {len(positions)} waitlisted, "
            f"{errors} errors -> {'no oversell, positions 1..N' if ok else 'WRONG'}; " + await mails_queued(settings)
        )
        return figures("meetup registration", seconds, latencies, cpu, client_cpu, services)
    finally:
        server.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly; py-spy writes its profile
        server.wait(timeout=60)


async def mails_queued(settings: Settings) -> str:
    """Every registration queued its one mail (confirmation or waitlist), none twice."""
    from meetup.events.tables import Registration
    from meetup.mail.tables import OutboxMail

    db.configure(settings)
    registrations = await Registration.count()
    mails = await OutboxMail.select(OutboxMail.to_addr)
    recipients = [m["to_addr"] for m in mails]
    once = len(recipients) == len(set(recipients)) == registrations
    verdict = "each once" if once else "NOT ONCE EACH"
    return f"{len(recipients)} mails queued for {registrations} registrations ({verdict})"


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
        await warm_up(f"{base}/healthz", args.lanes)
        cpu, services = cpu_seconds(server.pid), services_cpu_seconds()
        seconds, latencies, responses, client_cpu = await drive(f"{base}/insert", args.lanes, jobs)
        cpu, services = cpu_seconds(server.pid) - cpu, services_cpu_seconds() - services
        errors = sum(1 for r in responses if r.status_code != 201)
        if errors:
            print(f"  bare endpoint: {errors} errors")
        return figures("bare raw-driver insert", seconds, latencies, cpu, client_cpu, services)
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
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--lanes", type=int, default=50, help="keep-alive connections sending at once")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    parser.add_argument(
        "--rounds", type=int, default=3, help="meetup and the floor alternated this many times (default 3)"
    )
    args = parser.parse_args()
    lanes = f"{args.lanes} keep-alive lanes"
    print(f"{args.people} registrations for {args.seats} seats over {lanes}, {args.rounds} rounds")
    async for label, settings, workdir, pg_url in each_database(args.only):
        print(f"\n{label}")
        ratios = []
        for turn in range(args.rounds):  # this machine's speed drifts: each round is a pair, run back to back
            if turn:
                print(f"  round {turn + 1}")
                if pg_url:
                    await fresh_postgres(pg_url)
                settings = msgspec.structs.replace(
                    settings,
                    database_url=pg_url or f"sqlite:///{workdir / f'meetup-{turn}.sqlite3'}",
                    var_dir=str(workdir / f"var-{turn}"),
                )
            rate = await run_meetup(settings, args, workdir)
            if pg_url:
                await fresh_postgres(pg_url)
            bare = await run_bare(pg_url or f"sqlite:///{workdir / f'bare-{turn}.sqlite3'}", args, workdir)
            ratios.append(rate / bare)
            print(f"  ratio meetup / bare: {rate / bare:.2f}")
        listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"  {label}: median ratio {statistics.median(ratios):.2f} of rounds {listed} (target >= 0.5)")


if __name__ == "__main__":
    asyncio.run(main())
