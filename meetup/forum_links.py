"""Links that features above events offer on a forum's pages (the survey's "answer it"), so the
forum page and the room page show them without events or rooms knowing those features (and a series page the
reports of its sessions), as
revocation.py lets rooms hear events. A feature offers a provider once, at the app's start-up.

A provider gets the forum (a row with at least `id`, `slug`, `status`, `starts_at`), the person
looking (an account, or None) and the place (`forum`: the forum page; `closed_room`: a breakout
room that has closed), and returns the links that person should see there, often none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

import msgspec

Place = Literal["forum", "closed_room"]


class ForumLink(msgspec.Struct, frozen=True):
    label: str
    url: str


Provider = Callable[[dict, object, Place], Awaitable[list[ForumLink]]]
_providers: list[Provider] = []


def offer(provider: Provider) -> None:
    """Show `provider`'s links from now on (offering the same provider again changes nothing)."""
    if provider not in _providers:
        _providers.append(provider)


async def links(event: dict, user: object, place: Place) -> list[ForumLink]:
    return [link for provider in _providers for link in await provider(event, user, place)]


# A series page the same way: a provider gets the series' row and returns its links.
SeriesProvider = Callable[[dict], Awaitable[list[ForumLink]]]
_series_providers: list[SeriesProvider] = []


def offer_on_series(provider: SeriesProvider) -> None:
    """Show `provider`'s links on every series page from now on."""
    if provider not in _series_providers:
        _series_providers.append(provider)


async def series_links(series_row: dict) -> list[ForumLink]:
    return [link for provider in _series_providers for link in await provider(series_row)]
