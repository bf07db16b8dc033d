"""Seats and the waitlist: every change of a forum's seat counters and of who holds a seat or
waits for one happens here, on SQLite and PostgreSQL alike. Nothing here may ever oversell.

The counters, on the forum's row (`Event`):
- `confirmed_count` is the number of its registrations with status `confirmed`;
- `waitlisted_count` is the number with status `waitlisted` (a newcomer's position is it + 1);
- `waitlist_seq` is the last waitlist number given out (`Registration.queue_order`); it only grows,
  so the waitlist's order is `queue_order` and a position is the rank among those waiting.

The lock: every change of seats happens with the forum's row locked, either
- in one conditional UPDATE of the forum that takes the seat (`_CLAIM`; on PostgreSQL a newcomer's
  claim, row and mail are one statement, `_CLAIM_AND_INSERT`, so the lock is held for that
  statement and its commit only; on SQLite they are one savepoint in a transaction run at once
  with the other newcomers' that came meanwhile, `db.write_in_batch`, so the writer
  lock is held for the statements only and a burst shares its commits), or
- inside `write_transaction()` after `lock_event()` (an UPDATE, so PostgreSQL holds it to commit;
  on SQLite the process-wide writer lock serialises every write).
With the lock held the counters are the truth and the waitlist's order cannot change under us: a
seat is never given twice and positions have no gaps. Whatever moves a registration onto or off
`confirmed` or `waitlisted` changes the counter in the same statement or transaction; nothing
outside this module writes them. The callers queue each changed registration's mail in the same
transaction (registration.py, lottery.py) and fire `revocation.place_ended` once committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from meetup.db import engine, fetch, insert_statement, sqlite_text, utcnow, write_in_batch, writes_at_once
from meetup.events.tables import Enrolment, Event, Registration, Series
from meetup.mail.outbox import Mail, enqueue_statement


class Raced(Exception):
    """The forum or the registration changed between reading and locking: read again."""


async def lock_event(event_id: int) -> dict:
    """Take the forum's row lock for this transaction and return its seat counters."""
    rows = (
        await Event.update({Event.waitlist_seq: Event.waitlist_seq + 0})
        .where(Event.id == event_id)
        .returning(
            Event.id,
            Event.capacity,
            Event.confirmed_count,
            Event.waitlist_seq,
            Event.registration_mode,
            Event.status,
        )
    )
    return rows[0]


def has_seat(event: dict) -> bool:
    """A seat is free: no limit, or fewer confirmed than the capacity."""
    return event["capacity"] is None or event["confirmed_count"] < event["capacity"]


def free_seats(event: dict) -> int | None:
    """Seats still free (None: no limit)."""
    return None if event["capacity"] is None else max(event["capacity"] - event["confirmed_count"], 0)


async def waitlist_position(event_id: int, queue_order: int | None) -> int | None:
    """A waiting registration's place in line: 1 + those waiting with a smaller number."""
    if queue_order is None:
        return None
    rows = await fetch(
        "SELECT count(*) AS ahead FROM registration WHERE event = {} AND status = 'waitlisted' AND queue_order < {}",
        event_id,
        queue_order,
    )
    return rows[0]["ahead"] + 1


