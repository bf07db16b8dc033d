"""`/ws/rooms/{room_id}`: the live room, exactly as CONTRACT §3.

Written by hand (Litestar's generated channel routes have no auth): the Origin must be
MEETUP_BASE_URL's, the session must belong to a confirmed registrant or an organizer, lines are
stored before they are published. The right to be there is checked again while the socket
lives: at once when a revocation arrives (meetup.revocation, relayed to every process through
the hub), and every RECHECK_SECONDS as a backstop (a revocation sent while Redis was away).
What a person or a connection may cost is in meetup.rooms.limits.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

import msgspec
from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from meetup import revocation
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import utcnow
from meetup.errors import SERVICE_DOWN, DomainError, NotFound
from meetup.rooms import service
from meetup.rooms.control import broadcast_frame, tokyo_time
from meetup.rooms.hub import (
    CHECK_RIGHTS,
    OUTAGE,
    RESYNC,
    Hub,
    Presence,
    Subscription,
    event_channel,
    forum_rights_channel,
    person_rights_channel,
    publish,
    room_channel,
    session_rights_channel,
)
from meetup.rooms.limits import NoiseBudget, RoomSockets, SayLimiter
from meetup.rooms.schemas import MAX_BODY, ClientFrame, MessageOut, Ping, Say
from meetup.settings import Settings

log = logging.getLogger("meetup.rooms")

RECHECK_SECONDS = 15.0  # the backstop: a pushed revocation closes the socket within moments
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


def hear_revocations(channels: Hub) -> Callable[[], None]:
    """From app start-up: every revocation becomes a frame on the rights channel of the sockets
    it concerns, in every process (the hub relays it through Redis). Returns the way to stop."""

    async def tell(revoked: revocation.Revoked) -> None:
        if revoked.session_id:
            channel = session_rights_channel(revoked.session_id)
        elif revoked.user_id is not None:
            channel = person_rights_channel(revoked.user_id)
        elif revoked.event_id is not None:
            channel = forum_rights_channel(revoked.event_id)
        else:
            return
        await channels.publish(CHECK_RIGHTS, channel)

    return revocation.listen(tell)


class RoomConnection:
    """One person's socket in one room."""

    def __init__(
        self,
        socket: WebSocket,
        room: dict,
        user: UserOut,
        channels: Hub,
        presence: Presence,
        session_id: str | None = None,
    ):
        self.socket = socket
        self.room = room
        self.user = user
        self.session_id = session_id
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
        self.check_now = asyncio.Event()  # a revocation came: check the right to be here now
        self.ended = asyncio.Event()  # the server ends this connection, with end_code
        self.end_code, self.end_reason = 1000, ""
        self.noise = NoiseBudget()

    def rights_channels(self) -> list[str]:
        channels = [person_rights_channel(self.user.id), forum_rights_channel(self.room["event"])]
        if self.session_id:
            channels.append(session_rights_channel(self.session_id))
        return channels

    def end(self, code: int, reason: str) -> None:
        if not self.ended.is_set():
            self.end_code, self.end_reason = code, reason
            self.ended.set()

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
        broadcasts = await service.recent_broadcasts(self.room["event"])
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
                # an extra field (CONTRACT §3 allows them): what the organizers said before you came
                "broadcasts": [{k: v for k, v in broadcast_frame(b).items() if k != "type"} for b in broadcasts],
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

    def costs_noise(self) -> bool:
        """Count a frame that stores nothing; past the budget the connection ends (1008)."""
        if self.noise.spend():
            return True
        self.end(1008, "too many pings or refused frames")
        return False

    async def refuse(self, code: str, detail: str) -> None:
        if self.costs_noise():
            await self.send(error_frame(code, detail))

    async def receive(self, limiter: SayLimiter) -> None:
        while not self.ended.is_set():
            text = await self.socket.receive_text()
            if len(text) > MAX_FRAME:
                await self.refuse("too_long", f"A frame may hold at most {MAX_FRAME} characters.")
                continue
            try:
                frame = _decode.decode(text)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                await self.refuse("bad_frame", str(exc)[:200])
                continue
            if isinstance(frame, Ping):
                if self.costs_noise():
                    await self.send({"type": "pong"})
            elif isinstance(frame, Say):
                await self.say(frame, limiter)

    async def say(self, frame: Say, limiter: SayLimiter) -> None:
        body = frame.body.strip()
        if not body:
            await self.refuse("empty", "The message is empty.")
            return
        if len(body) > MAX_BODY:
            await self.refuse("too_long", f"A message may hold at most {MAX_BODY} characters.")
            return
        if not limiter.allow(self.user.id):
            await self.refuse("rate_limited", "More than 10 messages in 5 seconds: please slow down.")
            return
        try:
            message, created = await service.post_message(self.room["id"], self.user, body, frame.client_id)
        except SERVICE_DOWN:  # nothing was stored, and it is not the sender's doing: no noise counted
            detail = "The line was not stored (the service is restarting): send it again shortly."
            await self.send(error_frame("unavailable", detail))
            return
        except DomainError as exc:
            if exc.status_code == 410:
                raise RoomFinished from exc
            await self.refuse("bad_frame", exc.detail)
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

    async def on_rights(self, raw: bytes) -> None:
        """A frame on this member's rights channels (never passed on to the client)."""
        if raw != OUTAGE:  # a revocation, or Redis back after an outage (revocations may be lost)
            self.check_now.set()

    async def watch_rights(self) -> None:
        """A long-lived socket outlives the right to be there: check again when told, and every
        RECHECK_SECONDS in case a revocation was lost."""
        while not self.ended.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RECHECK_SECONDS):
                    await self.check_now.wait()
            self.check_now.clear()
            await self.check_rights()

    async def check_rights(self) -> None:
        """Logged out: 4401. No longer a confirmed registrant or an organizer: 4403. Nobody is put
        out because a store or the database could not answer; they are asked again later."""
        store = self.socket.app.stores.get("sessions")
        try:
            if not self.session_id or not await store.exists(self.session_id):
                self.end(4401, "logged out")
                return
        except Exception:
            log.warning("room %s: session of %s not checked (store unavailable)", self.room["id"], self.user.id)
        try:
            user = await accounts.get_user(self.user.id)
            allowed = user is not None and await service.may_join(self.room, user)
        except SERVICE_DOWN:
            log.warning("room %s: right of %s not checked (database unavailable)", self.room["id"], self.user.id)
            return
        if not allowed:
            self.end(4403, "no longer allowed in this room")
        elif user is not None:
            self.user = user  # a role or a name that changed


