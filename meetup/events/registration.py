"""Registration's lifecycle: register, cancel, approve, reject, check in, and what a person
sees of it. Seats and the waitlist (the lock, the counters, who gets a seat) are seats.py's;
mail is queued through notifications.py in the same transaction as the change. Whatever moves a
registration off `confirmed` fires `revocation.place_ended` once committed. A session of a
series with enrolment takes no registration of its own: its seats come with enrolment
(enrolment.py).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from meetup import revocation
from meetup.accounts.schemas import UserOut
from meetup.coordinators.prefectures import PREFECTURES
from meetup.db import fetch, insert, unique_violation, utcnow, write_transaction
from meetup.errors import Conflict
from meetup.events import alumni, notifications, seats, series, tickets
from meetup.events.errors import InvalidAnswers, NotATicketCode, NotRegistered, RegistrationClosed
from meetup.events.schemas import ACTIVE, Question, RegistrationIn, RegistrationOut
from meetup.events.tables import Event, Registration
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _


def window_open(event: dict, now: datetime | None = None) -> bool:
    """Registration is open for a published forum that has not ended, inside its window."""
    now = now or utcnow()
    closes = event["registration_closes_at"] or event["ends_at"]
    opens = event["registration_opens_at"]
    return event["status"] == "published" and (opens is None or opens <= now) and now < closes


def _closed_reason(event: dict, now: datetime) -> str:
    if event["status"] == "cancelled":
        return _("This forum has been cancelled.")
    if event["status"] != "published":
        return _("This forum is not open yet.")
    if event["ends_at"] <= now:
        return _("This forum has already taken place.")
    if event["registration_opens_at"] and now < event["registration_opens_at"]:
        return _("Registration opens on %(when)s.") % {
            "when": f"{event['registration_opens_at'].astimezone(TOKYO):%Y-%m-%d %H:%M}"
        }
    return _("Registration for this forum has closed.")


def check_answers(questions: list[Question], data: RegistrationIn) -> dict[str, object]:
    """Answers to the forum's own questions: required ones present, choices from the options."""
    known = {q.id: q for q in questions}
    unknown = set(data.answers) - set(known)
    if unknown:
        raise InvalidAnswers(_("Unknown question: %(id)s") % {"id": sorted(unknown)[0]}, field="answers")
    answers: dict[str, object] = {}
    for question in questions:
        value = data.answers.get(question.id)
        if isinstance(value, str):
            value = value.strip()
        if question.kind == "checkbox" and question.options and value is None:
            value = []
        problem = _answer_problem(question, value)
        if problem:
            raise InvalidAnswers(problem % {"label": question.label}, field="answers")
        if value not in (None, "", []):
            answers[question.id] = value
    return answers


def _answer_problem(question: Question, value: object) -> str | None:
    if question.required and value in (None, "", [], False):
        return _("Please answer “%(label)s”.")
    if value in (None, ""):
        return None
    if question.kind == "text" and not isinstance(value, str):
        return _("Please answer “%(label)s” in words.")
    if question.kind == "choice" and value not in question.options:
        return _("Please choose an option for “%(label)s”.")
    if question.kind == "checkbox" and question.options:
        if not isinstance(value, list) or not set(value) <= set(question.options):
            return _("Please choose from the options for “%(label)s”.")
    elif question.kind == "checkbox" and not isinstance(value, bool):
        return _("Please tick or untick “%(label)s”.")
    return None


async def to_out(row: dict, event_slug: str) -> RegistrationOut:
    out = RegistrationOut(
        id=row["id"],
        status=row["status"],
        event=event_slug,
        created_at=row["created_at"].astimezone(TOKYO),
        checked_in_at=row["checked_in_at"].astimezone(TOKYO) if row["checked_in_at"] else None,
        answers=msgspec.json.decode(row["answers_json"]),
    )
    if row["status"] == "waitlisted":
        known = row.get("waitlist_position")  # computed under the lock when it changed
        out.waitlist_position = known or await seats.waitlist_position(row["event"], row["queue_order"])
    return out


async def refuse_in_programme(event: dict) -> None:
    """A session of a series with enrolment takes no registration of its own (a 409)."""
    if await series.takes_enrolment(event["series"]):
        raise Conflict(
            _("This forum is a session of a programme: enrol in the programme to hold a seat at every session."),
            field="series",
        )


