"""Putting mail in the outbox. The only way any domain sends mail.

`enqueue()` inserts a row and must be called inside the caller's `write_transaction()`, so the
mail exists if and only if the change that caused it was committed.

A mail may be queued written (subject and bodies given) or to be written (`compose=(name,
args)`): then only its recipient is fixed when it is queued, and the domain's composer named
`name` writes the rest from `args` the first time the row is read or sent. Queuing is then a
small insert that fits in the statement making the change, and the rendering is done by the
worker, off the request. Composers are registered at start-up (`register_composer`, called
through meetup/composers.py by the app and by the worker command): this module knows no domain.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec
from piccolo.query.functions.aggregate import Count

from meetup.db import fetch, insert, insert_statement, single_write, utcnow, write_transaction
from meetup.mail.tables import OutboxMail

log = logging.getLogger("meetup.mail")

KINDS = ("transactional", "campaign")
# One mail made by `outbox_row` and not queued yet: domains hold and pass it, only this module
# stores or reads the outbox's rows.
Mail = OutboxMail


class Attachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str  # "text/calendar; method=PUBLISH"
    data: bytes


class MailRow(msgspec.Struct, frozen=True):
    """An outbox row as the dev mailbox and the tests read it."""

    id: int
    kind: str
    to_addr: str
    to_name: str
    subject: str
    body_text: str
    body_html: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    headers: dict[str, str]
    attachments: list[Attachment]


def _single_line(name: str, value: str) -> str:
    # A CR or LF in a header value would let a user's text add headers of its own.
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name} must be a single line")
    return value


def _checked(headers: dict[str, str]) -> dict[str, str]:
    return {_single_line("header name", k): _single_line(k, v) for k, v in headers.items()}


def outbox_row(
    *,
    to_addr: str,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    to_name: str = "",
    kind: str = "transactional",
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    not_before: datetime | None = None,
    campaign_id: int | None = None,
    account_id: int | None = None,
    compose: tuple[str, dict] | None = None,
) -> Mail:
    """One mail as an outbox row, checked: no header can smuggle in a line break. With
    `compose`, the subject and bodies are left to that composer (see the module's notes)."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    if compose is None and not subject:
        raise ValueError("a mail needs a subject, or a composer to write it")
    headers = _checked(headers or {})
    return OutboxMail(
        dedupe_key=dedupe_key or f"once:{uuid.uuid4().hex}",
        kind=kind,
        to_addr=_single_line("to_addr", to_addr),
        to_name=_single_line("to_name", to_name),
        subject=_single_line("subject", subject),
        body_text=body_text,
        body_html=body_html,
        headers_json=msgspec.json.encode(headers).decode(),
        attachments_json=msgspec.json.encode(list(attachments)).decode(),
        message_id="",
        next_attempt_at=not_before or utcnow(),
        campaign_id=campaign_id,
        account_id=account_id,
        compose_json=msgspec.json.encode({"composer": compose[0], "args": compose[1]}).decode() if compose else "",
    )


Composer = Callable[[dict], Awaitable[dict | None]]
_COMPOSERS: dict[str, Composer] = {}


def register_composer(name: str, write: Composer) -> None:
    """`write` writes the mail queued with `compose=(name, args)`: it gets `args` and returns the
    mail's `subject`, `body_text` and optionally `body_html`, `headers` and `attachments`; or None
    when there is nothing to send any more (its person is gone). A mail whose composer was never
    registered in the process that writes it fails, saying so."""
    _COMPOSERS[name] = write


def _unsendable(reason: str) -> dict:
    return {"compose_json": "", "status": "failed", "locked_until": None, "last_error": reason}


async def _compose(raw: dict) -> dict:
    """Write one row queued to be written: the columns to store (a mail that cannot be written
    fails, with the reason)."""
    spec = msgspec.json.decode(raw["compose_json"])
    write = _COMPOSERS.get(spec["composer"])
    if write is None:
        return _unsendable(f"no composer {spec['composer']!r}")
    try:
        fields = await write(spec["args"])
        if fields is None:
            return _unsendable("nothing to send: its person or forum is gone")
        headers = _checked(fields.get("headers", {}))
        return {
            "compose_json": "",
            "subject": _single_line("subject", fields["subject"]),
            "body_text": fields["body_text"],
            "body_html": fields.get("body_html", ""),
            "headers_json": msgspec.json.encode(headers).decode(),
            "attachments_json": msgspec.json.encode(list(fields.get("attachments", ()))).decode(),
        }
    except ValueError as exc:  # what was written could let a header in
        return _unsendable(f"could not be written: {exc}")


async def written(raws: list[dict]) -> list[dict]:
    """The rows with every mail still to be written now written, and stored so.

    Two readers writing the same row at once store the same mail; the row's status and lease
    are left alone, except that a mail that cannot be written is marked failed."""
    for raw in raws:
        if not raw["compose_json"]:
            continue
        columns = await _compose(raw)
        if columns.get("status") == "failed":
            log.warning("mail %s to %s: %s", raw["id"], raw["to_addr"], columns["last_error"])
        assignments = ", ".join(f"{name} = {{}}" for name in columns)
        async with single_write():
            await fetch(
                f"UPDATE outbox_mail SET {assignments} WHERE id = {{}} AND compose_json <> ''",  # noqa: S608
                *columns.values(),
                raw["id"],
            )
        raw.update(columns)
    return raws


async def enqueue(**mail) -> int | None:
    """Queue one mail (the arguments of `outbox_row`); returns its outbox id, or None when
    its `dedupe_key` was already queued."""
    return await enqueue_row(outbox_row(**mail))


async def enqueue_row(row: Mail) -> int | None:
    """Queue one mail made by `outbox_row` (see `enqueue`)."""
    async with single_write():
        inserted = await insert(row, returning="id", skip_conflict_on="dedupe_key")
    return inserted[0]["id"] if inserted else None


async def enqueue_many(rows: list[Mail], chunk: int = 200) -> int:
    """Queue many mails (a campaign) in the caller's transaction; rows whose `dedupe_key` was
    queued before are skipped. Returns how many were new."""
    return await _insert_values([tuple(getattr(row, name) for name in _names()) for row in rows], chunk)


async def enqueue_copies(template: Mail, copies: list[dict[str, object]], chunk: int = 200) -> int:
    """Queue one mail to many people in the caller's transaction (a campaign whose mail the worker
    writes): each copy is `template` with the columns its dict names changed (`to_addr`,
    `to_name`, `dedupe_key`, `account_id`, `compose_json`…), checked as `outbox_row` checks
    them. No ORM row is made per copy, so tens of thousands are queued in seconds. Copies whose
    `dedupe_key` was queued before are skipped; returns how many were new."""
    base = {name: getattr(template, name) for name in _names()}
    rows = []
    for copy in copies:
        if unknown := copy.keys() - base.keys():
            raise ValueError(f"no outbox column {sorted(unknown)[0]!r}")
        for name in ("to_addr", "to_name", "subject"):
            if name in copy:
                _single_line(name, str(copy[name]))
        values = base | copy
        rows.append(tuple(values[name] for name in _names()))
    return await _insert_values(rows, chunk)


@functools.cache
def _names() -> tuple[str, ...]:
    """The outbox's columns as an insert names them (its id is the database's)."""
    return tuple(c._meta.db_column_name for c in OutboxMail._meta.columns if not c._meta.primary_key)


async def _insert_values(rows: list[tuple], chunk: int) -> int:
    """Insert rows of `_names()` values, `chunk` to a statement, skipping clashing dedupe keys."""
    quoted = ", ".join(f'"{name}"' for name in _names())
    one = "(" + ", ".join("{}" for _ in _names()) + ")"
    new = 0
    async with write_transaction():
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            # names from the table's definition and placeholders only: nothing from a request
            sql = (
                f'INSERT INTO "outbox_mail" ({quoted}) VALUES {", ".join(one for _ in part)} '  # noqa: S608
                'ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id"'
            )
            new += len(await fetch(sql, *[value for row in part for value in row]))
    return new


def enqueue_statement(row: Mail, only_if: str) -> tuple[str, tuple]:
    """The statement (and its arguments) that queues `row` only if the query `only_if` finds a
    row, to place in a larger statement that makes the change the mail tells of (a newcomer's
    seat, registration and mail in one); it returns the outbox id."""
    return insert_statement(row, returning="id", only_if=only_if)


async def withdraw(dedupe_key: str, reason: str) -> bool:
    """Take back a mail that no worker has claimed yet, in the caller's transaction (what it
    announced was undone first): it stays in the outbox as failed, with `reason`, and its
    `dedupe_key` stays taken. A mail already being sent or sent is left alone; returns whether
    one was withdrawn."""
    withdrawn = (
        await OutboxMail.update({OutboxMail.status: "failed", OutboxMail.last_error: reason})
        .where((OutboxMail.dedupe_key == dedupe_key) & (OutboxMail.status == "pending"))
        .returning(OutboxMail.id)
    )
    return bool(withdrawn)


def to_mail_row(raw: dict) -> MailRow:
    return MailRow(
        id=raw["id"],
        kind=raw["kind"],
        to_addr=raw["to_addr"],
        to_name=raw["to_name"],
        subject=raw["subject"],
        body_text=raw["body_text"],
        body_html=raw["body_html"],
        status=raw["status"],
        attempts=raw["attempts"],
        last_error=raw["last_error"],
        created_at=raw["created_at"],
        sent_at=raw["sent_at"],
        headers=msgspec.json.decode(raw["headers_json"]),
        attachments=msgspec.json.decode(raw["attachments_json"], type=list[Attachment]),
    )


async def recent(limit: int = 100, to_addr: str | None = None) -> list[MailRow]:
    """Newest mail first (the dev mailbox, and tests that read what was sent)."""
    query = OutboxMail.select().order_by(OutboxMail.id, ascending=False).limit(limit)
    if to_addr:
        query = query.where(OutboxMail.to_addr == to_addr)
    return [to_mail_row(raw) for raw in await written(await query)]


async def get(mail_id: int) -> MailRow | None:
    raw = await OutboxMail.select().where(OutboxMail.id == mail_id).first()
    return to_mail_row((await written([raw]))[0]) if raw else None


# -- a campaign's mail: its progress and its delivery log --------------------------------------

QUEUED = ("pending", "sending")


async def campaign_statuses(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """How many of each campaign's mails are in each status ({campaign: {status: n}})."""
    found: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in campaign_ids}
    if not campaign_ids:
        return found
    rows = (
        await OutboxMail.select(OutboxMail.campaign_id, OutboxMail.status, Count(alias="n"))
        .where(OutboxMail.campaign_id.is_in(campaign_ids))
        .group_by(OutboxMail.campaign_id, OutboxMail.status)
    )
    for row in rows:
        found[row["campaign_id"]][row["status"]] = row["n"]
    return found


async def campaign_mail(campaign_id: int, statuses: tuple[str, ...] | None = None) -> list[dict]:
    """The campaign's mails in the order they were queued (only those in `statuses`, if given):
    to whom, where each stands, how many tries, the last error."""
    query = (
        OutboxMail.select(
            OutboxMail.account_id,
            OutboxMail.to_name,
            OutboxMail.to_addr,
            OutboxMail.status,
            OutboxMail.attempts,
            OutboxMail.last_error,
            OutboxMail.sent_at,
        )
        .where(OutboxMail.campaign_id == campaign_id)
        .order_by(OutboxMail.id)
    )
    if statuses is not None:
        query = query.where(OutboxMail.status.is_in(list(statuses)))
    return await query


async def retry_campaign(campaign_id: int) -> int:
    """The campaign's failed mails go back in the queue, with a fresh count of attempts; returns
    how many."""
    async with write_transaction():
        rows = (
            await OutboxMail.update(
                {
                    OutboxMail.status: "pending",
                    OutboxMail.attempts: 0,
                    OutboxMail.next_attempt_at: utcnow(),
                    OutboxMail.locked_until: None,
                }
            )
            .where((OutboxMail.campaign_id == campaign_id) & (OutboxMail.status == "failed"))
            .returning(OutboxMail.id)
        )
    return len(rows)
