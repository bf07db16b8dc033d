"""`/ws/rooms/{room_id}`: the live room, as docs/websocket.md describes it.

Written by hand (Litestar's generated channel routes have no auth): the Origin must be
MEETUP_BASE_URL's, the session must belong to a confirmed registrant or an organizer, one person
holds a limited number of sockets (meetup.rooms.limits). What happens once a member is in is
meetup.rooms.connection; revocations reach it through `hear_revocations`, wired at app start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from meetup import revocation
from meetup.accounts.schemas import UserOut
from meetup.errors import SERVICE_DOWN, NotFound
from meetup.rooms import service
from meetup.rooms.connection import RoomConnection, RoomFinished
from meetup.rooms.hub import (
    CHECK_RIGHTS,
    Hub,
    Presence,
    event_channel,
    forum_rights_channel,
    person_rights_channel,
    publish,
    room_channel,
    session_rights_channel,
)
from meetup.rooms.limits import RoomSockets, SayLimiter
from meetup.rooms.schemas import Person, PresenceFrame
from meetup.settings import Settings

log = logging.getLogger("meetup.rooms")

# Joins and leaves that come together (a forum's start, a new round) share one presence frame:
# each frame carries the whole member list, so one per join would be O(n²) bytes for a big room.
PRESENCE_DELAY = 0.1


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
        frame = PresenceFrame(members=[Person(id=m["id"], display_name=m["display_name"]) for m in members])
        await publish(channels, frame, room_channel(room_id))

    presence.announcements[room_id] = asyncio.create_task(publish_members())


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
    rights = channels.listen(connection.rights_channels(), connection.on_rights)
    try:
        refusal = await _refusal(room, user)
        if refusal is None and not room_sockets.take(user.id, organizer=user.is_organizer):
            refusal = (4429, "too many open room connections")  # the page tries again later
        if refusal is not None:
            await socket.close(code=refusal[0], reason=refusal[1])
            return
        try:
            await _live(connection, socket.query_params.get("after"), say_limiter)
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


async def _live(connection: RoomConnection, after_text: str | None, say_limiter: SayLimiter) -> None:
    """The member is in: hello, then lines both ways until someone leaves or the server ends it.
    Three tasks while it lasts (what the channel brings, what the client says, the timer and the
    rights), and one future that says it is over: each costs memory for every member (issue 18)."""
    socket, room, user = connection.socket, connection.room, connection.user
    channels, presence, room_id = connection.channels, connection.presence, room["id"]
    after = int(after_text) if after_text and after_text.isdigit() and len(after_text) < 10 else None
    subscriber = await channels.subscribe([room_channel(room_id), event_channel(room["event"])])
    connection.subscriber = subscriber
    await presence.join(room_id, user.id, user.display_name)
    try:
        await connection.hello(after)
        announce_presence(channels, presence, room_id)
        await service.record_visit(room, user.id)
        async with subscriber.run_in_background(connection.forward, connection.forward_at_once):
            tasks = (asyncio.create_task(connection.receive(say_limiter)), asyncio.create_task(connection.watch()))
            try:
                await asyncio.wait((*tasks, connection.over), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
            for task in tasks:
                error = None if task.cancelled() or not task.done() else task.exception()
                if error is not None and not isinstance(error, RoomFinished | WebSocketDisconnect):
                    raise error
    except (WebSocketDisconnect, RoomFinished):
        pass
    finally:
        await channels.unsubscribe(subscriber)
        await presence.leave(room_id, user.id)
        announce_presence(channels, presence, room_id)
        with contextlib.suppress(Exception):  # a stuck client cannot hold us
            await asyncio.wait_for(socket.close(code=connection.end_code, reason=connection.end_reason), 5)