async def register(
    event: dict, user_id: int, data: RegistrationIn, questions: list[Question], recipient: UserOut | None = None
) -> tuple[dict, bool]:
    """Register `user_id` for `event`: returns (registration row, created).

    first_come: confirmed while seats last, then waitlisted at the end of the queue;
    lottery and approval: pending until the organizer draws or decides.
    Registering again returns the same registration.

    The seat, the row and the status mail (to be written by the worker) are one statement on
    PostgreSQL, so the forum's row lock is held for that statement only; elsewhere they are one
    transaction.
    """
    await refuse_in_programme(event)
    await alumni.check_admitted(event, user_id)
    if data.prefecture is not None and data.prefecture not in PREFECTURES:
        raise InvalidAnswers(_("Choose a prefecture from the list."), field="prefecture")
    answers = check_answers(questions, data)
    person = await notifications.person_of(user_id, recipient)
    for attempt in range(5):
        now = utcnow()
        is_open = window_open(event, now)
        # A newcomer on PostgreSQL goes straight for the seat: if they registered before, the
        # unique index refuses the row and the second attempt finds theirs.
        first_try_in_one = attempt == 0 and is_open and seats.in_one_statement(event)
        existing = None if first_try_in_one else await my_registration(event["id"], user_id)
        if existing and existing["status"] in (*ACTIVE, "rejected"):
            return existing, False
        if not is_open:
            raise RegistrationClosed(_closed_reason(event, now))
        try:
            row = await _take_place(event, user_id, data, answers, existing, now, person)
        except seats.Raced:
            event = await Event.select().where(Event.id == event["id"]).first()
            continue
        break
    else:  # five races lost in a row: the forum keeps changing under us
        raise RegistrationClosed(_("The forum is changing right now; please try again."))
    return row, True


async def _take_place(
    event: dict,
    user_id: int,
    data: RegistrationIn,
    answers: dict,
    existing: dict | None,
    now: datetime,
    person: UserOut | None,
) -> dict:
    """Decide the person's place, write their row and queue its mail; raises seats.Raced to be
    called again."""
    values = {
        "status": "pending",
        "queue_order": None,
        "answers_json": msgspec.json.encode(answers).decode(),
        "prefecture": data.prefecture,
        "updated_at": now,
        "confirmed_at": None,
        "checked_in_at": None,
    }
    try:
        if existing is None and seats.in_one_statement(event):
            return await seats.take_in_one_statement(
                event,
                user_id,
                tickets.new_code(),
                values["answers_json"],
                data.prefecture,
                now,
                lambda status: notifications.mail_row(event["id"], person, status) if person else None,
            )
        async with write_transaction():
            claimed = await seats.take(event, now)
            position = claimed.pop("waitlist_position", None)
            values.update(claimed)
            row = await _write_row(event["id"], user_id, existing, values)
            row["waitlist_position"] = position
            if person is not None:
                await notifications.status_changed(row, event, recipient=person)
            return row
    except Exception as error:
        # The same person registering twice at once (theirs is there), or, about once in a
        # trillion, a ticket code another registration holds: the next attempt draws a new one.
        if unique_violation(error):
            raise seats.Raced from error
        raise


async def _write_row(event_id: int, user_id: int, existing: dict | None, values: dict) -> dict:
    if existing is None:
        rows = await insert(Registration(event=event_id, account=user_id, ticket_code=tickets.new_code(), **values))
        return rows[0]
    # came back after cancelling: the same row, if nobody changed it meanwhile
    rows = (
        await Registration.update({getattr(Registration, k): v for k, v in values.items()})
        .where((Registration.id == existing["id"]) & (Registration.status == existing["status"]))
        .returning(*Registration.all_columns())
    )
    if not rows:
        raise seats.Raced
    return rows[0]


async def my_registration(event_id: int, user_id: int) -> dict | None:
    rows = await fetch("SELECT * FROM registration WHERE event = {} AND account = {}", event_id, user_id)
    return rows[0] if rows else None


