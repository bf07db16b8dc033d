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
  statement and its commit only), or
- inside `write_transaction()` after `lock_event()` (an UPDATE, so PostgreSQL holds it to commit;
  on SQLite the process-wide writer lock serialises every write).
With the lock held the counters are the truth and the waitlist's order cannot change under us: a
seat is never given twice and positions have no gaps. Whatever moves a registration onto or off
`confirmed` or `waitlisted` changes the counter in the same statement or transaction; nothing
outside this module writes them. The callers queue each changed registration's mail in the same
transaction (registration.py, lottery.py) and fire `revocation.place_ended` once committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from meetup.db import engine, fetch, utcnow
from meetup.events.tables import Event, Registration
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
    """A newcomer's place is taken in one statement (first come, first served, on PostgreSQL)."""
    return event["registration_mode"] == "first_come" and engine().engine_type == "postgres"


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
    the status taken), in one statement on PostgreSQL: the row with its `waitlist_position`.
    Raises Raced when the forum changed meanwhile."""
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


async def _count(event_id: int, *, confirmed: int = 0, waitlisted: int = 0, numbered: int = 0, **more: object) -> None:
    """Move the forum's counters by these amounts (and set `more` columns) in one UPDATE."""
    values: dict = {getattr(Event, name): value for name, value in more.items()}
    if confirmed:
        values[Event.confirmed_count] = Event.confirmed_count + confirmed
    if numbered:
        values[Event.waitlist_seq] = Event.waitlist_seq + numbered
    if waitlisted:
        values[Event.waitlisted_count] = Event.waitlisted_count + waitlisted
    if values:
        await Event.update(values).where(Event.id == event_id)


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
    await _count(event_id, confirmed=len(promoted), waitlisted=-len(promoted))
    return promoted


async def give_back(row: dict, status: str) -> tuple[dict, list[dict]]:
    """With the forum locked: the registration leaves its seat or the waitlist for `status`
    (cancelled, rejected); a seat it held goes at once to the first in line. Returns its new row
    and the promoted registrations' rows."""
    updated = await _set_status(row["id"], status, queue_order=None)
    if row["status"] == "confirmed":
        await _count(row["event"], confirmed=-1)
        return updated, await promote(row["event"])
    if row["status"] == "waitlisted":
        await _count(row["event"], waitlisted=-1)
    return updated, []


async def admit(locked: dict, reg_id: int) -> dict:
    """With the forum locked (`locked` from lock_event): an approved applicant gets a seat, or
    the end of the waitlist when the forum is full. Returns the registration's new row."""
    if has_seat(locked):
        row = await _set_status(reg_id, "confirmed", confirmed_at=utcnow(), queue_order=None)
        await _count(locked["id"], confirmed=1)
    else:
        row = await _set_status(reg_id, "waitlisted", queue_order=locked["waitlist_seq"] + 1)
        await _count(locked["id"], numbered=1, waitlisted=1)
    return row


async def place_drawn(locked: dict, winners: list[dict], rest: list[dict], now: datetime) -> list[dict]:
    """With the forum locked: a lottery's winners take their seats and the rest join the
    waitlist in the order given; the forum is marked drawn. Returns the new rows, winners first."""
    for winner in winners:
        await Registration.update(
            {Registration.status: "confirmed", Registration.confirmed_at: now, Registration.updated_at: now}
        ).where(Registration.id == winner["id"])
    for offset, loser in enumerate(rest, start=1):
        await Registration.update(
            {
                Registration.status: "waitlisted",
                Registration.queue_order: locked["waitlist_seq"] + offset,
                Registration.updated_at: now,
            }
        ).where(Registration.id == loser["id"])
    # drawn_at: the forum's page and card say "drawn" from now on
    await _count(locked["id"], confirmed=len(winners), numbered=len(rest), waitlisted=len(rest), drawn_at=now)
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
        await _count(event_id, confirmed=len(new))
    return len(new)
