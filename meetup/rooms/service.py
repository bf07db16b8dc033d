"""Breakout rooms: rooms, who may join, assignment, and the chat record.

Rules:
- the forum's confirmed registrants (while it is not cancelled) and organizers may join any open
  room of the forum;
- a line is stored before anyone hears it, numbered under the room's row lock, so numbers only
  grow within a room and a reconnecting client that asks for "after N" misses nothing;
- a resend with the same client_id is stored once;
- a room is closed when closed by hand or when its timer runs out; its chat stays readable to
  those who were in it;
- sharing a room ties people together (a tie of kind "room" in the coordinators' network);
  organizers looking in, and anyone who is not a confirmed registrant, make no visit and no tie.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from piccolo.query.functions.aggregate import Count

from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.coordinators import connections, ties
from meetup.coordinators import service as coordinators
from meetup.db import sqlite_text, utcnow, write_in_batch, write_transaction, writes_at_once
from meetup.errors import BadInput, Conflict, Forbidden, NotFound, TooManyRequests
from meetup.events import cohosts
from meetup.events import service as events
from meetup.i18n import gettext as _
from meetup.rooms.schemas import MAX_BODY, MessageOut, Person, RoomIn, RoomOut
from meetup.rooms.tables import BreakoutRoom, RoomAssignment, RoomBroadcast, RoomMessage, RoomVisit

HISTORY = 50
RESUME_LIMIT = 5000
RECENT_BROADCASTS = 3  # what a late joiner or a reload is shown: the last few...
BROADCASTS_SHOWN_FOR = timedelta(hours=2)  # ...that still concern what is going on now


class RoomClosed(Conflict):
    """The room is closed (by hand, or its timer ran out)."""

    status_code = 410


class EmptyLine(BadInput):
    """A line with nothing in it once trimmed."""


class LineTooLong(BadInput):
    """A line longer than MAX_BODY characters once trimmed."""


class SlowDown(TooManyRequests):
    """The sender's line budget is spent for now (the caller's `throttle` said so)."""


def is_open(room: dict, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return room["status"] == "open" and (room["closes_at"] is None or room["closes_at"] > now)


async def room_row(room_id: int) -> dict:
    row = await BreakoutRoom.select().where(BreakoutRoom.id == room_id).first()
    if row is None:
        raise NotFound(_("No such room."))
    return row


async def forum_of_room(room_id: int) -> int | None:
    row = await BreakoutRoom.select(BreakoutRoom.event).where(BreakoutRoom.id == room_id).first()
    return row["event"] if row else None


async def forum_room(event_id: int, room_id: int) -> dict:
    """A room of this forum: another forum's room is as unknown here as no room at all."""
    room = await room_row(room_id)
    if room["event"] != event_id:
        raise NotFound(_("No such room."))
    return room


async def may_enter_forum(event_id: int, user: UserOut | None) -> bool:
    """Organizers, the forum's co-hosts and its confirmed registrants (of a forum that is not
    cancelled) may enter its rooms."""
    if user is None:
        return False
    if user.is_organizer or await cohosts.is_cohost(user.id, event_id):
        return True
    forum = (await events.forum_refs([event_id])).get(event_id)
    if forum is None or forum["status"] == "cancelled":
        return False
    return await events.is_confirmed_registrant(event_id, user.id)


async def may_join(room: dict, user: UserOut | None) -> bool:
    return await may_enter_forum(room["event"], user)


async def check_reader(room: dict, user: UserOut | None) -> None:
    """Who may read a room's chat: those who may join it, and anyone who was assigned to it."""
    if user is None:
        raise Forbidden(_("Please log in."))
    if await may_join(room, user):
        return
    assigned = await RoomAssignment.exists().where(
        (RoomAssignment.room == room["id"]) & (RoomAssignment.account == user.id)
    )
    if not assigned:
        raise Forbidden(_("Only the forum's participants can read this room."))


