"""Co-hosts (CONTRACT §5.4): an organizer invites by e-mail, the invitee accepts once from the
mailed link, and from then on runs that forum's registrations, check-in, rooms, survey and mail,
and nothing of any other forum nor the site-wide organizer pages.

The walks read `app.routes`, as tests/site/test_forum_addresses.py does, so a route added
tomorrow is held to the same rule without being listed here."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import msgspec

from meetup.accounts import service as accounts
from meetup.accounts.auth import admin_required, organizer_required
from meetup.accounts.tables import Account
from meetup.coordinators import ties
from meetup.db import utcnow
from meetup.events import cohosts, registration
from meetup.events import service as events
from meetup.events.dependencies import staff_required
from meetup.events.schemas import EventIn, RegistrationIn
from meetup.events.tables import Cohost, CohostInvitation
from meetup.followups import campaigns
from meetup.followups.schemas import CampaignIn
from meetup.mail.tables import OutboxMail
from meetup.reports import quotes
from meetup.reports import service as reports
from meetup.reports.schemas import RecordingIn
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from tests.conftest import BASE_URL
from tests.factories import forum, make_accounts, organizer, signed_in
from tests.reports.factories import line_row


async def invitation_link(email: str, base_url: str = BASE_URL) -> str:
    """The token of the last invitation mailed to `email`, whose link is on the site's `base_url`."""
    mails = await OutboxMail.select().where(OutboxMail.to_addr == email).order_by(OutboxMail.id)
    assert mails, f"no mail to {email}"
    found = re.search(re.escape(base_url) + r"/cohosts/accept/([A-Za-z0-9_-]{43})", mails[-1]["body_text"])
    assert found, mails[-1]["body_text"]
    assert found.group(0) in mails[-1]["body_html"]
    return found.group(1)


async def test_an_invitation_is_mailed_and_accepted_once_by_its_addressee(client, make_client):
    await organizer(client)
    slug = (await client.post("/api/v1/events", json=forum(title="仙台フォーラム"))).json()["slug"]
    invitee, _ = await accounts.make_participant("kyodo@example.jp", "共催 次郎")
    stranger, _ = await accounts.make_participant("stranger@example.jp", "他人 三郎")

    response = await client.post(f"/api/v1/events/{slug}/cohosts", json={"email": " Kyodo@Example.jp "})
    assert response.status_code == 201, response.text
    assert response.json() == {"email": "kyodo@example.jp", "expires_in_days": 14}
    token = await invitation_link("kyodo@example.jp")
    stored = await CohostInvitation.select().first()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert token not in str(stored)
    assert (await client.get(f"/api/v1/events/{slug}/cohosts")).json() == []  # not until accepted

    anonymous = await make_client()
    page = await anonymous.get(f"/cohosts/accept/{token}")
    assert page.status_code == 303 and page.headers["location"] == f"/login?next=/cohosts/accept/{token}"
    other = await signed_in(make_client, stranger.id)
    page = await other.get(f"/cohosts/accept/{token}")
    assert page.status_code == 403 and "別のメールアドレス" in page.text
    assert (await other.post(f"/cohosts/accept/{token}", data={})).status_code == 403
    assert not await cohosts.is_cohost(stranger.id, (await events.event_row(slug))["id"])

    person = await signed_in(make_client, invitee.id)
    page = await person.get(f"/cohosts/accept/{token}")
    assert page.status_code == 200 and "仙台フォーラム" in page.text and "kyodo@example.jp" not in page.text
    assert (await person.get(f"/organizer/events/{slug}")).status_code == 403  # not yet
    accepted = await person.post(f"/cohosts/accept/{token}", data={})
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/organizer/events/{slug}"
    assert (await person.get(f"/organizer/events/{slug}")).status_code == 200
    again = await person.post(f"/cohosts/accept/{token}", data={})
    assert again.status_code == 410 and "使用済み" in again.text
    assert await Cohost.count() == 1
    listed = (await client.get(f"/api/v1/events/{slug}/cohosts")).json()
    assert listed == [{"user_id": invitee.id, "name": "共催 次郎"}]
    manage = await client.get(f"/organizer/events/{slug}")
    assert "共催 次郎" in manage.text and "kyodo@example.jp" not in manage.text

    # removed: the forum is closed to them again
    assert (await client.delete(f"/api/v1/events/{slug}/cohosts/{invitee.id}")).status_code == 204
    assert (await person.get(f"/organizer/events/{slug}")).status_code == 403
    assert (await client.delete(f"/api/v1/events/{slug}/cohosts/{invitee.id}")).status_code == 404


