"""Completing a programme (CONTRACT §5.3): the series' rule, applied once its last session is over.

Rules:
- completion is marked by an organizer, after the last session (cancelled ones aside) has
  ended: before that, a 409 saying when it ends;
- a person completes who holds a confirmed enrolment and attended (checked in, or was seen in a
  breakout room) at least `min_sessions` of the sessions, the last one among them when
  `final_required`;
- each is recorded as an alumnus of the series (alumni.py), the cohort's year being the year of
  its last session in Japan; marking again changes nothing, and nothing ever unmarks.
"""

from __future__ import annotations

from meetup.db import utcnow, write_transaction
from meetup.errors import Conflict
from meetup.events import enrolment
from meetup.events.tables import Alumnus, Enrolment, Event
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _


async def sessions_of(series_id: int) -> list[dict]:
    """The series' sessions that take place (cancelled ones aside), in date order."""
    return (
        await Event.select(Event.id, Event.slug, Event.starts_at, Event.ends_at)
        .where((Event.series == series_id) & (Event.status != "cancelled"))
        .order_by(Event.starts_at)
    )


def meets_rule(attended: list[str], sessions: list[str], min_sessions: int, final_required: bool) -> bool:
    """At least `min_sessions` of `sessions` attended, and the last one when `final_required`."""
    came = set(attended) & set(sessions)
    return len(came) >= min_sessions and (not final_required or (bool(sessions) and sessions[-1] in came))


def cohort_year(sessions: list[dict]) -> int:
    return sessions[-1]["starts_at"].astimezone(TOKYO).year


async def who_completes(row: dict, sessions: list[dict]) -> list[int]:
    """The accounts of the confirmed enrolments that meet the series' rule."""
    slugs = [s["slug"] for s in sessions]
    came = await enrolment.attended(row["id"])
    confirmed = await Enrolment.select(Enrolment.account).where(
        (Enrolment.series == row["id"]) & (Enrolment.status == "confirmed")
    )
    return [
        r["account"]
        for r in confirmed
        if meets_rule(came.get(r["account"], []), slugs, row["min_sessions"], row["final_required"])
    ]


async def mark_completions(slug: str) -> int:
    """Record as alumni everyone who meets the rule; returns how many were newly recorded."""
    row = await enrolment.open_series(slug)
    sessions = await sessions_of(row["id"])
    if not sessions:
        raise Conflict(_("The programme has no sessions yet: nobody can complete it."), field="series")
    last_end = sessions[-1]["ends_at"]
    if last_end > utcnow():
        raise Conflict(
            _("Completion is marked once the last session has ended (%(end)s).")
            % {"end": f"{last_end.astimezone(TOKYO):%Y-%m-%d %H:%M}"},
            field="series",
        )
    people = await who_completes(row, sessions)
    year = cohort_year(sessions)
    created = 0
    async with write_transaction():
        for account in people:
            inserted = (
                await Alumnus.insert(Alumnus(account=account, series=row["id"], year=year, source="completed"))
                .on_conflict(action="DO NOTHING")
                .returning(Alumnus.id)
            )
            created += len(inserted)
    return created


async def programme_dates(series_id: int) -> tuple[object, object] | None:
    """(first session's start, last session's end) in Japan, or None without sessions."""
    sessions = await sessions_of(series_id)
    if not sessions:
        return None
    return sessions[0]["starts_at"].astimezone(TOKYO), sessions[-1]["ends_at"].astimezone(TOKYO)
