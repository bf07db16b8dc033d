"""A forum's address: every route with `{slug}` in its path answers 404 for a slug no forum has,
for one no forum can have, and (where people other than organizers may go) for a draft's; every
route with a room id under a forum answers 404 for another forum's room, and changes nothing.

The routes are walked from the app itself, so a handler added tomorrow is held to this too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec

from meetup.accounts import service as accounts
from meetup.accounts.auth import organizer_required
from meetup.events import registration
from meetup.events import service as events
from meetup.events.dependencies import staff_required
from meetup.events.schemas import EventIn, RegistrationIn
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from tests.factories import forum, make_accounts, signed_in

UNKNOWN = "no-such-forum-20991231"
# Slugs no forum can have: capitals, one character too many, and '..' (percent-encoded, or the
# client would resolve it away before sending).
IMPOSSIBLE = ("ABC", "a" * 81, "%2E%2E")


class World(msgspec.Struct):
    ids: dict[str, object]  # what fills a path's {name:type}
    draft: str
    other_room: int
    organizer: int
    participant: int


async def build_world() -> World:
    """Forum A with a registrant and a room, forum B with a room, a draft, a participant."""
    organizer, _ = await accounts.make_organizer("addresses-organizer@example.jp", None, "主催 花子")
    slug_a, slug_b, draft = [
        await events.create_event(msgspec.convert(forum(title=title, status=status), EventIn), organizer.id)
        for title, status in (("フォーラムA", "published"), ("フォーラムB", "published"), ("準備中", "draft"))
    ]
    event_a, event_b = await events.event_row(slug_a), await events.event_row(slug_b)
    participant, registrant = await make_accounts(2)
    reg, _ = await registration.register(event_a, registrant, RegistrationIn(), [])
    room_a = await rooms.create_room(event_a["id"], RoomIn(name="Aの部屋"))
    room_b = await rooms.create_room(event_b["id"], RoomIn(name="Bの部屋"))
    return World(
        ids={
            "slug": slug_a,
            "reg_id": reg["id"],
            "room_id": room_a.id,
            "enrolment_id": 1,
            "user_id": registrant,
            "material_id": 1,  # none: a 404 of the forum or the material, never a 500
            "quote_id": 1,
        },
        draft=draft,
        other_room=room_b.id,
        organizer=organizer.id,
        participant=participant,
    )


def fill(path: str, ids: dict[str, object]) -> str:
    """The path with every {name:type} replaced; a parameter this test does not know fails here."""
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(ids[m.group(1)]), path)


def forum_routes(app) -> Iterator[tuple[str, str, bool]]:
    """(method, path, organizers only) for every route of the app with a slug in its path (those
    who run forums: organizers, and co-hosts where a route lets them in)."""
    for route in app.routes:
        for method, (handler, _kwargs) in getattr(route, "route_handler_map", {}).items():
            if "{slug:" in route.path and method not in ("OPTIONS", "HEAD"):
                guards = handler.resolve_guards()
                yield method, route.path, organizer_required in guards or staff_required in guards


async def ask(person, method: str, path: str):
    body = {"json": {}} if path.startswith("/api/") and method in ("POST", "PUT", "PATCH") else {}
    if not path.startswith("/api/") and method == "POST":
        body = {"data": {}}
    return await person.request(method, path, **body)


async def test_a_slug_that_is_no_forum_is_a_404_on_every_route(client, make_client):
    world = await build_world()
    organizer = await signed_in(make_client, world.organizer)  # every guard lets an organizer through
    routes = list(forum_routes(client.app))
    assert len(routes) > 40  # the walk found the app's forum routes
    wrong = []
    for method, path, _organizers_only in routes:
        for slug in (UNKNOWN, *IMPOSSIBLE):
            response = await ask(organizer, method, fill(path, {**world.ids, "slug": slug}))
            if response.status_code != 404:
                wrong.append(f"{method} {path} with {slug[:12]!r}: {response.status_code}")
    assert wrong == []


async def test_a_draft_is_a_404_wherever_people_other_than_organizers_go(client, make_client):
    world = await build_world()
    participant = await signed_in(make_client, world.participant)  # signed in: past login_required
    public = [(method, path) for method, path, organizers_only in forum_routes(client.app) if not organizers_only]
    assert len(public) > 10
    wrong = []
    for method, path in public:
        response = await ask(participant, method, fill(path, {**world.ids, "slug": world.draft}))
        if response.status_code != 404:
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []
    # the same draft is there for organizers, on their pages and on its own
    organizer = await signed_in(make_client, world.organizer)
    assert (await organizer.get(f"/organizer/events/{world.draft}")).status_code == 200
    assert (await organizer.get(f"/api/v1/events/{world.draft}")).status_code == 200


async def test_another_forums_room_is_a_404_under_this_forum_and_is_left_alone(client, make_client):
    world = await build_world()
    organizer = await signed_in(make_client, world.organizer)
    routes = [(method, path) for method, path, _ in forum_routes(client.app) if "{room_id:" in path]
    assert len(routes) >= 2
    for method, path in routes:
        other = await ask(organizer, method, fill(path, {**world.ids, "room_id": world.other_room}))
        assert other.status_code == 404, f"{method} {path}: {other.status_code}"
        untouched = await rooms.room_row(world.other_room)
        assert (untouched["status"], untouched["closes_at"]) == ("open", None), f"{method} {path}"
        own = await ask(organizer, method, fill(path, world.ids))  # the forum's own room is found
        assert own.status_code != 404, f"{method} {path}: {own.status_code}"
