"""Every frame a live room sends, as a client reads it: each decodes into its Struct in
meetup.rooms.schemas and has exactly the fields docs/websocket.md documents (plus the extras listed
here), with nulls sent as null and times in Tokyo time."""

import asyncio
import json

import msgspec

from meetup.accounts.service import get_user
from meetup.accounts.tables import Account
from meetup.rooms import service as rooms
from meetup.rooms.schemas import (
    BroadcastFrame,
    ClosedFrame,
    DeletedFrame,
    ErrorFrame,
    HelloFrame,
    MessageOut,
    PongFrame,
    PresenceFrame,
    ServerFrame,
    TimerFrame,
    encode_frame,
)
from tests.factories import make_accounts
from tests.rooms.conftest import http_as
from tests.rooms.factories import forum_with_people, organizer_id, room_in

read_frame = msgspec.json.Decoder(ServerFrame)

# docs/websocket.md, field by field; then the extras the server adds (the contract allows them).
DOCUMENTED = {
    "hello": {"type", "room", "you", "members", "history"},
    "message": {"type", "id", "author", "body", "sent_at", "client_id"},
    "presence": {"type", "members"},
    "deleted": {"type", "id"},
    "broadcast": {"type", "body", "sent_at"},
    "timer": {"type", "closes_at"},
    "closed": {"type"},
    "error": {"type", "code", "detail"},
    "pong": {"type"},
}
EXTRAS = {"hello": {"broadcasts"}, "broadcast": {"id"}}
STRUCTS = {
    "hello": HelloFrame,
    "message": MessageOut,
    "presence": PresenceFrame,
    "deleted": DeletedFrame,
    "broadcast": BroadcastFrame,
    "timer": TimerFrame,
    "closed": ClosedFrame,
    "error": ErrorFrame,
    "pong": PongFrame,
}


async def next_of(ws, kind: str, seen: dict) -> dict:
    """The next frame of `kind` (others are checked too, then skipped), as the JSON it came in."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=5)
        data = json.loads(raw)
        typed = read_frame.decode(raw)
        assert isinstance(typed, STRUCTS[data["type"]])
        assert set(data) == DOCUMENTED[data["type"]] | EXTRAS.get(data["type"], set()), data
        assert encode_frame(typed).decode() == raw  # the same bytes: no field added, dropped or renamed
        seen[data["type"]] = data
        if data["type"] == kind:
            return data


async def test_every_frame_a_member_receives_has_the_documented_shape(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    (gone,) = await make_accounts(1)  # someone who spoke, then closed their account
    await rooms.post_message(room_id, await get_user(gone), "前のラウンドの発言", None)
    await Account.delete().where(Account.id == gone)
    boss = await http_as(live, await organizer_id())
    sent = await boss.post(f"/api/v1/events/{event['slug']}/rooms/broadcast", json={"body": "ようこそ"})
    assert sent.status_code == 202
    seen: dict[str, dict] = {}

    alice = await live.connect(room_id, a)
    hello = await next_of(alice, "hello", seen)
    assert set(hello["room"]) == {"id", "name", "topic", "closes_at"} and hello["room"]["closes_at"] is None
    assert hello["you"] == {"id": a, "display_name": (await get_user(a)).display_name, "role": "participant"}
    assert hello["members"] == [{"id": a, "display_name": (await get_user(a)).display_name}]
    [old_line] = hello["history"]
    assert old_line["type"] == "message" and old_line["author"] is None and old_line["client_id"] is None
    [kept] = hello["broadcasts"]
    assert set(kept) == {"id", "body", "sent_at"} and kept["sent_at"].endswith("+09:00")

    bob = await live.connect(room_id, b)
    await next_of(bob, "hello", {})
    presence = await next_of(alice, "presence", seen)
    while {m["id"] for m in presence["members"]} != {a, b}:
        presence = await next_of(alice, "presence", seen)
    assert all(set(m) == {"id", "display_name"} for m in presence["members"])

    await alice.send('{"type":"say","body":"こんにちは","client_id":"c1"}')
    line = await next_of(bob, "message", {})
    assert line == await next_of(alice, "message", seen)
    assert line["author"] == {"id": a, "display_name": (await get_user(a)).display_name}
    assert line["client_id"] == "c1" and line["sent_at"].endswith("+09:00")

    await alice.send('{"type":"say","body":"   "}')
    assert (await next_of(alice, "error", seen))["code"] == "empty"
    await alice.send('{"type":"ping"}')
    assert await next_of(alice, "pong", seen) == {"type": "pong"}

    assert (await boss.delete(f"/api/v1/rooms/{room_id}/messages/{line['id']}")).status_code == 204
    assert await next_of(alice, "deleted", seen) == {"type": "deleted", "id": line["id"]}
    sent = await boss.post(f"/api/v1/events/{event['slug']}/rooms/broadcast", json={"body": "あと5分です"})
    assert sent.status_code == 202
    broadcast = await next_of(alice, "broadcast", seen)
    assert broadcast["body"] == "あと5分です" and broadcast["sent_at"].endswith("+09:00")
    assert (await boss.post(f"/api/v1/rooms/{room_id}/close", json={"after_seconds": 3600})).status_code == 200
    assert (await next_of(alice, "timer", seen))["closes_at"].endswith("+09:00")
    assert (await boss.post(f"/api/v1/rooms/{room_id}/close", json={})).status_code == 200
    assert await next_of(alice, "closed", seen) == {"type": "closed"}

    assert set(seen) == set(DOCUMENTED)  # every kind of frame was seen and checked
    await alice.close(), await bob.close(), await boss.aclose()
