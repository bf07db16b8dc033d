"""Which forum a URL names: every route with `{slug}` in its path gets the forum's row from here.

Rules:
- a slug that cannot be a forum's (lower-case letters, digits and dashes, at most 80) is a 404
  without asking the database, the same answer as a slug no forum has;
- a draft exists only for those who manage the forum (`forum`); on the forum's public side
  (registering, one's own registration and ticket, the calendar file) a draft exists for
  nobody, its managers included (`public_forum`);
- `/events/{slug}.ics` is the calendar file of the forum `{slug}` (`FORUM_OR_CALENDAR`).

`manages` is the one answer to "may this person run this forum": today every organizer may run
every forum; a co-host (issue 16) will be decided here, for that one forum only.
"""

from __future__ import annotations

import re

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation

from meetup.accounts.auth import current_user
from meetup.accounts.schemas import UserOut
from meetup.events import service
from meetup.events.errors import EventNotFound
from meetup.i18n import gettext as _

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
CALENDAR_SUFFIX = ".ics"

# The row as the service reads it, handed over unchecked (it was never user input).
Forum = NamedDependency[SkipValidation[dict]]


async def manages(user: UserOut | None, forum: dict) -> bool:
    """May `user` run `forum`: see its draft, its registrations, its rooms and its mail."""
    return user is not None and user.is_organizer


async def forum_for(user: UserOut | None, slug: str, *, drafts: bool = True) -> dict:
    """The forum at `slug` as `user` may see it; `drafts=False` for the public side of a forum."""
    if not SLUG.fullmatch(slug):
        raise EventNotFound(_("No such forum."))
    row = await service.event_row(slug, organizer=True)
    if row["status"] == "draft" and not (drafts and await manages(user, row)):
        raise EventNotFound(_("No such forum."))
    return row


async def _forum(request: Request, slug: FromPath[str]) -> dict:
    return await forum_for(current_user(request), slug)


async def _public_forum(request: Request, slug: FromPath[str]) -> dict:
    return await forum_for(current_user(request), slug, drafts=False)


async def _forum_or_calendar(request: Request, slug: FromPath[str]) -> dict:
    if is_calendar(slug):
        return await _public_forum(request, slug.removesuffix(CALENDAR_SUFFIX))
    return await _forum(request, slug)


def is_calendar(slug: str) -> bool:
    """`/events/{slug}.ics` asks for the forum's calendar file, not its page."""
    return slug.endswith(CALENDAR_SUFFIX)


# Registered once, on the app; a handler asks by parameter name (`forum: Forum`).
PROVIDERS = {
    "forum": Provide(_forum),
    "public_forum": Provide(_public_forum),
}
# On the forum's own address, which also serves its calendar file.
FORUM_OR_CALENDAR = {"forum": Provide(_forum_or_calendar)}
