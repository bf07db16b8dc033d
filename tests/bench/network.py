"""Network benchmark: `python tests/bench/network.py [--profiles 10000] [--ties 50000] [--requests 200]`.

Issue 14's targets, on SQLite and (when it answers) PostgreSQL, each measured against a baseline
in the same run, with the server in its own process (`main.py serve`) and the client here:
- warm: `/api/v1/network` and the `/network` page at rising concurrency (1, 4, 16, 32: load to
  saturation), p50/p95 and requests a second, against a bare endpoint returning the same cached
  bytes (a plain ASGI app on uvicorn);
- cold: a tie is added before each request (so the kept network is stale and measured again),
  against a bare endpoint on the raw driver (aiosqlite on one persistent connection / an asyncpg
  pool, no ORM) that loads the same rows and runs the same measurement without any cache;
- a room's chat while the network is measured over and over: delivery p99 of chat lines between two
  members of one room, quiet and during recomputation (target: at most 20 ms more);
- the client's own CPU seconds for each phase (so a saturated client is not mistaken for the server).
Targets: API p95 < 300 ms warm, page p95 < 500 ms.
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.app import make_session_store  # noqa: E402
from meetup.settings import Settings, use  # noqa: E402
from tests.bench.directory import fill, fresh_postgres  # noqa: E402
from tests.bench.room_fanout import free_port, own_cpu_seconds, stop_server, wait_listening  # noqa: E402

# dropped and made again: give it a database of your own when others share the server
PG_URL = os.environ.get("MEETUP_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/meetup_bench_network")
KINDS = ("connection", "introduction", "survey", "room", "connection")
LEVELS = (1, 4, 16, 32)
CHATTERS = 10  # each says a line every 0.6 s: under the 10-in-5-seconds limit

# The bare server: the same rows through the raw driver, the same measurement, no ORM, no cache
# (/cold); and the measured bytes kept from the start (/warm).
BARE_SERVER = """
import asyncio, gzip, os, sys
sys.path.insert(0, os.environ["ROOT"])
import msgspec
from meetup.coordinators.network_measure import measure
from meetup.coordinators.schemas import NetworkNode, NetworkOut

URL = os.environ["BARE_DATABASE_URL"]
NODES = "SELECT account, name, prefecture, organization_name FROM profile WHERE visibility = 'public'"
TIES = ("SELECT person_low, person_high, kind, created_at FROM tie"
        " WHERE kind IN ('connection', 'introduction', 'survey', 'project')")
state = {}


async def rows(sql):
    if URL.startswith("postgres"):
        async with state["pool"].acquire() as conn:
            return [dict(r) for r in await conn.fetch(sql)]
    async with state["conn"].execute(sql) as cursor:
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, r)) for r in await cursor.fetchall()]


async def body(gzipped):
    people = await rows(NODES)
    nodes = [NetworkNode(id=p["account"], name=p["name"], prefecture=p["prefecture"],
                         organization=p["organization_name"]) for p in people]
    ties = await rows(TIES)
    def work():
        m = measure(nodes, ties)
        out = NetworkOut(nodes=m.nodes, edges=m.edges, metrics=m.metrics, ties="relationships", at=None)
        payload = msgspec.json.encode(out)
        return gzip.compress(payload, compresslevel=6, mtime=0) if gzipped else payload
    return await asyncio.to_thread(work)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        if URL.startswith("postgres"):
            import asyncpg
            state["pool"] = await asyncpg.create_pool(URL, min_size=1, max_size=10)
        else:
            import aiosqlite
            state["conn"] = await aiosqlite.connect(URL.removeprefix("sqlite:///"))
        state["warm"] = await body(False)
        state["warm gzip"] = gzip.compress(state["warm"], compresslevel=6, mtime=0)
        await send({"type": "lifespan.startup.complete"})
        await receive()
        # aiosqlite's connection is a non-daemon thread: left open, it keeps the process from exiting
        await (state["pool"].close() if "pool" in state else state["conn"].close())
        await send({"type": "lifespan.shutdown.complete"})
        return
    gzipped = b"gzip" in dict(scope["headers"]).get(b"accept-encoding", b"")  # as the app: compressed when taken
    if scope["path"] == "/warm":
        payload = state["warm gzip"] if gzipped else state["warm"]
    else:
        payload = await body(gzipped)
    headers = [(b"content-type", b"application/json")] + ([(b"content-encoding", b"gzip")] if gzipped else [])
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
"""


def cuts(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in ms."""
    if len(samples) < 2:
        value = samples[0] * 1000 if samples else float("nan")
        return value, value, value
    q = statistics.quantiles(samples, n=100)
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


