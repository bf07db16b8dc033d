"""Fan-out for live rooms, and who is present in each room.

Channels: `room:{id}` for a room's lines, presence, deletions and timer; `event:{id}` for the
organizer's broadcast to every room of a forum; `rights:…` (per person, per session, per forum)
for "check again whether this member may stay", which sockets hear and never pass on.

`Hub` delivers every frame to this process's members at once and, when there is Redis, publishes
it for the other processes, whose relay task hands it to theirs. When Redis is lost a room keeps
working in each process (its members here still hear each other; lines are stored as always),
the relay reconnects with backoff, and on its return every member is told to catch up from the
database and presence is written back. Written here rather than with Litestar's channels, whose
Redis backend does not recover from a lost connection (its workers die on the first error:
litestar#5008).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from meetup.rooms.schemas import ServerFrame, encode_frame

log = logging.getLogger("meetup.rooms")

RESYNC = b'{"type":"resync"}'  # to this process's members only: fetch what the outage kept from you
OUTAGE = b'{"type":"outage"}'  # to this process's members only: lines may stop arriving from elsewhere
CHECK_RIGHTS = b'{"type":"check_rights"}'  # on a rights channel: a right may have ended
BEHIND_FRAMES = 64  # frames waiting for a listener: past this in many listeners, a room is behind
# Lines of this process waiting to be stored: past this, new ones are refused. On SQLite the lines
# that come while one batch is written go in the next (db.write_in_batch): a busy room keeps tens
# waiting at any moment without being behind, and 256 is ~0.1 s of what a saturated process stores.
STORING_LIMIT = 256


def relay_client(url: str) -> Redis:
    """The relay's connection: no retries, and a ping when idle, so a lost Redis shows at once."""
    return Redis.from_url(url, retry=Retry(NoBackoff(), 0), health_check_interval=10)


def room_channel(room_id: int) -> str:
    return f"room:{room_id}"


def event_channel(event_id: int) -> str:
    return f"event:{event_id}"


def person_rights_channel(user_id: int) -> str:
    return f"rights:person:{user_id}"


def session_rights_channel(session_id: str) -> str:
    # a session id is a secret: only its hash travels through Redis
    return "rights:session:" + hashlib.sha256(session_id.encode()).hexdigest()[:32]


def forum_rights_channel(event_id: int) -> str:
    return f"rights:forum:{event_id}"


