"""The cohort × sessions grid of a series with enrolment, for its organizers: one row per
enrolled person, one column per session, each cell attended / absent / upcoming, and per person
whether the completion rule is met, still reachable, at risk, or out of reach.

Computed in a fixed number of queries whatever the size of the cohort: the sessions, the
enrolled people, the check-ins at those sessions, and one per attendance source (breakout room
presence) — never one per person or per cell.

Rules:
- a session is "upcoming" until it ends; after that a person "attended" it (checked in, or seen
  in one of its breakout rooms) or was "absent"; someone checked in at a session under way
  counts as attended at once;
- sessions called off are not columns; the rule's `min_sessions` counts at most the sessions
  the series has (a rule above that is refused when it is saved);
- "missed": the rule can no longer be met (too few sessions left, or the final one required
  and missed); "at_risk": one more absence would put it out of reach (it takes every session
  left, or the required final is the only session left); "met": it is met already; otherwise
  "on_track".
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from meetup import attendance
from meetup.db import utcnow
from meetup.events.tables import Enrolment, Event, Registration

ATTENDED, ABSENT, UPCOMING = "attended", "absent", "upcoming"


class GridSession(msgspec.Struct):
    slug: str
    title: str
    starts_at: datetime
    number: int  # 1-based place in the programme
    over: bool


class GridRow(msgspec.Struct):
    enrolment_id: int
    account: int
    display_name: str
    email: str  # organizers only: the grid is on organizer pages alone
    cells: list[str]  # one per session: attended | absent | upcoming
    attended: int
    standing: str  # met | on_track | at_risk | missed


class Grid(msgspec.Struct):
    sessions: list[GridSession]
    rows: list[GridRow]
    min_sessions: int
    final_required: bool
    at_risk: int  # people at risk or out of reach
    missed: int


def standing(cells: list[str], min_sessions: int, final_required: bool) -> str:
    """Where a person stands against the completion rule, from their cells in session order."""
    if not cells:
        return "on_track"
    need = min(min_sessions, len(cells))
    came = cells.count(ATTENDED)
    left = cells.count(UPCOMING)
    final = cells[-1]
    if came >= need and (not final_required or final == ATTENDED):
        return "met"
    if came + left < need or (final_required and final == ABSENT):
        return "missed"
    if came + left == need or (final_required and left == 1 and final == UPCOMING):
        return "at_risk"
    return "on_track"


async def grid(row: dict, now: datetime | None = None) -> Grid:
    """The grid of the series in `row` (a series row with enrolment)."""
    now = now or utcnow()
    sessions = (
        await Event.select(Event.id, Event.slug, Event.title, Event.starts_at, Event.ends_at)
        .where((Event.series == row["id"]) & (Event.status != "cancelled"))
        .order_by(Event.starts_at)
    )
    people = (
        await Enrolment.select(
            Enrolment.id,
            Enrolment.account.as_alias("account_id"),
            Enrolment.account.display_name.as_alias("display_name"),
            Enrolment.account.email.as_alias("email"),
        )
        .where((Enrolment.series == row["id"]) & (Enrolment.status == "confirmed"))
        .order_by(Enrolment.account.display_name)
        .order_by(Enrolment.id)
    )
    ids = [s["id"] for s in sessions]
    came: set[tuple[int, int]] = set()
    if ids and people:
        checked = await Registration.select(Registration.account, Registration.event).where(
            Registration.event.is_in(ids) & Registration.checked_in_at.is_not_null()
        )
        came = {(r["account"], r["event"]) for r in checked} | await attendance.present(ids)
    over = [s["ends_at"] <= now for s in sessions]
    rows = []
    for person in people:
        cells = [
            ATTENDED if (person["account_id"], s["id"]) in came else ABSENT if ended else UPCOMING
            for s, ended in zip(sessions, over, strict=True)
        ]
        rows.append(
            GridRow(
                enrolment_id=person["id"],
                account=person["account_id"],
                display_name=person["display_name"],
                email=person["email"],
                cells=cells,
                attended=cells.count(ATTENDED),
                standing=standing(cells, row["min_sessions"], row["final_required"]),
            )
        )
    return Grid(
        sessions=[
            GridSession(slug=s["slug"], title=s["title"], starts_at=s["starts_at"], number=n, over=ended)
            for n, (s, ended) in enumerate(zip(sessions, over, strict=True), start=1)
        ],
        rows=rows,
        min_sessions=row["min_sessions"],
        final_required=row["final_required"],
        at_risk=sum(r.standing == "at_risk" for r in rows),
        missed=sum(r.standing == "missed" for r in rows),
    )