async def is_confirmed(event_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return await Registration.exists().where(
        (Registration.event == event_id) & (Registration.account == user_id) & (Registration.status == "confirmed")
    )


async def promote_waitlist(event: dict) -> int:
    """With the forum locked: free seats go to the waitlist, first in line first (seats.promote),
    and each promoted person is told. Returns how many were promoted."""
    promoted = await seats.promote(event["id"])
    for row in promoted:
        await notifications.status_changed(row, event, promoted=True)
    return len(promoted)


async def cancel(event: dict, user_id: int) -> None:
    """The person gives up their place; a confirmed seat passes at once to the first waitlisted."""
    async with write_transaction():
        await seats.lock_event(event["id"])
        row = await my_registration(event["id"], user_id)
        if row is None or row["status"] not in ACTIVE:
            raise NotRegistered(_("You are not registered for this forum."))
        await _release(row, event, "cancelled")
    if row["status"] == "confirmed":
        await revocation.place_ended(user_id, event["id"])


async def _release(row: dict, event: dict, status: str) -> dict:
    updated, promoted = await seats.give_back(row, status)
    await notifications.status_changed(updated, event)
    for moved_up in promoted:
        await notifications.status_changed(moved_up, event, promoted=True)
    return updated


async def registration_in_event(event: dict, reg_id: int) -> dict:
    row = await Registration.select().where((Registration.id == reg_id) & (Registration.event == event["id"])).first()
    if row is None:
        raise NotRegistered(_("No such registration."))
    return row


async def approve(event: dict, reg_id: int) -> dict:
    """An approved applicant gets a seat, or the end of the waitlist when the forum is full."""
    async with write_transaction():
        locked = await seats.lock_event(event["id"])
        row = await registration_in_event(event, reg_id)
        if row["status"] not in ("pending", "rejected"):
            return row
        row = await seats.admit(locked, reg_id)
        await notifications.status_changed(row, event)
    return row


async def reject(event: dict, reg_id: int) -> dict:
    """Turn an applicant (or a registrant) away; a seat they held goes to the waitlist."""
    async with write_transaction():
        await seats.lock_event(event["id"])
        row = await registration_in_event(event, reg_id)
        if row["status"] in ("rejected", "cancelled"):
            return row
        updated = await _release(row, event, "rejected")
    if row["status"] == "confirmed":
        await revocation.place_ended(row["account"], event["id"])
    return updated


async def check_in(event: dict, reg_id: int | None = None, code: str | None = None, undo: bool = False) -> dict:
    """Mark a confirmed registrant as arrived (by id or ticket code); `undo` takes it back.

    A code is read as `tickets.read` does (any case, dash and spaces optional); something that
    cannot be a code is a 400, a code of no registration of this forum a 404."""
    query = Registration.select().where(Registration.event == event["id"])
    if code is not None:
        ticket = tickets.read(code)
        if ticket is None:
            raise NotATicketCode(
                _("This is not a ticket code: a ticket code has 8 letters and digits, like %(example)s.")
                % {"example": "7KQM-3XRD"}
            )
        query = query.where(Registration.ticket_code == ticket)
    else:
        query = query.where(Registration.id == reg_id)
    row = await query.first()
    if row is None:
        raise NotRegistered(_("No registration with this code for this forum."))
    if row["status"] != "confirmed":
        raise RegistrationClosed(_("Only confirmed registrants can check in."))
    async with write_transaction():
        if undo:
            return await _checked_in(row["id"], None)
        if row["checked_in_at"] is None:
            return await _checked_in(row["id"], utcnow())
    return row


async def _checked_in(reg_id: int, when: datetime | None) -> dict:
    # only while it holds its seat: status is seats.py's, and a seat given back stays given back
    await Registration.update({Registration.checked_in_at: when, Registration.updated_at: utcnow()}).where(
        (Registration.id == reg_id) & (Registration.status == "confirmed")
    )
    return await Registration.select().where(Registration.id == reg_id).first()


async def notify_event_cancelled(event_id: int) -> None:
    """Everyone still holding a place hears that the forum is cancelled."""
    event = await Event.select().where(Event.id == event_id).first()
    rows = await Registration.select().where((Registration.event == event_id) & Registration.status.is_in(list(ACTIVE)))
    for row in rows:
        await notifications.event_cancelled(row, event)


async def registrations_of(user_id: int) -> list[dict]:
    """A person's registrations with their forums, soonest forum first (for "my registrations")."""
    rows = (
        await Registration.select(
            Registration.all_columns(),
            Registration.event.slug.as_alias("slug"),
            Registration.event.title.as_alias("title"),
            Registration.event.starts_at.as_alias("starts_at"),
            Registration.event.ends_at.as_alias("ends_at"),
            Registration.event.status.as_alias("event_status"),
        )
        .where(Registration.account == user_id)
        .order_by(Registration.event.starts_at)
    )
    for row in rows:
        row["waitlist_position"] = (
            await seats.waitlist_position(row["event"], row["queue_order"]) if row["status"] == "waitlisted" else None
        )
        row["past"] = row["ends_at"] <= utcnow()
    return rows
