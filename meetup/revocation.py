"""Rights that end while something is still open on them.

A lower domain says when a right ends — a registration leaves `confirmed`, a forum is cancelled,
an account's role is lowered, a session is logged out — and whatever keeps something open on
that right (the live rooms' sockets) listens, without the lower domain knowing who listens:
accounts and events fire, rooms subscribes at the app's start-up.

Rules:
- fire after the change is committed, so a listener that re-checks sees it;
- a revocation says "check again", never "put them out": the listener decides (an organizer
  lowered to participant who is still a confirmed registrant stays in the room);
- a listener's failure never undoes or fails the change that fired it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import msgspec

log = logging.getLogger("meetup")


class Revoked(msgspec.Struct, frozen=True, kw_only=True):
    """What ended. `user_id` alone: this person's rights changed everywhere (a role); with
    `event_id`: their place in that forum; `event_id` alone: everyone's in that forum (cancelled);
    `session_id`: that session logged out."""

    user_id: int | None = None
    event_id: int | None = None
    session_id: str | None = None


Listener = Callable[[Revoked], Awaitable[object]]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Callable[[], None]:
    """Hear every revocation from now on; returns the function that stops listening."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


async def fire(revoked: Revoked) -> None:
    for listener in list(_listeners):
        try:
            await listener(revoked)
        except Exception:  # the periodic re-check is the backstop: the change itself stands
            log.exception("a listener failed on %s", revoked)


async def place_ended(user_id: int, event_id: int) -> None:
    """A registration left `confirmed` (cancelled, rejected)."""
    await fire(Revoked(user_id=user_id, event_id=event_id))


async def forum_ended(event_id: int) -> None:
    """A forum was cancelled: nobody but its organizers keeps a place in it."""
    await fire(Revoked(event_id=event_id))


async def role_lowered(user_id: int) -> None:
    await fire(Revoked(user_id=user_id))


async def session_ended(session_id: str) -> None:
    """A session was logged out."""
    await fire(Revoked(session_id=session_id))