async def test_an_expired_or_unknown_invitation_says_so(client, make_client):
    await organizer(client)
    slug = (await client.post("/api/v1/events", json=forum())).json()["slug"]
    invitee, _ = await accounts.make_participant("late@example.jp", "遅刻 四郎")
    await client.post(f"/api/v1/events/{slug}/cohosts", json={"email": "late@example.jp"})
    token = await invitation_link("late@example.jp")
    await CohostInvitation.update({CohostInvitation.expires_at: utcnow() - timedelta(seconds=1)}).where(
        CohostInvitation.id > 0
    )
    person = await signed_in(make_client, invitee.id)
    assert (await person.get(f"/cohosts/accept/{token}")).status_code == 410
    assert (await person.post(f"/cohosts/accept/{token}", data={})).status_code == 410
    assert (await person.get("/cohosts/accept/" + "x" * 43)).status_code == 404
    assert (await person.get("/cohosts/accept/short")).status_code == 404
    assert await Cohost.count() == 0


async def test_who_may_be_invited(client, make_client):
    await organizer(client)
    slug = (await client.post("/api/v1/events", json=forum())).json()["slug"]
    await accounts.make_organizer("other-organizer@example.jp", None, "主催 二郎")
    already, _ = await accounts.make_participant("already@example.jp", "既存 五郎")
    await cohosts.add((await events.event_row(slug))["id"], already.id)
    before = await OutboxMail.count()

    for email, status, words in (
        ("other-organizer@example.jp", 409, "主催者"),
        ("already@example.jp", 409, "共催者"),
        ("not-an-address", 400, "メールアドレス"),
        ("", 400, "メールアドレス"),
    ):
        response = await client.post(f"/api/v1/events/{slug}/cohosts", json={"email": email})
        assert response.status_code == status, (email, response.text)
        assert words in response.json()["detail"], response.text
    assert await OutboxMail.count() == before  # nothing mailed
    assert await CohostInvitation.count() == 0
    # the page says the same, on the form
    page = await client.post(f"/organizer/events/{slug}/cohosts", data={"email": "already@example.jp"})
    assert page.status_code == 409 and "すでにこのフォーラムの共催者" in page.text
    # an invitation to someone with no account yet is fine: they sign up with that address
    assert (await client.post(f"/api/v1/events/{slug}/cohosts", json={"email": "new@example.jp"})).status_code == 201


class World(msgspec.Struct):
    ids: dict[str, object]
    other_ids: dict[str, object]
    cohost: int  # co-host of forum A (ids)
    outsider: int  # co-host of forum B (other_ids) only


async def build_world() -> World:
    boss, _ = await accounts.make_organizer("walk-organizer@example.jp", None, "主催 花子")
    slug_a, slug_b = [
        await events.create_event(msgspec.convert(forum(title=title), EventIn), boss.id)
        for title in ("フォーラムA", "フォーラムB")
    ]
    event_a, event_b = await events.event_row(slug_a), await events.event_row(slug_b)
    cohost, outsider, registrant_a, registrant_b = await make_accounts(4)
    await cohosts.add(event_a["id"], cohost)
    await cohosts.add(event_b["id"], outsider)
    ids = {}
    for key, event, registrant in (("a", event_a, registrant_a), ("b", event_b, registrant_b)):
        reg, _ = await registration.register(event, registrant, RegistrationIn(), [])
        room = await rooms.create_room(event["id"], RoomIn(name="部屋"))
        author = await accounts.get_user(registrant)
        line, _ = await rooms.post_message(room.id, author, "こんにちは", None)
        campaign = await campaigns.create_campaign(event, CampaignIn(subject="お礼", body="ありがとう"), boss.id)
        (quoted,) = await quotes.quote(event, quotes.QuotesIn(message_ids=[await line_row(room.id, line.id)]))
        recording = await reports.add_recording(event, boss, RecordingIn(url="https://video.example/1", title="録画"))
        ids[key] = {
            "slug": event["slug"],
            "reg_id": reg["id"],
            "room_id": room.id,
            "message_id": line.id,
            "campaign_id": campaign.id,
            "material_id": recording.id,
            "quote_id": quoted.id,
            "case_id": 1,  # the case library's and challenge board's organizer routes: co-hosts get 403
            "challenge_id": 1,
            "interest_id": 1,
            "user_id": outsider if key == "a" else cohost,
            "enrolment_id": 1,
            "organization_id": 1,
            "proposal_id": 1,
            "mail_id": 1,
        }
    return World(ids=ids["a"], other_ids=ids["b"], cohost=cohost, outsider=outsider)


def fill(path: str, ids: dict[str, object]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(ids[m.group(1)]), path)