def _room_out(row: dict, members: int) -> RoomOut:
    return RoomOut(
        id=row["id"],
        name=row["name"],
        topic=row["topic"],
        capacity=row["capacity"],
        status="open" if is_open(row) else "closed",
        closes_at=row["closes_at"],
        member_count=members,
    )


async def list_rooms(event_id: int) -> list[RoomOut]:
    rows = await BreakoutRoom.select().where(BreakoutRoom.event == event_id).order_by(BreakoutRoom.id)
    current_round = max((r["round"] for r in rows), default=1)
    counts = (
        await RoomAssignment.select(RoomAssignment.room, Count(alias="n"))
        .where((RoomAssignment.event_id == event_id) & (RoomAssignment.round == current_round))
        .group_by(RoomAssignment.room)
    )
    by_room = {row["room"]: row["n"] for row in counts}
    return [_room_out(row, by_room.get(row["id"], 0)) for row in rows]


async def create_room(event_id: int, data: RoomIn, round_: int | None = None) -> RoomOut:
    if round_ is None:
        latest = (
            await BreakoutRoom.select(BreakoutRoom.round)
            .where(BreakoutRoom.event == event_id)
            .order_by(BreakoutRoom.round, ascending=False)
            .first()
        )
        round_ = latest["round"] if latest else 1
    async with write_transaction():
        rows = await BreakoutRoom.insert(
            BreakoutRoom(event=event_id, name=data.name, topic=data.topic, capacity=data.capacity, round=round_)
        ).returning(*BreakoutRoom.all_columns())
    return _room_out(rows[0], 0)


async def close_room(room_id: int, after_seconds: int | None) -> datetime:
    """Close now, or set the timer: the room closes when it runs out. Returns the closing time."""
    room = await room_row(room_id)
    if not is_open(room):
        raise RoomClosed(_("This room is already closed."))
    closes_at = utcnow() + timedelta(seconds=after_seconds or 0)
    values = {BreakoutRoom.closes_at: closes_at}
    if not after_seconds:
        values[BreakoutRoom.status] = "closed"
    async with write_transaction():
        await BreakoutRoom.update(values).where(BreakoutRoom.id == room_id)
    return closes_at


# --- the chat ----------------------------------------------------------------------------------


def _message_out(row: dict) -> MessageOut:
    author = Person(id=row["author"], display_name=row["author_name"]) if row["author"] else None
    return MessageOut(
        id=row["seq"], author=author, body=row["body"], sent_at=row["sent_at"], client_id=row["client_id"]
    )


_MESSAGE_COLUMNS = (*RoomMessage.all_columns(), RoomMessage.author.display_name.as_alias("author_name"))


class _Closed(Exception):
    """The room took no line (closed, or its timer ran out): RoomClosed, in the caller's language."""


# post_message on SQLite: the three statements at once (db.write_in_batch), so the writer
# lock is held for the statements only (in a busy process, a loop turn between each of them held it
# for that turn too). The same rules as the Piccolo path below.
_NUMBER = sqlite_text(
    "UPDATE breakout_room SET message_seq = message_seq + 1"
    " WHERE id = {} AND status = 'open' AND (closes_at IS NULL OR closes_at > {}) RETURNING message_seq"
)
_EARLIER = sqlite_text(
    "SELECT seq, body, sent_at, client_id FROM room_message WHERE room = {} AND author = {} AND client_id = {} LIMIT 1"
)
_STORE = sqlite_text(
    "INSERT INTO room_message (room, seq, author, body, client_id, sent_at, deleted)"
    " VALUES ({}, {}, {}, {}, {}, {}, {})"
)


def _store_on_sqlite(
    connection: sqlite3.Connection, room_id: int, author_id: int, body: str, client_id: str | None, now: datetime
) -> tuple[dict, bool]:
    numbered = connection.execute(_NUMBER, (room_id, now)).fetchone()
    if numbered is None:
        raise _Closed
    if client_id:
        earlier = connection.execute(_EARLIER, (room_id, author_id, client_id)).fetchone()
        if earlier:
            return earlier, False
    seq = numbered["message_seq"]
    connection.execute(_STORE, (room_id, seq, author_id, body, client_id, now, False))
    return {"seq": seq, "body": body, "sent_at": now, "client_id": client_id}, True


