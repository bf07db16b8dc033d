"""Connections and ties between coordinators.

Rules:
- a connection is asked for and accepted by the person asked (asking back accepts);
- a person whose profile you may not see cannot be asked;
- a tie between two people remembers where it came from (an accepted connection, a shared
  breakout room, a forum attended together); one tie per pair and source.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import msgspec

from meetup.accounts.schemas import UserOut
from meetup.accounts.tables import Account
from meetup.coordinators.schemas import ConnectionOut
from meetup.coordinators.service import get_profile
from meetup.coordinators.tables import ConnectionRequest, Profile, Tie, TieSource
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound
from meetup.i18n import gettext as _


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


async def record_ties(
    people: list[int], *, kind: str, source: str, event_id: int | None = None, at: datetime | None = None
) -> int:
    """A tie for every pair among `people`, all from one source (a room, a forum); idempotent.
    Returns how many new ties were made."""
    pairs = {_pair(a, b) for a, b in itertools.combinations(set(people), 2)}
    return await _insert_ties(pairs, kind=kind, source=source, event_id=event_id, at=at)


async def record_ties_with(
    person: int, others: list[int], *, kind: str, source: str, event_id: int | None = None, at: datetime | None = None
) -> int:
    """A tie between `person` and each of `others` (a newcomer to a room); idempotent."""
    pairs = {_pair(person, other) for other in others if other != person}
    return await _insert_ties(pairs, kind=kind, source=source, event_id=event_id, at=at)


async def _insert_ties(
    pairs: set[tuple[int, int]], *, kind: str, source: str, event_id: int | None, at: datetime | None
) -> int:
    if not pairs:
        return 0
    when = at or utcnow()
    async with write_transaction():
        inserted = (
            await Tie.insert(
                *[
                    Tie(person_low=low, person_high=high, kind=kind, source=source, event_id=event_id, created_at=when)
                    for low, high in sorted(pairs)
                ]
            )
            .on_conflict(action="DO NOTHING")
            .returning(Tie.id)
        )
    return len(inserted)


async def record_source_once(source: str) -> bool:
    """True the first time `source` is seen (e.g. "event:3"), so its ties are made once."""
    async with write_transaction():
        rows = await TieSource.insert(TieSource(source=source)).on_conflict(action="DO NOTHING").returning(TieSource.id)
    return bool(rows)


async def request_connection(requester: int, recipient: int, viewer: UserOut | None = None) -> ConnectionOut:
    """Ask to connect. If the other side already asked, this accepts their request instead.
    A person whose profile `viewer` may not see cannot be asked (it would reveal them)."""
    if requester == recipient:
        raise BadInput(_("You cannot connect with yourself."), field="user_id")
    if await Profile.exists().where(Profile.account == recipient):
        if viewer is not None and await get_profile(recipient, viewer) is None:
            raise NotFound(_("No such person."))
    elif not await Account.exists().where(Account.id == recipient):
        raise NotFound(_("No such person."))
    reverse = (
        await ConnectionRequest.select()
        .where((ConnectionRequest.requester == recipient) & (ConnectionRequest.recipient == requester))
        .first()
    )
    if reverse and reverse["status"] == "pending":
        return await accept_connection(reverse["id"], requester)
    async with write_transaction():
        await ConnectionRequest.insert(ConnectionRequest(requester=requester, recipient=recipient)).on_conflict(
            action="DO NOTHING"
        )
        row = (
            await ConnectionRequest.select()
            .where((ConnectionRequest.requester == requester) & (ConnectionRequest.recipient == recipient))
            .first()
        )
        if row["status"] == "declined":  # asking again after "not now" re-opens the request
            await ConnectionRequest.update({ConnectionRequest.status: "pending"}).where(
                ConnectionRequest.id == row["id"]
            )
            row["status"] = "pending"
    return msgspec.convert(row, ConnectionOut, from_attributes=False, strict=False)


async def accept_connection(request_id: int, user_id: int) -> ConnectionOut:
    """Only the person asked may accept; the connection becomes a tie of kind 'connection'."""
    row = await ConnectionRequest.select().where(ConnectionRequest.id == request_id).first()
    if row is None or row["recipient"] != user_id:
        raise NotFound(_("No such connection request."))
    if row["status"] == "accepted":
        return msgspec.convert(row, ConnectionOut, strict=False)
    now = utcnow()
    async with write_transaction():
        await ConnectionRequest.update({ConnectionRequest.status: "accepted", ConnectionRequest.decided_at: now}).where(
            ConnectionRequest.id == request_id
        )
        await record_ties(
            [row["requester"], row["recipient"]], kind="connection", source=f"request:{request_id}", at=now
        )
    row["status"] = "accepted"
    return msgspec.convert(row, ConnectionOut, strict=False)


async def connect_both(a: int, b: int) -> None:
    """Both people said yes (each pressed "stay in touch"): they are connected, as if one had
    asked and the other accepted; an existing request between them is accepted."""
    if a == b:
        return
    now = utcnow()
    async with write_transaction():
        rows = await ConnectionRequest.select(ConnectionRequest.id).where(
            ((ConnectionRequest.requester == a) & (ConnectionRequest.recipient == b))
            | ((ConnectionRequest.requester == b) & (ConnectionRequest.recipient == a))
        )
        if rows:
            request_id = rows[0]["id"]
            await ConnectionRequest.update(
                {ConnectionRequest.status: "accepted", ConnectionRequest.decided_at: now}
            ).where(ConnectionRequest.id == request_id)
        else:
            inserted = await ConnectionRequest.insert(
                ConnectionRequest(requester=a, recipient=b, status="accepted", decided_at=now)
            ).returning(ConnectionRequest.id)
            request_id = inserted[0]["id"]
        await record_ties([a, b], kind="connection", source=f"request:{request_id}", at=now)


async def decline_connection(request_id: int, user_id: int) -> None:
    row = await ConnectionRequest.select().where(ConnectionRequest.id == request_id).first()
    if row is None or row["recipient"] != user_id:
        raise NotFound(_("No such connection request."))
    if row["status"] == "accepted":
        raise Conflict(_("This request was already accepted; remove the connection instead."))
    async with write_transaction():
        await ConnectionRequest.update(
            {ConnectionRequest.status: "declined", ConnectionRequest.decided_at: utcnow()}
        ).where(ConnectionRequest.id == request_id)


async def remove_connection(user_id: int, other: int) -> None:
    """Remove the explicit connection (both directions); automatic ties from rooms and forums stay."""
    low, high = _pair(user_id, other)
    async with write_transaction():
        await Tie.delete().where((Tie.person_low == low) & (Tie.person_high == high) & (Tie.kind == "connection"))
        await ConnectionRequest.delete().where(
            ((ConnectionRequest.requester == user_id) & (ConnectionRequest.recipient == other))
            | ((ConnectionRequest.requester == other) & (ConnectionRequest.recipient == user_id))
        )


async def connection_requests(user_id: int) -> dict[str, list[dict]]:
    """Requests to and from the person, with names: {'incoming': [...], 'outgoing': [...]}."""
    incoming = await ConnectionRequest.select(
        ConnectionRequest.all_columns(), ConnectionRequest.requester.display_name.as_alias("name")
    ).where((ConnectionRequest.recipient == user_id) & (ConnectionRequest.status == "pending"))
    outgoing = await ConnectionRequest.select(
        ConnectionRequest.all_columns(), ConnectionRequest.recipient.display_name.as_alias("name")
    ).where((ConnectionRequest.requester == user_id) & (ConnectionRequest.status == "pending"))
    return {"incoming": incoming, "outgoing": outgoing}


async def ties_of(user_id: int) -> list[dict]:
    """Every tie of the person: {'other', 'kind', 'source', 'event_id', 'created_at'}."""
    rows = await Tie.select().where((Tie.person_low == user_id) | (Tie.person_high == user_id))
    return [
        {
            "other": row["person_high"] if row["person_low"] == user_id else row["person_low"],
            "kind": row["kind"],
            "source": row["source"],
            "event_id": row["event_id"],
            "created_at": row["created_at"],
        }
        for row in rows
    ]


async def connected_pairs(people: list[int]) -> set[tuple[int, int]]:
    """(low id, high id) of every explicit connection among `people`."""
    if len(people) < 2:
        return set()
    rows = await Tie.select(Tie.person_low, Tie.person_high).where(
        (Tie.kind == "connection") & Tie.person_low.is_in(people) & Tie.person_high.is_in(people)
    )
    return {(row["person_low"], row["person_high"]) for row in rows}


async def connection_state(user_id: int, other: int) -> str:
    """'connected', 'requested' (I asked), 'incoming' (they asked) or 'none'."""
    low, high = _pair(user_id, other)
    if await Tie.exists().where((Tie.person_low == low) & (Tie.person_high == high) & (Tie.kind == "connection")):
        return "connected"
    rows = await ConnectionRequest.select(ConnectionRequest.requester).where(
        (ConnectionRequest.status == "pending")
        & (
            ((ConnectionRequest.requester == user_id) & (ConnectionRequest.recipient == other))
            | ((ConnectionRequest.requester == other) & (ConnectionRequest.recipient == user_id))
        )
    )
    if not rows:
        return "none"
    return "requested" if rows[0]["requester"] == user_id else "incoming"
