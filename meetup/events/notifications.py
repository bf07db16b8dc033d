"""Every mail a registration sends, in one place: status changes, cancellation, reminders.

Each is queued inside the transaction (on PostgreSQL, for a newcomer, the very statement) that
changed the registration, so the mail exists exactly when the change was committed (the outbox
rule). Only its recipient is fixed then: `write_mail`, this domain's composer, writes it in the
person's language when the worker sends it (or a reader opens it), from the forum and the
registration as they are by then. So the online URL goes only to someone who still holds a seat.
"""

from __future__ import annotations

from meetup import i18n, settings
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import fetch
from meetup.events import seats
from meetup.events.calendar import event_ics
from meetup.i18n import gettext as _
from meetup.mail.outbox import Attachment, Mail, enqueue_row, outbox_row, register_composer
from meetup.templating import render_mail

COMPOSER = "events.registration"
# The mails that tell someone they have a seat: they carry the ticket and the calendar file.
SEAT_KINDS = ("confirmed", "promoted", "won", "reminder")


def _subject(kind: str, title: str) -> str:
    subjects = {
        "confirmed": _("[Confirmed] %(title)s"),
        "promoted": _("[A seat is yours] %(title)s"),
        "won": _("[Lottery: you won a seat] %(title)s"),
        "waitlisted": _("[Waitlist] %(title)s"),
        "lost": _("[Lottery: on the waitlist] %(title)s"),
        "pending_lottery": _("[Application received] %(title)s"),
        "pending_approval": _("[Application received] %(title)s"),
        "rejected": _("[About your application] %(title)s"),
        "cancelled": _("[Cancellation received] %(title)s"),
        "event_cancelled": _("[Cancelled] %(title)s"),
        "reminder": _("[Tomorrow] %(title)s"),
    }
    return subjects[kind] % {"title": title}


def status_kind(status: str, mode: str, *, promoted: bool = False, lottery: bool = False) -> str:
    """Which mail tells a person their registration now has `status` (in a forum of `mode`)."""
    if status == "confirmed":
        return "won" if lottery else "promoted" if promoted else "confirmed"
    if status == "waitlisted":
        return "lost" if lottery else "waitlisted"
    if status == "pending":
        return "pending_lottery" if mode == "lottery" else "pending_approval"
    return status  # rejected | cancelled


def mail_row(event_id: int, person: UserOut, kind: str, *, dedupe_key: str | None = None) -> Mail:
    """The outbox row of a registration mail, to be written by `write_mail` when it is sent."""
    return outbox_row(
        to_addr=person.email,
        to_name=person.display_name,
        dedupe_key=dedupe_key,
        compose=(COMPOSER, {"event": event_id, "account": person.id, "kind": kind}),
    )


async def person_of(account_id: int, known: UserOut | None = None) -> UserOut | None:
    """Who a registration's mail goes to: `known` when it is them (the one asking), else read."""
    if known is not None and known.id == account_id:
        return known
    return await accounts.get_user(account_id)


async def _queue(row: dict, kind: str, *, dedupe_key: str | None = None, recipient: UserOut | None = None) -> None:
    person = await person_of(row["account"], recipient)
    if person is not None:  # an account deleted meanwhile has no one to tell
        await enqueue_row(mail_row(row["event"], person, kind, dedupe_key=dedupe_key))


async def status_changed(
    row: dict, event: dict, *, promoted: bool = False, lottery: bool = False, recipient: UserOut | None = None
) -> None:
    """Queue the mail that tells a person their registration's new status."""
    kind = status_kind(row["status"], event["registration_mode"], promoted=promoted, lottery=lottery)
    await _queue(row, kind, recipient=recipient)


async def event_cancelled(row: dict, event: dict) -> None:
    await _queue(row, "event_cancelled", dedupe_key=f"event:{event['id']}:cancelled:{row['id']}")


async def reminder(row: dict, event: dict) -> None:
    """The day-before reminder: once per registration and forum revision."""
    await _queue(row, "reminder", dedupe_key=f"reminder:{row['id']}:{event['revision']}")


async def write_mail(args: dict) -> dict | None:
    """Write a registration mail in its person's language (None: the person or forum is gone)."""
    rows = await fetch('SELECT * FROM "event" WHERE "id" = {}', args["event"])
    person = await accounts.get_user(args["account"])
    if not rows or person is None:
        return None
    event = rows[0]
    found = await fetch("SELECT * FROM registration WHERE event = {} AND account = {}", event["id"], person.id)
    holds_seat = bool(found) and found[0]["status"] == "confirmed"
    kind = args["kind"]
    position = None
    if found and found[0]["status"] == "waitlisted":
        position = await seats.waitlist_position(event["id"], found[0]["queue_order"])
    base_url = settings.current().base_url.rstrip("/")
    with i18n.use_locale(person.locale):
        subject = _subject(kind, event["title"])
    text, html = render_mail(
        "registration",
        person.locale,
        kind=kind,
        name=person.display_name,
        event=event,
        event_url=f"{base_url}/events/{event['slug']}",
        ticket_url=f"{base_url}/events/{event['slug']}/ticket",
        online_url=event["online_url"] if holds_seat else "",
        position=position,
    )
    attachments = []
    if kind in SEAT_KINDS:
        ics = event_ics(event, base_url, include_online_url=holds_seat)
        attachments.append(Attachment("forum.ics", "text/calendar; method=PUBLISH", ics))
    return {"subject": subject, "body_text": text, "body_html": html, "attachments": attachments}


def register_composers() -> None:
    """At start-up (meetup/composers.py): the worker writes the registration mail with `write_mail`."""
    register_composer(COMPOSER, write_mail)
