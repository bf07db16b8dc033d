"""Breakout room pages: a forum's rooms, the live room, and the organizer's rooms console.

Thin callers of meetup.rooms.service, the same functions as the JSON API (routes.py) and the
websocket (socket.py). The console's broadcast, timer and close also reach the live sockets
through meetup.rooms.hub, with the frames the JSON API publishes.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template
from msgspec import Meta

from meetup import forum_links
from meetup.accounts.auth import login_required
from meetup.accounts.schemas import UserOut
from meetup.accounts.service import get_user
from meetup.errors import BadInput, DomainError, Forbidden, NotFound
from meetup.events import service as events
from meetup.events.audit import acts, did
from meetup.events.dependencies import Forum, staff_required
from meetup.i18n import gettext as _
from meetup.rooms import control, service
from meetup.rooms.dependencies import Room
from meetup.rooms.hub import Hub, Presence
from meetup.rooms.schemas import AssignIn, BroadcastIn, MoveIn, RoomIn
from meetup.site.forms import parse_form

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
DONE = ("created", "assigned", "broadcast", "timer", "closed", "moved")


class TimerForm(msgspec.Struct):
    """The console's timer: the room closes this many minutes from now."""

    minutes: Annotated[int, Meta(ge=1, le=24 * 60)]


class MoveForm(MoveIn):
    """The console's move: MoveIn, with the room picked in the form rather than in the path."""

    room_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]


async def _check_participant(event: dict, user: UserOut) -> None:
    # The same rule as joining a room: organizers and the forum's confirmed registrants.
    if not await service.may_enter_forum(event["id"], user):
        raise Forbidden(_("Only the forum's confirmed participants and its organizers can see its rooms."))


async def _here_now(presence: Presence, room_ids: list[int]) -> dict[int, int]:
    return {room_id: len(await presence.members(room_id)) for room_id in room_ids}


# --- the organizer's console -------------------------------------------------------------------


