"""What the organizer does to live rooms, told to every open socket: the API and the console
both call these, so a broadcast, a timer or a deletion looks the same wherever it came from."""

from __future__ import annotations

from datetime import datetime

from meetup.rooms import service
from meetup.rooms.hub import Hub, event_channel, publish, room_channel
from meetup.rooms.schemas import ClosedFrame, DeletedFrame, TimerFrame, broadcast_frame, tokyo


async def broadcast(channels: Hub, event_id: int, body: str) -> bool:
    """One message shown in every room of the forum, kept for those who come later; False when
    the fan-out failed (it is kept all the same)."""
    row = await service.store_broadcast(event_id, body)
    return await publish(channels, broadcast_frame(row), event_channel(event_id))


async def close_or_time(channels: Hub, room_id: int, after_seconds: int | None) -> datetime:
    """Close the room now (no seconds) or set its timer; everyone in it hears at once."""
    closes_at = await service.close_room(room_id, after_seconds)
    frame = TimerFrame(closes_at=tokyo(closes_at)) if after_seconds else ClosedFrame()
    await publish(channels, frame, room_channel(room_id))
    return closes_at


async def delete_line(channels: Hub, room_id: int, message_id: int) -> None:
    await service.delete_message(room_id, message_id)
    await publish(channels, DeletedFrame(id=message_id), room_channel(room_id))
