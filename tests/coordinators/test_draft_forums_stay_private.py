"""A forum switched back to draft appears nowhere public: not on its attendees' organisation
(page and API), not on a person's connections page, not in
the forum lists, its series or its calendar file."""

from meetup.coordinators import connections, organizations, service
from meetup.coordinators.schemas import ProfileIn
from meetup.events import service as events
from tests.factories import create_forum, make_accounts, organizer, signed_in

TITLE = "下書きに戻したフォーラム"


async def test_a_forum_switched_back_to_draft_leaves_every_public_place(client, make_client):
    wakatsuku = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    a, b = await make_accounts(2)
    for uid, name in ((a, "宮城 美咲"), (b, "仙台 一郎")):
        await service.save_profile(
            uid, ProfileIn(name=name, prefecture="宮城県", organization="ワカツク", visibility="public")
        )
    await organizer(client)
    slug = await create_forum(client, title=TITLE, series="draft-check")
    for uid in (a, b):
        person = await signed_in(make_client, uid)
        assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    event_id = (await events.event_row(slug))["id"]
    await connections.record_ties([a, b], kind="room", source="room:1", event_id=event_id)

    anonymous, member = await make_client(), await signed_in(make_client, a)

    async def public_places() -> dict[str, str]:
        return {
            "organisation page": (await anonymous.get(f"/organizations/{wakatsuku}")).text,
            "organisation API": (await anonymous.get(f"/api/v1/organizations/{wakatsuku}")).text,
            "connections page": (await member.get("/me/connections")).text,
            "home page": (await anonymous.get("/")).text,
            "forum list": (await anonymous.get("/events")).text,
            "forum API": (await anonymous.get("/api/v1/events")).text,
            "series page": (await anonymous.get("/series/draft-check")).text,
        }

    # published: it is shown everywhere
    assert all(TITLE in text for text in (await public_places()).values())

    assert (await client.patch(f"/api/v1/events/{slug}", json={"status": "draft"})).status_code == 200
    shown = [place for place, text in (await public_places()).items() if TITLE in text]
    assert shown == []
    assert (await anonymous.get(f"/api/v1/organizations/{wakatsuku}")).json()["forums"] == []
    assert (await anonymous.get(f"/events/{slug}")).status_code == 404
    assert (await anonymous.get(f"/events/{slug}.ics")).status_code == 404
    # organizers still find their draft
    assert TITLE in (await client.get(f"/organizer/events/{slug}")).text
