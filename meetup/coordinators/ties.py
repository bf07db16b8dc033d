"""Automatic ties from forums: after a forum ends, everyone who attended it is tied to everyone
else who did (a weaker tie than a connection). The scheduler runs this; each forum once."""

from __future__ import annotations

from meetup.coordinators import connections
from meetup.events import service as events


async def record_forum_ties() -> int:
    """Ties for every ended forum not yet processed; returns how many new ties were made."""
    made = 0
    for forum in await events.ended_forums():
        source = f"event:{forum['id']}"
        if await connections.record_source_once(source):
            people = await events.attendees(forum["id"])
            made += await connections.record_ties(
                people, kind="forum", source=source, event_id=forum["id"], at=forum["ends_at"]
            )
    return made
