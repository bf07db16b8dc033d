"""Room fan-out benchmark: `python tests/bench/room_fanout.py [--members 500] [--rooms 25] [--seconds 20]`.

Two scenarios, each run against two servers with the same client code and load:
(a) one room of `--members` members; (b) `--rooms` rooms sharing the same members.

- meetup: the real server (`main.py serve`, MEETUP_INPROCESS_WORKER=0) on a fresh SQLite database
  made through the services (a forum, confirmed registrants, rooms) with a session per member in
  the server's session store; clients send the session cookie and MEETUP_BASE_URL as Origin.
- bare: the floor, a `websockets` server written to the temp dir: a client joins a room by path
  and every text frame it sends is broadcast to every member of that room. No auth, no storage.

One client process (asyncio) holds every connection. Once all are connected, the server has gone
quiet and a probe line has come back in every room (or `--settle-timeout` ran out: then the load
runs on a server still busy, and the report says so), every member says lines at a steady rate,
round-robin within each room, so that the whole run aims at `--deliveries-per-second` deliveries
(a line in a room of m members is m deliveries, the sender's echo included). Each body carries
its send time (perf_counter_ns); receivers take latency = receive time - send time on the same
clock. Printed per scenario and server: deliveries per second over the measured window, p50/p99
latency, lines lost (sent x members - received), error frames, failed or dropped connections,
CPU use of server and client; then the throughput ratio meetup / bare.

Bounded: each server's run is cut at `--timeout`, a server that ignores SIGINT for 30 s is killed.
Diagnostics: `--profile PREFIX` records each server with py-spy over the window;
`--without-ties` runs meetup with rooms.service.record_visit made a no-op, `--without-rate-limit` without
the 10-lines-in-5-s limit (so that 25 rooms of 20 reach the server's saturation, not the limit's);
`--keep` keeps the logs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.app import make_session_store  # noqa: E402
from meetup.settings import Settings  # noqa: E402

# Diagnostics only: the same server with a part of it lifted, to see the fan-out apart from it.
# --without-ties: rooms.service.record_visit made a no-op (the tie writes each join makes);
# --without-rate-limit: no 10-lines-in-5-s limit, so that 25 rooms of 20 can be pushed past the
# ~20,000 deliveries/s the limit allows them, to the server's own saturation.
DIAGNOSTIC_PATCHES = {
    "without_ties": """
from meetup.rooms import service


async def no_ties(room, user_id):
    return 0


service.record_visit = no_ties
""",
    "without_rate_limit": """
from meetup.rooms.limits import SayLimiter

SayLimiter.allow = lambda self, user_id: True
""",
}
DIAGNOSTIC_SERVER = """
import runpy
import sys
{patches}
sys.argv = ["main.py", *sys.argv[1:]]
runpy.run_path("main.py", run_name="__main__")
"""


def diagnostics(args) -> list[str]:
    return [name for name in DIAGNOSTIC_PATCHES if getattr(args, name)]


# The floor. It greets a new member with a small frame (as meetup does with `hello`), so a client
# knows it is in the room before the load starts.
BARE_SERVER = """
import asyncio
import signal
import sys

from websockets.asyncio.server import broadcast, serve

rooms = {}


async def handler(ws):
    members = rooms.setdefault(ws.request.path, set())
    members.add(ws)
    try:
        await ws.send('{"type":"hello"}')
        async for message in ws:
            broadcast(members, message)
    finally:
        members.discard(ws)


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(handler, "127.0.0.1", port, max_size=2**20):
        await stop


try:
    import uvloop  # what uvicorn runs the meetup server on

    uvloop.run(main(int(sys.argv[1])))
except ImportError:
    asyncio.run(main(int(sys.argv[1])))
