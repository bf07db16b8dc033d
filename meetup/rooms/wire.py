"""A room's frame made once and written to each member's socket in the deliverer's turn.

Through ASGI, each line to a room of 200 woke 200 tasks, each awaiting a send that decoded the
frame, encoded it again and compressed it for that one socket (issue 18). Here, as
`websockets.broadcast` does, the frame is written to each socket at once, with no task woken and
no ASGI message built; and since the server negotiates permessage-deflate with
`server_no_context_takeover` (each message compressed on its own, RFC 7692 §7.1.1.1), the bytes a
member's socket gets are the same for every member: they are compressed and framed once per
line, not once per member, and no socket keeps a compressor between messages (~35 KiB a member).
The cost, measured on chat lines of ~250 bytes of JSON: ~220 bytes each on the wire instead of
~35 with a compressor kept per socket — some 1.6 MB in a busy room over a two-hour forum; a
member's hello (the history, one message) still compresses well.

This reaches past ASGI into the server's protocol, so it is done only for the one protocol it was
written against — uvicorn's sans-I/O websocket protocol, pinned in requirements.txt, subclassed
here as `RoomSocketProtocol` (`WS_PROTOCOL`) and checked by tests/rooms/test_wire.py — and only
while the socket can take a frame now. Anything else (another server, the test client, a paused or
closing socket) goes the ordinary way, `RoomConnection.forward`, which waits for the socket or
finds the client gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.protocol import State

WINDOW_BITS = 12  # 4 KiB windows and zlib's memLevel 5: what uvicorn and websockets negotiate
_COMPRESS = {"memLevel": 5}
ROOM_DEFLATE = ServerPerMessageDeflateFactory(
    server_no_context_takeover=True,
    server_max_window_bits=WINDOW_BITS,
    client_max_window_bits=WINDOW_BITS,
    compress_settings=_COMPRESS,
)
# Compresses each message on its own (no context kept), as every member's socket expects.
_deflate = PerMessageDeflate(False, True, WINDOW_BITS, WINDOW_BITS, _COMPRESS)


class RoomSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol, offering permessage-deflate without the server's
    context takeover (see the module's docstring). What `python main.py serve` runs."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.conn.available_extensions:  # uvicorn's ws_per_message_deflate, on by default
            self.conn.available_extensions = [ROOM_DEFLATE]


_last_framed: list = [b"", None, None]  # data; as a plain frame; as a compressed one


def framed(data: bytes, compressed: bool) -> bytes:
    """`data` as one text frame, compressed or not: made once for all the members a frame goes to
    one after another (the hub hands them the same bytes object)."""
    global _last_framed
    last = _last_framed  # one list, replaced whole for new data: safe whatever thread runs a loop
    if last[0] is not data:
        last = _last_framed = [data, None, None]
    made = last[1 + compressed]
    if made is None:
        extensions = [_deflate] if compressed else None
        made = last[1 + compressed] = Frame(Opcode.TEXT, data).serialize(mask=False, extensions=extensions)
    return made


class Wire:
    """A member's socket, written to directly: `ready` says whether it can take a frame now."""

    __slots__ = ("_protocol", "_shared")

    def __init__(self, protocol: RoomSocketProtocol):
        self._protocol = protocol
        self._shared = _shared_framing(protocol)

    def ready(self) -> bool:
        """As uvicorn's own send: it waits for `writable` (cleared while the transport's buffer is
        over its high-water mark: a slow reader) and refuses once the close is sent or the client
        is gone."""
        protocol = self._protocol
        return protocol.writable.is_set() and not protocol.disconnected and not protocol.close_sent

    def write(self, data: bytes) -> bool:
        """Write one text frame (`data`: UTF-8 JSON) to a ready socket; False when the client has
        begun to close it (its close frame came in): nobody to send to."""
        protocol, shared = self._protocol, self._shared
        conn = protocol.conn
        if shared is None:  # a compressor of this socket's own: the frame is made for it alone
            try:
                conn.send_text(data)
            except InvalidState:
                return False
            protocol.transport.write(b"".join(conn.data_to_send()))
            return True
        if conn.state is not State.OPEN:
            return False
        protocol.transport.write(framed(data, shared))
        return True


def _shared_framing(protocol: RoomSocketProtocol) -> bool | None:
    """Whether the socket takes the frames every member gets: compressed (True) or plain (False).
    None when it needs a frame of its own: a client that asked for a smaller window than
    WINDOW_BITS, or anything but one permessage-deflate without the server's context."""
    extensions = protocol.conn.extensions
    if not extensions:
        return False
    (extension, *others) = extensions
    if others or not isinstance(extension, PerMessageDeflate):
        return None
    if extension.local_no_context_takeover and extension.local_max_window_bits >= WINDOW_BITS:
        return True
    return None


def wire_of(send: Callable[..., Any]) -> Wire | None:
    """The direct way to the socket behind the server's ASGI `send` (after the handshake), when the
    server is `RoomSocketProtocol` (its `send` is the protocol's own method); None otherwise."""
    protocol = getattr(send, "__self__", None)
    return Wire(protocol) if isinstance(protocol, RoomSocketProtocol) else None
