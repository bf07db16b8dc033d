"""`/ws/rooms/{room_id}`: the live room, exactly as CONTRACT §3.

Written by hand (Litestar's generated channel routes have no auth): the Origin must be
MEETUP_BASE_URL's, the session must belong to a confirmed registrant or an organizer, lines are
stored before they are published, and the session is re-checked while the socket lives.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from datetime import datetime

import msgspec
from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from meetup.accounts.schemas import UserOut
from meetup.db import utcnow
from meetup.errors import SERVICE_DOWN, DomainError, NotFound
from meetup.rooms import service
from meetup.rooms.control import tokyo_time
from meetup.rooms.hub import OUTAGE, RESYNC, Hub, Presence, SayLimiter, event_channel, publish, room_channel
from meetup.rooms.schemas import MAX_BODY, ClientFrame, MessageOut, Ping, Say
from meetup.settings import Settings

log = logging.getLogger("meetup.rooms")

SESSION_CHECK_SECONDS = 15.0
# A client that stops reading must not hold anything up: once this many frames wait for it, or one
# send has not gone through for this long, it is closed (1013, try again later); its page
# reconnects with ?after= and gets every line it missed from the database.
LAG_LIMIT = 500
SEND_TIMEOUT = 10.0
MAX_FRAME = 16 * 1024  # characters: a say frame with a 2000-character body fits easily

# Joins and leaves that come together (a forum's start, a new round) share one presence frame:
# each frame carries the whole member list, so one per join would be O(n²) bytes for a big room.
PRESENCE_DELAY = 0.1

_decode = msgspec.json.Decoder(ClientFrame)
_encode = msgspec.json.Encoder()


def announce_presence(channels: Hub, presence: Presence, room_id: int) -> None:
    """Publish the room's members shortly, once for every join and leave in the meantime."""
    due = presence.announcements.get(room_id)
    if due is not None and not due.done():
        return

    async def publish_members() -> None:
        await asyncio.sleep(PRESENCE_DELAY)
        presence.announcements.pop(room_id, None)  # a join from now on schedules the next frame
        try:
            members = await presence.members(room_id)
        except Exception:  # Redis away: the next join or leave tries again
            log.warning("room %s: presence unavailable", room_id)
            return
        await publish(channels, {"type": "presence", "members": members}, room_channel(room_id))

    presence.announcements[room_id] = asyncio.create_task(publish_members())


def message_frame(message: MessageOut) -> dict:
    return {
        "type": "message",
        "id": message.id,
        "author": {"id": message.author.id, "display_name": message.author.display_name} if message.author else None,
        "body": message.body,
        "sent_at": tokyo_time(message.sent_at),
        "client_id": message.client_id,
    }


def error_frame(code: str, detail: str) -> dict:
    return {"type": "error", "code": code, "detail": detail}


