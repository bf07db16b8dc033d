"""Enrolment in a series (CONTRACT §5.3): one application covers every session.

Rules:
- only a series with enrolment takes applications; first come: a place while the series'
  capacity lasts, then the end of its waitlist; approval: pending until an organizer decides;
  lottery: pending until the organizer draws (lottery.py, as for forums: seats held per Tohoku
  prefecture are drawn among that prefecture's applicants, the rest wait in random order);
- applying again answers the place one has (200); after cancelling, applying again starts anew;
- a confirmed enrolment holds a confirmed registration (source "enrolment") at every session not
  yet over, so tickets, check-in and breakout rooms work per session as for any registrant; a
  session that joins the series later seats everyone enrolled;
- the series' capacity governs: an enrolled person is seated at a session whatever the session's
  own capacity (and a session's capacity cannot be lowered below the seats it holds);
- cancelling (or being rejected) gives up the seat at every session not yet over, and the first
  in the series' line takes the place, at every session;
- a single-session registration in such a series is refused (registration.py);
- attendance: a session counts for a person once they checked in there or were seen in one of
  its breakout rooms.
Seats and the waitlist are changed in seats.py only, with the series locked, then each session.
"""

from __future__ import annotations

import msgspec

from meetup import revocation
from meetup.coordinators.prefectures import PREFECTURES
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound
from meetup.events import alumni, enrolment_mail, presence, registration, seats, series, tickets
from meetup.events.schemas import ACTIVE, EnrolmentIn, EnrolmentRow, MyEnrolment, Person
from meetup.events.tables import Enrolment, Event
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _


async def open_series(slug: str) -> dict:
    """The series at `slug`, which must take enrolment."""
    row = await series.series_row(slug)
    if row["enrol_capacity"] is None:
        raise NotFound(_("This series takes no enrolment."))
    return row


async def mine(series_id: int, user_id: int) -> dict | None:
    return await Enrolment.select().where((Enrolment.series == series_id) & (Enrolment.account == user_id)).first()


def check_open(row: dict) -> None:
    """Enrolment closes at the series' closing time: after it, a 409 saying so."""
    if not series.enrolment_open(row):
        raise Conflict(
            _("Enrolment in this programme closed on %(when)s.")
            % {"when": f"{row['enrol_closes_at'].astimezone(TOKYO):%Y-%m-%d %H:%M}"},
            field="enrolment",
        )


async def enrol(row: dict, user_id: int, data: EnrolmentIn | None = None) -> tuple[dict, bool]:
    """Apply to the series: returns (the enrolment, created). Answers to the application
    questions are checked as a forum registration's (400 naming the question)."""
    data = data or EnrolmentIn()
    prefecture = data.prefecture
    if prefecture is not None and prefecture not in PREFECTURES:
        raise BadInput(_("Choose a prefecture from the list."), field="prefecture")
    existing = await mine(row["id"], user_id)
    if existing and existing["status"] in (*ACTIVE, "rejected"):
        return existing, False
    check_open(row)
    answers = registration.check_answers(series.questions_of(row), data)
    async with write_transaction():
        locked = await seats.lock_series(row["id"])
        if locked["enrol_capacity"] is None:
            raise NotFound(_("This series takes no enrolment."))
        existing = await mine(row["id"], user_id)
        if existing and existing["status"] in (*ACTIVE, "rejected"):
            return existing, False
        made = await seats.enrol(locked, user_id, existing, prefecture, tickets.new_code)
        if answers or (existing and existing["answers_json"] != "{}"):
            await Enrolment.update({Enrolment.answers_json: msgspec.json.encode(answers).decode()}).where(
                Enrolment.id == made["id"]
            )
            made["answers_json"] = msgspec.json.encode(answers).decode()
        await enrolment_mail.changed(made, locked["enrol_mode"])
        return made, True


async def cancel(row: dict, user_id: int) -> None:
    """Give up one's place: at every session not yet over, and to the next in line."""
    async with write_transaction():
        await seats.lock_series(row["id"])
        existing = await mine(row["id"], user_id)
        if existing is None or existing["status"] not in ACTIVE:
            raise NotFound(_("You are not enrolled in this series."))
        updated, left, promoted = await seats.leave_series(existing, "cancelled", tickets.new_code)
        await _mail_left(updated, promoted, row["enrol_mode"])
    for event_id in left:
        await revocation.place_ended(user_id, event_id)


