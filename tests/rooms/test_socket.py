"""The live room over a real port: every frame of docs/websocket.md, resume, dedupe, limits, refusals."""

import asyncio

import pytest
import websockets

from meetup.accounts.service import get_user
from meetup.coordinators.tables import Tie
from meetup.rooms import service as rooms
from meetup.rooms.tables import RoomMessage, RoomVisit
from tests.factories import make_accounts
from tests.rooms.conftest import frame, frame_of, members_become
from tests.rooms.factories import forum_with_people, organizer_id, room_in


async def closed_with(ws) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=5)
    return closed.value.rcvd.code


async def test_hello_then_lines_reach_everyone_in_order(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    alice = await live.connect(room_id, a)
    hello = await frame(alice)
    assert hello["type"] == "hello"
    assert hello["room"]["id"] == room_id and hello["room"]["name"] == "宮城の部屋"
    assert hello["you"]["id"] == a
    assert [m["id"] for m in hello["members"]] == [a]
    assert hello["history"] == []
    bob = await live.connect(room_id, b)
    assert {m["id"] for m in (await frame(bob))["members"]} == {a, b}
    await members_become(alice, {a, b})

    await alice.send('{"type":"say","body":"  こんにちは  ","client_id":"c1"}')
    first = await frame_of(bob, "message")
    await bob.send('{"type":"say","body":"<b>はじめまして</b>"}')
    got = [first, await frame_of(bob, "message")]
    assert [m["body"] for m in got] == ["こんにちは", "<b>はじめまして</b>"]
    assert got[0]["id"] < got[1]["id"]
    assert got[0]["author"] == {"id": a, "display_name": (await get_user(a)).display_name}
    assert got[0]["client_id"] == "c1" and got[1]["client_id"] is None
    assert got[0]["sent_at"].endswith("+09:00")
    assert [(await frame_of(alice, "message"))["id"] for _ in range(2)] == [m["id"] for m in got]

    await bob.close()
    await members_become(alice, {a})
    await alice.close()


async def test_late_joiners_get_the_last_50_and_after_resumes_everything(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    author = await get_user(a)
    for i in range(60):
        await rooms.post_message(room_id, author, f"line {i}", None)
    late = await live.connect(room_id, b)
    history = (await frame(late))["history"]
    assert [m["body"] for m in history] == [f"line {i}" for i in range(10, 60)]
    await late.close()
    resumed = await live.connect(room_id, b, after=history[4]["id"])
    missed = (await frame(resumed))["history"]
    assert [m["body"] for m in missed] == [f"line {i}" for i in range(15, 60)]
    await resumed.close()


async def test_a_resend_with_the_same_client_id_is_stored_once(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    await ws.send('{"type":"say","body":"一度だけ","client_id":"same"}')
    first = await frame_of(ws, "message")
    await ws.send('{"type":"say","body":"一度だけ","client_id":"same"}')
    again = await frame_of(ws, "message")
    assert again["id"] == first["id"]
    assert await RoomMessage.count() == 1
    await ws.close()


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ('{"type":"say","body":"   "}', "empty"),
        ('{"type":"say","body":"' + "あ" * 2001 + '"}', "too_long"),
        ("not json", "bad_frame"),
        ('{"type":"shout","body":"x"}', "bad_frame"),
        ('{"type":"say","body":42}', "bad_frame"),
        ('{"type":"say","body":"' + "x" * 40_000 + '"}', "too_long"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays(live, sent, code):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    await ws.send(sent)
    error = await frame_of(ws, "error")
    assert error["code"] == code and error["detail"]
    await ws.send('{"type":"ping"}')
    assert (await frame_of(ws, "pong")) == {"type": "pong"}
    assert await RoomMessage.count() == 0
    await ws.close()


async def test_more_than_ten_lines_in_five_seconds_is_rate_limited(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    for i in range(11):
        await ws.send(f'{{"type":"say","body":"line {i}"}}')
    frames = []
    while len(frames) < 11:
        received = await frame(ws)
        if received["type"] != "presence":
            frames.append(received)
    # lines come back through the channel, the refusal straight away: order may differ
    assert [f["body"] for f in frames if f["type"] == "message"] == [f"line {i}" for i in range(10)]
    assert [f["code"] for f in frames if f["type"] == "error"] == ["rate_limited"]
    assert await RoomMessage.count() == 10
    await ws.close()


async def test_refusals(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    with pytest.raises(websockets.InvalidStatus) as wrong_origin:
        await live.connect(room_id, a, origin="https://evil.example")
    assert wrong_origin.value.response.status_code == 403
    assert await closed_with(await live.connect(room_id)) == 4401
    [stranger] = await make_accounts(1)
    assert await closed_with(await live.connect(room_id, stranger)) == 4403
    assert await closed_with(await live.connect(999_999, a)) == 4404
    await rooms.close_room(room_id, None)
    assert await closed_with(await live.connect(room_id, a)) == 4410


async def test_organizers_may_join_and_delete_lines(live):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    boss = await organizer_id()
    member, organizer = await live.connect(room_id, a), await live.connect(room_id, boss)
    await frame(member), await frame(organizer)
    await member.send('{"type":"say","body":"消される行"}')
    line = await frame_of(organizer, "message")
    await rooms.delete_message(room_id, line["id"])
    from meetup.rooms.hub import publish, room_channel

    await publish(live.app.state.hub, {"type": "deleted", "id": line["id"]}, room_channel(room_id))
    assert (await frame_of(member, "deleted")) == {"type": "deleted", "id": line["id"]}
    assert await rooms.history(room_id) == []
    await member.close(), await organizer.close()


async def test_sharing_a_room_ties_people(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    alice = await live.connect(room_id, a)
    await frame(alice)
    bob = await live.connect(room_id, b)
    await frame(bob)
    for _ in range(100):  # the tie is recorded just after the hello
        if await Tie.count():
            break
        await asyncio.sleep(0.02)
    [tie] = await Tie.select()
    assert (tie["kind"], tie["source"], tie["event_id"]) == ("room", f"room:{room_id}", event["id"])
    await alice.close(), await bob.close()


async def test_an_organizer_looking_in_leaves_no_visit_and_no_tie(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    boss = await organizer_id()
    alice, bob = await live.connect(room_id, a), await live.connect(room_id, b)
    await frame(alice), await frame(bob)
    host = await live.connect(room_id, boss)
    await frame(host)
    await alice.send('{"type":"say","body":"主催者さん、こんにちは"}')
    # lines reach a member only once their visit is recorded: the members' echoes say both are
    for ws in (host, alice, bob):
        await frame_of(ws, "message")
    visitors = {row["account"] for row in await RoomVisit.select(RoomVisit.account)}
    assert visitors == {a, b}
    ties = await Tie.select(Tie.person_low, Tie.person_high, Tie.kind)
    assert ties == [{"person_low": min(a, b), "person_high": max(a, b), "kind": "room"}]
    assert await rooms.visitors(event["id"]) == {a, b}
    await alice.close(), await bob.close(), await host.close()


async def test_a_line_the_database_cannot_store_is_unavailable_and_the_connection_stays(live, monkeypatch):
    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)

    async def database_away(*args, **kwargs):
        raise ConnectionRefusedError("the database is restarting")

    monkeypatch.setattr(rooms, "post_message", database_away)
    await ws.send('{"type":"say","body":"あとで送ります","client_id":"later"}')
    refused = await frame_of(ws, "error")
    assert refused["code"] == "unavailable" and refused["detail"]
    monkeypatch.undo()
    await ws.send('{"type":"say","body":"あとで送ります","client_id":"later"}')
    assert (await frame_of(ws, "message"))["body"] == "あとで送ります"
    await ws.close()


async def test_joins_that_come_together_share_presence_frames(live):
    event, uids = await forum_with_people(12)
    room_id = await room_in(event)
    first = await live.connect(room_id, uids[0])
    await frame(first)
    await members_become(first, {uids[0]})
    others = await asyncio.gather(*(live.connect(room_id, uid) for uid in uids[1:]))
    frames = []
    while True:
        try:
            got = await frame(first, timeout=1.0)
        except TimeoutError:
            break
        if got["type"] == "presence":
            frames.append({m["id"] for m in got["members"]})
    assert frames[-1] == set(uids)  # the last word lists everyone
    assert len(frames) < len(uids) - 1  # eleven joins, fewer frames: each carries the whole list
    for ws in (first, *others):
        await ws.close()


async def test_lines_published_out_of_order_all_reach_a_live_member(live):
    """Two people posting at once can be published in the other order than their ids: the lower
    id that arrives second is delivered too (only a repeat is skipped)."""
    from meetup.rooms.hub import publish, room_channel

    event, (a,) = await forum_with_people(1)
    room_id = await room_in(event)
    ws = await live.connect(room_id, a)
    await frame(ws)
    channels = live.app.state.hub
    author = {"id": a, "display_name": "x"}
    for line_id in (12, 11, 12):
        line = {
            "type": "message",
            "id": line_id,
            "author": author,
            "body": f"line {line_id}",
            "sent_at": "",
            "client_id": None,
        }
        await publish(channels, line, room_channel(room_id))
    got = [(await frame_of(ws, "message"))["id"] for _ in range(2)]
    assert got == [12, 11]
    with pytest.raises(TimeoutError):  # the repeat of 12 is not delivered again
        await frame_of(ws, "message", timeout=0.5)
    await ws.close()


async def test_the_migration_forgets_organizers_recorded_in_rooms_before_the_rule(database):
    import importlib.util

    from meetup import ROOT

    event, (a, b) = await forum_with_people(2)
    room = await room_in(event)
    boss = await organizer_id()
    for person in (a, b, boss):  # as the old code recorded them
        await RoomVisit.insert(RoomVisit(room=room, account=person, event_id=event["id"]))
    for low, high in ((a, b), (min(a, boss), max(a, boss)), (min(b, boss), max(b, boss))):
        await Tie.insert(
            Tie(person_low=low, person_high=high, kind="room", source=f"room:{room}", event_id=event["id"])
        )

    path = ROOT / "migrations" / "meetup_2026_12_02t08_33_00_000000.py"
    spec = importlib.util.spec_from_file_location("organizers_leave_no_trace", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for step in (await migration.forwards()).raw:
        await step()

    assert sorted(r["account"] for r in await RoomVisit.select(RoomVisit.account)) == sorted([a, b])
    assert await Tie.select(Tie.person_low, Tie.person_high) == [{"person_low": min(a, b), "person_high": max(a, b)}]


async def test_people_who_arrive_at_the_same_moment_are_all_tied(database):
    event, people = await forum_with_people(12)
    room = await rooms.room_row(await room_in(event))
    await asyncio.gather(*(rooms.record_visit(room, person) for person in people))
    pairs = {(row["person_low"], row["person_high"]) for row in await Tie.select(Tie.person_low, Tie.person_high)}
    assert len(pairs) == 12 * 11 // 2  # nobody's arrival hid another's