class RoomConnection:
    """One person's socket in one room."""

    def __init__(self, socket: WebSocket, room: dict, user: UserOut, channels: Hub, presence: Presence):
        self.socket = socket
        self.room = room
        self.user = user
        self.channels = channels
        self.presence = presence
        self.closes_at: datetime | None = room["closes_at"]
        # Lines this client has: everything up to `history_upto` (sent in hello) and the ids sent live
        # since. Lines can be published out of id order (two people at once), so a lower id that
        # arrives late is still delivered; only a repeat is skipped.
        self.history_upto = 0
        self.delivered: set[int] = set()
        self._delivered_order: collections.deque[int] = collections.deque()
        self.timer_changed = asyncio.Event()
        self.finished = asyncio.Event()  # set when the channel says the room closed
        self.too_slow = asyncio.Event()  # set when the client has fallen too far behind
        self.gone = asyncio.Event()  # set when a send found the connection already dropped
        self.subscriber = None
        self.outage_after: int | None = None  # the newest line had when Redis was lost

    def newest(self) -> int:
        return max(self.history_upto, max(self.delivered, default=0))

    async def catch_up(self) -> None:
        """After Redis came back: the lines and the timer that other processes could not pass on
        while it was away, from the database, each line once."""
        after = self.outage_after if self.outage_after is not None else self.history_upto
        self.outage_after = None
        for message in await service.history(self.room["id"], after=after):
            if not self.has(message.id):
                self.mark(message.id)
                await self.send(message_frame(message))
        room = await service.room_row(self.room["id"])
        if room["closes_at"] != self.closes_at:
            self.closes_at = room["closes_at"]
            self.timer_changed.set()
            await self.send({"type": "timer", "closes_at": tokyo_time(self.closes_at)})

    def has(self, message_id: int) -> bool:
        return message_id <= self.history_upto or message_id in self.delivered

    def mark(self, message_id: int) -> None:
        if message_id in self.delivered:
            return
        self.delivered.add(message_id)
        self._delivered_order.append(message_id)
        if len(self._delivered_order) > 4096:  # repeats come within moments, not thousands of lines later
            self.delivered.discard(self._delivered_order.popleft())

    async def send(self, frame: dict) -> None:
        await self.socket.send_text(_encode.encode(frame).decode())

    async def hello(self, after: int | None) -> None:
        history = await service.history(self.room["id"], after=after)
        members = await self.presence.members(self.room["id"])
        if history:
            self.history_upto = history[-1].id
        elif after is not None:
            self.history_upto = after
        await self.send(
            {
                "type": "hello",
                "room": {
                    "id": self.room["id"],
                    "name": self.room["name"],
                    "topic": self.room["topic"],
                    "closes_at": tokyo_time(self.closes_at),
                },
                "you": {"id": self.user.id, "display_name": self.user.display_name, "role": self.user.role},
                "members": members,
                "history": [message_frame(m) for m in history],
            }
        )

    async def forward(self, raw: bytes) -> None:
        """A frame from the channel: pass it on, skipping lines the client already has."""
        if self.too_slow.is_set() or self.gone.is_set():
            return
        if self.subscriber is not None and self.subscriber.qsize > LAG_LIMIT:
            self.too_slow.set()
            return
        if raw == OUTAGE:  # lines from other processes may stop coming: remember where they did
            self.outage_after = self.outage_after if self.outage_after is not None else self.newest()
            return
        if raw == RESYNC:
            await self.catch_up()
            return
        frame = msgspec.json.decode(raw)
        kind = frame.get("type")
        if kind == "message":
            if self.has(frame["id"]):
                return
            self.mark(frame["id"])
        elif kind == "timer":
            self.closes_at = datetime.fromisoformat(frame["closes_at"]) if frame["closes_at"] else None
            self.timer_changed.set()
        try:
            async with asyncio.timeout(SEND_TIMEOUT):  # no extra task per frame, unlike wait_for
                await self.socket.send_text(raw.decode())
        except TimeoutError:
            self.too_slow.set()
            return
        except (OSError, WebSocketDisconnect):  # dropped without a goodbye: nobody to send to
            self.gone.set()
            return
        if kind == "closed":
            self.finished.set()

    async def receive(self, limiter: SayLimiter) -> None:
        while True:
            text = await self.socket.receive_text()
            if len(text) > MAX_FRAME:
                await self.send(error_frame("too_long", f"A frame may hold at most {MAX_FRAME} characters."))
                continue
            try:
                frame = _decode.decode(text)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                await self.send(error_frame("bad_frame", str(exc)[:200]))
                continue
            if isinstance(frame, Ping):
                await self.send({"type": "pong"})
            elif isinstance(frame, Say):
                await self.say(frame, limiter)

    async def say(self, frame: Say, limiter: SayLimiter) -> None:
        body = frame.body.strip()
        if not body:
            await self.send(error_frame("empty", "The message is empty."))
            return
        if len(body) > MAX_BODY:
            await self.send(error_frame("too_long", f"A message may hold at most {MAX_BODY} characters."))
            return
        if not limiter.allow(self.user.id):
            await self.send(error_frame("rate_limited", "More than 10 messages in 5 seconds: please slow down."))
            return
        try:
            message, created = await service.post_message(self.room["id"], self.user, body, frame.client_id)
        except SERVICE_DOWN:
            # The database is away for a moment and nothing was stored. CONTRACT §3 has no code of
            # its own for that; "rate_limited" tells a client the same thing: send it again later.
            await self.send(
                error_frame("rate_limited", "The line was not sent (the service is restarting): send it again shortly.")
            )
            return
        except DomainError as exc:
            if exc.status_code == 410:
                raise RoomFinished from exc
            await self.send(error_frame("bad_frame", exc.detail))
            return
        if created:
            await publish(self.channels, message_frame(message), room_channel(self.room["id"]))
        else:  # a resend: the line is stored once; the sender gets it (again)
            self.mark(message.id)
            await self.send(message_frame(message))

    async def watch_timer(self) -> None:
        while True:
            if self.closes_at is None:
                await self.timer_changed.wait()
            else:
                delay = (self.closes_at - utcnow()).total_seconds()
                if delay <= 0:
                    await self.send({"type": "closed"})
                    raise RoomFinished
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.timer_changed.wait(), timeout=delay)
            self.timer_changed.clear()

    async def watch_session(self, session_id: str | None) -> None:
        """A long-lived socket outlives logout: re-check that the session still exists."""
        store = self.socket.app.stores.get("sessions")
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            if not session_id:
                raise SessionEnded
            try:
                exists = await store.exists(session_id)
            except Exception:  # the store (Redis) is away: nobody is put out for that; ask again later
                log.warning("room %s: session of %s not checked (store unavailable)", self.room["id"], self.user.id)
                continue
            if not exists:
                raise SessionEnded