# Take: each takes the forum's row lock when it matches; their conditions exclude each other, so
# one matches unless the forum changed between the two ({} is the forum's id).
_CLAIM = {
    "confirmed": "UPDATE event SET confirmed_count = confirmed_count + 1"
    " WHERE id = {} AND status = 'published' AND registration_mode = 'first_come'"
    " AND (capacity IS NULL OR confirmed_count < capacity) RETURNING waitlist_seq",
    "waitlisted": "UPDATE event SET waitlist_seq = waitlist_seq + 1, waitlisted_count = waitlisted_count + 1"
    " WHERE id = {} AND status = 'published' AND registration_mode = 'first_come'"
    " AND capacity IS NOT NULL AND confirmed_count >= capacity RETURNING waitlist_seq, waitlisted_count",
}
# PostgreSQL: a newcomer's claim, row and mail in one statement, committed on its own. The
# forum's lock is then held for that statement and its commit only, never while this process,
# busy with a thousand other requests, comes round to sending the next statement.
_CLAIM_AND_INSERT = {
    "confirmed": "WITH claim AS (UPDATE event SET confirmed_count = confirmed_count + 1"
    " WHERE id = {} AND status = 'published' AND registration_mode = 'first_come'"
    " AND (capacity IS NULL OR confirmed_count < capacity) RETURNING NULL::integer AS position),"
    " reg AS (INSERT INTO registration (event, account, ticket_code, status, queue_order,"
    " answers_json, prefecture, created_at, updated_at, confirmed_at)"
    " SELECT {}, {}, {}, 'confirmed', NULL, {}, {}, {}, {}, {} FROM claim RETURNING *)",
    "waitlisted": "WITH claim AS (UPDATE event SET waitlist_seq = waitlist_seq + 1,"
    " waitlisted_count = waitlisted_count + 1"
    " WHERE id = {} AND status = 'published' AND registration_mode = 'first_come'"
    " AND capacity IS NOT NULL AND confirmed_count >= capacity"
    " RETURNING waitlist_seq, waitlisted_count AS position),"
    " reg AS (INSERT INTO registration (event, account, ticket_code, status, queue_order,"
    " answers_json, prefecture, created_at, updated_at, confirmed_at)"
    " SELECT {}, {}, {}, 'waitlisted', waitlist_seq, {}, {}, {}, {}, {} FROM claim RETURNING *)",
}
_CLAIMED = " SELECT reg.*, claim.position AS waitlist_position FROM reg, claim"


def in_one_statement(event: dict) -> bool:
    """A newcomer's place is taken at once (first come, first served): one statement on
    PostgreSQL, one short transaction on SQLite (outside any transaction: it is its own)."""
    return event["registration_mode"] == "first_come" and (engine().engine_type == "postgres" or writes_at_once())


def _claim_order(event: dict) -> tuple[str, str]:
    """Try first what the forum's last known counts suggest."""
    return ("confirmed", "waitlisted") if has_seat(event) else ("waitlisted", "confirmed")


async def take_in_one_statement(
    event: dict,
    user_id: int,
    ticket_code: str,
    answers_json: str,
    prefecture: str | None,
    now: datetime,
    mail_for: Callable[[str], Mail | None],
) -> dict:
    """A newcomer's seat or waitlist number, their registration row and its mail (`mail_for`
    the status taken), in one statement on PostgreSQL and one short transaction on SQLite: the
    row with its `waitlist_position`. Raises Raced when the forum changed meanwhile."""
    if engine().engine_type != "postgres":
        row = Registration(
            event=event["id"],
            account=user_id,
            ticket_code=ticket_code,
            answers_json=answers_json,
            prefecture=prefecture,
            created_at=now,
            updated_at=now,
        )
        return await write_in_batch(lambda connection: _take_on_sqlite(connection, event, row, mail_for))
    for status in _claim_order(event):
        mail_sql, mail_args = "", ()
        mail = mail_for(status)
        if mail is not None:
            mail_sql, mail_args = enqueue_statement(mail, only_if="SELECT 1 FROM reg")
            mail_sql = f", mail AS ({mail_sql})"
        rows = await fetch(
            f"{_CLAIM_AND_INSERT[status]}{mail_sql}{_CLAIMED}",  # noqa: S608 (all from the code)
            event["id"],
            event["id"],
            user_id,
            ticket_code,
            answers_json,
            prefecture,
            now,
            now,
            now if status == "confirmed" else None,
            *mail_args,
        )
        if rows:
            return rows[0]
    raise Raced


