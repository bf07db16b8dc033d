"""Connections and ties between coordinators.

Rules:
- a connection is asked for and accepted by the person asked (asking back accepts);
- a person whose profile you may not see cannot be asked, and no name of theirs is ever shown to
  you: names come from profiles you may see, never from the account;
- a person asks at most REQUESTS_PER_HOUR times an hour; the person asked is mailed (unless they
  turned that mail off) and sees the asker's short message; the asker may withdraw while it waits;
- a tie between two people remembers where it came from (its kinds: ties.py); one tie per pair
  and source.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime

import msgspec

from meetup import i18n, settings
from meetup.accounts import mail_preferences
from meetup.accounts import service as accounts
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import UserOut
from meetup.coordinators.schemas import MESSAGE_LIMIT, ConnectionOut
from meetup.coordinators.service import get_profile, profiles_of
from meetup.coordinators.tables import ConnectionRequest, Tie, TieSource
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound, TooManyRequests
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue, withdraw
from meetup.templating import render_mail

REQUESTS_PER_HOUR = 30
_WINDOW = 3600
# Control characters other than tab and line feed (a line break is kept, as \n).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


async def record_ties(
    people: list[int], *, kind: str, source: str, event_id: int | None = None, at: datetime | None = None
) -> int:
    """A tie for every pair among `people`, all from one source (a room, a survey); idempotent.
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


async def tied_by(source: str, kind: str) -> set[tuple[int, int]]:
    """The pairs (low id first) a source has tied by ties of `kind` (the people a challenge matched)."""
    rows = await Tie.select(Tie.person_low, Tie.person_high).where((Tie.kind == kind) & (Tie.source == source))
    return {(row["person_low"], row["person_high"]) for row in rows}


async def record_source_once(source: str) -> bool:
    """True the first time `source` is seen (e.g. "event:3"), so its ties are made once."""
    async with write_transaction():
        rows = await TieSource.insert(TieSource(source=source)).on_conflict(action="DO NOTHING").returning(TieSource.id)
    return bool(rows)


