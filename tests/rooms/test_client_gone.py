"""A member whose connection drops without a goodbye leaves quietly: frames already on their
way to them are dropped, not logged as failures, and the room carries on."""

import asyncio
import logging

from meetup.rooms.hub import publish, room_channel
from tests.rooms.conftest import frame, members_become
from tests.rooms.factories import forum_with_people, room_in


async def test_a_member_whose_connection_drops_leaves_without_an_error(live, caplog):
    event, (stays_id, *gone_ids) = await forum_with_people(6)
    room_id = await room_in(event)
    stays = await live.connect(room_id, stays_id)
    await frame(stays)
    gone = [await live.connect(room_id, uid) for uid in gone_ids]
    for ws in gone:
        await frame(ws)
    await members_become(stays, {stays_id, *gone_ids})
    hub = live.app.state.hub

    caplog.set_level(logging.WARNING, logger="meetup")
    for ws in gone:
        ws.transport.abort()  # the network is gone: no close frame, no FIN from a clean close
    for n in range(300):  # frames queued for them while the server learns they are gone
        await publish(
            hub, {"type": "broadcast", "body": f"{n}", "sent_at": "2026-12-01T10:00:00+09:00"}, room_channel(room_id)
        )
        if n % 50 == 0:
            await asyncio.sleep(0)
    bodies, alone = [], False
    while len(bodies) < 300 or not alone:
        got = await frame(stays, timeout=10)
        if got["type"] == "broadcast":
            bodies.append(got["body"])
        elif got["type"] == "presence":
            alone = {m["id"] for m in got["members"]} == {stays_id}
    assert bodies == [f"{n}" for n in range(300)]  # the one who stayed got every frame, in order
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == [], [r.getMessage() for r in failures]
    await stays.close()