def _take_on_sqlite(
    connection: sqlite3.Connection, event: dict, row: Registration, mail_for: Callable[[str], Mail | None]
) -> dict:
    """take_in_one_statement on SQLite, in the writer's thread inside BEGIN IMMEDIATE … COMMIT."""
    for status in _claim_order(event):
        claimed = connection.execute(sqlite_text(_CLAIM[status]), (event["id"],)).fetchone()
        if claimed:
            break
    else:
        raise Raced
    row.status = status
    if status == "confirmed":
        row.confirmed_at, position = row.updated_at, None
    else:
        row.queue_order, position = claimed["waitlist_seq"], claimed["waitlisted_count"]
    sql, args = insert_statement(row)
    stored = connection.execute(sqlite_text(sql), args).fetchone()
    mail = mail_for(status)
    if mail is not None:
        sql, args = insert_statement(mail, returning="id", skip_conflict_on="dedupe_key")
        connection.execute(sqlite_text(sql), args).fetchone()
    return {**stored, "waitlist_position": position}


async def take(event: dict, now: datetime) -> dict:
    """Inside `write_transaction()`: lock the forum and take a seat, the next waitlist number, or
    (lottery, approval) neither. Returns the registration's new values, with `waitlist_position`
    when waitlisted; raises Raced when the forum changed meanwhile."""
    if event["registration_mode"] != "first_come":
        locked = await lock_event(event["id"])
        if locked["status"] != "published" or locked["registration_mode"] == "first_come":
            raise Raced
        return {}
    for status in _claim_order(event):
        claimed = await fetch(_CLAIM[status], event["id"])
        if claimed and status == "confirmed":
            return {"status": status, "confirmed_at": now}
        if claimed:
            return {
                "status": status,
                "queue_order": claimed[0]["waitlist_seq"],
                "waitlist_position": claimed[0]["waitlisted_count"],
            }
    raise Raced


async def _set_status(reg_id: int, status: str, **extra: object) -> dict:
    values = {Registration.status: status, Registration.updated_at: utcnow()}
    values.update({getattr(Registration, k): v for k, v in extra.items()})
    await Registration.update(values).where(Registration.id == reg_id)
    return await Registration.select().where(Registration.id == reg_id).first()


async def _move(
    table: type[Event | Series],
    row_id: int,
    *,
    confirmed: int = 0,
    waitlisted: int = 0,
    numbered: int = 0,
    **more: object,
) -> None:
    """Move a forum's (or a series') counters by these amounts (and set `more` columns) in one UPDATE."""
    values: dict = {getattr(table, name): value for name, value in more.items()}
    if confirmed:
        values[table.confirmed_count] = table.confirmed_count + confirmed
    if numbered:
        values[table.waitlist_seq] = table.waitlist_seq + numbered
    if waitlisted:
        values[table.waitlisted_count] = table.waitlisted_count + waitlisted
    if values:
        await table.update(values).where(table.id == row_id)


async def promote(event_id: int) -> list[dict]:
    """With the forum locked: hand free seats to the waitlist, first in line first, while the
    forum is published and not over. Returns the promoted registrations' new rows."""
    event = await Event.select().where(Event.id == event_id).first()
    if event["status"] != "published" or event["ends_at"] <= utcnow():
        return []
    free = free_seats(event)
    if free == 0:
        return []
    query = (
        Registration.select()
        .where((Registration.event == event_id) & (Registration.status == "waitlisted"))
        .order_by(Registration.queue_order)
    )
    if free is not None:
        query = query.limit(free)
    waiting = await query
    now = utcnow()
    promoted = [await _set_status(w["id"], "confirmed", queue_order=None, confirmed_at=now) for w in waiting]
    await _move(Event, event_id, confirmed=len(promoted), waitlisted=-len(promoted))
    return promoted


