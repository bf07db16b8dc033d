"""Every mail an enrolment in a series sends (CONTRACT §5.3): enrolled (with each session's date
and a link to its ticket), on the waitlist (with the place in line), application received
(approval, lottery), approved, turned away, a place freed on the waitlist, lottery results, and
a cancellation.

As registration mail (notifications.py), each is queued inside the transaction that changed the
enrolment and written by the worker in the person's language from the series as it is then.
Each mail is queued once: its dedupe key names the enrolment, the kind of mail and the moment
of the change, so the same change queued twice (a retried request) gives one mail, while
enrolling again after cancelling mails again.
"""

from __future__ import annotations

from meetup import i18n, settings
from meetup.accounts import service as accounts
from meetup.db import fetch, utcnow
from meetup.events import seats
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue_row, outbox_row, register_composer
from meetup.templating import render_mail

COMPOSER = "events.enrolment"
# The mails that tell someone they hold a place: they list the sessions with a ticket each.
PLACE_KINDS = ("confirmed", "approved", "promoted", "won")
KINDS = (*PLACE_KINDS, "waitlisted", "lost", "pending_approval", "pending_lottery", "rejected", "cancelled")


def _subject(kind: str, title: str) -> str:
    subjects = {
        "confirmed": _("[Enrolled] %(title)s"),
        "approved": _("[Application approved] %(title)s"),
        "promoted": _("[A place is yours] %(title)s"),
        "won": _("[Lottery: you won a place] %(title)s"),
        "waitlisted": _("[Waitlist] %(title)s"),
        "lost": _("[Lottery: on the waitlist] %(title)s"),
        "pending_approval": _("[Application received] %(title)s"),
        "pending_lottery": _("[Application received] %(title)s"),
        "rejected": _("[About your application] %(title)s"),
        "cancelled": _("[Enrolment cancelled] %(title)s"),
    }
    return subjects[kind] % {"title": title}


def kind_of(row: dict, mode: str, *, approved: bool = False, promoted: bool = False, lottery: bool = False) -> str:
    """Which mail tells a person their enrolment now has `row['status']`."""
    status = row["status"]
    if status == "confirmed":
        return "won" if lottery else "promoted" if promoted else "approved" if approved else "confirmed"
    if status == "waitlisted":
        return "lost" if lottery else "waitlisted"
    if status == "pending":
        return "pending_lottery" if mode == "lottery" else "pending_approval"
    return status  # rejected | cancelled


async def changed(row: dict, mode: str, **how: bool) -> None:
    """Queue the mail telling the enrolment's person its new status, once per change."""
    person = await accounts.get_user(row["account"])
    if person is None:
        return
    kind = kind_of(row, mode, **how)
    moment = (row.get("updated_at") or utcnow()).isoformat()
    await enqueue_row(
        outbox_row(
            to_addr=person.email,
            to_name=person.display_name,
            dedupe_key=f"enrolment:{row['id']}:{kind}:{moment}",
            compose=(COMPOSER, {"series": row["series"], "account": person.id, "kind": kind}),
        )
    )


async def write_mail(args: dict) -> dict | None:
    """Write an enrolment mail in its person's language (None: the person or series is gone)."""
    found = await fetch("SELECT * FROM series WHERE id = {}", args["series"])
    person = await accounts.get_user(args["account"])
    if not found or person is None:
        return None
    series = found[0]
    kind = args["kind"]
    mine = await fetch("SELECT * FROM enrolment WHERE series = {} AND account = {}", series["id"], person.id)
    position = None
    if mine and mine[0]["status"] == "waitlisted":
        position = await seats.enrolment_position(series["id"], mine[0]["queue_order"])
    base_url = settings.current().base_url.rstrip("/")
    sessions = []
    if kind in PLACE_KINDS and mine and mine[0]["status"] == "confirmed":
        rows = await fetch(
            'SELECT slug, title, starts_at, ends_at, venue, format FROM "event" WHERE series = {} '
            "AND status = 'published' AND ends_at > {} ORDER BY starts_at",
            series["id"],
            utcnow(),
        )
        sessions = [
            {**r, "url": f"{base_url}/events/{r['slug']}", "ticket_url": f"{base_url}/events/{r['slug']}/ticket"}
            for r in rows
        ]
    with i18n.use_locale(person.locale):
        subject = _subject(kind, series["title"])
    text, html = render_mail(
        "enrolment",
        person.locale,
        kind=kind,
        name=person.display_name,
        series=series,
        series_url=f"{base_url}/series/{series['slug']}",
        sessions=sessions,
        position=position,
    )
    return {"subject": subject, "body_text": text, "body_html": html}


def register_composers() -> None:
    """At start-up (meetup/composers.py)."""
    register_composer(COMPOSER, write_mail)
