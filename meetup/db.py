"""The Piccolo engine chosen by MEETUP_DATABASE_URL, migrations, and write transactions.

SQLite (the embedded default) and PostgreSQL run the same queries. Two SQLite traps shape this
module: a deferred transaction that reads then writes cannot wait for the lock (it fails at
once), and several writers in one process fight over one file. So every write transaction goes
through `write_transaction()`: on SQLite it is BEGIN IMMEDIATE behind one process-wide lock, on
PostgreSQL a plain transaction.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiosqlite
import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine as PiccoloSQLiteEngine
from piccolo.engine.sqlite import SQLiteTransaction, TransactionType, dict_factory
from piccolo.table import Table

from meetup.settings import Settings

_engine: Engine | None = None
_sqlite_writer = asyncio.Lock()
T = TypeVar("T")


RUNNING_AT_ONCE = 4
# Commits made in place (see SQLiteEngine.write_at_once) between two checkpoints of the write-ahead
# log, which the writer's thread makes (a checkpoint syncs files: never on the event loop).
CHECKPOINT_EVERY = 500
# The writers' own sqlite3 connections (in place and in the writer's thread), as the pool's have.
_WRITER_PRAGMAS = ("PRAGMA foreign_keys = 1", "PRAGMA synchronous = NORMAL")


class SQLiteEngine(PiccoloSQLiteEngine):
    """Piccolo's SQLite engine, keeping a few connections open for queries and transactions.

    Piccolo opens a new connection (and thread, and PRAGMAs) for every query outside a transaction
    and for every transaction; reusing them makes every page cheaper, and a write transaction holds
    the writer lock only for its statements (opening the connection was most of a registration's
    time under the lock: shared/notes/profiles-2026-12.md). The pool is on only between
    `open_database()` and `close_database()`, because an idle aiosqlite connection left open keeps
    its (non-daemon) thread and the process alive.
    """

    # Connections kept open: a burst of 50 requests at once opened and closed (a thread each) the
    # ones beyond 8 on every query; 32 idle connections are 32 parked threads and little memory.
    # At most RUNNING_AT_ONCE single statements run at a time (transactions and the writer apart):
    # a statement's thread holds the GIL for most of its work, so fifty threads at once only queued
    # for it, each hand-over costing the event loop. 1,000 registrations for 200 seats on 50 lanes,
    # runs alternated: unlimited 355/384 req/s (p99 320/362 ms), 4 at once 444/409 (p99 194/182 ms).
    def __init__(self, *args: Any, pool_size: int = 32, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []
        self._pooling = False
        self._running = asyncio.Semaphore(RUNNING_AT_ONCE)
        # write_at_once's own connection and the one thread that uses it
        self._writer: sqlite3.Connection | None = None
        self._writer_thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._readers: dict[int, sqlite3.Connection] = {}  # read_in_place's, one per thread
        # write_at_once's in place: the event loop's thread and its connection; commits since the
        # last checkpoint
        self._loop_writer: tuple[int, sqlite3.Connection] | None = None
        self._commits_in_place = 0
        # write_in_batch's: the works waiting for the next transaction, and the task writing them
        self.batch: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future]] = []
        self.batch_writer: asyncio.Task | None = None

    def open_pool(self) -> None:
        self._pooling = True

    async def close_pool(self) -> None:
        self._pooling = False
        self._close_in_place()
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        await asyncio.get_running_loop().run_in_executor(self._writer_thread, self._close_writer)

    def abandon_pool(self) -> None:
        """Stop idle connections' threads without a running loop (the engine is being replaced)."""
        self._pooling = False
        self._close_in_place()
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.stop()
        self._writer_thread.submit(self._close_writer)
        self._writer_thread.shutdown(wait=False)

    def read_in_place(self, query: str, args: list) -> list[dict] | None:
        """A read of one row by its key, on a connection of the calling thread (the event loop's):
        a page-cache hit takes some tens of microseconds, less than a hop to a connection's thread
        and back costs, and in WAL it reads beside the writer without waiting. None when it cannot
        at once (the database busy for a moment, the pool closed): the caller goes the threaded way."""
        if not self._pooling:
            return None
        thread = threading.get_ident()
        try:
            reader = self._readers.get(thread)
            if reader is None:
                reader = self._plain_connection("PRAGMA query_only = 1", timeout=0)
                self._readers[thread] = reader
            return _rows(reader, query, args)
        except sqlite3.OperationalError:  # "database is locked": never wait on the loop
            return None

    def _plain_connection(self, *pragmas: str, **settings: Any) -> sqlite3.Connection:
        """A sqlite3 connection of our own (no aiosqlite thread) to the engine's file, rows as dicts."""
        connection = sqlite3.connect(**{**self.connection_kwargs, "check_same_thread": False, **settings})
        connection.row_factory = dict_factory
        for pragma in pragmas:
            connection.execute(pragma)
        return connection

    def _close_in_place(self) -> None:
        """Close the connections read_in_place and write_at_once use on the loop's thread."""
        readers, self._readers = self._readers, {}
        for reader in readers.values():
            reader.close()
        loop_writer, self._loop_writer = self._loop_writer, None
        if loop_writer is not None:
            loop_writer[1].close()

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write_in_place(self, work: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """`write_at_once` on the calling thread (the event loop's), when the database takes the
        write at once: (True, what `work` returned); (False, None) when another process is writing
        (busy timeout 0: the loop never waits on a lock) or the pool is closed."""
        if not self._pooling:
            return False, None
        thread = threading.get_ident()
        if self._loop_writer is None:
            # No checkpoint on this connection's commits: they sync files, so the writer's thread
            # makes them (every CHECKPOINT_EVERY commits here).
            connection = self._plain_connection(*_WRITER_PRAGMAS, "PRAGMA wal_autocheckpoint = 0", timeout=0)
            self._loop_writer = (thread, connection)
        owner, connection = self._loop_writer
        if owner != thread:
            return False, None
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked": another process is writing
            return False, None
        try:
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        self._commits_in_place += 1
        if self._commits_in_place % CHECKPOINT_EVERY == 0:
            self._writer_thread.submit(self._checkpoint)
        return True, result

    def _checkpoint(self) -> None:
        """In the writer's thread: copy the write-ahead log back into the database, without waiting
        for anyone (PASSIVE: what readers still use stays for the next one)."""
        self._writer_connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _writer_connection(self) -> sqlite3.Connection:
        """The writer's thread's own connection, made on first use."""
        if self._writer is None:
            self._writer = self._plain_connection(*_WRITER_PRAGMAS)
        return self._writer

    async def write_at_once(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` (plain sqlite3 statements, no awaits) as one BEGIN IMMEDIATE … COMMIT: on the
        event loop's own connection when the database takes the write at once, else on the
        writer's connection in its thread (one thread hop for the whole transaction). Call it
        holding the writer lock (`write_at_once()` below does).

        In place first, because a thread hop costs the GIL: while the event loop is busy, the
        writer's thread waits up to a switch interval (0.5 ms) to get it back after every statement
        (sqlite3 lets it go around each), and a room's line, a few statements taking ~20 µs, took
        ~1.6 ms — the writer, not the fan-out, was what bounded a busy process (issue 18). A
        write's statements are short (a few rows by key) and a commit in WAL with
        synchronous=NORMAL writes the log without syncing it."""
        done, result = self._write_in_place(work)
        if done:
            return result  # type: ignore[return-value]

        def run() -> T:
            connection = self._writer_connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        future = asyncio.get_running_loop().run_in_executor(self._writer_thread, run)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:  # the transaction runs to its end: hold the lock until then
            await asyncio.wait([future])
            raise

    async def take_connection(self) -> aiosqlite.Connection:
        return self._idle.pop() if self._pooling and self._idle else await self._connect()

    async def give_back(self, connection: aiosqlite.Connection, *, clean: bool) -> None:
        """Back to the pool if it ended cleanly (committed or rolled back) and there is room."""
        if not clean:
            connection.stop()  # a failed or cancelled statement: never reuse that connection
        elif self._pooling and len(self._idle) < self.pool_size:
            self._idle.append(connection)
        else:
            await connection.close()

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        if not self._pooling or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_new_connection(query, args, query_type, table)
        async with self._running:
            connection = await self.take_connection()
            clean = False
            try:
                # one hop to the connection's thread for the whole statement (aiosqlite's own
                # execute, commit and fetchall were three, each a thread wake-up and a loop turn)
                rows = await connection._execute(_statement, connection._conn, query, args or [])
                clean = True
            finally:
                await self.give_back(connection, clean=clean)
        return rows

    async def _run_in_existing_connection(self, connection, query, args=None, query_type="generic", table=None):
        """A statement in a transaction, in one hop (Piccolo's took four: a PRAGMA our connections
        already have, execute, fetchall and closing the cursor)."""
        if query_type == "insert" and self.get_version_sync() < 3.35:
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        return await connection._execute(_rows, connection._conn, query, args or [])

    async def get_connection(self) -> aiosqlite.Connection:
        return await self._connect()  # transactions' connections get the same settings

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        await connection.execute("PRAGMA foreign_keys = 1")
        # WAL with synchronous=NORMAL: no fsync per commit, still safe from corruption and durable
        # when the process crashes (only a power cut can lose the last commits).
        await connection.execute("PRAGMA synchronous = NORMAL")
        connection.row_factory = dict_factory
        return connection


def _rows(connection: sqlite3.Connection, query: str, args: list | tuple) -> list[dict]:
    """One statement, in the connection's own thread: all its rows."""
    cursor = connection.execute(query, args)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _statement(connection: sqlite3.Connection, query: str, args: list) -> list[dict]:
    """One statement and its commit, in the connection's own thread: its rows (all of them read
    before the commit, as a RETURNING statement's must be)."""
    rows = _rows(connection, query, args)
    connection.commit()
    return rows


class _SQLiteTransaction(SQLiteTransaction):
    """Piccolo's transaction on a connection of the engine's pool, handed back once COMMIT or
    ROLLBACK went through (Piccolo opens one per transaction and closes it after; and when its
    COMMIT fails it neither closes that connection nor resets the current transaction)."""

    __slots__ = ()

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.engine.take_connection()
        try:
            await self.begin()  # BEGIN IMMEDIATE can time out on a lock another process holds
        except BaseException:
            await self.engine.give_back(self.connection, clean=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        clean = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            clean = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.give_back(self.connection, clean=clean)
        return exception is None


class _PostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, but its connection goes back to the pool when BEGIN fails or the
    rollback itself fails (the server went away), and the current-transaction mark is cleared.
    Piccolo skips both then: each such failure kept a pooled connection for ever, so a database
    restart under load could leave the app with an empty pool (found by the restart test)."""

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        self.transaction = self.connection.transaction()
        try:
            await self.begin()
        except BaseException:
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                if self.engine.pool:
                    await self.engine.pool.release(self.connection)
                else:
                    await self.connection.close()
            finally:
                self.engine.current_transaction.reset(self.context)
        return exception is None


class _PostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _PostgresTransaction(engine=self, allow_nested=allow_nested)


def unique_violation(error: BaseException) -> bool:
    """True when `error` is either database refusing an insert that breaks a unique index."""
    if isinstance(error, sqlite3.IntegrityError):
        return str(error).startswith("UNIQUE constraint failed")
    return isinstance(error, asyncpg.UniqueViolationError)


def utcnow() -> datetime:
    """Aware UTC now: SQLite compares timestamps as text, so every stored time is UTC-aware."""
    return datetime.now(UTC)


def build_engine(database_url: str) -> Engine:
    if database_url.startswith(("postgresql://", "postgres://")):
        return _PostgresEngine(config={"dsn": database_url})
    from meetup.settings import Settings

    path = Settings(database_url=database_url).sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout is sqlite3's busy timeout: a second process (the worker) waits instead of failing.
    return SQLiteEngine(path=str(path), timeout=30)


def engine() -> Engine:
    """The engine in use; built from the environment on first use (the piccolo CLI path)."""
    global _engine
    if _engine is None:
        from meetup.settings import load_settings

        configure(load_settings())
    assert _engine is not None
    return _engine


def configure(settings: Settings) -> Engine:
    """Point every table (and Piccolo's migration table) at the database in `settings`."""
    global _engine, _sqlite_writer
    if isinstance(_engine, SQLiteEngine):
        _engine.abandon_pool()
    _engine = build_engine(settings.database_url)
    _sqlite_writer = asyncio.Lock()
    for table in (*all_tables(), Migration):
        table._meta.db = _engine
    return _engine


def all_tables() -> list[type[Table]]:
    from meetup.piccolo_app import APP_CONFIG

    return list(APP_CONFIG.table_classes)


async def open_database() -> None:
    """Called in the app lifespan: WAL for SQLite, the asyncpg pool for PostgreSQL."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
        db.open_pool()
    else:
        # min_size=0: the app starts (and /healthz answers 503) while PostgreSQL is still down.
        # Connections once opened stay (asyncpg closes those idle for 5 minutes by default): the
        # burst when registration opens after a quiet hour would start a backend for each.
        await db.start_connection_pool(min_size=0, max_size=20, reset=_keep_session, max_inactive_connection_lifetime=0)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What the pool runs on a connection handed back, after rolling back an open transaction.

    asyncpg's default also resets session settings, LISTENs and advisory locks: one more round
    trip per query, for state this app never leaves behind (its settings are SET LOCAL)."""


async def close_database() -> None:
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.close_pool()
    elif db.engine_type == "postgres" and db.pool is not None:  # two apps on one engine (tests): closed once
        await db.close_connection_pool()


async def migrate() -> None:
    """Apply every migration in migrations/ (idempotent)."""
    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")


async def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        await asyncio.wait_for(engine().run_ddl("SELECT 1"), timeout=3)
    except Exception:  # any failure means "cannot be reached" for /healthz
        return False
    return True


@functools.lru_cache(maxsize=256)
def _dialect(sql: str, engine_type: str) -> str:
    if engine_type != "postgres":
        return sql.replace("{}", "?")
    parts = sql.split("{}")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]


def sqlite_text(sql: str) -> str:
    """A statement written for `fetch` (`{}` for each argument), for a plain sqlite3 cursor."""
    return _dialect(sql, "sqlite")


async def fetch(sql: str, *args: Any) -> list[dict]:
    """Run one hand-written statement (`{}` marks each argument) in the current transaction, or
    on a pooled connection: for the few hot paths where building the query with Piccolo costs
    more than running it (a registration burst; every request's account lookup)."""
    db = engine()
    text = _dialect(sql, db.engine_type)
    transaction = db.current_transaction.get()
    if db.engine_type == "postgres":
        if transaction is not None:
            rows = await transaction.connection.fetch(text, *args)
        elif db.pool is not None:
            async with db.pool.acquire() as connection:
                rows = await connection.fetch(text, *args)
        else:
            return await db._run_in_new_connection(text, list(args))
        return [dict(row) for row in rows]
    if transaction is not None:
        return await db._run_in_existing_connection(transaction.connection, text, list(args))
    return await db._run_in_new_connection(text, list(args))


async def fetch_by_key(sql: str, *args: Any) -> list[dict]:
    """`fetch` for a read of one row by its key that nearly every request makes (the account, the
    forum): on SQLite, outside a transaction, read in place on the event loop's thread
    (SQLiteEngine.read_in_place) instead of on a pooled connection's thread."""
    db = engine()
    if isinstance(db, SQLiteEngine) and db.current_transaction.get() is None:
        rows = db.read_in_place(_dialect(sql, db.engine_type), list(args))
        if rows is not None:
            return rows
    return await fetch(sql, *args)


async def write(sql: str, *args: Any) -> None:
    """One hand-written writing statement (`{}` marks each argument), atomic on its own: in the
    current transaction if there is one; else on SQLite at once through `write_at_once` (a pooled
    statement took three thread hops: execute, commit, fetch), on PostgreSQL on a pooled
    connection with no BEGIN or COMMIT."""
    if writes_at_once():
        text = sqlite_text(sql)
        await write_at_once(lambda connection: connection.execute(text, args))
        return
    await fetch(sql, *args)


async def insert(row: Table, *, returning: str = "*", skip_conflict_on: str | None = None) -> list[dict]:
    """Insert one Piccolo row through `fetch` (its defaults filled as Piccolo fills them).

    `skip_conflict_on` names a unique column whose clash inserts nothing (and returns [])."""
    sql, args = insert_statement(row, returning=returning, skip_conflict_on=skip_conflict_on)
    return await fetch(sql, *args)


def insert_statement(
    row: Table, *, returning: str = "*", skip_conflict_on: str | None = None, only_if: str = ""
) -> tuple[str, tuple]:
    """`insert`'s statement and its arguments, to run or to place in a larger statement.

    `only_if` is a query (no arguments): the row goes in only if it finds a row."""
    columns = tuple(column for column in row._meta.columns if not column._meta.primary_key)
    names = tuple(column._meta.db_column_name for column in columns)
    sql = _insert_sql(row._meta.tablename, names, returning, skip_conflict_on, only_if)
    return sql, tuple(getattr(row, column._meta.name) for column in columns)


@functools.lru_cache(maxsize=64)
def _insert_sql(
    table: str, names: tuple[str, ...], returning: str, skip_conflict_on: str | None, condition: str
) -> str:
    quoted = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("{}" for _ in names)
    source = f"SELECT {marks} WHERE EXISTS ({condition})" if condition else f"VALUES ({marks})"
    conflict = f' ON CONFLICT ("{skip_conflict_on}") DO NOTHING' if skip_conflict_on else ""
    # every name here comes from a table's definition, the condition from the code, never a request
    return f'INSERT INTO "{table}" ({quoted}) {source}{conflict} RETURNING {returning}'  # noqa: S608


@asynccontextmanager
async def single_write() -> AsyncIterator[None]:
    """Around one writing statement, which is atomic on its own: joins the current transaction,
    and outside one costs PostgreSQL no BEGIN and COMMIT (SQLite still takes its writer lock)."""
    db = engine()
    if db.transaction_exists() or db.engine_type != "sqlite":
        yield
        return
    async with _sqlite_writer:
        yield


def writes_at_once() -> bool:
    """True where `write_at_once` may be used: SQLite, outside a transaction."""
    db = engine()
    return isinstance(db, SQLiteEngine) and not db.transaction_exists()


async def write_at_once(work: Callable[[sqlite3.Connection], T]) -> T:
    """SQLite only: one short write transaction whose statements need nothing from the event loop
    between them (`work` gets a plain sqlite3 connection). A transaction of awaited statements
    holds the process-wide writer lock across a loop turn for each statement, and in a busy
    process a turn is long: run at once (on the loop's own connection, or in one hop to the
    writer's thread), the lock is held for the statements only.
    On PostgreSQL the same change is one statement (see events/seats.py)."""
    if not writes_at_once():
        raise RuntimeError("write_at_once is for SQLite, outside a transaction (it would wait on its own lock)")
    async with _sqlite_writer:
        return await engine().write_at_once(work)


async def write_in_batch(work: Callable[[sqlite3.Connection], T]) -> T:
    """SQLite only: as `write_at_once`, for small writes that come many at a time (a busy room's
    lines). The works that come while one transaction is being written go together into the next:
    one savepoint each (a work that raises undoes its own statements only, and its caller gets the
    error) and one commit for them all. At a room's saturation each line cost a transaction of
    its own, and the writer, not the fan-out, bounded how many lines a second a process took
    (issue 18)."""
    if not writes_at_once():
        raise RuntimeError("write_in_batch is for SQLite, outside a transaction (it would wait on its own lock)")
    db = engine()
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    db.batch.append((work, future))
    if db.batch_writer is None:
        db.batch_writer = asyncio.create_task(_write_batches(db))
    return await future


async def _write_batches(db: SQLiteEngine) -> None:
    batch: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future]] = []
    try:
        while db.batch:
            batch, db.batch = db.batch, []
            try:
                async with _sqlite_writer:
                    outcomes = await db.write_at_once(functools.partial(_each_in_savepoint, [w for w, _ in batch]))
            except Exception as error:  # the transaction itself failed (the database locked, gone)
                outcomes = [(None, error)] * len(batch)
            for (_, future), (value, error) in zip(batch, outcomes, strict=True):
                if future.done():  # its caller stopped waiting (the work was done all the same)
                    continue
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)
            batch = []
    finally:
        db.batch_writer = None
        for _, future in (*batch, *db.batch):  # cancelled (the app stopping): nobody left waiting
            if not future.done():
                future.set_exception(RuntimeError("the database is closing: the write was not done"))
        db.batch = []


def _each_in_savepoint(works: list[Callable[[sqlite3.Connection], Any]], connection: sqlite3.Connection) -> list:
    """Each work in a savepoint of its own: (its value, None) or (None, what it raised)."""
    outcomes: list[tuple[Any, Exception | None]] = []
    for work in works:
        connection.execute("SAVEPOINT work")
        try:
            value = work(connection)
        except Exception as error:
            connection.execute("ROLLBACK TO work")
            outcomes.append((None, error))
        else:
            outcomes.append((value, None))
        connection.execute("RELEASE work")
    return outcomes


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """One atomic unit of writes; nested calls join the outer transaction."""
    db = engine()
    if db.transaction_exists():
        yield
        return
    if db.engine_type == "sqlite":
        async with _sqlite_writer, db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with db.transaction():
            yield
