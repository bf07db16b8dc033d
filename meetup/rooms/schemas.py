"""Breakout rooms: the API's shapes and the websocket frames of docs/websocket.md.

Every frame the server sends is a Struct below, tagged by its `type`, and goes out through
`encode_frame`; `ServerFrame` decodes any of them (a client's view, and the tests').
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from meetup.i18n import TOKYO
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
    """A line: in the API (times in UTC) and, through `message_frame`, the `message` frame."""

    id: int
    author: Person | None  # null: the author's account is gone
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


# Server -> client frames (docs/websocket.md). Times in frames carry the Asia/Tokyo offset; a null is
# sent as null (no field is ever left out).


def tokyo(value: datetime | None) -> datetime | None:
    return value.astimezone(TOKYO) if value else None


class RoomInfo(msgspec.Struct):
    id: int
    name: str
    topic: str
    closes_at: datetime | None


class You(msgspec.Struct):
    id: int
    display_name: str
    role: str


class KeptBroadcast(msgspec.Struct):
    """An organizer's message as hello's extra `broadcasts` lists it (no `type`)."""

    id: int
    body: str
    sent_at: datetime


class HelloFrame(msgspec.Struct, tag_field="type", tag="hello"):
    room: RoomInfo
    you: You
    members: list[Person]  # includes you
    history: list[MessageOut]
    # an extra field (docs/websocket.md allows them): what the organizers said before you came
    broadcasts: list[KeptBroadcast]


class PresenceFrame(msgspec.Struct, tag_field="type", tag="presence"):
    members: list[Person]


class DeletedFrame(msgspec.Struct, tag_field="type", tag="deleted"):
    id: int


class BroadcastFrame(KeptBroadcast, tag_field="type", tag="broadcast"):
    pass


class TimerFrame(msgspec.Struct, tag_field="type", tag="timer"):
    closes_at: datetime | None


class ClosedFrame(msgspec.Struct, tag_field="type", tag="closed"):
    pass


ErrorCode = Literal["too_long", "empty", "rate_limited", "bad_frame", "unavailable"]


class ErrorFrame(msgspec.Struct, tag_field="type", tag="error"):
    """A refusal; the connection stays open. `unavailable`: not stored, send it again later."""

    code: ErrorCode
    detail: str


class PongFrame(msgspec.Struct, tag_field="type", tag="pong"):
    pass


ServerFrame = (
    HelloFrame
    | MessageOut
    | PresenceFrame
    | DeletedFrame
    | BroadcastFrame
    | TimerFrame
    | ClosedFrame
    | ErrorFrame
    | PongFrame
)

encode_frame = msgspec.json.Encoder().encode  # the one encoder of frames: each is encoded once


def message_frame(message: MessageOut) -> MessageOut:
    return msgspec.structs.replace(message, sent_at=tokyo(message.sent_at))


def kept_broadcast(row: dict) -> KeptBroadcast:
    return KeptBroadcast(id=row["id"], body=row["body"], sent_at=tokyo(row["sent_at"]))


def broadcast_frame(row: dict) -> BroadcastFrame:
    return BroadcastFrame(id=row["id"], body=row["body"], sent_at=tokyo(row["sent_at"]))


class Routing(msgspec.Struct):
    """What a connection reads of a frame it passes on (the rest is skipped, not decoded)."""

    type: str
    id: int | None = None  # of a `message`: sent once
    closes_at: datetime | None = None  # of a `timer`


route_of = msgspec.json.Decoder(Routing).decode