async def timed_load(client: httpx.AsyncClient, url: str, requests: int, concurrency: int) -> tuple[list[float], float]:
    """`requests` GETs, `concurrency` at a time: their durations and the wall time of all."""
    samples: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            t = time.perf_counter()
            response = await client.get(url)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, (url, response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - started


async def prepare(settings: Settings, profiles: int, ties: int) -> list[str]:
    """Migrate, fill, and a forum with chatters in one room: their session ids; the room is id 1."""
    from tests.rooms.factories import forum_with_people, room_in

    use(settings)
    db.configure(settings)
    await db.open_database()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            await db.migrate()
        started = time.perf_counter()
        await fill(profiles, ties, KINDS)
        print(f"  {profiles:,} profiles and {ties:,} ties generated in {time.perf_counter() - started:.0f} s")
        event, uids = await forum_with_people(CHATTERS, capacity=CHATTERS)
        await room_in(event, "bench")
        store = make_session_store(settings, None)
        sessions = []
        for uid in uids:
            sid = secrets.token_hex(32)
            await store.set(sid, msgspec.json.encode({"uid": uid}), expires_in=6 * 3600)
            sessions.append(sid)
    finally:
        await db.close_database()
    return sessions


async def add_tie(url: str, n: int) -> None:
    """One more tie, written as another process would: the kept network is now stale."""
    sql = (
        'INSERT INTO "tie" ("person_low", "person_high", "kind", "source", "created_at")'
        " VALUES (1, 2, 'connection', {}, {})"
    )
    if url.startswith("postgres"):
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql.format("$1", "$2"), f"bench-cold:{n}", db.utcnow())
        finally:
            await conn.close()
    else:
        import aiosqlite

        async with aiosqlite.connect(url.removeprefix("sqlite:///")) as conn:
            await conn.execute(sql.format("?", "?"), (f"bench-cold:{n}", str(db.utcnow())))
            await conn.commit()