async def post_message(
    room_id: int,
    author: UserOut,
    body: str,
    client_id: str | None,
    *,
    throttle: Callable[[], bool] | None = None,
) -> tuple[MessageOut, bool]:
    """Store one line: (the message, True) — or (the line stored before, False) for a resend.

    The one check of a line: 1 to MAX_BODY characters once trimmed (`EmptyLine`, `LineTooLong`);
    then `throttle()`, the sender's rate limit, is asked for a valid line only (`SlowDown`); a
    closed room takes none (`RoomClosed`)."""
    body = body.strip()
    if not body:
        raise EmptyLine(_("The message is empty."), field="body")
    if len(body) > MAX_BODY:
        raise LineTooLong(_("The message is longer than 2000 characters."), field="body")
    if throttle is not None and not throttle():
        raise SlowDown(_("More than 10 messages in 5 seconds: please slow down."), retry_after=5)
    now = utcnow()
    if writes_at_once():
        try:
            row, new = await write_in_batch(lambda c: _store_on_sqlite(c, room_id, author.id, body, client_id, now))
        except _Closed:
            raise RoomClosed(_("This room is closed.")) from None
        return _message_out({**row, "author": author.id, "author_name": author.display_name}), new
    async with write_transaction():
        # The row lock orders this room's lines: numbers are taken and committed in order.
        numbered = (
            await BreakoutRoom.update({BreakoutRoom.message_seq: BreakoutRoom.message_seq + 1})
            .where(
                (BreakoutRoom.id == room_id)
                & (BreakoutRoom.status == "open")
                & (BreakoutRoom.closes_at.is_null() | (BreakoutRoom.closes_at > now))
            )
            .returning(BreakoutRoom.message_seq)
        )
        if not numbered:
            raise RoomClosed(_("This room is closed."))
        if client_id:
            earlier = (
                await RoomMessage.select(*_MESSAGE_COLUMNS)
                .where(
                    (RoomMessage.room == room_id)
                    & (RoomMessage.author == author.id)
                    & (RoomMessage.client_id == client_id)
                )
                .first()
            )
            if earlier:
                return _message_out(earlier), False
        rows = await RoomMessage.insert(
            RoomMessage(
                room=room_id, seq=numbered[0]["message_seq"], author=author.id, body=body, client_id=client_id,
                sent_at=now,
            )
        ).returning(*RoomMessage.all_columns())  # fmt: skip
    row = {**rows[0], "author_name": author.display_name}
    return _message_out(row), True


async def history(room_id: int, *, after: int | None = None, limit: int = HISTORY) -> list[MessageOut]:
    """Without `after`: the last `limit` lines. With it: every line after it, in order."""
    query = RoomMessage.select(*_MESSAGE_COLUMNS).where((RoomMessage.room == room_id) & (RoomMessage.deleted == False))  # noqa: E712
    if after is not None:
        rows = await query.where(RoomMessage.seq > after).order_by(RoomMessage.seq).limit(min(limit, RESUME_LIMIT))
    else:
        rows = list(reversed(await query.order_by(RoomMessage.seq, ascending=False).limit(limit)))
    return [_message_out(row) for row in rows]


async def delete_message(room_id: int, seq: int) -> None:
    async with write_transaction():
        deleted = (
            await RoomMessage.update({RoomMessage.deleted: True})
            .where((RoomMessage.room == room_id) & (RoomMessage.seq == seq))
            .returning(RoomMessage.id)
        )
    if not deleted:
        raise NotFound(_("No such message."))


# --- broadcasts ---------------------------------------------------------------------------------


