"""A line is made into a frame once for a whole room and written to each member's socket at once
(meetup.rooms.wire), over a real port with the server `python main.py serve` runs: whatever each
browser negotiated, every member reads the same lines in the same order."""

import pytest
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from meetup.rooms import connection as room_connection
from meetup.rooms import wire
from meetup.rooms.wire import RoomSocketProtocol
from tests.rooms.conftest import frame, frame_of, members_become
from tests.rooms.factories import forum_with_people, room_in


class CountingDeflate:
    """The room's one compressor, counting the messages it compresses."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def encode(self, frame):
        self.calls += 1
        return self.inner.encode(frame)


async def test_every_member_reads_the_same_lines_whatever_their_compression(live, monkeypatch):
    counting = CountingDeflate(wire._deflate)
    monkeypatch.setattr(wire, "_deflate", counting)
    event, people = await forum_with_people(4)
    room_id = await room_in(event)
    # as browsers ask; a second such browser; no compression; a window smaller than the room's
    small_window = ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=True)
    options = [{}, {}, {"compression": None}, {"extensions": [small_window], "compression": None}]
    sockets = []
    for person, option in zip(people, options, strict=True):
        socket = await live.connect(room_id, person, **option)
        assert (await frame(socket))["type"] == "hello"
        sockets.append(socket)
    for socket in sockets:
        await members_become(socket, set(people))

    negotiated = [socket.response.headers.get("Sec-WebSocket-Extensions") for socket in sockets]
    assert "server_no_context_takeover" in negotiated[0] and "server_no_context_takeover" in negotiated[1]
    assert negotiated[2] is None
    assert "server_max_window_bits=10" in negotiated[3]

    counting.calls = 0
    bodies = [f"{n}行目: 気仙沼から参加しています" * (1 + n % 3) for n in range(12)]
    received: list[list[tuple[int, str]]] = [[] for _ in sockets]
    for n, body in enumerate(bodies):  # each line read by everyone before the next is said
        await sockets[n % len(sockets)].send(f'{{"type":"say","body":"{body}"}}')
        for socket, lines in zip(sockets, received, strict=True):
            message = await frame_of(socket, "message")
            lines.append((message["id"], message["body"]))
    assert [body for _, body in received[0]] == bodies
    assert all(lines == received[0] for lines in received)
    # Compressed once a line for both members that share the room's frames, not once a member
    # (the small-window member compresses its own, with its own compressor).
    assert counting.calls == len(bodies)


async def test_a_server_that_is_not_uvicorn_s_goes_the_ordinary_way():
    async def send(message):  # an ASGI send of some other server
        pass

    class Other:
        async def send(self, message):
            pass

    assert wire.wire_of(send) is None
    assert wire.wire_of(Other().send) is None


async def test_a_line_for_a_member_whose_socket_is_paused_waits_and_then_comes_in_order(live):
    alice, bob = await two_in_a_room(live)
    server_side = [p for p in live.server.server_state.connections if isinstance(p, RoomSocketProtocol)]
    assert len(server_side) == 2
    for protocol in server_side:  # as the transport does when a reader's buffer is full
        protocol.pause_writing()
    await alice.send('{"type":"say","body":"一つ目"}')
    await alice.send('{"type":"say","body":"二つ目"}')
    for socket in (alice, bob):  # nothing is written past the pause
        with pytest.raises(TimeoutError):
            await frame_of(socket, "message", timeout=0.3)
    for protocol in server_side:
        protocol.resume_writing()
    for socket in (alice, bob):
        assert (await frame_of(socket, "message"))["body"] == "一つ目"
        assert (await frame_of(socket, "message"))["body"] == "二つ目"


async def test_the_connection_takes_the_direct_way_under_the_server_it_runs_on(live, monkeypatch):
    taken = []
    at_once = room_connection.RoomConnection.forward_at_once

    def spy(self, raw):
        done = at_once(self, raw)
        taken.append(done)
        return done

    monkeypatch.setattr(room_connection.RoomConnection, "forward_at_once", spy)
    alice, bob = await two_in_a_room(live)
    taken.clear()
    await alice.send('{"type":"say","body":"まっすぐ"}')
    assert (await frame_of(bob, "message"))["body"] == "まっすぐ"
    assert (await frame_of(alice, "message"))["body"] == "まっすぐ"
    assert taken == [True, True]


async def two_in_a_room(live):
    """Two members in a room, both past their hello and seeing each other."""
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    alice = await live.connect(room_id, a)
    bob = await live.connect(room_id, b)
    await frame(alice), await frame(bob)
    await members_become(alice, {a, b})
    return alice, bob
