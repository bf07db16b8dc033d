"""Breakout rooms: rooms of a forum, who is assigned where, and each room's chat."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account
from meetup.events.tables import Event


class BreakoutRoom(Table, tablename="breakout_room"):
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    topic = Varchar(length=300, default="")
    capacity = Integer(null=True, default=None)
    status = Varchar(length=10, default="open", index=True)  # open | closed
    closes_at = Timestamptz(null=True, default=None)
    round = Integer(default=1)
    # The last message number in this room: taken under the room's row lock, so ids only grow.
    message_seq = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class RoomAssignment(Table, tablename="room_assignment"):
    """Where the organizer (or the person) put someone, per round."""

    room = ForeignKey(references=BreakoutRoom, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    event_id = Integer(index=True)
    round = Integer(default=1)
    assigned_at = Timestamptz(default=TimestamptzNow())


class RoomMessage(Table, tablename="room_message"):
    room = ForeignKey(references=BreakoutRoom, on_delete=OnDelete.cascade, index=True)
    seq = Integer()  # the message id clients see: strictly increasing within the room
    author = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    body = Text()
    client_id = Varchar(length=64, null=True, default=None)
    sent_at = Timestamptz(default=TimestamptzNow())
    deleted = Boolean(default=False)


class RoomVisit(Table, tablename="room_visit"):
    """Who was present in a room at least once (the record of attendance; one row per person)."""

    room = ForeignKey(references=BreakoutRoom, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    event_id = Integer(index=True)
    first_seen_at = Timestamptz(default=TimestamptzNow())


class RoomBroadcast(Table, tablename="room_broadcast"):
    """An organizer's message to every room of a forum, kept so late joiners and reloads see it."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    body = Text()
    sent_at = Timestamptz(default=TimestamptzNow(), index=True)