async def give_back(row: dict, status: str) -> tuple[dict, list[dict]]:
    """With the forum locked: the registration leaves its seat or the waitlist for `status`
    (cancelled, rejected); a seat it held goes at once to the first in line. Returns its new row
    and the promoted registrations' rows."""
    updated = await _set_status(row["id"], status, queue_order=None)
    if row["status"] == "confirmed":
        await _move(Event, row["event"], confirmed=-1)
        return updated, await promote(row["event"])
    if row["status"] == "waitlisted":
        await _move(Event, row["event"], waitlisted=-1)
    return updated, []


async def admit(locked: dict, reg_id: int) -> dict:
    """With the forum locked (`locked` from lock_event): an approved applicant gets a seat, or
    the end of the waitlist when the forum is full. Returns the registration's new row."""
    if has_seat(locked):
        row = await _set_status(reg_id, "confirmed", confirmed_at=utcnow(), queue_order=None)
        await _move(Event, locked["id"], confirmed=1)
    else:
        row = await _set_status(reg_id, "waitlisted", queue_order=locked["waitlist_seq"] + 1)
        await _move(Event, locked["id"], numbered=1, waitlisted=1)
    return row


async def _mark_drawn(
    table: type[Registration | Enrolment], locked: dict, winners: list[dict], rest: list[dict], now: datetime
) -> None:
    """A draw's winners confirmed and the rest waitlisted in the order given, numbered after
    `locked`'s last waitlist number (a forum's registrations or a series' enrolments)."""
    for winner in winners:
        await table.update({table.status: "confirmed", table.confirmed_at: now, table.updated_at: now}).where(
            table.id == winner["id"]
        )
    for offset, loser in enumerate(rest, start=1):
        await table.update(
            {table.status: "waitlisted", table.queue_order: locked["waitlist_seq"] + offset, table.updated_at: now}
        ).where(table.id == loser["id"])


async def place_drawn(locked: dict, winners: list[dict], rest: list[dict], now: datetime) -> list[dict]:
    """With the forum locked: a lottery's winners take their seats and the rest join the
    waitlist in the order given; the forum is marked drawn. Returns the new rows, winners first."""
    await _mark_drawn(Registration, locked, winners, rest, now)
    # drawn_at: the forum's page and card say "drawn" from now on
    await _move(Event, locked["id"], confirmed=len(winners), numbered=len(rest), waitlisted=len(rest), drawn_at=now)
    return [await Registration.select().where(Registration.id == r["id"]).first() for r in [*winners, *rest]]


async def seat_past_attendees(event_id: int, user_ids: list[int], codes: Callable[[], str]) -> int:
    """Confirmed seats at a forum already held, for people who have none (demo data, a forum
    recorded after the fact): no capacity check and no mail. Call inside `write_transaction()`;
    returns how many were seated. `codes` draws each new ticket code."""
    await lock_event(event_id)
    rows = await Registration.select(Registration.account).where(Registration.event == event_id)
    have = {row["account"] for row in rows}
    new = [uid for uid in dict.fromkeys(user_ids) if uid not in have]
    if new:
        event = await Event.select(Event.starts_at).where(Event.id == event_id).first()
        when = event["starts_at"]
        await Registration.insert(
            *[
                Registration(
                    event=event_id,
                    account=uid,
                    status="confirmed",
                    ticket_code=codes(),
                    created_at=when,
                    updated_at=when,
                    confirmed_at=when,
                )  # fmt: skip
                for uid in new
            ]
        )
        await _move(Event, event_id, confirmed=len(new))
    return len(new)


# Enrolment in a series (CONTRACT §5.3): the series' row carries the same three counters as a
# forum's and is locked the same way; a confirmed enrolment holds a confirmed registration (source
# "enrolment") at every session not yet over, taken with the series locked, then each session's.


async def lock_series(series_id: int) -> dict:
    """Take the series' row lock for this transaction and return its enrolment counters."""
    rows = (
        await Series.update({Series.waitlist_seq: Series.waitlist_seq + 0})
        .where(Series.id == series_id)
        .returning(Series.id, Series.enrol_capacity, Series.enrol_mode, Series.confirmed_count, Series.waitlist_seq)
    )
    return rows[0]


