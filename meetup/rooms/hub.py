"""Fan-out for live rooms: Litestar channels (in process, or Redis pub/sub across processes)
and who is present in each room.

Channels: `room:{id}` for a room's lines, presence, deletions and timer; `event:{id}` for the
organizer's broadcast to every room of a forum. Every publish goes out at once and its failure
is caught and logged: Litestar's queued `publish()` dies silently after one backend error
(litestar#5008), so this module never uses it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

log = logging.getLogger("meetup.rooms")


def room_channel(room_id: int) -> str:
    return f"room:{room_id}"


def event_channel(event_id: int) -> str:
    return f"event:{event_id}"


def make_channels(redis: Redis | None) -> ChannelsPlugin:
    backend = (
        RedisChannelsPubSubBackend(redis=redis, key_prefix="meetup:ch")
        if redis is not None
        else MemoryChannelsBackend()
    )
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        # A listener that falls behind loses its oldest frames rather than the server's memory.
        subscriber_max_backlog=2000,
        subscriber_backlog_strategy="dropleft",
    )


async def publish(channels: ChannelsPlugin, frame: object, channel: str) -> bool:
    """Send a frame to everyone on `channel` now; False (and a log line) if the backend failed."""
    try:
        await channels.wait_published(msgspec.json.encode(frame), [channel])
    except Exception:
        log.exception("publishing to %s failed", channel)
        return False
    return True


class Presence:
    """Who is in each room, counted per connection (one person may have two tabs open).
    In Redis when there is one, so every process sees the same members."""

    def __init__(self, redis: Redis | None = None, prefix: str = "meetup:presence:"):
        self.redis = redis
        # room id -> the presence frame about to go out (one app, one event loop: see socket.py)
        self.announcements: dict[int, asyncio.Task] = {}
        self.prefix = prefix
        self._rooms: dict[int, dict[int, list]] = {}

    async def join(self, room_id: int, user_id: int, name: str) -> None:
        if self.redis is None:
            entry = self._rooms.setdefault(room_id, {}).setdefault(user_id, [0, name])
            entry[0] += 1
            return
        key = f"{self.prefix}{room_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, f"n:{user_id}", 1)
            pipe.hset(key, f"name:{user_id}", name)
            pipe.expire(key, 24 * 3600)
            await pipe.execute()

    async def leave(self, room_id: int, user_id: int) -> None:
        if self.redis is None:
            members = self._rooms.get(room_id, {})
            if user_id in members:
                members[user_id][0] -= 1
                if members[user_id][0] <= 0:
                    del members[user_id]
            return
        key = f"{self.prefix}{room_id}"
        left = await self.redis.hincrby(key, f"n:{user_id}", -1)
        if left <= 0:
            await self.redis.hdel(key, f"n:{user_id}", f"name:{user_id}")

    async def members(self, room_id: int) -> list[dict]:
        if self.redis is None:
            members = self._rooms.get(room_id, {})
            return [{"id": uid, "display_name": name} for uid, (_count, name) in sorted(members.items())]
        raw = await self.redis.hgetall(f"{self.prefix}{room_id}")
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        ids = sorted(int(k[2:]) for k, v in fields.items() if k.startswith("n:") and int(v) > 0)
        return [{"id": uid, "display_name": fields.get(f"name:{uid}", "")} for uid in ids]


class SayLimiter:
    """More than `limit` lines in `window` seconds from one person is refused (per process)."""

    def __init__(self, limit: int = 10, window: float = 5.0):
        self.limit = limit
        self.window = window
        self._sent: dict[int, list[float]] = {}

    def allow(self, user_id: int) -> bool:
        now = time.monotonic()
        recent = [t for t in self._sent.get(user_id, []) if now - t < self.window]
        if len(recent) >= self.limit:
            self._sent[user_id] = recent
            return False
        recent.append(now)
        self._sent[user_id] = recent
        return True
