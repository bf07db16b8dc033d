"""Shared test fixtures.

Every test gets its own database: on SQLite a copy of a file migrated once per run; on
PostgreSQL (MEETUP_TEST_DATABASE_URL set, as `make test`'s second pass does) the tables of the
migrated test database, emptied before each test. A module may start its tests from a world
it builds once (`prepare`): each test then gets its own copy of that. Redis
(MEETUP_TEST_REDIS_URL) is flushed before each test. Apps are built once per shape and re-bound
to each test's settings with fresh services (`app_for`), as a new app would be. Run in
parallel (pytest-xdist), each worker has its own PostgreSQL database and Redis db
(`for_this_worker`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from piccolo.table import sort_table_classes

from meetup import composers, db
from meetup import settings as app_settings
from meetup.app import bind, create_app, shape
from meetup.settings import Settings

# The suite is MEETUP_ENV=test (cheap password hashing), in this process and the servers it starts.
os.environ["MEETUP_ENV"] = "test"
BASE_URL = "http://testserver.local"
# pytest-xdist's worker ("gw0", "gw1", …), when the suite runs in parallel (`make test`: -n 2).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
T = TypeVar("T")


def for_this_worker(database_url: str | None, redis_url: str | None) -> tuple[str | None, str | None]:
    """Each parallel worker its own PostgreSQL database (`<db>_gw0`, …) and Redis db (the given
    number minus the worker's index), so workers never empty each other's tables or keys."""
    if not WORKER:
        return database_url, redis_url
    index = int(WORKER.removeprefix("gw"))
    if database_url:
        parts = urlsplit(database_url)
        database_url = urlunsplit(parts._replace(path=f"{parts.path}_{WORKER}"))
    if redis_url:
        parts = urlsplit(redis_url)
        number = int(parts.path.strip("/") or 0) - index
        if number < 0:
            raise RuntimeError(f"{redis_url}: too few Redis dbs below it for worker {WORKER}")
        redis_url = urlunsplit(parts._replace(path=f"/{number}"))
    return database_url, redis_url


TEST_DATABASE_URL, TEST_REDIS_URL = for_this_worker(
    os.environ.get("MEETUP_TEST_DATABASE_URL") or None, os.environ.get("MEETUP_TEST_REDIS_URL") or None
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _create_postgres_database(url: str) -> None:
    """Create this worker's database when it does not exist yet (connecting to the given one)."""
    parts = urlsplit(url)
    name = parts.path.strip("/")
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/" + name.removesuffix(f"_{WORKER}"))))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _reset_postgres(url: str) -> None:
    if WORKER:
        await _create_postgres_database(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def _truncate_postgres(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await _empty_postgres(conn)
    finally:
        await conn.close()


async def _empty_postgres(conn: asyncpg.Connection) -> None:
    """Delete every row (children first) and start the ids at 1 again. DELETE, not TRUNCATE: on
    tables this small it takes some 20 ms where TRUNCATE's new files took 0.3–1.2 s on a busy disk."""
    names = _table_names()
    async with conn.transaction():
        await conn.execute(";".join(f"DELETE FROM {name}" for name in reversed(names)))  # noqa: S608 (our tables)
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence(name, 'id'), 1, false) FROM unnest($1::text[]) name", names
        )


async def _flush_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def _migrate(url: str) -> None:
    db.configure(Settings(database_url=url))
    asyncio.run(db.migrate())


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL with every migration applied, made once per test run."""
    if TEST_DATABASE_URL:
        asyncio.run(_reset_postgres(TEST_DATABASE_URL))
        _migrate(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    template = tmp_path_factory.mktemp("template") / "meetup.sqlite3"
    _migrate(f"sqlite:///{template}")
    return f"sqlite:///{template}"


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """A clean, migrated database for this test."""
    if TEST_DATABASE_URL:
        asyncio.run(_truncate_postgres(TEST_DATABASE_URL))
        return TEST_DATABASE_URL
    copy = tmp_path / "meetup.sqlite3"
    shutil.copy(migrated_database.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


def test_settings(database_url: str, var_dir: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="test-secret-key-not-for-production",
        base_url=BASE_URL,
        inprocess_worker=False,
        var_dir=str(var_dir),
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    if TEST_REDIS_URL:
        asyncio.run(_flush_redis(TEST_REDIS_URL))
    made = test_settings(database_url, tmp_path / "var")
    # Services without an app (service-level tests) read these too, not the previous test's.
    app_settings.use(made)
    return made


class Prepared:
    """A database filled once for a module's tests (a world of people and forums), that each
    test gets a copy of: on SQLite a copy of its file, on PostgreSQL its rows written back into
    the emptied tables. Building the world once instead of per test, isolation stays as it was."""

    def __init__(self, sqlite_file: Path | None, rows: dict[str, list[asyncpg.Record]]):
        self.sqlite_file = sqlite_file
        self.rows = rows

    def copy(self, tmp_path: Path) -> str:
        """A database URL for one test, holding exactly the prepared rows."""
        if self.sqlite_file is None:
            asyncio.run(_restore_postgres(TEST_DATABASE_URL, self.rows))
            return TEST_DATABASE_URL
        copy = tmp_path / "meetup.sqlite3"
        shutil.copy(self.sqlite_file, copy)
        return f"sqlite:///{copy}"


def prepare(migrated_database: str, directory: Path, fill: Callable[[], Awaitable[T]]) -> tuple[Prepared, T]:
    """Run `fill` once on a clean database and keep what it wrote; returns that and fill's result."""
    if TEST_DATABASE_URL:
        asyncio.run(_truncate_postgres(TEST_DATABASE_URL))
        url, sqlite_file = TEST_DATABASE_URL, None
    else:
        sqlite_file = directory / "prepared.sqlite3"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), sqlite_file)
        url = f"sqlite:///{sqlite_file}"
    settings = test_settings(url, directory / "var")
    app_settings.use(settings)
    db.configure(settings)

    async def filled() -> tuple[T, dict[str, list[asyncpg.Record]]]:
        await db.open_database()
        try:
            result = await fill()
        finally:
            await db.close_database()
        return result, (await _read_postgres(url) if sqlite_file is None else {})

    result, rows = asyncio.run(filled())
    return Prepared(sqlite_file, rows), result


