"""The audit log of a forum: every action of its organizers and co-hosts, who, when and what.

Recorded in one place: a route that acts on a forum declares its action in its `opt`
(`acts("registration.approve")`), and the app's `before_send` hook (`record_response`) writes
one row when that route answers with success (2xx or a redirect). A handler whose one route does
one of two things (open or close the survey) names the one it did in `scope["state"]`
(`did(request, "survey.close")`). `tests/events/test_audit.py` walks every state-changing route a
forum's managers have and fails on one that declares nothing, so a new route cannot be missed.

An action that no forum route does (accepting a co-host invitation, a forum made by cloning)
is written by its service with `record`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec
from litestar.types import Message, Scope

from meetup.db import single_write, utcnow
from meetup.events.tables import AuditEntry, Event
from meetup.i18n import gettext as _

log = logging.getLogger(__name__)

PER_PAGE = 50
ACTION_KEY = "meetup_audit_action"  # in scope["state"]: the action a handler says it did

# Which forum a route acts on, from its path parameters (None: no such forum).
ForumOf = Callable[[dict], Awaitable[int | None]]


def labels() -> dict[str, str]:
    """Every action's readable name, in the current language."""
    return {
        "forum.edit": _("Edited the forum"),
        "forum.publish": _("Published the forum"),
        "forum.unpublish": _("Took the forum back to draft"),
        "forum.cancel": _("Called the forum off"),
        "forum.clone": _("Copied the forum to a new draft"),
        "forum.cloned": _("Made this draft as a copy"),
        "registration.approve": _("Approved an applicant"),
        "registration.reject": _("Rejected an applicant"),
        "registration.check_in": _("Checked a registrant in"),
        "registration.undo_check_in": _("Undid a check-in"),
        "registration.export": _("Downloaded the registrations"),
        "lottery.draw": _("Drew the lottery"),
        "room.create": _("Opened a room"),
        "room.assign": _("Started a round of rooms"),
        "room.broadcast": _("Sent a message to every room"),
        "room.close": _("Closed a room"),
        "room.timer": _("Set a room timer"),
        "room.move": _("Moved someone to another room"),
        "room.message_delete": _("Deleted a room message"),
        "survey.save": _("Edited the survey"),
        "survey.open": _("Opened the survey"),
        "survey.close": _("Closed the survey"),
        "survey.export": _("Downloaded the survey responses"),
        "campaign.create": _("Wrote a follow-up mail"),
        "campaign.edit": _("Edited a follow-up mail"),
        "campaign.test": _("Sent a follow-up mail test"),
        "campaign.send": _("Sent a follow-up mail"),
        "campaign.retry": _("Sent failed follow-up mail again"),
        "report.save": _("Wrote the forum report"),
        "material.add": _("Attached a material to the report"),
        "material.delete": _("Removed a material from the report"),
        "recording.add": _("Attached a recording to the report"),
        "report.quote": _("Quoted chat lines in the report"),
        "report.unquote": _("Took a quote off the report"),
        "cohost.invite": _("Invited a co-host"),
        "cohost.accept": _("Became a co-host"),
        "cohost.remove": _("Removed a co-host"),
    }


def label(action: str) -> str:
    return labels().get(action, action)


async def forum_by_slug(params: dict) -> int | None:
    slug = params.get("slug")
    if not isinstance(slug, str):
        return None
    row = await Event.select(Event.id).where(Event.slug == slug).first()
    return row["id"] if row else None


def acts(action: str | None, *, cohosts: bool = True, forum_of: ForumOf | None = None) -> dict:
    """A forum route's `opt`: the `action` it records on success (None: it changes nothing), whether
    the forum's co-hosts may use it (otherwise organizers only), and how its path names the forum
    (by `{slug}` unless `forum_of` reads another parameter, e.g. a room's id)."""
    opt: dict = {"audit": action, "cohosts": cohosts}
    if forum_of is not None:
        opt["forum_of"] = forum_of
    return opt


async def forum_of_route(opt: dict, params: dict) -> int | None:
    """The forum a route with `acts(...)` in its opt acts on."""
    return await (opt.get("forum_of") or forum_by_slug)(params)


def did(request, action: str | None) -> None:
    """Say which action this request did, when its route may do more than one (None: nothing
    was changed, e.g. a form shown again with a question added)."""
    request.scope.setdefault("state", {})[ACTION_KEY] = action


async def record(event_id: int, actor_id: int | None, action: str) -> None:
    async with single_write():
        await AuditEntry.insert(AuditEntry(event=event_id, actor=actor_id, action=action, at=utcnow()))


async def record_response(message: Message, scope: Scope) -> None:
    """The app's `before_send` hook: a route that declared an action and succeeded is recorded."""
    if message["type"] != "http.response.start" or message.get("status", 500) >= 400:
        return
    handler = scope.get("route_handler")
    opt = getattr(handler, "opt", None) or {}
    state = scope.get("state") or {}
    action = state[ACTION_KEY] if ACTION_KEY in state else opt.get("audit")
    user = scope.get("user")
    if not action or user is None:
        return
    try:
        event_id = await forum_of_route(opt, scope.get("path_params") or {})
        if event_id is not None:
            await record(event_id, user.id, action)
    except Exception:  # the action is done; a lost line of the log must not turn it into an error
        log.exception("audit: could not record %s", action)


class AuditOut(msgspec.Struct):
    at: datetime
    actor: str  # the display name ("" when the account is gone)
    action: str  # the machine name, e.g. "registration.approve"
    label: str  # what it means, in the reader's language


async def entries(event_id: int, *, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[AuditOut], bool]:
    """One page of the forum's log, latest first, and whether an older page follows."""
    page = max(1, page)
    rows = (
        await AuditEntry.select(AuditEntry.at, AuditEntry.action, AuditEntry.actor.display_name)
        .where(AuditEntry.event == event_id)
        .order_by(AuditEntry.at, ascending=False)
        .order_by(AuditEntry.id, ascending=False)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    out = [
        AuditOut(
            at=row["at"],
            actor=row["actor.display_name"] or "",
            action=row["action"],
            label=label(row["action"]),
        )
        for row in rows[:per_page]
    ]
    return out, len(rows) > per_page


async def actions_of(event_id: int) -> list[str]:
    """Every action recorded on the forum, oldest first (for tests and the demo's checks)."""
    rows = await AuditEntry.select(AuditEntry.action).where(AuditEntry.event == event_id).order_by(AuditEntry.id)
    return [row["action"] for row in rows]
