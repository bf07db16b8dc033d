"""Which forum a URL names: every route with `{slug}` in its path gets the forum's row from here.

Rules:
- a slug that cannot be a forum's (lower-case letters, digits and dashes, at most 80) is a 404
  without asking the database, the same answer as a slug no forum has;
- a draft exists only for those who manage the forum (`forum`); on the forum's public side
  (registering, one's own registration and ticket, the calendar file) a draft exists for
  nobody, its managers included (`public_forum`);
- `/events/{slug}.ics` is the calendar file of the forum `{slug}` (`FORUM_OR_CALENDAR`).

`manages` is the one answer to "may this person run this forum": every organizer runs every
forum; a co-host (events/cohosts.py) runs the forums they co-host and no other.

`staff_required` is the guard of every route for those who run forums (instead of accounts'
`organizer_required`): organizers pass; a co-host passes only a route whose `opt` lets co-hosts
in (`audit.acts(...)`) and only for the forum its path names. Everything else (making forums,
organisations, the network's exports, the admin pages) stays organizers only.
"""

from __future__ import annotations

import re

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, SkipValidation

from meetup.accounts.auth import current_user
from meetup.accounts.schemas import UserOut
from meetup.events import audit, cohosts, service
from meetup.events.errors import EventNotFound
from meetup.i18n import gettext as _

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
CALENDAR_SUFFIX = ".ics"

# The row as the service reads it, handed over unchecked (it was never user input).
Forum = NamedDependency[SkipValidation[dict]]


async def manages(user: UserOut | None, forum: dict) -> bool:
    """May `user` run `forum`: see its draft, its registrations, its rooms and its mail."""
    return await cohosts.runs(user, forum["id"])


async def staff_required(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Organizers; and a forum's co-hosts on that forum's routes that let co-hosts in."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Not logged in")
    if user.is_organizer:
        return
    if handler.opt.get("cohosts"):
        forum_id = await audit.forum_of_route(handler.opt, connection.path_params)
        if forum_id is not None and await cohosts.is_cohost(user.id, forum_id):
            return
    raise PermissionDeniedException("Organizers only")


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
