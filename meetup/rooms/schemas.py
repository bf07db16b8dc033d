"""Breakout rooms: the API's shapes and the websocket frames of docs/websocket.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from meetup.text import multi_line, one_line

MAX_BODY = 2000


class RoomIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    topic: Annotated[str, Meta(max_length=300)] = ""
    capacity: Annotated[int, Meta(ge=1, le=10_000)] | None = None

    def __post_init__(self) -> None:
        self.name, self.topic = one_line(self.name), one_line(self.topic)
        if not self.name:
            raise ValueError("name: must not be blank")


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    rooms: Annotated[int, Meta(ge=1, le=500)]
    strategy: Literal["random", "themes"] = "random"


class BroadcastIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, Meta(min_length=1, max_length=MAX_BODY)]

    def __post_init__(self) -> None:
        self.body = multi_line(self.body)


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    after_seconds: Annotated[int, Meta(ge=0, le=24 * 3600)] | None = None


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]


class RoomOut(msgspec.Struct):
    id: int
    name: str
    topic: str
    capacity: int | None
    status: Literal["open", "closed"]
    closes_at: datetime | None
    member_count: int


class Person(msgspec.Struct):
    id: int
    display_name: str


class MessageOut(msgspec.Struct, tag_field="type", tag="message"):
    id: int
    author: Person | None
    body: str
    sent_at: datetime
    client_id: str | None


class Assignment(msgspec.Struct):
    room: RoomOut
    members: list[Person]


# Client -> server frames.
class Say(msgspec.Struct, tag_field="type", tag="say", forbid_unknown_fields=False):
    body: str
    client_id: Annotated[str, Meta(max_length=64)] | None = None

    def __post_init__(self) -> None:
        self.body = multi_line(self.body)


class Ping(msgspec.Struct, tag_field="type", tag="ping", forbid_unknown_fields=False):
    pass


ClientFrame = Say | Ping
