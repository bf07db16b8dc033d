"""A forum's publication, as its followers hear of it.

Rules:
- the first time a forum is published (created published, or a draft published) its row records
  it (`published_at`, set by service.py in the same write);
- the follows' job (followups/follows.py, run by the scheduler) claims each recorded publication
  once (`announced_at`), in its own transaction: two workers never both claim one;
- only a forum still published and still to come is announced: a draft again waits until it is
  published again, a called-off or past one is never announced.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from meetup.db import utcnow
from meetup.events.tables import Event


async def claim_announcements(now: datetime | None = None) -> list[dict]:
    """The forums published and not announced yet, marked announced now (call it inside the
    transaction that queues their mail, so the mark and the mail stand or fall together)."""
    now = now or utcnow()
    claimed = (
        await Event.update({Event.announced_at: now})
        .where(
            Event.announced_at.is_null()
            & Event.published_at.is_not_null()
            & (Event.status == "published")
            & (Event.starts_at > now)
        )
        .returning(Event.id)
    )
    if not claimed:
        return []
    return await Event.select().where(Event.id.is_in([row["id"] for row in claimed])).order_by(Event.starts_at)


async def announceable(event_ids: list[int]) -> list[dict]:
    """Of these forums, those still worth telling about (published and to come), soonest first."""
    if not event_ids:
        return []
    return (
        await Event.select()
        .where(Event.id.is_in(event_ids) & (Event.status == "published") & (Event.starts_at > utcnow()))
        .order_by(Event.starts_at)
    )


async def theme_in_use(theme: str) -> bool:
    """Whether some forum is tagged `theme`."""
    quoted = msgspec.json.encode(theme).decode()
    rows = await Event.select(Event.themes_json).where(Event.themes_json.like(f"%{quoted}%"))
    return any(theme in msgspec.json.decode(row["themes_json"]) for row in rows)


async def forum_themes() -> list[str]:
    """The themes published forums carry, most used first (the forum list's theme filter)."""
    rows = await Event.select(Event.themes_json).where(Event.status == "published")
    counts: dict[str, int] = {}
    for row in rows:
        for theme in msgspec.json.decode(row["themes_json"]):
            counts[theme] = counts.get(theme, 0) + 1
    return sorted(counts, key=lambda theme: (-counts[theme], theme))
