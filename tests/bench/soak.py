"""Soak: `python tests/bench/soak.py [--rooms 50] [--per-room 20] [--seconds 120]`.

1,000 websocket members across 50 rooms chat at a steady rate for two minutes while, at the same
time, people register for another forum and search the directory over HTTP. Printed: disconnects
(connections the server closed), error frames, lost lines, HTTP errors, p99 latencies (chat
delivery, registration, directory search) and the server's memory per connection: RSS growth from
before the joins to after them, and to the end of the window, divided by the members. "Before" is
a warmed server (one member has joined, said a line and left; for meetup one registration and one
search were served), so that what a server allocates once, on its first socket or request, is not
counted against each connection. The baseline, in the same run with the
same clients and chat load: the bare `websockets` broadcast server of `room_fanout.py` (no auth,
no storage, no side load), for the ratios of delivery p99 and memory per connection.

Uses the machinery of `room_fanout.py` (same client, same bare server); SQLite, embedded default.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import secrets
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import room_fanout as fanout  # noqa: E402

ROOT = fanout.ROOT
from meetup import db  # noqa: E402
from meetup.settings import Settings  # noqa: E402

# One TLS context for every client (the server is plain HTTP, but httpx makes one per client): made
# for each registration, loading the CA bundle stalled this process's loop ~20 ms five times a
# second, and every delivery that came meanwhile was measured that much late.
TLS = ssl.create_default_context()


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants (Granian serves from a worker process)."""
    total = 0
    for member in fanout.family(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def prepare_side(settings: Settings, people: int) -> tuple[str, list[str]]:
    """A second forum to register for, `people` accounts with sessions, and searchable profiles."""
    from meetup.accounts.tables import Account
    from meetup.app import make_session_store
    from meetup.coordinators import service as coordinators
    from meetup.coordinators.schemas import ProfileIn
    from meetup.events import service as events
    from meetup.events.schemas import EventIn
    from tests.factories import forum

    db.configure(settings)
    await db.open_database()
    try:
        slug = await events.create_event(msgspec.convert(forum(capacity=people // 2, title="並行申込"), EventIn), None)
        rows = await Account.insert(
            *[Account(email=f"soak{i}@example.jp", display_name=f"申込者 {i}") for i in range(people)]
        ).returning(Account.id)
        store = make_session_store(settings, None)
        sessions = []
        for index, row in enumerate(rows):
            sid = secrets.token_hex(32)
            await store.set(sid, msgspec.json.encode({"uid": row["id"]}), expires_in=6 * 3600)
            sessions.append(sid)
            if index < 300:
                prefecture = ("青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県")[index % 6]
                await coordinators.save_profile(
                    row["id"],
                    ProfileIn(name=f"佐藤 {index}", prefecture=prefecture, themes=["関係人口"], visibility="public"),
                )
    finally:
        await db.close_database()
    return slug, sessions


class Side:
    """The HTTP load beside the chat: registrations and directory searches at a steady rate."""

    def __init__(self) -> None:
        self.registrations: list[float] = []
        self.searches: list[float] = []
        self.errors: dict[str, int] = {}

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    async def run(self, base: str, slug: str, sessions: list[str], tally: fanout.Tally, rate: float) -> None:
        while tally.window_start_ns > time.perf_counter_ns() + 10**12:  # until the load window is set
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=base, timeout=30) as probe:
            csrf = (await probe.get("/healthz")).cookies["csrftoken"]
        queries = ["佐藤", "さとう", "sato", "関係人口", "宮城"]
        interval = 1 / rate
        tasks = []
        turn = 0
        async with httpx.AsyncClient(base_url=base, timeout=30) as anonymous:
            while time.perf_counter_ns() < tally.window_end_ns and turn < len(sessions):
                tasks.append(asyncio.create_task(self.register(base, slug, sessions[turn], csrf)))
                tasks.append(asyncio.create_task(self.search(anonymous, queries[turn % len(queries)])))
                turn += 1
                await asyncio.sleep(interval)
            await asyncio.gather(*tasks)

    async def register(self, base: str, slug: str, sid: str, csrf: str) -> None:
        cookies = {"session": sid, "csrftoken": csrf}
        headers = {"x-csrftoken": csrf}
        async with httpx.AsyncClient(base_url=base, timeout=30, cookies=cookies, headers=headers, verify=TLS) as c:
            started = time.perf_counter()
            try:
                response = await c.post(f"/api/v1/events/{slug}/registration", json={})
            except httpx.HTTPError as exc:
                return self.error(f"registration {type(exc).__name__}")
            self.registrations.append(time.perf_counter() - started)
            if response.status_code != 201:
                self.error(f"registration {response.status_code}")

    async def search(self, client: httpx.AsyncClient, q: str) -> None:
        started = time.perf_counter()
        try:
            response = await client.get("/api/v1/coordinators", params={"q": q, "prefecture": "宮城県"})
        except httpx.HTTPError as exc:
            return self.error(f"search {type(exc).__name__}")
        self.searches.append(time.perf_counter() - started)
        if response.status_code != 200:
            self.error(f"search {response.status_code}")


def p99_ms(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) >= 2 else float("nan")


async def warm_up(target: fanout.Target, http: Callable[[], Awaitable[None]] | None = None) -> None:
    """One member joins, says a line, hears it and leaves; then `http()` (meetup's requests)."""
    tally = fanout.Tally(target.server)
    member = await fanout.join(target, 0, 0, tally, asyncio.Semaphore(1), "deflate")
    if member is None:
        raise RuntimeError(f"warm-up: {target.server} refused the first member {dict(tally.connect_failures)}")
    await member.ws.send('{"type":"say","body":"probe|warm"}')
    for _ in range(100):
        if tally.probes_back:
            break
        await asyncio.sleep(0.05)
    tally.closing = True
    await member.ws.close()
    await member.reader
    if http is not None:
        await http()
    await asyncio.sleep(1)  # the leave's presence frame and the visit written


async def run_meetup(prepared, scenario, side_slug, side_sessions, args, workdir) -> tuple[fanout.Tally, Side, float]:
    settings = prepared.settings
    port = fanout.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": settings.database_url,
        "MEETUP_VAR_DIR": settings.var_dir,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": settings.secret_key,
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_BASE_URL": base,
    }
    for name in ("MEETUP_REDIS_URL", "MEETUP_SMTP_URL"):
        env.pop(name, None)
    log = workdir / "soak-meetup.log"
    with log.open("w") as out:
        server = subprocess.Popen(fanout.serve_command(args.server, port), cwd=ROOT, env=env, stdout=out, stderr=out)
    tally, side = fanout.Tally("meetup"), Side()
    try:
        await fanout.wait_listening(port, server, log, "/healthz")
        ws = base.replace("http://", "ws://")
        target = fanout.Target(
            server="meetup",
            urls=[f"{ws}/ws/rooms/{rid}" for rid in prepared.rooms[scenario.label]],
            headers=[{"Cookie": f"session={sid}"} for sid in prepared.sessions[: scenario.clients]],
            origin=base,
            pid=server.pid,
        )
        warm_sid = side_sessions.pop()  # registers here: the side load keeps every other session

        async def one_of_each() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                csrf = (await client.get("/healthz")).cookies["csrftoken"]
                await Side().register(base, side_slug, warm_sid, csrf)
                await Side().search(client, "佐藤")

        await warm_up(target, one_of_each)
        before = rss_kib(server.pid)

        async with asyncio.timeout(args.seconds + 900):
            *_, per_connection = await asyncio.gather(
                fanout.drive(target, scenario, args, tally),
                side.run(base, side_slug, side_sessions, tally, args.side_rate),
                memory_per_connection(server.pid, before, tally),
            )
    finally:
        await fanout.stop_server(server)
    tracebacks = log.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"  meetup server log holds {tracebacks} tracebacks ({log})")
    return tally, side, per_connection


async def memory_per_connection(pid: int, before: float, tally: fanout.Tally) -> tuple[float, float]:
    """RSS growth since `before` per connected member (KiB): once every member is in, and at the end
    of the chat window, after thousands of lines (the steady state: what a connection keeps of the
    lines it passed on shows only there)."""
    while tally.window_start_ns > time.perf_counter_ns() + 10**12:
        await asyncio.sleep(0.05)
    joined = (rss_kib(pid) - before) / max(tally.connected, 1)
    while time.perf_counter_ns() < tally.window_end_ns - 200_000_000:
        await asyncio.sleep(0.1)
    return joined, (rss_kib(pid) - before) / max(tally.connected, 1)


async def run_bare(scenario, args, workdir) -> tuple[fanout.Tally, tuple[float, float]]:
    script = workdir / "bare_server.py"
    script.write_text(fanout.BARE_SERVER)
    port = fanout.free_port()
    log = workdir / "soak-bare.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, str(script), str(port)], cwd=workdir, stdout=out, stderr=out)
    tally = fanout.Tally("bare")
    try:
        await fanout.wait_listening(port, server, log)
        target = fanout.Target(
            server="bare",
            urls=[f"ws://127.0.0.1:{port}/room/{i + 1}" for i in range(scenario.rooms)],
            headers=[{}] * scenario.clients,
            origin=None,
            pid=server.pid,
        )
        await warm_up(target)
        before = rss_kib(server.pid)

        _, per_connection = await asyncio.gather(
            fanout.drive(target, scenario, args, tally), memory_per_connection(server.pid, before, tally)
        )
    finally:
        await fanout.stop_server(server)
    return tally, per_connection


async def main(args: argparse.Namespace) -> None:
    scenario = fanout.Scenario(f"{args.rooms} rooms x {args.per_room}", args.rooms, args.per_room)
    fanout.raise_open_files(4 * scenario.clients + 1024)
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        settings = Settings(
            database_url=f"sqlite:///{workdir / 'soak.sqlite3'}",
            env="test",
            secret_key="soak-secret",
            var_dir=str(workdir / "var"),
        )
        with contextlib.redirect_stdout(io.StringIO()):
            prepared = await fanout.prepare(settings, [scenario])
        side_people = int(args.side_rate * args.seconds) + 10
        side_slug, side_sessions = await prepare_side(settings, side_people)
        print(
            f"soak: {scenario.clients} members in {scenario.rooms} rooms, {args.deliveries_per_second:g} deliveries/s, "
            f"{args.seconds:g} s, with {args.side_rate:g} registrations/s and {args.side_rate:g} searches/s beside"
        )
        meetup, side, meetup_mem = await run_meetup(prepared, scenario, side_slug, side_sessions, args, workdir)
        bare, bare_mem = await run_bare(scenario, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for tally, memory in ((meetup, meetup_mem), (bare, bare_mem)):
        print(
            f"  {tally.server:<7} connected {tally.connected}/{tally.clients}, "
            f"disconnects {sum(tally.dropped.values())}, "
            f"error frames {sum(tally.errors.values())}, lines lost {tally.lost}, delivered {tally.rate:.0f}/s, "
            f"delivery p50 {tally.percentile_ms(0.5):.1f} ms p99 {tally.percentile_ms(0.99):.1f} ms, "
            f"memory per connection {memory[0]:.0f} KiB after joining, {memory[1]:.0f} KiB at the end "
            f"({tally.in_window / max(tally.connected, 1):.0f} lines delivered to each)"
        )
        for note in fanout.details(tally):
            print(note)
    print(
        f"  side load: {len(side.registrations)} registrations p99 {p99_ms(side.registrations):.0f} ms, "
        f"{len(side.searches)} searches p99 {p99_ms(side.searches):.0f} ms, HTTP errors {side.errors or 0}"
    )
    print(
        f"  ratios meetup/bare: delivery p99 {meetup.percentile_ms(0.99) / bare.percentile_ms(0.99):.1f}x, "
        f"memory per connection after joining {ratio(meetup_mem[0], bare_mem[0])}, "
        f"at the end (steady state; target <= 1.5x) {ratio(meetup_mem[1], bare_mem[1])}"
    )


def ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.1f}x" if floor > 0 else "n/a (the floor did not grow)"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--per-room", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--deliveries-per-second", type=float, default=2000)
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn", help="what serves meetup")
    parser.add_argument("--side-rate", type=float, default=5, help="registrations (and searches) a second")
    args = parser.parse_args()
    # what room_fanout.drive expects
    args.compression, args.connect_concurrency, args.quiet = "deflate", 50, 1.0
    args.settle_timeout, args.drain, args.profile = 120, 10, None
    return args


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    asyncio.run(main(parse()))