async def store_broadcast(event_id: int, body: str) -> dict:
    """Keep an organizer's message to every room of the forum: {'id', 'body', 'sent_at'}."""
    async with write_transaction():
        rows = await RoomBroadcast.insert(RoomBroadcast(event=event_id, body=body.strip(), sent_at=utcnow())).returning(
            RoomBroadcast.id, RoomBroadcast.body, RoomBroadcast.sent_at
        )
    return rows[0]


async def recent_broadcasts(event_id: int) -> list[dict]:
    """The forum's last RECENT_BROADCASTS messages of the past BROADCASTS_SHOWN_FOR, oldest first."""
    rows = (
        await RoomBroadcast.select(RoomBroadcast.id, RoomBroadcast.body, RoomBroadcast.sent_at)
        .where((RoomBroadcast.event == event_id) & (RoomBroadcast.sent_at > utcnow() - BROADCASTS_SHOWN_FOR))
        .order_by(RoomBroadcast.id, ascending=False)
        .limit(RECENT_BROADCASTS)
    )
    return list(reversed(rows))


# --- assignment ---------------------------------------------------------------------------------


async def _earlier_pairs(event_id: int) -> set[tuple[int, int]]:
    rows = await RoomAssignment.select(RoomAssignment.room, RoomAssignment.account).where(
        RoomAssignment.event_id == event_id
    )
    by_room: dict[int, list[int]] = {}
    for row in rows:
        by_room.setdefault(row["room"], []).append(row["account"])
    return {(a, b) for people in by_room.values() for a in people for b in people if a < b}


