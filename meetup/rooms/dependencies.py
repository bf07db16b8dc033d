"""Which room a forum's URL names: `/…/{slug}/rooms/{room_id}/…` gets a room of that forum, and
another forum's room is a 404 (rooms.service.forum_room). Routes that name a room without its
forum (`/rooms/{room_id}`, `/api/v1/rooms/{room_id}`, the websocket) look it up with
rooms.service.room_row and check who may see it there."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, Parameter, SkipValidation

from meetup.events.dependencies import Forum
from meetup.rooms import service

RoomId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]  # ids are 32-bit integers in the database

# The row as the service reads it, handed over unchecked (it was never user input).
Room = NamedDependency[SkipValidation[dict]]


async def _room(forum: Forum, room_id: FromPath[RoomId]) -> dict:
    return await service.forum_room(forum["id"], room_id)


# Registered once, on the app; a handler asks by parameter name (`room: Room`).
PROVIDERS = {"room": Provide(_room)}


async def forum_of_room(params: dict) -> int | None:
    """The forum of the room a path names by `{room_id}` alone (who may run it, what it logs)."""
    room_id = params.get("room_id")
    if not isinstance(room_id, int) or not 0 < room_id <= 2**31 - 1:
        return None
    return await service.forum_of_room(room_id)
