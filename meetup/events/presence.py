"""Who came to a forum: checked in at the desk, or seen present some other way (a feature above
events offers its source through meetup/attendance.py: rooms count presence in a breakout room).
Registering is not coming: a confirmed registrant who never showed up did not come."""

from __future__ import annotations

from datetime import datetime

from meetup import attendance
from meetup.db import utcnow
from meetup.events.tables import Event, Registration


async def came(event_ids: list[int]) -> set[tuple[int, int]]:
    """(account, forum id) for everyone who came to one of these forums."""
    if not event_ids:
        return set()
    checked = await Registration.select(Registration.account, Registration.event).where(
        Registration.event.is_in(event_ids) & Registration.checked_in_at.is_not_null()
    )
    return {(r["account"], r["event"]) for r in checked} | await attendance.present(event_ids)


async def forums_since(since: datetime) -> list[int]:
    """Published forums that began between `since` and now."""
    rows = await Event.select(Event.id).where(
        (Event.status == "published") & (Event.starts_at >= since) & (Event.starts_at <= utcnow())
    )
    return [row["id"] for row in rows]