def _enrol_status(locked: dict) -> str:
    if locked["enrol_mode"] in ("approval", "lottery"):
        return "pending"
    return "confirmed" if locked["confirmed_count"] < locked["enrol_capacity"] else "waitlisted"


async def _set_enrolment(enrolment_id: int, status: str, **extra: object) -> dict:
    values = {Enrolment.status: status, Enrolment.updated_at: utcnow()}
    values.update({getattr(Enrolment, k): v for k, v in extra.items()})
    await Enrolment.update(values).where(Enrolment.id == enrolment_id)
    return await Enrolment.select().where(Enrolment.id == enrolment_id).first()


async def enrol(
    locked: dict, user_id: int, existing: dict | None, prefecture: str | None, codes: Callable[[], str]
) -> dict:
    """With the series locked (`locked` from lock_series): a new (or returning) applicant's
    place: a seat at every session, the end of the waitlist, or (approval, lottery) pending."""
    status, now = _enrol_status(locked), utcnow()
    extra: dict = {
        "queue_order": None,
        "confirmed_at": now if status == "confirmed" else None,
        "prefecture": prefecture,
    }
    if status == "waitlisted":
        extra["queue_order"] = locked["waitlist_seq"] + 1
    if existing is None:
        rows = await Enrolment.insert(
            Enrolment(series=locked["id"], account=user_id, status=status, created_at=now, updated_at=now, **extra)
        ).returning(Enrolment.id)
        row = await Enrolment.select().where(Enrolment.id == rows[0]["id"]).first()
    else:
        row = await _set_enrolment(existing["id"], status, **extra)
    waiting = int(status == "waitlisted")
    await _move(Series, locked["id"], confirmed=int(status == "confirmed"), waitlisted=waiting, numbered=waiting)
    if status == "confirmed":
        await seat_at_sessions(locked["id"], [user_id], codes)
    return row


async def admit_enrolment(locked: dict, row: dict, codes: Callable[[], str]) -> dict:
    """With the series locked: an approved applicant is seated at every session, or waits."""
    if locked["confirmed_count"] < locked["enrol_capacity"]:
        updated = await _set_enrolment(row["id"], "confirmed", confirmed_at=utcnow(), queue_order=None)
        await _move(Series, locked["id"], confirmed=1)
        await seat_at_sessions(locked["id"], [row["account"]], codes)
        return updated
    updated = await _set_enrolment(row["id"], "waitlisted", queue_order=locked["waitlist_seq"] + 1)
    await _move(Series, locked["id"], numbered=1, waitlisted=1)
    return updated


async def leave_series(row: dict, status: str, codes: Callable[[], str]) -> tuple[dict, list[int], list[dict]]:
    """With the series locked: the enrolment leaves for `status` (cancelled, rejected). A seat it
    held is given up at every session not yet over and goes to the first in the series' line.
    Returns its new row, the sessions whose seat it gave up, and the promoted enrolments."""
    updated = await _set_enrolment(row["id"], status, queue_order=None)
    if row["status"] == "waitlisted":
        await _move(Series, row["series"], waitlisted=-1)
    if row["status"] != "confirmed":
        return updated, [], []
    await _move(Series, row["series"], confirmed=-1)
    left = await _unseat_at_sessions(row["series"], row["account"])
    return updated, left, await promote_enrolments(row["series"], codes)


