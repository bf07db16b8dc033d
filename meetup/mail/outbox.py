"""Putting mail in the outbox. The only way any domain sends mail.

`enqueue()` inserts a row and must be called inside the caller's `write_transaction()`, so the
mail exists if and only if the change that caused it was committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from meetup.db import insert, single_write, utcnow, write_transaction
from meetup.mail.tables import OutboxMail

KINDS = ("transactional", "campaign")


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


def outbox_row(
    *,
    to_addr: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    to_name: str = "",
    kind: str = "transactional",
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    not_before: datetime | None = None,
    campaign_id: int | None = None,
    account_id: int | None = None,
) -> OutboxMail:
    """One mail as an outbox row, checked: no header can smuggle in a line break."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    headers = {_single_line("header name", k): _single_line(k, v) for k, v in (headers or {}).items()}
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
    )


async def enqueue(*, only_if: tuple[str, tuple] | None = None, **mail) -> int | None:
    """Queue one mail (the arguments of `outbox_row`); returns its outbox id, or None when
    `dedupe_key` was already queued or the `only_if` query (see `db.insert`) finds nothing."""
    async with single_write():
        inserted = await insert(outbox_row(**mail), returning="id", skip_conflict_on="dedupe_key", only_if=only_if)
    return inserted[0]["id"] if inserted else None


async def enqueue_many(rows: list[OutboxMail], chunk: int = 200) -> int:
    """Queue many mails (a campaign) in the caller's transaction; rows whose `dedupe_key` was
    queued before are skipped. Returns how many were new."""
    new = 0
    async with write_transaction():
        for start in range(0, len(rows), chunk):
            inserted = (
                await OutboxMail.insert(*rows[start : start + chunk])
                .on_conflict(target=OutboxMail.dedupe_key, action="DO NOTHING")
                .returning(OutboxMail.id)
            )
            new += len(inserted)
    return new


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
    return [to_mail_row(raw) for raw in await query]


async def get(mail_id: int) -> MailRow | None:
    raw = await OutboxMail.select().where(OutboxMail.id == mail_id).first()
    return to_mail_row(raw) if raw else None
