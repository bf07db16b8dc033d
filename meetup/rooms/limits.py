"""What one person or one connection may cost a live room (docs/websocket.md).

- lines: more than 10 `say` frames in 5 seconds from one person are refused (`rate_limited`);
- noise: a connection's frames that store nothing — pings, bad frames, refused lines — are
  counted; more than 30 in 10 seconds closes it with 1008 (a page pings every 25 seconds);
- sockets: one person holds at most 5 room sockets open in a process (organizers, who look into
  many rooms, 40); one more is closed with 4429 and its page tries again later;
- size: a frame over 64 KiB is refused by the server before it is read (`MAX_FRAME_BYTES`,
  uvicorn's `ws_max_size`: close 1009).
"""

from __future__ import annotations

import collections
import time

MAX_FRAME_BYTES = 64 * 1024
# uvicorn's websocket implementation. Its "auto" choice is the legacy `websockets` protocol, whose
# permessage-deflate keeps a full 32 KiB window and zlib's default memory level for each socket
# (~240 KiB a member, measured by tests/bench/soak.py); the sans-I/O one negotiates 4 KiB windows,
# and meetup.rooms.wire's subclass of it no compressor kept per socket: a line is compressed once
# for a whole room.
WS_PROTOCOL = "meetup.rooms.wire:RoomSocketProtocol"
SOCKETS_PER_PERSON = 5
SOCKETS_PER_ORGANIZER = 40


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


class NoiseBudget:
    """One connection's frames that store nothing: `spend()` is False once more than `limit`
    came within `window` seconds."""

    __slots__ = ("limit", "window", "_spent")

    def __init__(self, limit: int = 30, window: float = 10.0):
        self.limit = limit
        self.window = window
        self._spent: list[float] = []  # a list, not a deque: a few bytes for a quiet member

    def spend(self) -> bool:
        now = time.monotonic()
        spent = self._spent
        old = 0
        while old < len(spent) and now - spent[old] >= self.window:
            old += 1
        del spent[:old]
        spent.append(now)
        return len(spent) <= self.limit


class RoomSockets:
    """How many room sockets each person holds open in this process."""

    def __init__(self, per_person: int = SOCKETS_PER_PERSON, per_organizer: int = SOCKETS_PER_ORGANIZER):
        self.per_person = per_person
        self.per_organizer = per_organizer
        self._open: collections.Counter[int] = collections.Counter()

    def take(self, user_id: int, *, organizer: bool) -> bool:
        """Count one more socket for this person; False (nothing counted) past their limit."""
        if self._open[user_id] >= (self.per_organizer if organizer else self.per_person):
            return False
        self._open[user_id] += 1
        return True

    def release(self, user_id: int) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]