async def promote_enrolments(series_id: int, codes: Callable[[], str]) -> list[dict]:
    """With the series locked: free places go to the series' waitlist, first in line first."""
    locked = await lock_series(series_id)
    if locked["enrol_capacity"] is None:
        return []
    free = max(locked["enrol_capacity"] - locked["confirmed_count"], 0)
    waiting = (
        await Enrolment.select()
        .where((Enrolment.series == series_id) & (Enrolment.status == "waitlisted"))
        .order_by(Enrolment.queue_order)
        .limit(free)
        if free
        else []
    )
    now = utcnow()
    promoted = [await _set_enrolment(w["id"], "confirmed", queue_order=None, confirmed_at=now) for w in waiting]
    await _move(Series, series_id, confirmed=len(promoted), waitlisted=-len(promoted))
    await seat_at_sessions(series_id, [p["account"] for p in promoted], codes)
    return promoted


async def place_enrolments_drawn(
    locked: dict, winners: list[dict], rest: list[dict], codes: Callable[[], str]
) -> list[dict]:
    """With the series locked: a lottery's winners are enrolled (seated at every session) and
    the rest join the series' waitlist in the order given. Returns the new rows, winners first."""
    await _mark_drawn(Enrolment, locked, winners, rest, utcnow())
    await _move(Series, locked["id"], confirmed=len(winners), numbered=len(rest), waitlisted=len(rest))
    await seat_at_sessions(locked["id"], [w["account"] for w in winners], codes)
    return [await Enrolment.select().where(Enrolment.id == r["id"]).first() for r in [*winners, *rest]]


async def enrolment_position(series_id: int, queue_order: int | None) -> int | None:
    """A waiting enrolment's place in line."""
    if queue_order is None:
        return None
    rows = await fetch(
        "SELECT count(*) AS ahead FROM enrolment WHERE series = {} AND status = 'waitlisted' AND queue_order < {}",
        series_id,
        queue_order,
    )
    return rows[0]["ahead"] + 1


async def _sessions_ahead(series_id: int) -> list[int]:
    rows = await Event.select(Event.id).where(
        (Event.series == series_id) & Event.status.is_in(["draft", "published"]) & (Event.ends_at > utcnow())
    )
    return [row["id"] for row in rows]


async def seat_at_sessions(series_id: int, user_ids: list[int], codes: Callable[[], str]) -> None:
    """With the series locked: each person holds a confirmed seat (source "enrolment") at every
    session of the series not yet over. The series' capacity governs, not the session's."""
    for event_id in await _sessions_ahead(series_id) if user_ids else []:
        await seat_enrolled_at(event_id, user_ids, codes)


async def seat_enrolled_at(event_id: int, user_ids: list[int], codes: Callable[[], str]) -> None:
    """With the series locked: confirmed seats at one session for these enrolled people, taking
    over any place of their own they held there before."""
    await lock_event(event_id)
    held = {
        row["account"]: row
        for row in await Registration.select().where(
            (Registration.event == event_id) & Registration.account.is_in(user_ids)
        )
    }
    now = utcnow()
    new = [uid for uid in user_ids if uid not in held]
    if new:
        await Registration.insert(
            *[
                Registration(
                    event=event_id,
                    account=uid,
                    status="confirmed",
                    ticket_code=codes(),
                    source="enrolment",
                    created_at=now,
                    updated_at=now,
                    confirmed_at=now,
                )  # fmt: skip
                for uid in new
            ]
        )
    for row in held.values():
        was = row["status"]
        await _set_status(row["id"], "confirmed", queue_order=None, source="enrolment",
                          confirmed_at=row["confirmed_at"] or now)  # fmt: skip
        await _move(Event, event_id, confirmed=int(was != "confirmed"), waitlisted=-int(was == "waitlisted"))
    await _move(Event, event_id, confirmed=len(new))


async def _unseat_at_sessions(series_id: int, user_id: int) -> list[int]:
    left = []
    for event_id in await _sessions_ahead(series_id):
        await lock_event(event_id)
        row = (
            await Registration.select()
            .where(
                (Registration.event == event_id)
                & (Registration.account == user_id)
                & (Registration.status == "confirmed")
            )
            .first()
        )
        if row is not None:
            await give_back(row, "cancelled")
            left.append(event_id)
    return left