async def _console(
    event: dict,
    presence: Presence,
    *,
    done: str | None = None,
    error: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Template:
    rooms = await service.list_rooms(event["id"])
    people = []
    for uid in await events.confirmed_people(event["id"]):
        person = await get_user(uid)
        if person:
            people.append(
                {"id": uid, "name": person.display_name, "room": await service.assigned_room(event["id"], uid)}
            )
    by_room: dict[int, list[str]] = {}
    for person in people:
        if person["room"] is not None:
            by_room.setdefault(person["room"], []).append(person["name"])
    return Template(
        "rooms/console.html",
        context={
            "event": event,
            "rooms": rooms,
            "open_rooms": [r for r in rooms if r.status == "open"],
            "here": await _here_now(presence, [r.id for r in rooms if r.status == "open"]),
            "people": people,
            "by_room": by_room,
            "done": done if done in DONE else None,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


def _back(slug: str, done: str) -> Redirect:
    return Redirect(path=f"/organizer/events/{slug}/rooms?done={done}", status_code=303)


async def _set_timer(channels: Hub, room_id: int, seconds: int | None) -> None:
    """Close now (None) or in `seconds`, and tell the room's live sockets (frames as routes.py)."""
    await control.close_or_time(channels, room_id, seconds)


class RoomPages(Controller):
    include_in_schema = False

    @get("/events/{slug:str}/rooms", guards=[login_required])
    async def forum_rooms(self, request: Request, forum: Forum, presence: NamedDependency[Presence]) -> Template:
        """The forum's rooms for its participants: where to go now, and the record of earlier rounds."""
        user: UserOut = request.user
        await _check_participant(forum, user)
        rooms = await service.list_rooms(forum["id"])
        open_rooms = [r for r in rooms if r.status == "open"]
        return Template(
            "rooms/forum.html",
            context={
                "event": forum,
                "open_rooms": open_rooms,
                "closed_rooms": [r for r in rooms if r.status == "closed"],
                "here": await _here_now(presence, [r.id for r in open_rooms]),
                "mine": await service.assigned_room(forum["id"], user.id),
            },
        )

    @get("/rooms/{room_id:int}", guards=[login_required])
    async def room(self, request: Request, room_id: FromPath[Id], presence: NamedDependency[Presence]) -> Template:
        """The live room for those who may join it; a closed room is a read-only record."""
        user: UserOut = request.user
        room = await service.room_row(room_id)
        await service.check_reader(room, user)
        live = service.is_open(room) and await service.may_join(room, user)
        if service.is_open(room):
            lines = await service.history(room_id)
        else:  # the whole record, in order
            lines = await service.history(room_id, after=0, limit=service.RESUME_LIMIT)
        event = (await events.forum_refs([room["event"]]))[room["event"]]
        return Template(
            "rooms/room.html",
            context={
                "room": room,
                "event": event,
                "is_open": service.is_open(room),
                "live": live,
                "lines": lines,
                "last_id": lines[-1].id if lines else 0,
                "members": await presence.members(room_id) if live else [],
                "broadcasts": await service.recent_broadcasts(room["event"]) if live else [],
                "feature_links": [] if service.is_open(room) else await forum_links.links(event, user, "closed_room"),
            },
        )

    # -- the console --------------------------------------------------------------------------

    @get("/organizer/events/{slug:str}/rooms", guards=[staff_required], opt=acts(None))
    async def console(
        self, forum: Forum, presence: NamedDependency[Presence], done: FromQuery[str | None] = None
    ) -> Template:
        return await _console(forum, presence, done=done)

    @post("/organizer/events/{slug:str}/rooms", guards=[staff_required], opt=acts("room.create"))
    async def create(
        self, request: Request, slug: FromPath[str], forum: Forum, presence: NamedDependency[Presence]
    ) -> Template | Redirect:
        data, raw, field = await parse_form(request, RoomIn, ("name", "topic", "capacity"))
        if data is None:
            message = {
                "topic": _("Keep the topic to 300 characters."),
                "capacity": _("Capacity is a whole number from 1, or empty for no limit."),
            }.get(field or "", _("Give the room a name (up to 100 characters)."))
            return await _console(forum, presence, error=message, form=raw, status_code=400)
        await service.create_room(forum["id"], data)
        return _back(slug, "created")

    @post("/organizer/events/{slug:str}/rooms/assign", guards=[staff_required], opt=acts("room.assign"))
    async def assign(
        self, request: Request, slug: FromPath[str], forum: Forum, presence: NamedDependency[Presence]
    ) -> Template | Redirect:
        """A new round: the confirmed people spread over fresh rooms."""
        data, raw, _field = await parse_form(request, AssignIn, ("rooms", "strategy"))
        if data is None:
            message = _("Choose how many rooms (1 to 500) and how to group people.")
            return await _console(forum, presence, error=message, form=raw, status_code=400)
        try:
            await service.assign(forum["id"], data.rooms, data.strategy)
        except DomainError as exc:
            return await _console(forum, presence, error=exc.detail, form=raw, status_code=exc.status_code)
        return _back(slug, "assigned")

    @post("/organizer/events/{slug:str}/rooms/broadcast", guards=[staff_required], opt=acts("room.broadcast"))
    async def broadcast(
        self,
        request: Request,
        slug: FromPath[str],
        forum: Forum,
        presence: NamedDependency[Presence],
        channels: NamedDependency[Hub],
    ) -> Template | Redirect:
        """One message shown in every room of the forum at once."""
        data, raw, _field = await parse_form(request, BroadcastIn, ("body",))
        if data is None or not data.body.strip():
            message = _("Write the message for every room (up to 2000 characters).")
            return await _console(forum, presence, error=message, form=raw, status_code=400)
        if not await control.broadcast(channels, forum["id"], data.body):
            message = _("The message could not be sent to the rooms. Please try again.")
            return await _console(forum, presence, error=message, form=raw, status_code=503)
        return _back(slug, "broadcast")

    @post("/organizer/events/{slug:str}/rooms/timer", guards=[staff_required], opt=acts("room.timer"))
    async def timer_all(
        self,
        request: Request,
        slug: FromPath[str],
        forum: Forum,
        presence: NamedDependency[Presence],
        channels: NamedDependency[Hub],
    ) -> Template | Redirect:
        """Every open room closes in N minutes (or now, with the "close all" button)."""
        form = await request.form()
        seconds = None
        if form.get("action") != "close":
            data, _raw, _field = await parse_form(request, TimerForm, ("minutes",))
            if data is None:
                message = _("The timer is a whole number of minutes from 1 to 1440.")
                return await _console(forum, presence, error=message, status_code=400)
            seconds = data.minutes * 60
        for room in await service.list_rooms(forum["id"]):
            if room.status == "open":
                with contextlib.suppress(service.RoomClosed):  # it closed a moment ago by itself
                    await _set_timer(channels, room.id, seconds)
        if seconds is None:
            did(request, "room.close")
        return _back(slug, "closed" if seconds is None else "timer")

    @post("/organizer/events/{slug:str}/rooms/{room_id:int}/timer", guards=[staff_required], opt=acts("room.timer"))
    async def timer(
        self,
        request: Request,
        slug: FromPath[str],
        forum: Forum,
        room: Room,
        presence: NamedDependency[Presence],
        channels: NamedDependency[Hub],
    ) -> Template | Redirect:
        data, _raw, _field = await parse_form(request, TimerForm, ("minutes",))
        try:
            if data is None:
                raise BadInput(_("The timer is a whole number of minutes from 1 to 1440."), field="minutes")
            await _set_timer(channels, room["id"], data.minutes * 60)
        except DomainError as exc:
            return await _console(forum, presence, error=exc.detail, status_code=exc.status_code)
        return _back(slug, "timer")

    @post("/organizer/events/{slug:str}/rooms/{room_id:int}/close", guards=[staff_required], opt=acts("room.close"))
    async def close(
        self,
        slug: FromPath[str],
        forum: Forum,
        room: Room,
        presence: NamedDependency[Presence],
        channels: NamedDependency[Hub],
    ) -> Template | Redirect:
        try:
            await _set_timer(channels, room["id"], None)
        except DomainError as exc:
            return await _console(forum, presence, error=exc.detail, status_code=exc.status_code)
        return _back(slug, "closed")

    @post("/organizer/events/{slug:str}/rooms/move", guards=[staff_required], opt=acts("room.move"))
    async def move(
        self, request: Request, slug: FromPath[str], forum: Forum, presence: NamedDependency[Presence]
    ) -> Template | Redirect:
        """Put someone in a room for its round: picked from the confirmed people, or by account id."""
        form = await request.form()
        raw = {
            "user_id": (form.get("other_user_id") or "").strip() or form.get("user_id"),
            "room_id": form.get("room_id"),
        }
        try:
            data = msgspec.convert(raw, MoveForm, strict=False)
        except msgspec.ValidationError:
            message = _("Choose a person and a room.")
            return await _console(forum, presence, error=message, form=raw, status_code=400)
        try:
            await service.forum_room(forum["id"], data.room_id)
            if await get_user(data.user_id) is None:
                raise NotFound(_("No such person."), field="user_id")
            await service.move(data.room_id, data.user_id)
        except DomainError as exc:
            return await _console(forum, presence, error=exc.detail, form=raw, status_code=exc.status_code)
        return _back(slug, "moved")