async def _mail_left(updated: dict, promoted: list[dict], mode: str) -> None:
    """Mail the one who left (cancelled, turned away) and each one their place went to."""
    await enrolment_mail.changed(updated, mode)
    for row in promoted:
        await enrolment_mail.changed(row, mode, promoted=True)


async def _enrolment_in(series_id: int, enrolment_id: int) -> dict:
    found = await Enrolment.select().where((Enrolment.id == enrolment_id) & (Enrolment.series == series_id)).first()
    if found is None:
        raise NotFound(_("No such enrolment."))
    return found


async def approve(row: dict, enrolment_id: int) -> dict:
    """An approved applicant is seated at every session, or waits when the series is full."""
    async with write_transaction():
        locked = await seats.lock_series(row["id"])
        found = await _enrolment_in(row["id"], enrolment_id)
        if found["status"] not in ("pending", "rejected"):
            return found
        updated = await seats.admit_enrolment(locked, found, tickets.new_code)
        await enrolment_mail.changed(updated, locked["enrol_mode"], approved=True)
        return updated


async def reject(row: dict, enrolment_id: int) -> dict:
    """Turn an applicant (or someone enrolled) away; a place they held goes to the next in line."""
    async with write_transaction():
        await seats.lock_series(row["id"])
        found = await _enrolment_in(row["id"], enrolment_id)
        if found["status"] in ("rejected", "cancelled"):
            return found
        updated, left, promoted = await seats.leave_series(found, "rejected", tickets.new_code)
        await _mail_left(updated, promoted, row["enrol_mode"])
    for event_id in left:
        await revocation.place_ended(found["account"], event_id)
    return updated


async def seat_cohort_at(event_id: int) -> None:
    """A session joined (or was added to) a series with enrolment: everyone enrolled is seated."""
    event = await Event.select(Event.series, Event.ends_at, Event.status).where(Event.id == event_id).first()
    if not event or not await series.takes_enrolment(event["series"]):
        return
    if event["status"] == "cancelled" or event["ends_at"] <= utcnow():
        return
    async with write_transaction():
        await seats.lock_series(event["series"])
        rows = await Enrolment.select(Enrolment.account).where(
            (Enrolment.series == event["series"]) & (Enrolment.status == "confirmed")
        )
        if rows:
            await seats.seat_enrolled_at(event_id, [r["account"] for r in rows], tickets.new_code)


async def to_out(row: dict, slug: str) -> MyEnrolment:
    out = MyEnrolment(id=row["id"], status=row["status"], series=slug)
    if row["status"] == "waitlisted":
        out.waitlist_position = await seats.enrolment_position(row["series"], row["queue_order"])
    return out


async def attended(series_id: int) -> dict[int, list[str]]:
    """Who came to which session: account → session slugs in date order."""
    sessions = await Event.select(Event.id, Event.slug).where(Event.series == series_id).order_by(Event.starts_at)
    ids = [s["id"] for s in sessions]
    if not ids:
        return {}
    came = await presence.came(ids)
    rank = {s["id"]: (number, s["slug"]) for number, s in enumerate(sessions)}
    by_person: dict[int, list[str]] = {}
    for account, event_id in sorted(came, key=lambda pair: rank[pair[1]]):
        by_person.setdefault(account, []).append(rank[event_id][1])
    return by_person


async def cohort(row: dict) -> list[EnrolmentRow]:
    """Every enrolment of the series, first applicants first, with the sessions each attended."""
    people = (
        await Enrolment.select(
            Enrolment.id,
            Enrolment.status,
            Enrolment.answers_json,
            Enrolment.prefecture,
            Enrolment.account.as_alias("account_id"),
            Enrolment.account.display_name.as_alias("display_name"),
            Enrolment.account.email.as_alias("email"),
        )
        .where(Enrolment.series == row["id"])
        .order_by(Enrolment.id)
    )
    came = await attended(row["id"])
    completed = await alumni.completed_accounts(row["id"])
    return [
        EnrolmentRow(
            id=p["id"],
            user=Person(id=p["account_id"], display_name=p["display_name"], email=p["email"]),
            status=p["status"],
            attended=came.get(p["account_id"], []),
            completed=p["account_id"] in completed,
            answers=msgspec.json.decode(p["answers_json"] or "{}"),
            prefecture=p["prefecture"],
        )
        for p in people
    ]
