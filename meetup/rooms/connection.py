"""One member's connection to a live room: frames both ways, the timer, and the right to be there.

Lines are stored before they are published; a line the client already has is not sent again; a
client that stops reading is let go (1013) rather than hold anything up. The right to be there is
checked again while the connection lives: at once when a revocation arrives on one of its rights
channels (meetup.revocation, relayed by the hub to every process), and every RECHECK_SECONDS as a
backstop (a revocation sent while Redis was away). What a connection may cost is in
meetup.rooms.limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

import msgspec
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import utcnow
from meetup.errors import SERVICE_DOWN, DomainError
from meetup.rooms import service
from meetup.rooms.hub import (
    OUTAGE,
    RESYNC,
    Hub,
    Presence,
    forum_rights_channel,
    person_rights_channel,
    publish,
    room_channel,
    session_rights_channel,
)
from meetup.rooms.limits import NoiseBudget, SayLimiter
from meetup.rooms.schemas import (
    ClientFrame,
    ClosedFrame,
    ErrorCode,
    ErrorFrame,
    HelloFrame,
    Person,
    Ping,
    PongFrame,
    RoomInfo,
    Routing,
    Say,
    ServerFrame,
    TimerFrame,
    You,
    encode_frame,
    kept_broadcast,
    message_frame,
    route_of,
    tokyo,
)
from meetup.rooms.wire import wire_of

log = logging.getLogger("meetup.rooms")

RECHECK_SECONDS = 15.0  # the backstop: a pushed revocation closes the socket within moments
# A client that stops reading must not hold anything up: once this many frames wait for it, or one
# send has not gone through for this long, it is closed (1013, try again later); its page
# reconnects with ?after= and gets every line it missed from the database.
LAG_LIMIT = 500
SEND_TIMEOUT = 10.0
MAX_FRAME = 16 * 1024  # characters: a say frame with a 2000-character body fits easily

# The server's own ASGI `send`, kept in a websocket's scope by the app (meetup.app.Meetup): lines go
# to it straight, past the response hooks and wrappers that only matter up to the accept.
SERVER_SEND = "meetup.server_send"

_decode = msgspec.json.Decoder(ClientFrame)
BUSY = "The room is busy: the line was not stored; send it again in a moment."

# What post_message's refusals tell the sender (a closed room ends the connection instead).
_REFUSALS: dict[type[DomainError], ErrorCode] = {
    service.EmptyLine: "empty",
    service.LineTooLong: "too_long",
    service.SlowDown: "rate_limited",
}


class LinesHad:
    """The lines one client has: every line up to `upto` (its history, sent in hello) and, of the
    `WINDOW` lines below the newest sent live, which ones were sent (one bit each). Lines can be
    published out of id order (two people at once), so a lower id that arrives late is still
    delivered; only a repeat is skipped. Repeats come within moments (a hello overlapping live
    lines, a catch-up after an outage), so the last thousand ids hold them all; an id older than
    those that came again would be sent again, never lost (clients keep lines by id). A member
    holds ~200 bytes for this however long the room runs (issue 18: a set and a queue of the last
    4,096 ids held ~650 KiB per member after a few thousand lines, of the last 256 ~13 KiB)."""

    WINDOW = 1 << 10  # lines
    _MASK = (1 << WINDOW) - 1

    __slots__ = ("upto", "_newest", "_sent")

    def __init__(self) -> None:
        self.upto = 0
        self._newest = 0
        self._sent = 0  # bit k set: line `_newest - k` was sent live

    def __contains__(self, line_id: int) -> bool:
        if line_id <= self.upto:
            return True
        below = self._newest - line_id
        return 0 <= below < self.WINDOW and (self._sent >> below) & 1 == 1

    def take(self, line_id: int) -> bool:
        """Note the line as sent; False when the client already has it (do not send it again)."""
        if line_id in self:
            return False
        below = self._newest - line_id
        if below < 0:  # the newest yet: the window slides up to it
            self._sent = 1 if -below >= self.WINDOW else ((self._sent << -below) | 1) & self._MASK
            self._newest = line_id
        elif below < self.WINDOW:
            self._sent |= 1 << below
        return True

    @property
    def newest(self) -> int:
        return max(self.upto, self._newest)


_last_read: tuple[bytes, Routing] | None = None


def _read(raw: bytes) -> Routing:
    """A frame from the channel: its routing (the type, and a line's id or a timer). The hub hands
    the same frame to every member of a room one after another: it is read once, not once per
    member."""
    global _last_read
    last = _last_read  # one tuple, read and written whole: safe whatever thread runs a loop
    if last is None or last[0] is not raw:
        last = _last_read = (raw, route_of(raw))
    return last[1]


class RoomConnection:
    """One person's socket in one room. (Slots, and futures made only while waited on instead of
    events: a room of a thousand members holds a thousand of these.)"""

    __slots__ = (
        "socket", "room", "user", "session_id", "channels", "presence", "closes_at", "lines", "subscriber",
        "outage_after", "over", "end_code", "end_reason", "_woken", "_check_rights", "noise", "_send_frame",
        "_clock", "sending_since", "_wire",
    )  # fmt: skip

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
        self.lines = LinesHad()
        self.subscriber = None
        self.outage_after: int | None = None  # the newest line had when Redis was lost
        # Done once the connection is to end (the room closed, the client fell behind or went, the
        # server ends it): one future, not an event and a task for each reason (memory per member).
        self.over: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.end_code, self.end_reason = 1000, ""
        self._woken: asyncio.Future[None] | None = None  # while `watch` waits (see `_wake`)
        self._check_rights = False  # a revocation came: check the right to be here now
        self.noise = NoiseBudget()
        self._send_frame = socket.scope.get(SERVER_SEND) or socket.send
        self._wire = wire_of(self._send_frame)  # lines written in the deliverer's turn (see `forward_at_once`)
        self._clock = asyncio.get_running_loop().time
        self.sending_since: float | None = None  # when the send under way began (see `watch`)

    def rights_channels(self) -> list[str]:
        channels = [person_rights_channel(self.user.id), forum_rights_channel(self.room["event"])]
        if self.session_id:
            channels.append(session_rights_channel(self.session_id))
        return channels

    def end(self, code: int = 1000, reason: str = "") -> None:
        """End the connection with this close code; the first reason given is the one said."""
        if not self.over.done():
            self.end_code, self.end_reason = code, reason
            self.over.set_result(None)

    def timer_moved(self, closes_at: datetime | None) -> None:
        self.closes_at = closes_at
        self._wake()

    def _wake(self) -> None:
        """Wake `watch`, which reads again what changed (the state itself says what)."""
        if self._woken is not None and not self._woken.done():
            self._woken.set_result(None)

    async def catch_up(self) -> None:
        """After Redis came back: the lines and the timer that other processes could not pass on
        while it was away, from the database, each line once."""
        after = self.outage_after if self.outage_after is not None else self.lines.upto
        self.outage_after = None
        for message in await service.history(self.room["id"], after=after):
            if self.lines.take(message.id):
                await self.send(message_frame(message))
        room = await service.room_row(self.room["id"])
        if room["closes_at"] != self.closes_at:
            self.timer_moved(room["closes_at"])
            await self.send(TimerFrame(closes_at=tokyo(self.closes_at)))

    async def send(self, frame: ServerFrame) -> None:
        await self.socket.send_text(encode_frame(frame).decode())

    async def hello(self, after: int | None) -> None:
        history = await service.history(self.room["id"], after=after)
        members = await self.presence.members(self.room["id"])
        broadcasts = await service.recent_broadcasts(self.room["event"])
        if history:
            self.lines.upto = history[-1].id
        elif after is not None:
            self.lines.upto = after
        room = self.room
        await self.send(
            HelloFrame(
                room=RoomInfo(id=room["id"], name=room["name"], topic=room["topic"], closes_at=tokyo(self.closes_at)),
                you=You(id=self.user.id, display_name=self.user.display_name, role=self.user.role),
                members=[Person(id=m["id"], display_name=m["display_name"]) for m in members],
                history=[message_frame(m) for m in history],
                # an extra field (docs/websocket.md; clients ignore it): what the organizers said before you came
                broadcasts=[kept_broadcast(b) for b in broadcasts],
            )
        )

    def _to_send(self, raw: bytes) -> str | None:
        """A frame from the channel, read: its type when it is to be sent to the client, None when
        the client has it already (a line sent before) or the connection is over."""
        if self.over.done():
            return None
        frame = _read(raw)
        kind = frame.type
        if kind == "message":
            if not self.lines.take(frame.id):
                return None
        elif kind == "timer":
            self.timer_moved(frame.closes_at)
        return kind

    def _sent(self, kind: str) -> None:
        if kind == "closed":
            self.end()

    def forward_at_once(self, raw: bytes) -> bool:
        """`forward`, done in the deliverer's turn while the socket can take the frame now (the
        hub calls it only when nothing of this member's waits before it): the frame written as it
        came, as a bare `websockets.broadcast` does (meetup.rooms.wire). False leaves the frame to
        `forward`: no direct way to the socket, a slow reader's paused socket, an outage."""
        wire = self._wire
        if wire is None or not wire.ready() or raw in (OUTAGE, RESYNC):
            return False
        kind = self._to_send(raw)
        if kind is not None:
            if wire.write(raw):
                self._sent(kind)
            else:  # the client is closing the socket: nobody to send to
                self.end()
        return True

    async def forward(self, raw: bytes) -> None:
        """A frame from the channel: pass it on, skipping lines the client already has."""
        if self.over.done():
            return
        if self.subscriber is not None and self.subscriber.qsize > LAG_LIMIT:
            self.fell_behind()
            return
        if raw == OUTAGE:  # lines from other processes may stop coming: remember where they did
            self.outage_after = self.outage_after if self.outage_after is not None else self.lines.newest
            return
        if raw == RESYNC:
            await self.catch_up()
            return
        kind = self._to_send(raw)
        if kind is None:
            return
        # A send stuck for SEND_TIMEOUT is seen by `watch` (a timer per frame and member cost more)
        self.sending_since = self._clock()
        try:
            await self._send_frame({"type": "websocket.send", "text": raw.decode()})
        except (OSError, WebSocketDisconnect):  # dropped without a goodbye: nobody to send to
            self.end()
            return
        finally:
            self.sending_since = None
        self._sent(kind)

    def fell_behind(self) -> None:
        if not self.over.done():
            log.warning("room %s: %s fell behind and was disconnected", self.room["id"], self.user.id)
        self.end(1013)

    def costs_noise(self) -> bool:
        """Count a frame that stores nothing; past the budget the connection ends (1008)."""
        if self.noise.spend():
            return True
        self.end(1008, "too many pings or refused frames")
        return False

    async def refuse(self, code: ErrorCode, detail: str) -> None:
        if self.costs_noise():
            await self.send(ErrorFrame(code=code, detail=detail))

    async def receive(self, limiter: SayLimiter) -> None:
        while not self.over.done():
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
                    await self.send(PongFrame())
            elif isinstance(frame, Say):
                await self.say(frame, limiter)

    async def say(self, frame: Say, limiter: SayLimiter) -> None:
        """Hand the line to post_message, which alone judges it; its refusals become error frames.
        While the room's fan-out here is behind, the line is refused before it is stored (the page
        sends it again in a moment): senders slow down, readers are not dropped."""
        if self.channels.behind(room_channel(self.room["id"])):
            await self.send(ErrorFrame(code="unavailable", detail=BUSY))
            return
        try:
            with self.channels.storing_line():
                message, created = await service.post_message(
                    self.room["id"],
                    self.user,
                    frame.body,
                    frame.client_id,
                    throttle=lambda: limiter.allow(self.user.id),
                )
        except SERVICE_DOWN:  # nothing was stored, and it is not the sender's doing: no noise counted
            detail = "The line was not stored (the service is restarting): send it again shortly."
            await self.send(ErrorFrame(code="unavailable", detail=detail))
            return
        except service.RoomClosed as exc:
            raise RoomFinished from exc
        except DomainError as exc:
            await self.refuse(_REFUSALS.get(type(exc), "bad_frame"), exc.detail)
            return
        if created:
            await publish(self.channels, message_frame(message), room_channel(self.room["id"]))
        else:  # a resend: the line is stored once; the sender gets it (again)
            self.lines.take(message.id)
            await self.send(message_frame(message))

    def on_rights(self, raw: bytes) -> None:
        """A frame on this member's rights channels (never passed on to the client), heard at once."""
        if raw != OUTAGE:  # a revocation, or Redis back after an outage (revocations may be lost)
            self._check_rights = True
            self._wake()

    async def watch(self) -> None:
        """The room's closing time, the right to be here and a stuck send, in one task. The room
        closes for the member at `closes_at` (which a timer frame moves). A long-lived socket
        outlives the right to be there: it is checked again when a revocation comes, and every
        RECHECK_SECONDS in case one was lost. A send under way for SEND_TIMEOUT means the client
        stopped reading: it is let go (1013), looked for every half SEND_TIMEOUT."""
        loop = asyncio.get_running_loop()
        recheck_at = loop.time() + RECHECK_SECONDS
        while not self.over.done():
            now, since = loop.time(), self.sending_since
            if since is not None and now - since >= SEND_TIMEOUT:
                self.fell_behind()
                return
            wait = min(recheck_at - now, SEND_TIMEOUT / 2)
            if self.closes_at is not None:
                until_closed = (self.closes_at - utcnow()).total_seconds()
                if until_closed <= 0:
                    await self.send(ClosedFrame())
                    raise RoomFinished
                wait = min(wait, until_closed)
            if self._check_rights or now >= recheck_at:
                self._check_rights = False
                recheck_at = loop.time() + RECHECK_SECONDS
                await self.check_rights()
                continue
            # No await since the state was read above: nothing can have changed unseen.
            self._woken = loop.create_future()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._woken
            self._woken = None

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
