"""Breakout rooms over the JSON API: rooms of a forum, assignment, broadcast, timer, messages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from meetup.accounts.auth import current_user
from meetup.accounts.service import get_user
from meetup.events.audit import acts
from meetup.events.dependencies import Forum, staff_required
from meetup.rooms import control, service
from meetup.rooms.dependencies import forum_of_room
from meetup.rooms.hub import Hub
from meetup.rooms.schemas import AssignIn, Assignment, BroadcastIn, CloseIn, MessageOut, MoveIn, Person, RoomIn, RoomOut

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


class EventRoomsApi(Controller):
    path = "/api/v1/events/{slug:str}/rooms"
    tags = ["breakout rooms"]

    @get("/", summary="The forum's breakout rooms")
    async def rooms(self, forum: Forum) -> list[RoomOut]:
        return await service.list_rooms(forum["id"])

    @post("/", guards=[staff_required], opt=acts("room.create"), status_code=HTTP_201_CREATED, summary="Open a room")
    async def create(self, forum: Forum, data: JSONBody[RoomIn]) -> RoomOut:
        return await service.create_room(forum["id"], data)

    @post(
        "/assign",
        guards=[staff_required],
        opt=acts("room.assign"),
        status_code=HTTP_201_CREATED,
        summary="A new round of rooms",
    )
    async def assign(self, forum: Forum, data: JSONBody[AssignIn]) -> list[Assignment]:
        made = await service.assign(forum["id"], data.rooms, data.strategy)
        out = []
        for room, members in made:
            people = [await get_user(uid) for uid in members]
            out.append(
                Assignment(room=room, members=[Person(id=p.id, display_name=p.display_name) for p in people if p])
            )
        return out

    @post(
        "/broadcast",
        guards=[staff_required],
        opt=acts("room.broadcast"),
        status_code=HTTP_202_ACCEPTED,
        summary="A message to every room",
    )
    async def broadcast(
        self, forum: Forum, data: JSONBody[BroadcastIn], channels: NamedDependency[Hub]
    ) -> dict[str, bool]:
        return {"delivered": await control.broadcast(channels, forum["id"], data.body)}


class RoomsApi(Controller):
    path = "/api/v1/rooms/{room_id:int}"
    tags = ["breakout rooms"]

    @post(
        "/close",
        guards=[staff_required],
        opt=acts("room.close", forum_of=forum_of_room),
        status_code=HTTP_200_OK,
        summary="Close now, or after a timer",
    )
    async def close(self, room_id: FromPath[Id], data: JSONBody[CloseIn], channels: NamedDependency[Hub]) -> RoomOut:
        await control.close_or_time(channels, room_id, data.after_seconds)
        room = await service.room_row(room_id)
        return next(r for r in await service.list_rooms(room["event"]) if r.id == room_id)

    @post(
        "/members",
        guards=[staff_required],
        opt=acts("room.move", forum_of=forum_of_room),
        status_code=HTTP_204_NO_CONTENT,
        summary="Move someone here",
    )
    async def move(self, room_id: FromPath[Id], data: JSONBody[MoveIn]) -> None:
        await service.move(room_id, data.user_id)

    @delete(
        "/messages/{message_id:int}",
        guards=[staff_required],
        opt=acts("room.message_delete", forum_of=forum_of_room),
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete",
    )
    async def delete_message(
        self, room_id: FromPath[Id], message_id: FromPath[Id], channels: NamedDependency[Hub]
    ) -> None:
        await control.delete_line(channels, room_id, message_id)

    @get("/messages", summary="The room's lines in order (after= resumes)")
    async def messages(
        self,
        request: Request,
        room_id: FromPath[Id],
        after: Annotated[int | None, Parameter(ge=0, le=2**31 - 1)] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    ) -> list[MessageOut]:
        room = await service.room_row(room_id)
        await service.check_reader(room, current_user(request))
        return await service.history(room_id, after=after, limit=limit)