def _spread(people: list[int], groups: int, earlier: set[tuple[int, int]], affinity=None) -> list[list[int]]:
    """Greedy: each person joins the room (not yet full) where they share the most themes (when
    grouping by themes), then repeat the fewest pairs from earlier rounds, then the smallest."""
    rooms: list[list[int]] = [[] for _ in range(groups)]
    size = -(-len(people) // groups)

    def cost(person: int, room: list[int]) -> tuple:
        repeats = sum(1 for other in room if (min(person, other), max(person, other)) in earlier)
        shared = -sum(affinity(person, other) for other in room) if affinity else 0
        return (len(room) >= size, shared, repeats, len(room))

    for person in people:
        min(rooms, key=lambda room, person=person: cost(person, room)).append(person)
    return rooms


async def assign(event_id: int, rooms: int, strategy: str) -> list[tuple[RoomOut, list[int]]]:
    """A new round: `rooms` fresh rooms, every confirmed registrant placed in one, avoiding pairs
    that met in an earlier round; by shared themes (profile themes and answers) or at random."""
    people = await events.confirmed_people(event_id)
    if not people:
        raise Conflict(_("Nobody is confirmed for this forum yet."))
    rooms = min(rooms, len(people))
    earlier = await _earlier_pairs(event_id)
    latest = (
        await BreakoutRoom.select(BreakoutRoom.round)
        .where(BreakoutRoom.event == event_id)
        .order_by(BreakoutRoom.round, ascending=False)
        .first()
    )
    round_ = (latest["round"] + 1) if latest else 1
    affinity = None
    random.shuffle(people)
    if strategy == "themes":
        themes = await coordinators.themes_of(people)
        for uid, answers in (await events.answers_of(event_id)).items():
            for value in answers.values():
                values = value if isinstance(value, list) else [value] if isinstance(value, str) else []
                themes.setdefault(uid, set()).update(values)
        people.sort(key=lambda uid: sorted(themes.get(uid, ())))

        def affinity(a: int, b: int) -> int:
            return len(themes.get(a, set()) & themes.get(b, set()))

    groups = _spread(people, rooms, earlier, affinity)
    made = []
    for index, members in enumerate(groups, start=1):
        room = await create_room(event_id, RoomIn(name=_("Room %(n)s") % {"n": index}), round_)
        async with write_transaction():
            await RoomAssignment.insert(
                *[RoomAssignment(room=room.id, account=uid, event_id=event_id, round=round_) for uid in members]
            )
        room.member_count = len(members)
        made.append((room, members))
    return made


async def move(room_id: int, user_id: int) -> None:
    """Put someone in this room for its round (taking them out of their room of that round).
    Only the forum's confirmed registrants (and organizers) can be put in a room: nobody else
    could join it."""
    room = await room_row(room_id)
    person = await accounts.get_user(user_id) if 0 < user_id < 2**31 else None
    if person is None:
        raise NotFound(_("No such person."))
    if not person.is_organizer and not await events.is_confirmed_registrant(room["event"], user_id):
        raise BadInput(_("Only the forum's confirmed registrants can be put in a room."), field="user_id")
    async with write_transaction():
        await RoomAssignment.delete().where(
            (RoomAssignment.event_id == room["event"])
            & (RoomAssignment.round == room["round"])
            & (RoomAssignment.account == user_id)
        )
        await RoomAssignment.insert(
            RoomAssignment(room=room_id, account=user_id, event_id=room["event"], round=room["round"])
        )


async def assigned_room(event_id: int, user_id: int) -> int | None:
    row = (
        await RoomAssignment.select(RoomAssignment.room)
        .where((RoomAssignment.event_id == event_id) & (RoomAssignment.account == user_id))
        .order_by(RoomAssignment.round, ascending=False)
        .first()
    )
    return row["room"] if row else None


async def is_attendee(event_id: int, user_id: int) -> bool:
    """Who attends a forum's rooms (and so makes visits and ties there): the rule is
    `ties.makes_room_ties` (confirmed registrants; never organizers, who look in to moderate)."""
    person = await accounts.get_user(user_id)
    return person is not None and await ties.makes_room_ties(person, event_id)


async def record_visit(room: dict, user_id: int) -> int:
    """The first time an attendee (see `is_attendee`) is present in a room they are tied to every
    attendee present in it before (sharing a room is a weak tie); a reconnect changes nothing,
    and nobody else leaves a trace. Returns the new ties."""
    if not await is_attendee(room["event"], user_id):
        return 0
    async with write_transaction():
        # The room's row lock (as for its lines) orders joins: of two people arriving at the same
        # moment the second sees the first's visit, so their tie is not lost on PostgreSQL.
        await BreakoutRoom.update({BreakoutRoom.message_seq: BreakoutRoom.message_seq}).where(
            BreakoutRoom.id == room["id"]
        )
        first = (
            await RoomVisit.insert(RoomVisit(room=room["id"], account=user_id, event_id=room["event"]))
            .on_conflict(action="DO NOTHING")
            .returning(RoomVisit.id)
        )
        if not first:
            return 0
        earlier = await RoomVisit.select(RoomVisit.account).where(
            (RoomVisit.room == room["id"]) & (RoomVisit.account != user_id)
        )
        return await connections.record_ties_with(
            user_id,
            [row["account"] for row in earlier],
            kind="room",
            source=f"room:{room['id']}",
            event_id=room["event"],
        )


async def visitors(event_id: int) -> set[int]:
    """Everyone who was present in at least one breakout room of the forum."""
    rows = await RoomVisit.select(RoomVisit.account).where(RoomVisit.event_id == event_id).distinct()
    return {row["account"] for row in rows}


async def present_in_rooms(event_ids: list[int]) -> set[tuple[int, int]]:
    """(account, forum id) for everyone present in a breakout room of these forums: what
    attendance.py counts as having come."""
    rows = await RoomVisit.select(RoomVisit.account, RoomVisit.event_id).where(RoomVisit.event_id.is_in(event_ids))
    return {(row["account"], row["event_id"]) for row in rows}


async def roommates(event_id: int) -> dict[int, set[int]]:
    """For each person present in a room of the forum, the others present in the same room."""
    rows = await RoomVisit.select(RoomVisit.room, RoomVisit.account).where(RoomVisit.event_id == event_id)
    by_room: dict[int, set[int]] = {}
    for row in rows:
        by_room.setdefault(row["room"], set()).add(row["account"])
    mates: dict[int, set[int]] = {}
    for people in by_room.values():
        for person in people:
            mates.setdefault(person, set()).update(people - {person})
    return mates
