"""Chat lines quoted in the report: picked by those who run the forum from its own rooms, each
author asked once by mail, and shown without a name until that author agrees (and again once
they withdraw)."""

from __future__ import annotations

from meetup.accounts import service as accounts
from meetup.events import service as events
from meetup.followups.tables import Consent
from meetup.mail.tables import OutboxMail
from meetup.reports.tables import ReportQuote
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from meetup.rooms.tables import RoomMessage
from tests.factories import create_forum, signed_in
from tests.reports.factories import forum_with_people


async def said(slug: str, uid: int, body: str, room_name: str = "宮城の部屋") -> int:
    event = await events.event_row(slug)
    room = await rooms.create_room(event["id"], RoomIn(name=room_name))
    line, _ = await rooms.post_message(room.id, await accounts.get_user(uid), body, None)
    row = await RoomMessage.select(RoomMessage.id).where((RoomMessage.room == room.id) & (RoomMessage.seq == line.id))
    return row[0]["id"]


async def answer(uid: int, state: str) -> None:
    """The author's answer to the mailed question (the link's page is tested with consents)."""
    await Consent.update({Consent.state: state}).where(
        (Consent.account == uid) & (Consent.subject_kind == "report_quote")
    )


async def test_a_quote_is_nameless_until_its_author_agrees(client, make_client):
    slug, (miyagi, iwate) = await forum_with_people(client)
    first = await said(slug, miyagi, "外から来た人が「余白」に入れる仕組みが大事だと思います")
    second = await said(slug, miyagi, "釜石の事例を聞きたいです", "岩手の部屋")
    third = await said(slug, iwate, "インターンの受け入れを始めました")
    lines = (await client.get(f"/api/v1/events/{slug}/report/chat")).json()
    assert {line["id"] for line in lines} == {first, second, third}

    mails = await OutboxMail.count()
    response = await client.post(f"/api/v1/events/{slug}/report/quotes", json={"message_ids": [first, second, third]})
    assert response.status_code == 201, response.text
    assert await OutboxMail.count() == mails + 2  # one question per author, not per line
    again = await client.post(f"/api/v1/events/{slug}/report/quotes", json={"message_ids": [first]})
    assert again.status_code == 201 and await OutboxMail.count() == mails + 2 and await ReportQuote.count() == 3

    await client.put(f"/api/v1/events/{slug}/report", json={"body": "## 当日", "published": True})
    reader = await make_client()
    quotes = (await reader.get(f"/api/v1/events/{slug}/report")).json()["quotes"]
    assert [q["author"] for q in quotes] == [None, None, None]
    assert all(q["consent"] is None for q in quotes)  # where the questions stand is not the public's
    page = (await reader.get(f"/events/{slug}/report")).text
    assert "参加者 0" not in page and "参加者 1" not in page and "— 参加者" in page

    await answer(miyagi, "agreed")
    await answer(iwate, "declined")
    quotes = (await reader.get(f"/api/v1/events/{slug}/report")).json()["quotes"]
    assert {q["body"]: q["author"] for q in quotes} == {
        "外から来た人が「余白」に入れる仕組みが大事だと思います": "参加者 0",
        "釜石の事例を聞きたいです": "参加者 0",
        "インターンの受け入れを始めました": None,
    }
    mine = (await client.get(f"/api/v1/events/{slug}/report")).json()["quotes"]
    assert sorted(q["consent"] for q in mine) == ["agreed", "agreed", "declined"]

    await answer(miyagi, "declined")  # a change of mind hides the name at once
    assert all(q["author"] is None for q in (await reader.get(f"/api/v1/events/{slug}/report")).json()["quotes"])


async def test_only_this_forums_lines_and_only_its_managers(client, make_client):
    slug, (miyagi, _iwate) = await forum_with_people(client)
    other = await create_forum(client, title="別のフォーラム")
    elsewhere = await said(other, miyagi, "別のフォーラムでの発言")
    for body in ({"message_ids": [elsewhere]}, {"message_ids": []}, {"message_ids": [2**40]}, {"message_ids": "1"}):
        response = await client.post(f"/api/v1/events/{slug}/report/quotes", json=body)
        assert response.status_code == 400, body
    assert await ReportQuote.count() == 0
    mine = await said(slug, miyagi, "こんにちは")
    member = await signed_in(make_client, miyagi)
    assert (await member.post(f"/api/v1/events/{slug}/report/quotes", json={"message_ids": [mine]})).status_code == 403
    assert (await member.get(f"/api/v1/events/{slug}/report/chat")).status_code == 403


async def test_taking_the_last_quote_off_withdraws_the_question(client):
    slug, (miyagi, _iwate) = await forum_with_people(client)
    line = await said(slug, miyagi, "ありがとうございました")
    (quote,) = (await client.post(f"/api/v1/events/{slug}/report/quotes", json={"message_ids": [line]})).json()
    assert await Consent.count().where(Consent.account == miyagi) == 1
    assert (await client.delete(f"/api/v1/events/{slug}/report/quotes/{quote['id']}")).status_code == 204
    assert (await client.get(f"/api/v1/events/{slug}/report")).json()["quotes"] == []
    assert await Consent.count().where(Consent.account == miyagi) == 0
    assert (await client.delete(f"/api/v1/events/{slug}/report/quotes/{quote['id']}")).status_code == 204  # idempotent
    assert (await client.delete(f"/api/v1/events/{slug}/report/quotes/999")).status_code == 404
    again = await client.post(f"/api/v1/events/{slug}/report/quotes", json={"message_ids": [line]})
    assert [q["body"] for q in again.json()] == ["ありがとうございました"]  # quoted again
    assert await Consent.count().where(Consent.account == miyagi) == 1


async def test_the_organizer_page_quotes_by_ticking_lines(client):
    slug, (miyagi, _iwate) = await forum_with_people(client)
    line = await said(slug, miyagi, "<script>alert(1)</script> 関わりしろ")
    base = f"/organizer/events/{slug}/report"
    page = (await client.get(base)).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 関わりしろ" in page and "<script>alert(1)" not in page
    done = await client.post(f"{base}/quotes", data={"message": str(line)})
    assert done.status_code == 303 and done.headers["location"].endswith("done=quoted#quotes")
    assert await ReportQuote.count() == 1
    assert (await client.post(f"{base}/quotes", data={"message": "abc"})).status_code == 400
    quote_id = (await ReportQuote.select(ReportQuote.id).first())["id"]
    assert (await client.post(f"{base}/quotes/{quote_id}/delete")).status_code == 303
    assert await ReportQuote.count().where(ReportQuote.removed == False) == 0  # noqa: E712