class RoomFinished(Exception):
    """The room closed: say so and close the socket normally."""


@websocket("/ws/rooms/{room_id:int}")
async def room_socket(
    socket: WebSocket,
    room_id: FromPath[int],
    channels: NamedDependency[Hub],
    settings: NamedDependency[Settings],
    presence: NamedDependency[Presence],
    say_limiter: NamedDependency[SayLimiter],
    room_sockets: NamedDependency[RoomSockets],
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
    connection = RoomConnection(socket, room, user, channels, presence, socket.cookies.get("session"))
    # Listening before the right is checked: a revocation that comes in between is heard.
    rights = await channels.subscribe(connection.rights_channels())
    try:
        refusal = await _refusal(room, user)
        if refusal is None and not room_sockets.take(user.id, organizer=user.is_organizer):
            refusal = (4429, "too many open room connections")  # the page tries again later
        if refusal is not None:
            await socket.close(code=refusal[0], reason=refusal[1])
            return
        try:
            await _live(connection, rights, socket.query_params.get("after"), say_limiter)
        finally:
            room_sockets.release(user.id)
    finally:
        await channels.unsubscribe(rights)


async def _refusal(room: dict, user: UserOut) -> tuple[int, str] | None:
    try:
        if not await service.may_join(room, user):
            return 4403, "forbidden"
    except SERVICE_DOWN:
        return 1013, "try again shortly"
    if not service.is_open(room):
        return 4410, "room closed"
    return None


async def _live(
    connection: RoomConnection, rights: Subscription, after_text: str | None, say_limiter: SayLimiter
) -> None:
    """The member is in: hello, then lines both ways until someone leaves or the server ends it."""
    socket, room, user = connection.socket, connection.room, connection.user
    channels, presence, room_id = connection.channels, connection.presence, room["id"]
    after = int(after_text) if after_text and after_text.isdigit() and len(after_text) < 10 else None
    subscriber = await channels.subscribe([room_channel(room_id), event_channel(room["event"])])
    connection.subscriber = subscriber
    await presence.join(room_id, user.id, user.display_name)
    close_code, reason = 1000, ""
    try:
        await connection.hello(after)
        announce_presence(channels, presence, room_id)
        await service.record_visit(room, user.id)
        async with subscriber.run_in_background(connection.forward), rights.run_in_background(connection.on_rights):
            tasks = [
                asyncio.create_task(connection.finished.wait()),
                asyncio.create_task(connection.too_slow.wait()),
                asyncio.create_task(connection.gone.wait()),
                asyncio.create_task(connection.ended.wait()),
                asyncio.create_task(connection.receive(say_limiter)),
                asyncio.create_task(connection.watch_timer()),
                asyncio.create_task(connection.watch_rights()),
            ]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if connection.too_slow.is_set():
                log.warning("room %s: %s fell behind and was disconnected", room_id, user.id)
                close_code = 1013
            if connection.ended.is_set():
                close_code, reason = connection.end_code, connection.end_reason
            for task in done:
                error = task.exception()
                if error is not None and not isinstance(error, RoomFinished | WebSocketDisconnect):
                    raise error
    except (WebSocketDisconnect, RoomFinished):
        pass
    finally:
        await channels.unsubscribe(subscriber)
        await presence.leave(room_id, user.id)
        announce_presence(channels, presence, room_id)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(socket.close(code=close_code, reason=reason), 5)  # a stuck client cannot hold us
