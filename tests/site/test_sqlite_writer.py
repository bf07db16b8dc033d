"""SQLite's short write transactions in one thread hop (`db.write_at_once`): all or nothing, one
at a time with the other writers, and never on a connection that waits for its own lock. Single
statements run at most `db.RUNNING_AT_ONCE` at a time, however many requests ask at once."""

import asyncio
import sqlite3
import threading

import pytest

from meetup import db
from meetup.accounts.tables import Account
from tests.conftest import test_settings as settings_for


@pytest.fixture
async def sqlite(tmp_path):
    """write_at_once is SQLite's (PostgreSQL makes the same change one statement): a SQLite
    database of its own, whichever database the rest of the suite runs on."""
    db.configure(settings_for(f"sqlite:///{tmp_path / 'writer.sqlite3'}", tmp_path / "var"))
    await db.open_database()
    await Account.create_table()
    try:
        yield
    finally:
        await db.close_database()


def _add(connection, email: str, fail: bool = False) -> int:
    connection.execute("INSERT INTO account (email, display_name) VALUES (?, ?)", (email, "書き手"))
    if fail:
        raise ValueError("refused after the first statement")
    return connection.execute("SELECT count(*) AS n FROM account").fetchone()["n"]


async def test_the_transaction_is_all_or_nothing(sqlite):
    assert await db.write_at_once(lambda c: _add(c, "a@example.jp")) == 1
    with pytest.raises(ValueError):
        await db.write_at_once(lambda c: _add(c, "b@example.jp", fail=True))
    assert [r["email"] for r in await Account.select(Account.email)] == ["a@example.jp"]


async def test_it_takes_turns_with_the_other_writers(sqlite):
    async def through_piccolo(n: int) -> None:
        async with db.write_transaction():
            await Account.insert(Account(email=f"p{n}@example.jp", display_name="p"))

    await asyncio.gather(
        *(db.write_at_once(lambda c, n=n: _add(c, f"h{n}@example.jp")) for n in range(20)),
        *(through_piccolo(n) for n in range(20)),
    )
    assert await Account.count() == 40


async def test_a_cancelled_caller_lets_the_transaction_finish_before_anyone_else_writes(sqlite, monkeypatch):
    # the writer's thread (as when another process holds the database): in place, nothing awaits
    monkeypatch.setattr(db.engine(), "_write_in_place", lambda work: (False, None))
    started = asyncio.Event()
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow(connection) -> None:
        connection.execute("INSERT INTO account (email, display_name) VALUES ('slow@example.jp', 's')")
        loop.call_soon_threadsafe(started.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)

    task = asyncio.create_task(db.write_at_once(slow))
    await started.wait()
    task.cancel()
    follower = asyncio.create_task(db.write_at_once(lambda c: _add(c, "next@example.jp")))
    await asyncio.sleep(0.1)
    assert not follower.done()  # the writer lock is still held by the cancelled one's transaction
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await follower == 2  # the cancelled caller's row was committed first


async def test_inside_a_transaction_it_refuses_rather_than_wait_on_itself(sqlite):
    async with db.write_transaction():
        with pytest.raises(RuntimeError):
            await db.write_at_once(lambda c: _add(c, "x@example.jp"))


async def test_single_statements_run_a_few_at_a_time_and_all_answer(sqlite, monkeypatch):
    from piccolo.engine import engine_finder

    engine = engine_finder()
    running, peak = 0, 0
    take, give_back = engine.take_connection, engine.give_back

    async def counted_take():
        nonlocal running, peak
        connection = await take()
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.005)  # a statement that takes a moment, so the others pile up behind it
        return connection

    async def counted_give_back(connection, *, clean):
        nonlocal running
        running -= 1
        await give_back(connection, clean=clean)

    monkeypatch.setattr(engine, "take_connection", counted_take)
    monkeypatch.setattr(engine, "give_back", counted_give_back)
    await Account.insert(Account(email="one@example.jp", display_name="一"))
    counts = await asyncio.gather(*(Account.count() for _ in range(30)))
    assert counts == [1] * 30
    assert peak == db.RUNNING_AT_ONCE


async def test_single_statements_and_statements_in_a_transaction_keep_their_rows_and_failures(sqlite):
    """Each statement is one hop to its connection's thread: a RETURNING insert's row comes back
    and is committed, a refused one raises and leaves nothing (and its connection is not reused),
    and in a transaction the statements see each other and go together."""
    [row] = await db.fetch(
        "INSERT INTO account (email, display_name) VALUES ({}, {}) RETURNING id, email", "x@example.jp", "x"
    )
    assert row["email"] == "x@example.jp"
    with pytest.raises(Exception, match="UNIQUE"):
        await db.fetch("INSERT INTO account (email, display_name) VALUES ({}, {}) RETURNING id", "x@example.jp", "y")
    assert [r["email"] for r in await db.fetch("SELECT email FROM account")] == ["x@example.jp"]
    with pytest.raises(ValueError):
        async with db.write_transaction():
            await Account.insert(Account(email="t@example.jp", display_name="t"))
            assert await Account.count() == 2  # its own insert, seen inside
            raise ValueError("the whole transaction goes")
    assert await Account.count() == 1
    async with db.write_transaction():
        await db.fetch("INSERT INTO account (email, display_name) VALUES ({}, {})", "u@example.jp", "u")
        await Account.insert(Account(email="v@example.jp", display_name="v"))
    assert sorted(r["email"] for r in await db.fetch("SELECT email FROM account")) == [
        "u@example.jp",
        "v@example.jp",
        "x@example.jp",
    ]