"""

SEND_LIMIT_PER_5S = 10  # docs/websocket.md: more than 10 `say` frames in 5 s from one person -> rate_limited

MESSAGE_PREFIX = {"meetup": b'{"type":"message"', "bare": b'{"type":"say"'}
ERROR_PREFIX = b'{"type":"error"'
BODY_KEY = b'"body":"'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_open_files(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))  # the servers inherit it
        soft = target
    return soft


def family(pid: int) -> list[int]:
    """The process and its descendants (Granian serves from a worker process under its own)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants so far (Linux /proc)."""
    total = 0.0
    for member in family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Scenario:
    label: str
    rooms: int
    per_room: int

    @property
    def clients(self) -> int:
        return self.rooms * self.per_room


@dataclass
class Target:
    """How the client reaches one running server."""

    server: str  # "meetup" | "bare"
    urls: list[str]  # one per room
    headers: list[dict]  # one per client
    origin: str | None
    pid: int


@dataclass
class Tally:
    server: str
    clients: int = 0
    connected: int = 0
    connect_failures: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)  # connections closed by the server during the run
    errors: Counter = field(default_factory=Counter)  # error frames by code
    frames: int = 0
    last_frame_ns: int = 0
    sent: int = 0
    send_failures: int = 0
    expected: int = 0
    refused: int = 0  # lines the server refused unstored ("unavailable": send it again later; "rate_limited")
    received: int = 0
    in_window: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    window_start_ns: int = 1 << 62
    window_end_ns: int = 1 << 62
    window_seconds: float = 0.0
    connect_seconds: float = 0.0
    settle_seconds: float = 0.0
    server_cpu: float = float("nan")
    client_cpu: float = float("nan")
    closing: bool = False
    probes_back: set = field(default_factory=set)
    settled: bool = False
    failure: str | None = None

    @property
    def rate(self) -> float:
        return self.in_window / self.window_seconds if self.window_seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    @property
    def lost(self) -> int:
        return self.expected - self.received


class Member:
    __slots__ = ("ws", "room", "room_size", "reader")

    def __init__(self, ws: ClientConnection, room: int):
        self.ws = ws
        self.room = room
        self.room_size = 0  # members of its room, once everyone has joined
        self.reader: asyncio.Task | None = None


async def read_frames(member: Member, tally: Tally, prefix: bytes) -> None:
    """Count every frame; time the bench's lines; note error frames and unexpected closes."""
    ws = member.ws
    try:
        while True:
            raw = await ws.recv(decode=False)  # bytes: no UTF-8 decoding of frames we only glance at
            now = time.perf_counter_ns()
            tally.frames += 1
            tally.last_frame_ns = now
            if raw.startswith(prefix):
                start = raw.find(BODY_KEY)
                if start < 0:
                    continue
                start += len(BODY_KEY)
                bar = raw.find(b"|", start)
                try:
                    sent_ns = int(raw[start:bar])
                except ValueError:
                    if raw[start:bar] == b"probe":
                        tally.probes_back.add(raw[bar + 1 : raw.find(b'"', bar)])
                    continue
                tally.received += 1
                tally.latencies_ns.append(now - sent_ns)
                if tally.window_start_ns <= now < tally.window_end_ns:
                    tally.in_window += 1
            elif raw.startswith(ERROR_PREFIX):
                code = msgspec.json.decode(raw).get("code", "?")
                tally.errors[code] += 1
                if code in ("unavailable", "rate_limited"):  # refused, not stored: nobody is to receive it
                    tally.refused += 1
                    tally.expected -= member.room_size
    except ConnectionClosed as exc:
        if not tally.closing:
            tally.dropped[f"{exc.rcvd.code} {exc.rcvd.reason}".strip() if exc.rcvd else "no close frame"] += 1


async def join(target: Target, index: int, room: int, tally: Tally, gate: asyncio.Semaphore, compression):
    async with gate:
        try:
            ws = await connect(
                target.urls[room],
                additional_headers=target.headers[index],
                origin=target.origin,
                max_size=2**22,
                compression=compression,
                ping_interval=None,  # a busy client must not drop its own connections
                open_timeout=60,
                close_timeout=5,
            )
        except Exception as exc:  # a refused handshake (403) or a timeout
            tally.connect_failures[type(exc).__name__] += 1
            return None
        try:
            first = await asyncio.wait_for(ws.recv(decode=False), timeout=60)
        except (ConnectionClosed, TimeoutError) as exc:
            code = exc.rcvd.code if isinstance(exc, ConnectionClosed) and exc.rcvd else type(exc).__name__
            tally.connect_failures[f"closed {code}"] += 1
            await ws.close()
            return None
        if not first.startswith(b'{"type":"hello"'):
            tally.connect_failures["no hello"] += 1
        tally.connected += 1
        member = Member(ws, room)
        member.reader = asyncio.create_task(read_frames(member, tally, MESSAGE_PREFIX[target.server]))
        return member