def server(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def line(label: str, samples: list[float], wall: float | None = None, cpu: float | None = None) -> str:
    p50, p95, p99 = cuts(samples)
    rate = f"  {len(samples) / wall:7.1f} req/s" if wall else ""
    spent = f"  client CPU {cpu:5.1f} s" if cpu is not None else ""
    return f"    {label:<34} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  p99 {p99:8.1f} ms{rate}{spent}"


async def chat(base: str, sessions: list[str], seconds: float, background=None) -> list[float]:
    """Delivery times of chat lines between the members of room 1 for `seconds`, while
    `background` (a coroutine factory) runs over and over."""
    ws_url = base.replace("http://", "ws://") + "/ws/rooms/1"
    sockets = [await connect(ws_url, additional_headers={"Cookie": f"session={sid}"}, origin=base) for sid in sessions]
    for ws in sockets:
        await ws.recv()  # hello
    delays: list[float] = []
    stop = asyncio.Event()

    async def listen(ws) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = msgspec.json.decode(await ws.recv())
                if frame.get("type") == "message" and frame["body"].startswith("t="):
                    delays.append(time.perf_counter() - float(frame["body"][2:]))

    async def say(ws, offset: float) -> None:
        await asyncio.sleep(offset)
        while not stop.is_set():
            await ws.send(msgspec.json.encode({"type": "say", "body": f"t={time.perf_counter()!r}"}).decode())
            await asyncio.sleep(0.6)

    async def churn() -> None:
        while not stop.is_set():
            await background()

    listener = asyncio.create_task(listen(sockets[0]))
    tasks = [asyncio.create_task(say(ws, i * 0.06)) for i, ws in enumerate(sockets[1:])]
    if background:
        tasks.append(asyncio.create_task(churn()))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(0.5)
    listener.cancel()
    for ws in sockets:
        await ws.close()
    return delays


def load_average() -> str:
    """The machine's load (1, 5, 15 min) and cores: a shared machine distorts every figure."""
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"


async def measure(label: str, url: str, args: argparse.Namespace, workdir: Path) -> None:
    print(f"\n{label} ({load_average()})")
    settings = Settings(database_url=url, env="test", secret_key="bench-" + "x" * 32, var_dir=str(workdir / "var"))
    sessions = await prepare(settings, args.profiles, args.ties)
    port, bare_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": url,
        "MEETUP_VAR_DIR": settings.var_dir,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": settings.secret_key,
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_BASE_URL": base,
        "ROOT": str(ROOT),
        "BARE_DATABASE_URL": url,
    }
    for name in ("MEETUP_REDIS_URL", "MEETUP_SMTP_URL"):
        env.pop(name, None)
    (workdir / "bare_network.py").write_text(BARE_SERVER)
    meetup = server([sys.executable, "main.py", "serve", "--port", str(port)], env, workdir / "meetup.log")
    bare = server(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(workdir), "bare_network:app", "--port", str(bare_port),
         "--log-level", "warning", "--no-access-log"],
        env,
        workdir / "bare.log",
    )  # fmt: skip
    try:
        await wait_listening(port, meetup, workdir / "meetup.log", "/healthz")
        await wait_listening(bare_port, bare, workdir / "bare.log", "/warm")
        async with httpx.AsyncClient(timeout=120) as client:
            api, page = f"{base}/api/v1/network", f"{base}/network"
            t = time.perf_counter()
            first = await client.get(api)
            await client.get(page)
            print(f"    first measurement (cold, then the page's map): {(time.perf_counter() - t) * 1000:.0f} ms")
            sent = f"{first.num_bytes_downloaded:,} sent ({first.headers.get('content-encoding', 'identity')})"
            print(f"    API answer: {len(first.content):,} bytes of JSON, {sent}")
            print("  warm")
            for level in LEVELS:
                for name, target in (
                    (f"API x{level}", api),
                    (f"bare cached bytes x{level}", f"http://127.0.0.1:{bare_port}/warm"),
                ):
                    cpu = own_cpu_seconds()
                    samples, wall = await timed_load(client, target, args.requests, level)
                    print(line(name, samples, wall, own_cpu_seconds() - cpu))
                    if name.startswith("API"):
                        api_p95 = cuts(samples)[1]
                    else:
                        print(f"    {'ratio API p95 / bare p95':<34} {api_p95 / cuts(samples)[1]:6.1f}")
            for level in (1, 8):
                cpu = own_cpu_seconds()
                samples, wall = await timed_load(client, page, args.requests, level)
                print(line(f"page x{level}", samples, wall, own_cpu_seconds() - cpu))
            print("  cold (a new tie before each request)")
            cold, bare_cold = [], []
            for n in range(args.cold_rounds):
                await add_tie(url, n)
                t = time.perf_counter()
                assert (await client.get(api)).status_code == 200
                cold.append(time.perf_counter() - t)
                t = time.perf_counter()
                assert (await client.get(f"http://127.0.0.1:{bare_port}/cold")).status_code == 200
                bare_cold.append(time.perf_counter() - t)
            print(line("API cold", cold))
            print(line("bare raw driver, measured, no cache", bare_cold))
            print(f"    {'ratio API cold p50 / bare p50':<34} {cuts(cold)[0] / cuts(bare_cold)[0]:6.2f}")
            print("  a room's chat while the network is measured")
            quiet = await chat(base, sessions, args.chat_seconds)
            counter = iter(range(10_000, 10**9))

            async def recompute() -> None:
                await add_tie(url, next(counter))
                await client.get(api, params={"ties": "contact"})

            busy = await chat(base, sessions, args.chat_seconds, recompute)
            print(line(f"chat delivery, quiet ({len(quiet)} lines)", quiet))
            print(line(f"chat delivery, recomputing ({len(busy)})", busy))
            extra = cuts(busy)[2] - cuts(quiet)[2]
            print(f"    {'p99 added by recomputation':<34} {extra:8.1f} ms (target <= 20 ms)")
            print(f"  ({load_average()})")
    finally:
        await stopped(meetup, workdir / "meetup.log")
        await stopped(bare, workdir / "bare.log")


async def stopped(process: subprocess.Popen, log: Path) -> None:
    """Stop a server (SIGINT, then SIGKILL after 30 s); when SIGINT was not enough, its log says why."""
    await stop_server(process)
    if process.returncode == -signal.SIGKILL:
        print("    its log ends:\n" + log.read_text()[-1500:])


async def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--ties", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per warm measurement")
    parser.add_argument("--cold-rounds", type=int, default=10)
    parser.add_argument("--chat-seconds", type=float, default=15)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql-only", action="store_true")
    args = parser.parse_args()
    if not args.postgresql_only:
        with tempfile.TemporaryDirectory() as tmp:
            await measure("SQLite", f"sqlite:///{Path(tmp) / 'network.sqlite3'}", args, Path(tmp))
    if not args.sqlite_only and await fresh_postgres(PG_URL):
        with tempfile.TemporaryDirectory() as tmp:
            await measure("PostgreSQL", PG_URL, args, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
