"""A forum with confirmed people and a room, made through the services."""

from __future__ import annotations

import msgspec

from meetup.accounts import service as accounts
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import EventIn, RegistrationIn
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from tests.factories import forum, make_accounts


async def forum_with_people(people: int = 3, capacity: int = 50) -> tuple[dict, list[int]]:
    slug = await events.create_event(msgspec.convert(forum(capacity=capacity), EventIn), None)
    event = await events.event_row(slug)
    uids = await make_accounts(people)
    for uid in uids:
        await registration.register(event, uid, RegistrationIn(), [])
    return event, uids


async def room_in(event: dict, name: str = "宮城の部屋") -> int:
    return (await rooms.create_room(event["id"], RoomIn(name=name, topic="関係人口"))).id


async def organizer_id() -> int:
    user, _ = await accounts.make_organizer("room-organizer@example.jp", "organizer-password")
    return user.id