# --- reads by key in place (`db.fetch_by_key`): the account and the forum, asked on every request


async def test_a_read_by_key_sees_what_was_just_committed_and_what_its_transaction_wrote(sqlite):
    await db.write_at_once(lambda c: _add(c, "a@example.jp"))
    [row] = await db.fetch_by_key('SELECT * FROM "account" WHERE "email" = {}', "a@example.jp")
    await db.write('UPDATE "account" SET "display_name" = {} WHERE "id" = {}', "読み手", row["id"])
    [again] = await db.fetch_by_key('SELECT * FROM "account" WHERE "id" = {}', row["id"])
    assert again["display_name"] == "読み手"  # committed by another connection: seen at once
    async with db.write_transaction():
        await db.write('UPDATE "account" SET "display_name" = {} WHERE "id" = {}', "途中", row["id"])
        [inside] = await db.fetch_by_key('SELECT * FROM "account" WHERE "id" = {}', row["id"])
        assert inside["display_name"] == "途中"  # the transaction's own connection, its own write


async def test_a_read_by_key_the_database_refuses_at_once_goes_the_threaded_way(sqlite, monkeypatch):
    """A read in place never waits on the event loop (busy timeout 0): when the database says
    "locked" there, the same read is made on a pooled connection's thread, which may wait."""
    await db.write_at_once(lambda c: _add(c, "a@example.jp"))
    loop_thread, real_rows, refused = threading.get_ident(), db._rows, []

    def locked_on_the_loop(connection, query, args):
        if threading.get_ident() == loop_thread:
            refused.append(query)
            raise sqlite3.OperationalError("database is locked")
        return real_rows(connection, query, args)

    monkeypatch.setattr(db, "_rows", locked_on_the_loop)
    [row] = await db.fetch_by_key('SELECT * FROM "account" WHERE "email" = {}', "a@example.jp")
    assert row["email"] == "a@example.jp"
    assert len(refused) == 1  # tried in place once, then read on a connection's thread


async def test_works_that_come_together_are_written_together_each_all_or_nothing(sqlite, monkeypatch):
    transactions = []
    write_at_once = db.engine().write_at_once

    async def counted(work):
        transactions.append(work)
        return await write_at_once(work)

    monkeypatch.setattr(db.engine(), "write_at_once", counted)
    results = await asyncio.gather(
        *(db.write_in_batch(lambda c, n=n: _add(c, f"b{n}@example.jp", fail=n % 5 == 3)) for n in range(20)),
        return_exceptions=True,
    )
    refused = [n for n, result in enumerate(results) if isinstance(result, ValueError)]
    assert refused == [3, 8, 13, 18]  # each caller hears its own work's error, and only its own
    stored = sorted(r["email"] for r in await Account.select(Account.email))
    assert stored == sorted(f"b{n}@example.jp" for n in range(20) if n not in refused)
    # the others' counts, in order: each saw the rows of the works before it, none of a refused one
    assert [r for r in results if not isinstance(r, Exception)] == list(range(1, 17))
    # all twenty came before the writer's first turn: one transaction, one commit
    assert len(transactions) == 1


async def test_a_batch_whose_transaction_fails_tells_each_of_its_callers(sqlite, monkeypatch):
    async def database_gone(work):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(db.engine(), "write_at_once", database_gone)
    results = await asyncio.gather(
        *(db.write_in_batch(lambda c, n=n: _add(c, f"g{n}@example.jp")) for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(result, sqlite3.OperationalError) for result in results)
    monkeypatch.undo()
    assert await db.write_in_batch(lambda c: _add(c, "after@example.jp")) == 1  # and the next one is written


# --- writes in place (the event loop's own connection), the writer's thread when they cannot


async def test_a_write_is_made_on_the_event_loop_s_own_thread(sqlite):
    threads = []

    def add(connection):
        threads.append(threading.get_ident())
        return _add(connection, "loop@example.jp")

    assert await db.write_at_once(add) == 1
    assert threads == [threading.get_ident()]  # no hop: the GIL is not handed to a thread and back
    assert [r["email"] for r in await Account.select(Account.email)] == ["loop@example.jp"]


async def test_while_another_process_writes_the_loop_does_not_wait_and_the_write_is_made_after(sqlite, tmp_path):
    other = sqlite3.connect(tmp_path / "writer.sqlite3", isolation_level=None)  # another process's
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO account (email, display_name) VALUES ('other@example.jp', '他')")
    threads = []

    def add(connection):
        threads.append(threading.get_ident())
        return _add(connection, "mine@example.jp")

    write = asyncio.create_task(db.write_at_once(add))
    ticks = 0
    while ticks < 5:  # the loop keeps turning: the write waits for the lock in the writer's thread
        await asyncio.sleep(0.02)
        ticks += 1
    assert not write.done()
    other.execute("COMMIT")
    assert await write == 2  # made after the other's, which it sees
    assert threads and threads[0] != threading.get_ident()
    other.close()


async def test_the_log_is_checkpointed_by_the_writer_s_thread_every_so_many_writes(sqlite, monkeypatch):
    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 3)
    engine = db.engine()
    checkpoints = []
    checkpoint = engine._checkpoint

    def counted():
        checkpoints.append(threading.get_ident())
        checkpoint()

    monkeypatch.setattr(engine, "_checkpoint", counted)
    for n in range(7):
        await db.write_at_once(lambda c, n=n: _add(c, f"c{n}@example.jp"))
    await asyncio.get_running_loop().run_in_executor(engine._writer_thread, lambda: None)  # done by now
    assert len(checkpoints) == 2
    assert threading.get_ident() not in checkpoints