async def room_sender(members: list[Member], room_size: int, rate: float, tally: Tally, start_ns: int) -> None:
    """Say lines in one room at `rate` per second, each member in turn (so each member's own rate
    is rate / room_size), until the window ends. Absolute schedule: a late tick is caught up."""
    if not members:
        return
    order = members[:]
    random.shuffle(order)
    interval_ns = int(1e9 / rate)
    next_ns = start_ns + random.randrange(interval_ns)  # rooms out of phase with one another
    turn = 0
    while next_ns < tally.window_end_ns:
        delay = next_ns - time.perf_counter_ns()
        if delay > 0:
            await asyncio.sleep(delay / 1e9)
        member = order[turn % len(order)]
        turn += 1
        next_ns += interval_ns
        frame = f'{{"type":"say","body":"{time.perf_counter_ns()}|{turn}"}}'
        try:
            await member.ws.send(frame)
        except ConnectionClosed:
            tally.send_failures += 1
            continue
        tally.sent += 1
        tally.expected += room_size


async def settle(tally: Tally, by_room: dict[int, list[Member]], quiet_seconds: float, limit_seconds: float) -> bool:
    """Wait until no frame has arrived for `quiet_seconds` (the presence frames of the joins), then
    until a probe line said in each room has come back (a server busy with work that sends no
    frames, e.g. database writes after the joins, is not ready either). False if not within
    `limit_seconds`: the load then runs anyway, on a server still busy."""
    deadline = time.perf_counter() + limit_seconds
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        if time.perf_counter_ns() - tally.last_frame_ns > quiet_seconds * 1e9:
            break
    # A probe refused while its room was behind (`unavailable`) is said again a second later, as a
    # page sends a refused line again; refusals of probes are not the load's: they are put back.
    errors, refused, expected = Counter(tally.errors), tally.refused, tally.expected

    async def say_probes(rooms: list[int]) -> None:
        for room in rooms:
            with contextlib.suppress(ConnectionClosed):
                await by_room[room][0].ws.send(f'{{"type":"say","body":"probe|{room}"}}')

    try:
        await say_probes(list(by_room))
        again = time.perf_counter() + 1
        while time.perf_counter() < deadline:
            if len(tally.probes_back) >= len(by_room):
                return True
            if time.perf_counter() > again:
                await say_probes([room for room in by_room if str(room).encode() not in tally.probes_back])
                again = time.perf_counter() + 1
            await asyncio.sleep(0.05)
        return False
    finally:
        tally.errors, tally.refused, tally.expected = errors, refused, expected


async def drive(target: Target, scenario: Scenario, args: argparse.Namespace, tally: Tally) -> None:
    """Connect everyone, let the server settle, run the load for the window, drain, close."""
    compression = None if args.compression == "none" else "deflate"
    gate = asyncio.Semaphore(args.connect_concurrency)
    rooms_of = [i // scenario.per_room for i in range(scenario.clients)]
    tally.clients = scenario.clients
    started = time.perf_counter()
    members = [
        m
        for m in await asyncio.gather(
            *(join(target, i, rooms_of[i], tally, gate, compression) for i in range(scenario.clients))
        )
        if m is not None
    ]
    tally.connect_seconds = time.perf_counter() - started
    by_room: dict[int, list[Member]] = {}
    for member in members:
        by_room.setdefault(member.room, []).append(member)
    for member in members:
        member.room_size = len(by_room[member.room])
    started = time.perf_counter()
    tally.settled = await settle(tally, by_room, args.quiet, args.settle_timeout)
    tally.settle_seconds = time.perf_counter() - started
    room_rate = args.deliveries_per_second / scenario.per_room / scenario.rooms
    ready = (
        f"ready {tally.settle_seconds:.1f} s later"
        if tally.settled
        else f"NOT READY after {tally.settle_seconds:.0f} s (a probe line did not come back)"
    )
    print(
        f"    {target.server}: {tally.connected}/{scenario.clients} connected in {tally.connect_seconds:.1f} s, "
        f"{ready}; load for {args.seconds:g} s",
        flush=True,
    )
    try:
        profiler = None
        if args.profile:  # py-spy on the server for the window
            out = f"{args.profile}-{target.server}-{scenario.rooms}x{scenario.per_room}.txt"
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            command = [spy, "record", "--pid", str(target.pid), "--format", "raw", "--nonblocking", "-o", out]
            command += ["--duration", str(max(1, round(args.seconds)))]
            profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await asyncio.sleep(1)  # attached
        cpu_before, own_before = cpu_seconds(target.pid), own_cpu_seconds()
        start_ns = time.perf_counter_ns() + 50_000_000
        tally.window_start_ns, tally.window_end_ns = start_ns, start_ns + int(args.seconds * 1e9)
        await asyncio.gather(
            *(room_sender(by_room.get(room, []), len(by_room.get(room, [])), room_rate, tally, start_ns)
              for room in range(scenario.rooms))
        )  # fmt: skip
        await asyncio.sleep(max(0, (tally.window_end_ns - time.perf_counter_ns()) / 1e9))
        tally.window_seconds = args.seconds
        tally.server_cpu = cpu_seconds(target.pid) - cpu_before
        tally.client_cpu = own_cpu_seconds() - own_before
        if profiler is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(profiler.wait, 30)
            print(f"    py-spy profile of the {target.server} server: {out}")
        drain_until = time.perf_counter() + args.drain
        while tally.received < tally.expected and time.perf_counter() < drain_until:
            await asyncio.sleep(0.05)
    finally:
        tally.closing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(m.ws.close() for m in members), return_exceptions=True), 30)
        for member in members:
            if member.reader is not None:
                member.reader.cancel()
        await asyncio.gather(*(m.reader for m in members if m.reader is not None), return_exceptions=True)


