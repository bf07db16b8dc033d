"""Copy a forum (複製, `POST /api/v1/events/{slug}/clone` → 201 `{slug}`): a new draft with the
settings, questions, survey questions and rooms plan; none of its people; its dates copied for
the organizer to change before publishing (meetup/cloning.py)."""

from __future__ import annotations

from meetup.accounts import service as accounts
from meetup.events import audit, cohosts
from meetup.events import service as events
from meetup.events.tables import Registration
from meetup.rooms import service as rooms
from meetup.surveys import service as surveys
from tests.factories import forum, make_accounts, organizer, sign_up, signed_in

QUESTIONS = [{"id": "org", "label": "ご所属", "kind": "text", "required": True}]


async def a_busy_forum(client, make_client) -> str:
    slug = (
        await client.post(
            "/api/v1/events",
            json=forum(
                title="気仙沼フォーラム", capacity=30, venue="", questions=QUESTIONS, registration_mode="approval"
            ),
        )
    ).json()["slug"]
    person = await make_client()
    await sign_up(person, name="参加 一郎")
    await person.post(f"/api/v1/events/{slug}/registration", json={"answers": {"org": "気仙沼市"}})
    survey = {"questions": [{"id": "met", "label": "誰と出会いましたか", "kind": "people"}], "open": True}
    assert (await client.put(f"/api/v1/events/{slug}/survey", json=survey)).status_code == 200
    for name in ("水産", "観光"):
        await client.post(f"/api/v1/events/{slug}/rooms", json={"name": name, "topic": f"{name}の未来"})
    (helper,) = await make_accounts(1)
    await cohosts.add((await events.event_row(slug))["id"], helper)
    return slug


async def test_a_copy_is_a_draft_with_the_settings_and_none_of_the_people(client, make_client):
    await organizer(client)
    slug = await a_busy_forum(client, make_client)
    source = await events.event_row(slug)

    response = await client.post(f"/api/v1/events/{slug}/clone")
    assert response.status_code == 201, response.text
    copy_slug = response.json()["slug"]
    assert copy_slug != slug
    copy = await events.event_row(copy_slug, organizer=True)
    assert copy["status"] == "draft"
    for name in ("title", "capacity", "registration_mode", "questions_json", "starts_at", "ends_at", "format"):
        assert copy[name] == source[name], name
    assert copy["confirmed_count"] == 0 and copy["drawn_at"] is None
    assert await Registration.count().where(Registration.event == copy["id"]) == 0
    assert await cohosts.cohosts_of(copy["id"]) == []
    assert [q.id for q in surveys.questions_of(await surveys.survey_row(copy["id"]))] == ["met"]
    plan = [(room.name, room.topic, room.member_count) for room in await rooms.list_rooms(copy["id"])]
    assert sorted(plan) == [("水産", "水産の未来", 0), ("観光", "観光の未来", 0)]
    # the log: the source says it was copied, the copy where it came from
    assert "forum.clone" in await audit.actions_of(source["id"])
    assert await audit.actions_of(copy["id"]) == ["forum.cloned"]
    # a draft: nobody else sees it
    assert (await (await make_client()).get(f"/events/{copy_slug}")).status_code == 404


async def test_the_copy_button_opens_the_copy_in_its_form(client, make_client):
    await organizer(client)
    slug = await a_busy_forum(client, make_client)
    page = await client.get(f"/organizer/events/{slug}")
    assert f'action="/organizer/events/{slug}/clone"' in page.text and "複製" in page.text
    response = await client.post(f"/organizer/events/{slug}/clone", data={})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/organizer/events/") and location.endswith("/edit?cloned=1")
    assert (await client.get(location)).status_code == 200


async def test_only_organizers_copy(client, make_client):
    await organizer(client)
    slug = await a_busy_forum(client, make_client)
    helper = (await cohosts.cohosts_of((await events.event_row(slug))["id"]))[0].user_id
    cohost = await signed_in(make_client, helper)
    assert (await cohost.post(f"/api/v1/events/{slug}/clone")).status_code == 403
    participant = await make_client()
    await sign_up(participant)
    assert (await participant.post(f"/api/v1/events/{slug}/clone")).status_code == 403
    assert (await client.post("/api/v1/events/no-such-forum/clone")).status_code == 404
    assert len(await events.list_events(statuses=("draft", "published"), limit=100)) == 1
    assert (await accounts.get_user(helper)).role == "participant"