class RoomFinished(Exception):
    """The room closed: say so and close the socket normally."""


class SessionEnded(Exception):
    """The person logged out elsewhere: close with 4401."""


@websocket("/ws/rooms/{room_id:int}")
async def room_socket(
    socket: WebSocket,
    room_id: FromPath[int],
    channels: NamedDependency[Hub],
    settings: NamedDependency[Settings],
    presence: NamedDependency[Presence],
    say_limiter: NamedDependency[SayLimiter],
) -> None:
    if socket.headers.get("origin") != settings.origin:
        await socket.close(code=4403, reason="origin not allowed")  # before accept: HTTP 403
        return
    await socket.accept()
    user: UserOut | None = socket.scope.get("user")
    if user is None:
        await socket.close(code=4401, reason="not logged in")
        return
    try:
        room = await service.room_row(room_id)
    except NotFound:
        await socket.close(code=4404, reason="no such room")
        return
    except SERVICE_DOWN:
        await socket.close(code=1013, reason="try again shortly")  # the page reconnects
        return
    if not await service.may_join(room, user):
        await socket.close(code=4403, reason="forbidden")
        return
    if not service.is_open(room):
        await socket.close(code=4410, reason="room closed")
        return
    after_text = socket.query_params.get("after")
    after = int(after_text) if after_text and after_text.isdigit() and len(after_text) < 10 else None

    connection = RoomConnection(socket, room, user, channels, presence)
    subscriber = await channels.subscribe([room_channel(room_id), event_channel(room["event"])])
    connection.subscriber = subscriber
    await presence.join(room_id, user.id, user.display_name)
    close_code = 1000
    try:
        await connection.hello(after)
        announce_presence(channels, presence, room_id)
        await service.record_visit(room, user.id)
        async with subscriber.run_in_background(connection.forward):
            tasks = [
                asyncio.create_task(connection.finished.wait()),
                asyncio.create_task(connection.too_slow.wait()),
                asyncio.create_task(connection.gone.wait()),
                asyncio.create_task(connection.receive(say_limiter)),
                asyncio.create_task(connection.watch_timer()),
                asyncio.create_task(connection.watch_session(socket.cookies.get("session"))),
            ]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if connection.too_slow.is_set():
                log.warning("room %s: %s fell behind and was disconnected", room_id, user.id)
                close_code = 1013
            for task in done:
                error = task.exception()
                if isinstance(error, SessionEnded):
                    close_code = 4401
                elif error is not None and not isinstance(error, RoomFinished | WebSocketDisconnect):
                    raise error
    except (WebSocketDisconnect, RoomFinished):
        pass
    finally:
        await channels.unsubscribe(subscriber)
        await presence.leave(room_id, user.id)
        announce_presence(channels, presence, room_id)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(socket.close(code=close_code), 5)  # a stuck client cannot hold us