# --- the servers -------------------------------------------------------------------------------


async def wait_listening(port: int, process: subprocess.Popen, log: Path, path: str | None = None) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
            try:
                if path is None:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    return
                if (await client.get(f"http://127.0.0.1:{port}{path}")).status_code == 200:
                    return
            except (OSError, httpx.HTTPError):
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start within 60 s")


async def stop_server(process: subprocess.Popen) -> None:
    """SIGINT (a clean shutdown), then SIGKILL if it does not go within 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    if process.poll() is None:
        print(f"    server {process.pid} ignored SIGINT for 30 s: killed")
        process.kill()
        process.wait()


@dataclass
class Prepared:
    settings: Settings
    sessions: list[str]  # one per member, in member order
    rooms: dict[str, list[int]]  # scenario label -> room ids


async def prepare(settings: Settings, scenarios: list[Scenario]) -> Prepared:
    """Migrate; a forum with confirmed registrants; the scenarios' rooms; a session per person."""
    from meetup.settings import use
    from tests.rooms.factories import forum_with_people, room_in

    use(settings)
    db.configure(settings)
    await db.open_database()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
            await db.migrate()
        people = max(s.clients for s in scenarios)
        event, uids = await forum_with_people(people, capacity=people)
        rooms = {}
        for scenario in scenarios:
            rooms[scenario.label] = [await room_in(event, f"{scenario.label} {i + 1}") for i in range(scenario.rooms)]
        store = make_session_store(settings, None)
        sessions = []
        for uid in uids:
            sid = secrets.token_hex(32)
            await store.set(sid, msgspec.json.encode({"uid": uid}), expires_in=6 * 3600)
            sessions.append(sid)
    finally:
        await db.close_database()
    return Prepared(settings, sessions, rooms)


def serve_command(server: str, port: int) -> list[str]:
    """How meetup is served: `main.py serve` (uvicorn), or the same app under Granian's ASGI
    interface, with the same event loop, to choose between them by the figures (issue 18)."""
    if server == "granian":
        granian = str(Path(sys.executable).parent / "granian")
        if not Path(granian).exists():  # not a dependency: uvicorn serves (see the README's figures)
            raise SystemExit(f"--server granian needs Granian: {Path(sys.executable).parent / 'pip'} install granian")
        return [granian, "--interface", "asgi", "--factory", "--loop", "uvloop", "--port", str(port),
                "--log-level", "warning", "meetup.app:create_app"]  # fmt: skip
    return [sys.executable, "main.py", "serve", "--port", str(port)]


async def run_meetup(prepared: Prepared, scenario: Scenario, args, workdir: Path) -> Tally:
    settings = prepared.settings
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": settings.database_url,
        "MEETUP_VAR_DIR": settings.var_dir,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": settings.secret_key,
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_BASE_URL": base_url,
    }
    for name in ("MEETUP_REDIS_URL", "MEETUP_SMTP_URL"):
        env.pop(name, None)
    log = workdir / f"meetup-{scenario.rooms}.log"
    command = serve_command(args.server, port)
    if diagnostics(args):
        patches = "".join(DIAGNOSTIC_PATCHES[name] for name in diagnostics(args))
        (workdir / "meetup_diagnostic.py").write_text(DIAGNOSTIC_SERVER.format(patches=patches))
        command[1] = str(workdir / "meetup_diagnostic.py")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    tally = Tally("meetup")
    try:
        await wait_listening(port, server, log, "/healthz")
        ws_base = base_url.replace("http://", "ws://")
        target = Target(
            server="meetup",
            urls=[f"{ws_base}/ws/rooms/{room_id}" for room_id in prepared.rooms[scenario.label]],
            headers=[{"Cookie": f"session={sid}"} for sid in prepared.sessions[: scenario.clients]],
            origin=base_url,
            pid=server.pid,
        )
        async with asyncio.timeout(args.timeout):
            await drive(target, scenario, args, tally)
    except TimeoutError:
        tally.failure = f"timed out after {args.timeout:g} s"
    except Exception as exc:
        tally.failure = f"{type(exc).__name__}: {exc}"
    finally:
        await stop_server(server)
    tracebacks = log.read_text(errors="replace").count("Traceback")
    if tracebacks:
        print(f"    meetup server log holds {tracebacks} tracebacks ({log})")
    return tally


