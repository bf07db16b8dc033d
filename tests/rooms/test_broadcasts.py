"""The organizers' broadcasts are kept: someone who comes in later, or reloads, still sees the
recent ones (hello's extra `broadcasts`, and the room page itself)."""

from datetime import timedelta

from meetup.db import utcnow
from meetup.rooms.tables import RoomBroadcast
from tests.rooms.conftest import frame, frame_of, http_as
from tests.rooms.factories import forum_with_people, organizer_id, room_in


async def test_a_late_joiner_sees_the_broadcasts_sent_before_they_came(live):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    await RoomBroadcast.insert(
        RoomBroadcast(event=event["id"], body="昨日のお知らせ", sent_at=utcnow() - timedelta(hours=5))
    )
    early = await live.connect(room_id, a)
    await frame(early)
    boss = await http_as(live, await organizer_id())
    for body in ("まもなく第2ラウンドです", "あと5分です"):
        response = await boss.post(f"/api/v1/events/{event['slug']}/rooms/broadcast", json={"body": body})
        assert response.status_code == 202
        live_frame = await frame_of(early, "broadcast")
        assert live_frame["body"] == body and live_frame["id"]

    late = await live.connect(room_id, b)
    hello = await frame(late)
    assert [x["body"] for x in hello["broadcasts"]] == ["まもなく第2ラウンドです", "あと5分です"]
    assert all(x["sent_at"].endswith("+09:00") and x["id"] for x in hello["broadcasts"])

    page = await http_as(live, b)
    html = (await page.get(f"/rooms/{room_id}")).text
    assert "あと5分です" in html and "まもなく第2ラウンドです" in html and "昨日のお知らせ" not in html
    await early.close(), await late.close(), await boss.aclose(), await page.aclose()
