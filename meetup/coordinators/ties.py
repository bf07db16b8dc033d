"""Ties between people: what each kind means, how strong it is, and who makes room ties.

Rules:
- relationships are ties two people chose: `connection` (both said yes), `introduction` (both
  pressed "stay in touch" in a forum's follow-up), `survey` (two attendees named each other in a
  forum's survey), `project` (matched on a challenge);
- contact is being present together: `room` (a breakout room); organizers (who look into rooms to
  moderate) never make room ties, and co-hosts will not either: `makes_room_ties` is that one rule;
- coming to the same forum is not a tie: it is attendance, recorded on each person (check-in, or a
  confirmed seat at a forum without check-in: `events.attendees`);
- TIE_STRENGTH is the one ranking of the kinds (the network's edge kind, which ties the map keeps,
  the order of the connections page); TIE_CHOICES says which kinds each view of the network counts.
"""

from __future__ import annotations

from meetup.accounts.schemas import UserOut
from meetup.events import cohosts
from meetup.events import service as events

RELATIONSHIPS = ("connection", "introduction", "survey", "project")
CONTACT = ("room",)
TIE_CHOICES: dict[str, tuple[str, ...]] = {"relationships": RELATIONSHIPS, "contact": RELATIONSHIPS + CONTACT}
DEFAULT_TIES = "relationships"

TIE_STRENGTH = {"connection": 5, "introduction": 4, "project": 3, "survey": 2, "room": 1}
STRONGEST_FIRST = " > ".join(sorted(TIE_STRENGTH, key=TIE_STRENGTH.__getitem__, reverse=True))


def tie_strength(kind: str) -> int:
    """How strong a tie of `kind` is: higher is stronger; a kind not in TIE_STRENGTH is weakest (0)."""
    return TIE_STRENGTH.get(kind, 0)


async def makes_room_ties(user: UserOut, event_id: int) -> bool:
    """Whether being in one of the forum's rooms ties `user` to the others there: only for its
    confirmed registrants who are there to meet, never for organizers, moderators or co-hosts
    (they look in to run the room)."""
    if await cohosts.runs(user, event_id):
        return False
    return await events.is_confirmed_registrant(event_id, user.id)
