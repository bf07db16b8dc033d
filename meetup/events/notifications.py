"""Every mail a registration sends, in one place: status changes, cancellation, reminders.

Called inside the transaction that changed the registration, so the mail exists exactly when
the change was committed (the outbox rule). A new registration is the one exception, for speed:
it renders with `status_mail` after its seat is committed and queues the mail in one guarded
statement, its `mail_pending` flag standing for the mail until then (see `registration.py`).
"""

from __future__ import annotations

from meetup import i18n, settings
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.events.calendar import event_ics
from meetup.i18n import gettext as _
from meetup.mail.outbox import Attachment, enqueue
from meetup.templating import render_mail


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


async def _send(row: dict, event: dict, kind: str, **options) -> None:
    mail = await _compose(row, event, kind, **options)
    if mail is not None:
        await enqueue(**mail)


async def _compose(
    row: dict,
    event: dict,
    kind: str,
    *,
    dedupe_key: str | None = None,
    position: int | None = None,
    recipient: UserOut | None = None,
) -> dict | None:
    """The mail's fields for `enqueue`, rendered in the person's language (None: no such person)."""
    user = recipient if recipient is not None and recipient.id == row["account"] else None
    user = user or await accounts.get_user(row["account"])
    if user is None:
        return None
    base_url = settings.current().base_url.rstrip("/")
    confirmed = row["status"] == "confirmed"
    with i18n.use_locale(user.locale):
        subject = _subject(kind, event["title"])
    text, html = render_mail(
        "registration",
        user.locale,
        kind=kind,
        name=user.display_name,
        event=event,
        event_url=f"{base_url}/events/{event['slug']}",
        ticket_url=f"{base_url}/events/{event['slug']}/ticket",
        online_url=event["online_url"] if confirmed else "",
        position=position,
    )
    attachments = []
    if confirmed and kind in ("confirmed", "promoted", "won", "reminder"):
        ics = event_ics(event, base_url, include_online_url=True)
        attachments.append(Attachment("forum.ics", "text/calendar; method=PUBLISH", ics))
    return {
        "to_addr": user.email,
        "to_name": user.display_name,
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "attachments": attachments,
        "dedupe_key": dedupe_key,
    }


async def status_changed(
    row: dict, event: dict, *, promoted: bool = False, lottery: bool = False, recipient: UserOut | None = None
) -> None:
    """Queue the mail that tells a person their registration's new status."""
    mail = await status_mail(row, event, promoted=promoted, lottery=lottery, recipient=recipient)
    if mail is not None:
        await enqueue(**mail)


async def status_mail(
    row: dict, event: dict, *, promoted: bool = False, lottery: bool = False, recipient: UserOut | None = None
) -> dict | None:
    """The status mail's fields, rendered but not queued (registration renders outside its lock)."""
    from meetup.events.registration import waitlist_position

    status = row["status"]
    if status == "confirmed":
        kind = "won" if lottery else "promoted" if promoted else "confirmed"
    elif status == "waitlisted":
        kind = "lost" if lottery else "waitlisted"
    elif status == "pending":
        kind = (
            f"pending_{event['registration_mode']}"
            if event["registration_mode"] != "first_come"
            else "pending_approval"
        )
    else:
        kind = status  # rejected | cancelled
    position = None
    if status == "waitlisted":
        position = row.get("waitlist_position") or await waitlist_position(row["event"], row["queue_order"])
    return await _compose(row, event, kind, position=position, recipient=recipient)


async def event_cancelled(row: dict, event: dict) -> None:
    await _send(row, event, "event_cancelled", dedupe_key=f"event:{event['id']}:cancelled:{row['id']}")


async def reminder(row: dict, event: dict) -> None:
    """The day-before reminder: once per registration and forum revision."""
    await _send(row, event, "reminder", dedupe_key=f"reminder:{row['id']}:{event['revision']}")