async def run_bare(scenario: Scenario, args, workdir: Path) -> Tally:
    script = workdir / "bare_server.py"
    script.write_text(BARE_SERVER)
    port = free_port()
    log = workdir / f"bare-{scenario.rooms}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, str(script), str(port)], cwd=workdir, stdout=out, stderr=subprocess.STDOUT
        )
    tally = Tally("bare")
    try:
        await wait_listening(port, server, log)
        target = Target(
            server="bare",
            urls=[f"ws://127.0.0.1:{port}/room/{i + 1}" for i in range(scenario.rooms)],
            headers=[{}] * scenario.clients,
            origin=None,
            pid=server.pid,
        )
        async with asyncio.timeout(args.timeout):
            await drive(target, scenario, args, tally)
    except TimeoutError:
        tally.failure = f"timed out after {args.timeout:g} s"
    except Exception as exc:
        tally.failure = f"{type(exc).__name__}: {exc}"
    finally:
        await stop_server(server)
    return tally


# --- report ------------------------------------------------------------------------------------

HEADER = (
    f"  {'scenario':<20}{'server':<8}{'delivered/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'lost':>8}{'errors':>8}"
    f"{'sent':>7}{'conn fail':>10}{'dropped':>9}{'srv cpu':>9}{'cli cpu':>9}{'ready s':>9}"
)


def row(label: str, tally: Tally) -> str:
    fails = sum(tally.connect_failures.values())
    srv = tally.server_cpu / tally.window_seconds * 100 if tally.window_seconds else float("nan")
    cli = tally.client_cpu / tally.window_seconds * 100 if tally.window_seconds else float("nan")
    ready = f"{tally.connect_seconds + tally.settle_seconds:.1f}" + ("" if tally.settled else "!")
    return (
        f"  {label:<20}{tally.server:<8}{tally.rate:>12.1f}{tally.percentile_ms(0.50):>9.1f}"
        f"{tally.percentile_ms(0.99):>9.1f}{tally.lost:>8}{sum(tally.errors.values()):>8}{tally.sent:>7}"
        f"{fails:>10}{sum(tally.dropped.values()):>9}{srv:>8.0f}%{cli:>8.0f}%{ready:>9}"
    )


