"""Ties between people: their kinds and how strong each is, and the automatic ties from forums.

Rules:
- a tie is one of four kinds, strongest first: an accepted connection, a mutual survey pick (two
  attendees named each other in a forum's survey), a shared breakout room, a forum attended
  together; TIE_STRENGTH is the one place that ranks them (the network's edge kind, which ties
  the map keeps, the order of the connections page);
- after a forum ends, everyone who attended it is tied to everyone else who did; the scheduler
  runs this, each forum once.
"""

from __future__ import annotations

from meetup.coordinators import connections
from meetup.events import service as events

TIE_STRENGTH = {"connection": 4, "survey": 3, "room": 2, "forum": 1}
STRONGEST_FIRST = " > ".join(sorted(TIE_STRENGTH, key=TIE_STRENGTH.__getitem__, reverse=True))


def tie_strength(kind: str) -> int:
    """How strong a tie of `kind` is: higher is stronger; a kind not in TIE_STRENGTH is weakest (0)."""
    return TIE_STRENGTH.get(kind, 0)


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
