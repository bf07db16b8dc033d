"""A forum whose people are in every audience a campaign can pick, made through the services."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from meetup.accounts.tables import Account
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import EventIn, RegistrationIn
from meetup.rooms import service as rooms
from tests.factories import forum, make_accounts
from tests.rooms.factories import room_in


@dataclass
class Forum:
    event: dict
    checked_in: int  # confirmed, checked in at the door
    in_room: int  # confirmed, present in a breakout room
    no_show: int  # confirmed, neither
    waitlisted: list[int]
    room: dict

    @property
    def confirmed(self) -> list[int]:
        return [self.checked_in, self.in_room, self.no_show]


async def forum_with_audience(title: str = "東北コーディネーター・フォーラム") -> Forum:
    """Three seats: one checked in, one in a breakout room, one no-show; two on the waitlist."""
    slug = await events.create_event(msgspec.convert(forum(capacity=3, title=title), EventIn), None)
    event = await events.event_row(slug)
    people = await make_accounts(5)
    for uid in people:
        await registration.register(event, uid, RegistrationIn(), [])
    mine = {uid: await registration.my_registration(event["id"], uid) for uid in people[:3]}
    await registration.check_in(event, reg_id=mine[people[0]]["id"])
    room = await rooms.room_row(await room_in(event))
    await rooms.record_visit(room, people[1])
    return Forum(event, people[0], people[1], people[2], people[3:], room)


async def address_of(uid: int) -> str:
    return (await Account.select(Account.email).where(Account.id == uid).first())["email"]


async def rename(uid: int, name: str) -> None:
    await Account.update({Account.display_name: name}).where(Account.id == uid)


async def profile(
    uid: int, name: str, themes: list[str], visibility: str = "members", prefecture: str = "宮城県", **extra
) -> None:
    await coordinators.save_profile(
        uid, ProfileIn(name=name, prefecture=prefecture, themes=themes, visibility=visibility, **extra)
    )