def details(tally: Tally) -> list[str]:
    notes = []
    if tally.window_seconds and not tally.settled:
        notes.append(
            f"    {tally.server}: the load started on a server not ready {tally.settle_seconds:.0f} s after the joins"
        )
    if tally.failure:
        notes.append(f"    {tally.server}: FAILED: {tally.failure}")
    if tally.connect_failures:
        notes.append(f"    {tally.server}: connection failures {dict(tally.connect_failures)}")
    if tally.dropped:
        notes.append(f"    {tally.server}: closed by the server during the run {dict(tally.dropped)}")
    if tally.refused:
        notes.append(
            f"    {tally.server}: {tally.refused} of {tally.sent} lines refused unstored (a room behind, or a "
            "sender over its rate: their pages send them again)"
        )
    if tally.errors:
        notes.append(f"    {tally.server}: error frames {dict(tally.errors)}")
    if tally.send_failures:
        notes.append(f"    {tally.server}: {tally.send_failures} sends on closed connections")
    return notes


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.INFO)
    per_room = args.members // args.rooms
    scenarios = {
        "a": Scenario(f"1 room x {args.members}", 1, args.members),
        "b": Scenario(f"{args.rooms} rooms x {per_room}", args.rooms, per_room),
    }
    chosen = [scenarios[key] for key in dict.fromkeys(args.scenario)]
    limit = raise_open_files(4 * args.members + 1024)
    print(
        f"room fan-out: {args.deliveries_per_second:g} deliveries/s offered for {args.seconds:g} s, "
        f"compression {args.compression}, open files {limit}"
    )
    if args.without_ties:
        print("  DIAGNOSTIC: meetup runs with rooms.service.record_visit replaced by a no-op")
    if args.without_rate_limit:
        print("  DIAGNOSTIC: meetup runs without the 10-lines-in-5-s limit (to find its own saturation)")
    for scenario in chosen:
        sends = args.deliveries_per_second / scenario.per_room
        per_member = sends / scenario.clients
        over = per_member * 5 >= SEND_LIMIT_PER_5S and not args.without_rate_limit
        warn = "  (ABOVE the server's limit)" if over else ""
        print(
            f"  {scenario.label}: {sends:.2f} lines/s in all, {sends / scenario.rooms:.2f} per room, "
            f"{per_member:.3f} per member ({per_member * 5:.2f} per 5 s){warn}"
        )
    results: list[tuple[Scenario, Tally, Tally]] = []
    workdir = Path(tempfile.mkdtemp(prefix="room-fanout-"))
    try:
        settings = Settings(
            database_url=f"sqlite:///{workdir / 'meetup.sqlite3'}",
            env="test",
            secret_key="bench-secret",
            var_dir=str(workdir / "var"),
        )
        started = time.perf_counter()
        prepared = await prepare(settings, chosen)
        people = max(s.clients for s in chosen)
        print(f"  prepared {people} confirmed registrants and their rooms in {time.perf_counter() - started:.1f} s")
        for scenario in chosen:
            print(f"\n  {scenario.label}")
            meetup = await run_meetup(prepared, scenario, args, workdir)
            bare = await run_bare(scenario, args, workdir)
            results.append((scenario, meetup, bare))
    finally:
        if args.keep:
            print(f"\n  logs and database kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(HEADER)
    for scenario, meetup, bare in results:
        print(row(scenario.label, meetup))
        print(row(scenario.label, bare))
    print()
    for scenario, meetup, bare in results:
        ratio = meetup.rate / bare.rate if bare.rate else float("nan")
        print(f"  {scenario.label}: ratio meetup/bare throughput: {ratio:.2f}")
        for note in details(meetup) + details(bare):
            print(note)
    print("  (srv cpu / cli cpu: CPU time of the server / of this client process over the window;")
    print("   ready s: from the first handshake until a probe line came back in every room, ! = never)")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500, help="clients in each scenario (default 500)")
    parser.add_argument("--rooms", type=int, default=25, help="rooms in scenario b (default 25)")
    parser.add_argument("--deliveries-per-second", type=float, default=2000, help="offered load (default 2000)")
    parser.add_argument("--seconds", type=float, default=20, help="measured window (default 20)")
    parser.add_argument("--scenario", default="ab", help="a (one room), b (many rooms) or ab (default)")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate", help="as browsers do")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes at once (default 50)")
    parser.add_argument("--quiet", type=float, default=1.0, help="no frames this long = settled (default 1 s)")
    parser.add_argument("--settle-timeout", type=float, default=120, help="longest wait for readiness (default 120 s)")
    parser.add_argument("--drain", type=float, default=10, help="longest wait for late lines (default 10 s)")
    parser.add_argument("--timeout", type=float, default=600, help="bound on one server's run (default 600 s)")
    parser.add_argument(
        "--without-ties",
        action="store_true",
        help="diagnostic: meetup with rooms.service.record_visit a no-op (the fan-out apart from the tie writes)",
    )
    parser.add_argument(
        "--without-rate-limit",
        action="store_true",
        help="diagnostic: meetup without the 10-lines-in-5-s limit (saturation of 25 rooms of 20)",
    )
    parser.add_argument(
        "--server", choices=["uvicorn", "granian"], default="uvicorn", help="what serves meetup (default: uvicorn)"
    )
    parser.add_argument("--profile", metavar="PREFIX", help="py-spy each server: PREFIX-<server>-<rooms>x<n>.txt")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, database)")
    args = parser.parse_args()
    if not set(args.scenario) <= {"a", "b"} or not args.scenario:
        parser.error("--scenario takes a, b or ab")
    if args.members < args.rooms:
        parser.error("--members must be at least --rooms")
    if args.server != "uvicorn" and diagnostics(args):
        parser.error("--without-ties and --without-rate-limit run `main.py serve`: with --server uvicorn only")
    return args


if __name__ == "__main__":
    arguments = parse()
    try:
        import uvloop  # the same loop as the servers, and a leaner client
    except ImportError:
        asyncio.run(main(arguments))
    else:
        uvloop.run(main(arguments))
