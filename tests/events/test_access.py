"""The online URL, the attendee list and the CSV are shown only to those who may see them."""

import csv
import io

from tests.factories import create_forum, make_accounts, organizer, sign_up, signed_in

SECRET = "https://teams.example/meet/secret-room"


async def test_the_online_url_is_for_confirmed_registrants_and_organizers(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=1)
    anonymous = await make_client()
    confirmed, waitlisted = [await signed_in(make_client, uid) for uid in await make_accounts(2)]
    first = await confirmed.post(f"/api/v1/events/{slug}/registration", json={})
    second = await waitlisted.post(f"/api/v1/events/{slug}/registration", json={})
    assert first.status_code == 201 and first.json()["status"] == "confirmed"
    assert second.status_code == 201, second.text  # the one seat is taken: the second person waits
    assert (second.json()["status"], second.json()["waitlist_position"]) == ("waitlisted", 1)
    assert (await client.get(f"/api/v1/events/{slug}")).json()["online_url"] == SECRET
    assert (await confirmed.get(f"/api/v1/events/{slug}")).json()["online_url"] == SECRET
    for person in (anonymous, waitlisted):
        assert "online_url" not in (await person.get(f"/api/v1/events/{slug}")).json()
        assert SECRET not in (await person.get(f"/events/{slug}")).text
        assert SECRET not in (await person.get(f"/events/{slug}.ics")).text
    assert SECRET in (await confirmed.get(f"/events/{slug}")).text
    assert SECRET in (await confirmed.get(f"/events/{slug}/ticket")).text
    ticket = await waitlisted.get(f"/events/{slug}/ticket", follow_redirects=False)
    assert ticket.status_code == 303


async def test_attendee_lists_and_csv_are_for_organizers_only(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    participant = await make_client()
    await sign_up(participant)
    await participant.post(f"/api/v1/events/{slug}/registration", json={})
    anonymous = await make_client()
    for path in (
        f"/api/v1/events/{slug}/registrations",
        f"/api/v1/events/{slug}/registrations.csv",
        f"/organizer/events/{slug}",
    ):
        assert (await participant.get(path)).status_code == 403, path
        assert (await anonymous.get(path, follow_redirects=False)).status_code in (401, 302, 303), path
    reg_id = (await client.get(f"/api/v1/events/{slug}/registrations")).json()[0]["id"]
    assert (await participant.post(f"/api/v1/events/{slug}/registrations/{reg_id}/check-in")).status_code == 403
    assert (await participant.post(f"/api/v1/events/{slug}/lottery", json={})).status_code == 403


async def test_the_csv_opens_in_excel_in_japanese(client, make_client):
    await organizer(client)
    slug = await create_forum(client, questions=[{"id": "org", "label": "所属", "kind": "text"}])
    participant = await make_client()
    await sign_up(participant, name="=HYPERLINK(1) 宮城 美咲")
    await participant.post(
        f"/api/v1/events/{slug}/registration", json={"answers": {"org": "一般社団法人ワカツク"}, "prefecture": "宮城県"}
    )
    response = await client.get(f"/api/v1/events/{slug}/registrations.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    assert b"\r\n" in response.content
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "所属"
    assert rows[1][1] == "'=HYPERLINK(1) 宮城 美咲"  # no formula injection
    assert "一般社団法人ワカツク" in rows[1]
    assert "宮城県" in rows[1]


async def test_the_json_list_has_answers_and_check_in(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    participant = await make_client()
    me = await sign_up(participant)
    await participant.post(f"/api/v1/events/{slug}/registration", json={})
    [row] = (await client.get(f"/api/v1/events/{slug}/registrations")).json()
    assert row["user"]["id"] == me["id"]
    assert row["status"] == "confirmed"
    assert row["checked_in_at"] is None
    assert row["answers"] == {}
    filtered = await client.get(f"/api/v1/events/{slug}/registrations", params={"status": "waitlisted"})
    assert filtered.json() == []


async def test_values_the_database_cannot_hold_are_a_400_not_a_500(client):
    await organizer(client)
    slug = await create_forum(client)
    huge = await client.post(f"/api/v1/events/{slug}/registrations/99999999999999999999/approve")
    assert huge.status_code in (400, 404)
    nul = await client.post(
        "/api/v1/events", json={"title": "a\u0000b", **{k: v for k, v in (await _forum_body()).items() if k != "title"}}
    )
    assert nul.status_code in (201, 400)
    search = await client.get("/api/v1/events", params={"q": "a\u0000b"})
    assert search.status_code in (200, 400)


async def _forum_body() -> dict:
    from tests.factories import forum

    return forum()
