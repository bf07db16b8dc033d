"""Who came to a forum, as features above events know it: events counts check-ins itself, and a
feature that sees people present some other way (rooms: presence in a breakout room) offers a
source once, at the app's start-up, as forum_links.py lets features offer links. A source gets
forum ids and returns the (account, forum id) pairs it saw.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Source = Callable[[list[int]], Awaitable[set[tuple[int, int]]]]
_sources: list[Source] = []


def offer(source: Source) -> None:
    """Count `source`'s presence from now on (offering the same source again changes nothing)."""
    if source not in _sources:
        _sources.append(source)


async def present(event_ids: list[int]) -> set[tuple[int, int]]:
    """(account, forum id) for everyone a source saw at one of these forums."""
    seen: set[tuple[int, int]] = set()
    for source in _sources:
        seen |= await source(event_ids)
    return seen