async def _read_postgres(url: str) -> dict[str, list[asyncpg.Record]]:
    conn = await asyncpg.connect(url)
    try:
        # the app's own table names, never input
        return {name: await conn.fetch(f"SELECT * FROM {name}") for name in _table_names()}  # noqa: S608
    finally:
        await conn.close()


async def _restore_postgres(url: str, rows: dict[str, list[asyncpg.Record]]) -> None:
    """Empty the tables, then write `rows` back (parents first) and move each id sequence past them."""
    conn = await asyncpg.connect(url)
    try:
        await _empty_postgres(conn)
        async with conn.transaction():
            for name in _table_names():
                if records := rows[name]:
                    await conn.copy_records_to_table(name, records=records, columns=list(records[0].keys()))
                    sequence = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"  # noqa: S608
                    await conn.execute(sequence)  # (the app's own table names, never input)
    finally:
        await conn.close()


def _table_names() -> list[str]:
    """The app's tables, each after the tables it refers to."""
    return [table._meta.tablename for table in sort_table_classes(db.all_tables())]


async def _with_csrf(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await client.get("/healthz")
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    return client


def http_client(app: Litestar, address: str = "127.0.0.1", base_url: str = BASE_URL) -> httpx.AsyncClient:
    """An HTTP client talking ASGI to `app` in this event loop (where the database pool lives)."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


# Apps not running now, by shape: building one costs 0.2–1 s (Litestar reads every handler's
# signature), so a test re-binds one an earlier test built for the same shape to its own
# settings (`meetup.app.bind`): its database, Redis, var/ and fresh services, as a new app has.
_idle_apps: dict[tuple, list[Litestar]] = {}


@contextmanager
def app_for(settings: Settings) -> Iterator[Litestar]:
    """An app bound to `settings`, reused by later tests once this one is done with it."""
    idle = _idle_apps.setdefault(shape(settings), [])
    if idle:
        app = idle.pop()
        bind(app, settings)
    else:
        app = create_app(settings)
    try:
        yield app
    finally:
        idle.append(app)


@asynccontextmanager
async def running(settings: Settings, base_url: str = BASE_URL) -> AsyncIterator[httpx.AsyncClient]:
    """A started app (lifespan entered) and one client on it."""
    with app_for(settings) as app:
        async with _started(app), http_client(app, base_url=base_url) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@asynccontextmanager
async def _started(app: Litestar) -> AsyncIterator[None]:
    """`app`'s lifespan entered, in a task of its own."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        # The lifespan opens task groups that must close in the task that opened them, and
        # pytest-asyncio may tear a fixture down in another task: so one task holds it.
        async with app.lifespan():
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait([holder, asyncio.ensure_future(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        holder.result()  # start-up failed: raise its error here
    try:
        yield
    finally:
        stop.set()
        await holder


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a fresh, started app, without the CSRF header (for tests of CSRF itself)."""
    async with running(settings) as client:
        yield client


@pytest.fixture
async def client(app_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A browser-like client: it has fetched a page and sends the CSRF header."""
    return await _with_csrf(app_client)


@pytest.fixture
async def make_client(app_client: httpx.AsyncClient) -> AsyncIterator:
    """More people on the same running app, each with their own cookies (and address)."""
    made: list[httpx.AsyncClient] = []

    async def make(address: str = "127.0.0.1") -> httpx.AsyncClient:
        person = http_client(app_client.app, address)  # type: ignore[attr-defined]
        made.append(person)
        return await _with_csrf(person)

    yield make
    for person in made:
        await person.aclose()


class SmtpCollector:
    """An aiosmtpd handler that keeps what it receives and can be told to refuse."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.peers: list = []  # the connection (client address) each accepted message came on
        self.quits = 0  # connections the client ended with QUIT
        self.reply: str | None = None  # e.g. "451 try later" or "550 no such user"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.reply:
            return self.reply
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.quits += 1
        return "221 Bye"

    def messages(self):
        import email
        import email.policy

        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpCollector, int]]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    handler = SmtpCollector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server) -> Settings:
    import msgspec

    _, port = smtp_server
    return msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Settings]:
    """The test database opened without an app, for service-level tests (with the composers
    registered, as every process that writes mail registers them at start-up)."""
    composers.register_all()
    db.configure(settings)
    await db.open_database()
    try:
        yield settings
    finally:
        await db.close_database()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--only-database-tests",
        action="store_true",
        help="leave out tests that open no database, and the browser walks not marked every_database "
        "(make test's PostgreSQL pass: the SQLite pass ran them)",
    )


BROWSER_TESTS = Path(__file__).parent / "e2e"


def _opens_a_database(item: pytest.Item) -> bool:
    if BROWSER_TESTS in item.path.parents and not item.get_closest_marker("every_database"):
        # A browser walk judges what a person sees and does: the same templates and scripts whichever
        # database holds the rows, and the server's work under the pages is tested on both databases
        # by the API and service tests. It runs once, unless marked `every_database`.
        return False
    module = getattr(item, "module", None)
    # a test module that reads the service URLs itself (servers, pg_dump…) uses them without the fixture
    reads_services = module is not None and any(
        name in vars(module) for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL", "start_server")
    )
    return "database_url" in getattr(item, "fixturenames", ()) or reads_services


# The modules that take longest (a browser, server processes, a fuzzer): run first, so that in
# parallel the other worker fills the time with short tests instead of waiting for the last one.
SLOW_FIRST = (
    "tests/site/test_api_fuzz.py",
    "tests/e2e/",
    "tests/events/test_never_oversold.py",
    "tests/site/test_demo_data.py",
    "tests/site/test_seed_command.py",
    "tests/deploy/",
)


def _slow_rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    return next((rank for rank, prefix in enumerate(SLOW_FIRST) if path.startswith(prefix)), len(SLOW_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_slow_rank)  # stable: each module's tests stay together and in order
    if not config.getoption("--only-database-tests"):
        return
    kept = [item for item in items if _opens_a_database(item)]
    config.hook.pytest_deselected(items=[item for item in items if not _opens_a_database(item)])
    items[:] = kept