class Subscription:
    """One listener's queue of frames; the oldest are dropped past `max_backlog` (a listener
    that falls behind loses frames, not the server's memory). Slots, and a future only while
    its reader waits, rather than an event: every room member has one."""

    __slots__ = ("channels", "_frames", "_waiting", "_at_once")

    def __init__(self, channels: Iterable[str], max_backlog: int = 2000):
        self.channels = tuple(channels)
        self._frames: collections.deque[bytes] = collections.deque(maxlen=max_backlog)
        self._waiting: asyncio.Future[None] | None = None
        self._at_once: Callable[[bytes], bool] | None = None

    @property
    def qsize(self) -> int:
        return len(self._frames)

    def put(self, data: bytes) -> None:
        # Idle (its reader waits and nothing is queued, so order is kept): the frame may be handled
        # in the deliverer's turn; `at_once` says whether it was.
        waiting, at_once = self._waiting, self._at_once
        if at_once is not None and waiting is not None and not waiting.done():
            try:
                if at_once(data):
                    return
            except Exception:  # one bad frame must not stop the delivery to the other listeners
                log.exception("a room listener failed on a frame")
                return
        self._frames.append(data)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def _drain(self, callback: Callable[[bytes], Awaitable[object]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._frames:
                self._waiting = loop.create_future()
                try:
                    await self._waiting
                finally:
                    self._waiting = None
                continue
            try:
                await callback(self._frames.popleft())
            except Exception:  # one bad frame must not leave the listener deaf to the rest
                log.exception("a room listener failed on a frame")

    @contextlib.asynccontextmanager
    async def run_in_background(
        self, callback: Callable[[bytes], Awaitable[object]], at_once: Callable[[bytes], bool] | None = None
    ) -> AsyncIterator[None]:
        """Hand every frame to `callback`, in order, while the block runs. With `at_once`, a frame
        that comes while nothing waits is first offered to it, in the deliverer's turn: True when
        it dealt with the frame, False to leave it to `callback`."""
        task = asyncio.create_task(self._drain(callback))
        self._at_once = at_once
        try:
            yield
        finally:
            self._at_once = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Listener:
    """A listener that hears each frame at once, in the deliverer's turn: for a callback that only
    notes something and never waits (a member's rights channels). No queue and no task of its own."""

    __slots__ = ("channels", "_hear")
    qsize = 0

    def __init__(self, channels: Iterable[str], hear: Callable[[bytes], None]):
        self.channels = tuple(channels)
        self._hear = hear

    def put(self, data: bytes) -> None:
        self._hear(data)


class Hub:
    def __init__(
        self,
        redis: Redis | None = None,
        relay: Redis | None = None,
        prefix: str = "meetup:ch:",
        reconnect_max: float = 5.0,
    ):
        self.redis = redis
        # The relay's own client must not retry: redis-py would reconnect its subscription quietly
        # and the frames published meanwhile would be missed without anyone catching up.
        self.relay = relay or redis
        # Redis pub/sub has one namespace for the whole server, whatever db a client selected: the
        # db goes into the channel names, so apps on different dbs of one Redis (two sites, or the
        # parallel test workers) never hear each other's rooms.
        self.prefix = f"{prefix}{redis.connection_pool.connection_kwargs.get('db', 0)}:" if redis else prefix
        self.reconnect_max = reconnect_max
        self.origin = secrets.token_hex(8).encode()  # this process: its own frames come back from Redis
        self.connected = redis is None  # True while frames reach the other processes (a guess
        # at start, until the relay's first connection says so)
        self.on_reconnect: list[Callable[[], Awaitable[object]]] = []
        self._subscriptions: dict[str, set[Subscription | Listener]] = collections.defaultdict(set)
        self._relay_task: asyncio.Task | None = None
        self._relay_up = asyncio.Event()
        self.storing = 0  # lines said in this process and not yet stored (see `storing_line`)

    async def start(self) -> None:
        if self.redis is not None and self._relay_task is None:
            self._relay_task = asyncio.create_task(self._relay())
            with contextlib.suppress(TimeoutError):  # Redis may be down at start: the relay keeps trying
                await asyncio.wait_for(self._relay_up.wait(), timeout=5)

    async def stop(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
            self._relay_task = None
        if self.relay is not None and self.relay is not self.redis:
            await self.relay.aclose()

    async def subscribe(self, channels: Iterable[str]) -> Subscription:
        subscription = Subscription(channels)
        self._add(subscription)
        return subscription

    def listen(self, channels: Iterable[str], hear: Callable[[bytes], None]) -> Listener:
        """`hear` is called with each frame on `channels` as it is delivered (unsubscribe to stop)."""
        listener = Listener(channels, hear)
        self._add(listener)
        return listener

    def _add(self, subscription: Subscription | Listener) -> None:
        for channel in subscription.channels:
            self._subscriptions[channel].add(subscription)

    async def unsubscribe(self, subscription: Subscription | Listener) -> None:
        for channel in subscription.channels:
            listeners = self._subscriptions.get(channel)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._subscriptions[channel]

    def behind(self, channel: str) -> bool:
        """True when this process cannot keep up with `channel`: more than a quarter of its
        listeners here, and at least three, have more than BEHIND_FRAMES frames waiting. New lines
        are then refused ("send it again in a moment") until they catch up, so an overloaded room
        slows its senders down instead of dropping its readers. One or two stuck clients do not
        count: they are closed at LAG_LIMIT (connection.py) and come back with ?after=. Also when
        STORING_LIMIT lines of this process wait to be stored: a saturated process falls behind
        where lines come in, before any listener's queue can show it (measured: lines read
        seconds after they were sent, every queue empty)."""
        if self.storing >= STORING_LIMIT:
            return True
        listeners = self._subscriptions.get(channel)
        if not listeners:
            return False
        lagging = sum(1 for subscription in listeners if subscription.qsize > BEHIND_FRAMES)
        return lagging >= 3 and lagging * 4 > len(listeners)

    @contextlib.contextmanager
    def storing_line(self) -> Iterator[None]:
        """Around storing one line said here: counted for `behind`."""
        self.storing += 1
        try:
            yield
        finally:
            self.storing -= 1

    def deliver(self, channel: str, data: bytes) -> int:
        """Hand a frame to this process's listeners on `channel`; how many there were."""
        listeners = self._subscriptions.get(channel, ())
        for subscription in listeners:
            subscription.put(data)
        return len(listeners)

    def tell_everyone(self, data: bytes) -> None:
        for subscription in {s for listeners in self._subscriptions.values() for s in listeners}:
            subscription.put(data)

    async def publish(self, data: bytes, channel: str) -> bool:
        """Deliver here at once, then to the other processes; False when they could not be reached
        (Redis away: this process's members still got the frame)."""
        self.deliver(channel, data)
        if self.redis is None:
            return True
        if not self.connected:  # known to be away: members catch up from the database later
            return False
        try:
            async with asyncio.timeout(2):
                await self.redis.publish(f"{self.prefix}{channel}", self.origin + b" " + data)
        except Exception as error:  # any failure of the connection: the relay checks and recovers
            log.warning("publishing to %s through Redis failed: %s", channel, error)
            self._lost()
            return False
        return True

    def _lost(self) -> None:
        if self.connected:
            self.connected = False
            self.tell_everyone(OUTAGE)

    async def _relay(self) -> None:
        """Frames of the other processes, from Redis to this one's listeners; reconnects for ever."""
        delay = 0.2
        lost = False
        while True:
            pubsub = self.relay.pubsub()
            try:
                await pubsub.psubscribe(f"{self.prefix}*")
                if lost or not self.connected:  # back after an outage (seen here or by a publish)
                    await self._back(first=not lost and not self._relay_up.is_set())
                lost = False
                self._relay_up.set()
                delay = 0.2
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if not self.connected:  # a publish failed, yet redis-py kept this connection
                        await self.redis.ping()  # (it reconnects by itself): away still, or back?
                        await self._back()
                    if message is None or message["type"] != "pmessage":
                        continue
                    origin, _, data = message["data"].partition(b" ")
                    if origin != self.origin:
                        self.deliver(message["channel"].decode().removeprefix(self.prefix), data)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the connection is gone, whatever redis-py calls it
                if not lost:
                    log.warning("Redis lost (%s): rooms carry on within each process", error)
                lost = True
                self._lost()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_max)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _back(self, *, first: bool = False) -> None:
        self.connected = True
        if first:  # the first connection at start: nothing to catch up on
            return
        log.warning("Redis is back: rooms catch up")
        for callback in self.on_reconnect:
            try:
                await callback()
            except Exception:
                log.exception("catching up after Redis came back failed")
        self.tell_everyone(RESYNC)


async def publish(hub: Hub, frame: ServerFrame, channel: str) -> bool:
    """Send a frame to everyone on `channel` now, encoded once for all of them; False (and a log
    line) if it could not reach the other processes."""
    return await hub.publish(encode_frame(frame), channel)


class Presence:
    """Who is in each room, counted per connection (one person may have two tabs open).

    This process's own count is the truth for its connections; with Redis each process writes
    its counts there (whole values, never increments, so writing them again after an outage is
    safe) and every process reads the union. Without Redis, or while it is away, a room's
    members are those in this process."""

    def __init__(self, redis: Redis | None = None, prefix: str = "meetup:presence:", process: str | None = None):
        self.redis = redis
        self.prefix = prefix
        self.process = process or secrets.token_hex(6)
        # room id -> the presence frame about to go out (one app, one event loop: see socket.py)
        self.announcements: dict[int, asyncio.Task] = {}
        self._rooms: dict[int, dict[int, list]] = {}
        self._touched: set[int] = set()  # rooms this process has written presence for

    def _fields(self, user_id: int) -> tuple[str, str]:
        return f"n:{user_id}:{self.process}", f"name:{user_id}"

    async def _write(self, room_id: int, user_id: int) -> None:
        if self.redis is None:
            return
        key = f"{self.prefix}{room_id}"
        count_field, name_field = self._fields(user_id)
        self._touched.add(room_id)
        entry = self._rooms.get(room_id, {}).get(user_id)
        try:
            async with asyncio.timeout(2):
                if entry is None:
                    await self.redis.hdel(key, count_field)
                else:
                    async with self.redis.pipeline(transaction=True) as pipe:
                        pipe.hset(key, mapping={count_field: entry[0], name_field: entry[1]})
                        pipe.expire(key, 24 * 3600)
                        await pipe.execute()
        except Exception as error:  # Redis away: written again when it is back (restore)
            log.warning("room %s: presence not written to Redis: %s", room_id, error)

    async def join(self, room_id: int, user_id: int, name: str) -> None:
        entry = self._rooms.setdefault(room_id, {}).setdefault(user_id, [0, name])
        entry[0] += 1
        entry[1] = name
        await self._write(room_id, user_id)

    async def leave(self, room_id: int, user_id: int) -> None:
        members = self._rooms.get(room_id, {})
        if user_id in members:
            members[user_id][0] -= 1
            if members[user_id][0] <= 0:
                del members[user_id]
            if not members:
                self._rooms.pop(room_id, None)
        await self._write(room_id, user_id)

    def _local(self, room_id: int) -> list[dict]:
        members = self._rooms.get(room_id, {})
        return [{"id": uid, "display_name": name} for uid, (_count, name) in sorted(members.items())]

    async def members(self, room_id: int) -> list[dict]:
        if self.redis is None:
            return self._local(room_id)
        try:
            async with asyncio.timeout(2):
                raw = await self.redis.hgetall(f"{self.prefix}{room_id}")
        except Exception:  # Redis away: the members this process can see
            return self._local(room_id)
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        ids = {int(k.split(":")[1]) for k, v in fields.items() if k.startswith("n:") and int(v) > 0}
        ids |= set(self._rooms.get(room_id, {}))
        names = {uid: name for uid, (_count, name) in self._rooms.get(room_id, {}).items()}
        return [{"id": uid, "display_name": names.get(uid) or fields.get(f"name:{uid}", "")} for uid in sorted(ids)]

    def rooms(self) -> list[int]:
        return list(self._rooms)

    async def restore(self) -> None:
        """After an outage: write this process's counts to Redis again, and take back the counts
        of people who left while it was away."""
        for room_id in list(self._touched):
            key = f"{self.prefix}{room_id}"
            mine = {f"n:{uid}:{self.process}" for uid in self._rooms.get(room_id, {})}
            ours = [k.decode() for k in await self.redis.hkeys(key) if k.decode().endswith(f":{self.process}")]
            stale = [field for field in ours if field not in mine]
            if stale:
                await self.redis.hdel(key, *stale)
            for user_id in list(self._rooms.get(room_id, {})):
                await self._write(room_id, user_id)
            if room_id not in self._rooms:
                self._touched.discard(room_id)