def plain_message(text: str) -> str:
    """A request's note as plain text: line breaks kept as \\n, other control characters dropped."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


async def request_connection(
    requester: int,
    recipient: int,
    viewer: UserOut | None = None,
    *,
    message: str = "",
    limiter: RateLimiter | None = None,
) -> ConnectionOut:
    """Ask to connect. If the other side already asked, this accepts their request instead.

    - every ask counts against REQUESTS_PER_HOUR as it arrives (asks to nobody too, so account
      ids cannot be probed): past it, 429;
    - only a person whose profile the asker (`viewer`) may see can be asked; anyone else, with an
      account or without, is the same 404;
    - a new (or re-opened) request mails the person asked, in this transaction, unless they
      turned that mail off; `message` (plain text, at most MESSAGE_LIMIT characters) is for them.
    """
    if limiter is not None and await limiter.hit(f"connect:{requester}", _WINDOW) > REQUESTS_PER_HOUR:
        raise TooManyRequests(
            _("You have sent many connection requests in the last hour. Please try again later."),
            retry_after=_WINDOW,
        )
    if requester == recipient:
        raise BadInput(_("You cannot connect with yourself."), field="user_id")
    if len(message) > MESSAGE_LIMIT:
        raise BadInput(_("Keep the message to 300 characters."), field="message")
    asker = viewer if viewer is not None and viewer.id == requester else await accounts.get_user(requester)
    asked = await get_profile(recipient, asker) if asker is not None else None
    if asked is None:
        raise NotFound(_("No such person."))
    reverse = (
        await ConnectionRequest.select()
        .where((ConnectionRequest.requester == recipient) & (ConnectionRequest.recipient == requester))
        .first()
    )
    if reverse and reverse["status"] == "pending":
        return await accept_connection(reverse["id"], requester)
    note = plain_message(message)
    person = await accounts.get_user(recipient)
    tell = person is not None and await mail_preferences.wants_connection_requests(recipient)
    # the asker as the person asked may see them: a profile's name, or no name at all
    shown = await get_profile(requester, person) if tell else None
    async with write_transaction():
        opened = (
            await ConnectionRequest.insert(ConnectionRequest(requester=requester, recipient=recipient, message=note))
            .on_conflict(action="DO NOTHING")
            .returning(ConnectionRequest.id)
        )
        row = (
            await ConnectionRequest.select()
            .where((ConnectionRequest.requester == requester) & (ConnectionRequest.recipient == recipient))
            .first()
        )
        if row["status"] == "declined":  # asking again after "not now" re-opens the request
            reopened = {"status": "pending", "message": note, "created_at": utcnow(), "decided_at": None}
            await ConnectionRequest.update(reopened).where(ConnectionRequest.id == row["id"])
            row.update(reopened)
            opened = True
        if opened and tell:
            await _mail_request(person, asked.name, requester, shown.name if shown else None, note)
    return msgspec.convert(row, ConnectionOut, from_attributes=False, strict=False)


def _request_mail_key(requester: int, recipient: int) -> str:
    """One request mail a day per asker and person, however often they withdraw and ask again."""
    return f"connection-request:{requester}:{recipient}:{utcnow().astimezone(TOKYO).date().isoformat()}"


async def _mail_request(person: UserOut, name: str, requester: int, asker_name: str | None, note: str) -> None:
    """The mail that tells `person` someone would like to connect: the asker by their profile's
    name (or as "a coordinator"), their note, and links to the site; never an e-mail address.
    At most one a day per asker and person, however often they withdraw and ask again."""
    base = settings.current().base_url.rstrip("/")
    with i18n.use_locale(person.locale):
        subject = (
            _("[Connection request] %(name)s") % {"name": asker_name}
            if asker_name
            else _("[Connection request] A coordinator would like to connect")
        )
    text, html = render_mail(
        "connection_request",
        person.locale,
        name=name,
        asker=asker_name,
        message=note,
        profile_url=f"{base}/coordinators/{requester}" if asker_name else "",
        connections_url=f"{base}/me/connections",
        settings_url=f"{base}/me/mail",
    )
    await enqueue(
        to_addr=person.email,
        to_name=name,
        subject=subject,
        body_text=text,
        body_html=html,
        dedupe_key=_request_mail_key(requester, person.id),
    )


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
    """Remove the explicit connection (both directions); ties of other kinds (rooms, surveys) stay."""
    low, high = _pair(user_id, other)
    async with write_transaction():
        await Tie.delete().where((Tie.person_low == low) & (Tie.person_high == high) & (Tie.kind == "connection"))
        await ConnectionRequest.delete().where(
            ((ConnectionRequest.requester == user_id) & (ConnectionRequest.recipient == other))
            | ((ConnectionRequest.requester == other) & (ConnectionRequest.recipient == user_id))
        )


async def connection_requests(user: UserOut) -> dict[str, list[dict]]:
    """Pending requests to and from the person: {'incoming': [...], 'outgoing': [...]}, oldest
    first. `name` is the other side's name on a profile the person may see, else None (never the
    account's name); `message` is in incoming requests only: the asker's note is for the asked."""
    incoming = (
        await ConnectionRequest.select()
        .where((ConnectionRequest.recipient == user.id) & (ConnectionRequest.status == "pending"))
        .order_by(ConnectionRequest.created_at)
    )
    outgoing = (
        await ConnectionRequest.select()
        .where((ConnectionRequest.requester == user.id) & (ConnectionRequest.status == "pending"))
        .order_by(ConnectionRequest.created_at)
    )
    names = {
        other: profile.name
        for other, profile in (
            await profiles_of([r["requester"] for r in incoming] + [r["recipient"] for r in outgoing], user)
        ).items()
    }
    for row in incoming:
        row["name"] = names.get(row["requester"])
    for row in outgoing:
        row["name"] = names.get(row["recipient"])
        del row["message"]
    return {"incoming": incoming, "outgoing": outgoing}


async def pending_count(user_id: int) -> int:
    """How many requests wait for the person's answer (the number in the header)."""
    return await ConnectionRequest.count().where(
        (ConnectionRequest.recipient == user_id) & (ConnectionRequest.status == "pending")
    )


async def withdraw_request(request_id: int, user_id: int) -> None:
    """The asker takes back a request that was not accepted; the person asked no longer sees it.
    Someone else's request (or none) is a 404; an accepted one is a connection (remove it): 409."""
    row = (
        await ConnectionRequest.select(ConnectionRequest.requester, ConnectionRequest.recipient)
        .where(ConnectionRequest.id == request_id)
        .first()
    )
    if row is None or row["requester"] != user_id:
        raise NotFound(_("No such connection request."))
    async with write_transaction():
        gone = (
            await ConnectionRequest.delete()
            .where((ConnectionRequest.id == request_id) & (ConnectionRequest.status != "accepted"))
            .returning(ConnectionRequest.id)
        )
        if gone:  # the person asked is not told of a request that no longer stands
            await withdraw(_request_mail_key(user_id, row["recipient"]), "the request was withdrawn")
    if not gone:
        raise Conflict(_("This request was already accepted; remove the connection instead."))


async def outgoing_request(requester: int, recipient: int) -> int | None:
    """The id of the request `requester` made to `recipient` that waits for an answer, if any."""
    row = (
        await ConnectionRequest.select(ConnectionRequest.id)
        .where(
            (ConnectionRequest.requester == requester)
            & (ConnectionRequest.recipient == recipient)
            & (ConnectionRequest.status == "pending")
        )
        .first()
    )
    return row["id"] if row else None


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


async def remove_tie(a: int, b: int, *, source: str) -> None:
    """Take back the tie between `a` and `b` from `source` only (e.g. a survey pick withdrawn)."""
    low, high = _pair(a, b)
    async with write_transaction():
        await Tie.delete().where((Tie.person_low == low) & (Tie.person_high == high) & (Tie.source == source))