def staff_routes(app):
    """(method, path, co-hosts may use it, names a forum) of every route for those who run
    forums or the site: organizer, admin and staff guards."""
    for route in app.routes:
        for method, (handler, _kwargs) in getattr(route, "route_handler_map", {}).items():
            if method in ("OPTIONS", "HEAD"):
                continue
            guards = handler.resolve_guards()
            if staff_required in guards or organizer_required in guards or admin_required in guards:
                lets_cohosts = staff_required in guards and bool(handler.opt.get("cohosts"))
                of_forum = any(f"{{{name}:" in route.path for name in ("slug", "room_id", "campaign_id"))
                yield method, route.path, lets_cohosts, of_forum


async def ask(person, method: str, path: str):
    body = {"json": {}} if path.startswith("/api/") and method in ("POST", "PUT", "PATCH") else {}
    if not path.startswith("/api/") and method == "POST":
        body = {"data": {}}
    return await person.request(method, path, **body)


def series_route(path: str) -> bool:
    return path.startswith(("/api/v1/series/", "/organizer/series/"))


async def test_a_cohost_of_another_forum_is_refused_on_every_route_of_this_one(client, make_client):
    world = await build_world()
    outsider = await signed_in(make_client, world.outsider)
    routes = [(m, p) for m, p, _co, of_forum in staff_routes(client.app) if of_forum and not series_route(p)]
    assert len(routes) > 60  # the walk found the forum routes of every floor
    wrong = []
    for method, path in routes:
        response = await ask(outsider, method, fill(path, world.ids))
        if response.status_code != 403:
            wrong.append(f"{method} {path}: {response.status_code}")
    assert wrong == []
    assert await Cohost.count() == 2 and await rooms.room_row(world.ids["room_id"])  # nothing changed


async def test_a_cohost_runs_their_forum_but_not_its_settings_nor_the_site(client, make_client):
    world = await build_world()
    cohost = await signed_in(make_client, world.cohost)
    allowed, refused = [], []
    for method, path, lets_cohosts, of_forum in staff_routes(client.app):
        (allowed if lets_cohosts else refused).append((method, path, of_forum))
    assert len(allowed) > 40 and len(refused) > 20
    wrong = []
    for method, path, _of_forum in allowed:
        response = await ask(cohost, method, fill(path, world.ids))
        if response.status_code in (401, 403, 404) or response.status_code >= 500:
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
    for method, path, of_forum in refused:  # the forum's settings, co-hosts, copy; every site-wide page
        ids = world.ids if of_forum and not series_route(path) else {**world.ids, "slug": "migiude-2021"}
        response = await ask(cohost, method, fill(path, ids))
        if response.status_code != 403:
            wrong.append(f"{method} {path}: {response.status_code} (should be 403)")
    assert wrong == []
    names = {path for _m, path, _o in refused}
    assert {"/organizer", "/organizer/events/new", "/api/v1/network.csv", "/admin/accounts"} <= names
    assert "/organizer/events/{slug:str}/edit" in names and "/api/v1/events/{slug:str}/cohosts" in names


async def test_the_manage_page_of_a_cohost_shows_the_forum_not_its_settings(client, make_client):
    world = await build_world()
    cohost = await signed_in(make_client, world.cohost)
    page = await cohost.get(f"/organizer/events/{world.ids['slug']}")
    assert page.status_code == 200
    assert "/check-in" in page.text and "/rooms" in page.text and "/survey" in page.text
    assert f"/organizer/events/{world.ids['slug']}/edit" not in page.text
    assert "/organizer/events/new" not in page.text and 'name="email"' not in page.text
    forum_page = await cohost.get(f"/events/{world.ids['slug']}")
    assert f"/organizer/events/{world.ids['slug']}/survey" in forum_page.text
    assert f'href="/organizer/events/{world.ids["slug"]}"' in forum_page.text  # "Manage this forum"
    other_page = await cohost.get(f"/events/{world.other_ids['slug']}")
    assert f'href="/organizer/events/{world.other_ids["slug"]}"' not in other_page.text


async def test_cohosts_make_no_room_ties_and_may_look_into_rooms(client):
    world = await build_world()
    person = await accounts.get_user(world.cohost)
    event = await events.event_row(world.ids["slug"])
    other = await events.event_row(world.other_ids["slug"])
    assert not await ties.makes_room_ties(person, event["id"])
    assert await rooms.may_enter_forum(event["id"], person)
    assert not await rooms.may_enter_forum(other["id"], person)
    # a co-host who also registered still looks in to run the room, not to meet
    await registration.register(event, world.cohost, RegistrationIn(), [])
    assert not await ties.makes_room_ties(person, event["id"])
    registrant = await Account.select(Account.id).where(Account.email.like("member%")).first()
    assert registrant is not None
