"""The day-before reminder: each confirmed registrant, once per forum revision."""

from __future__ import annotations

from datetime import datetime, timedelta

from meetup.db import utcnow, write_transaction
from meetup.events import notifications
from meetup.events.tables import Event, Registration

AHEAD = timedelta(hours=24)


async def queue_reminders(now: datetime | None = None) -> int:
    """Queue reminders for forums starting within the next 24 hours; returns how many."""
    now = now or utcnow()
    events = await Event.select().where(
        (Event.status == "published") & (Event.starts_at > now) & (Event.starts_at <= now + AHEAD)
    )
    queued = 0
    for event in events:
        due = await Registration.select().where(
            (Registration.event == event["id"])
            & (Registration.status == "confirmed")
            & (Registration.reminded_revision.is_null() | (Registration.reminded_revision != event["revision"]))
        )
        for row in due:
            async with write_transaction():
                marked = (
                    await Registration.update({Registration.reminded_revision: event["revision"]})
                    .where((Registration.id == row["id"]) & (Registration.status == "confirmed"))
                    .returning(Registration.id)
                )
                if marked:
                    await notifications.reminder(row, event)
                    queued += 1
    return queued
