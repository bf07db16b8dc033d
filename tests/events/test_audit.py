"""The audit log of a forum (CONTRACT §5.4 `GET /events/{slug}/audit`): every action of its
organizers and co-hosts, recorded in one place (the app's before_send hook, from the action each
route declares: meetup/events/audit.py).

The first test walks `app.routes`: a state-changing route on a forum that declares no action
fails it, so a route added tomorrow cannot be left out of the log silently."""

from __future__ import annotations

from datetime import timedelta

from meetup.accounts import service as accounts
from meetup.accounts.auth import organizer_required
from meetup.db import utcnow
from meetup.events import audit, cohosts
from meetup.events import service as events
from meetup.events.dependencies import staff_required
from meetup.events.tables import AuditEntry
from tests.events.test_cohosts import ask, build_world, fill
from tests.factories import forum, organizer, sign_up, signed_in

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# POST routes that change nothing: they show what a draw would do.
CHANGES_NOTHING = {
    "POST /api/v1/events/{slug:str}/lottery/preview",
    "POST /organizer/events/{slug:str}/lottery/preview",
}
# Routes that do one of two things, and say which (audit.did).
ONE_OF = {
    "/organizer/events/{slug:str}/survey/open": {"survey.open", "survey.close"},
    "/organizer/events/{slug:str}/rooms/timer": {"room.timer", "room.close"},
}
FORUM_PARAMS = ("{slug:", "{room_id:", "{campaign_id:")


def forum_staff_routes(app):
    for route in app.routes:
        for method, (handler, _kwargs) in getattr(route, "route_handler_map", {}).items():
            guards = handler.resolve_guards()
            if not (staff_required in guards or organizer_required in guards):
                continue
            if route.path.startswith(("/api/v1/series/", "/organizer/series/")):
                continue  # a series' slug names no forum
            if any(param in route.path for param in FORUM_PARAMS):
                yield method, route.path, handler, guards


def test_every_state_changing_forum_route_declares_its_action(client):
    wrong, declared = [], 0
    known = audit.labels()
    for method, path, handler, guards in forum_staff_routes(client.app):
        if method not in STATE_CHANGING:
            action = handler.opt.get("audit")
            if action is not None and action not in known:
                wrong.append(f"{method} {path}: unknown action {action!r}")
            continue
        key = f"{method} {path}"
        if staff_required not in guards:
            wrong.append(f"{key}: guarded by organizer_required, not staff_required (no log)")
        elif "audit" not in handler.opt:
            wrong.append(f"{key}: declares no action (opt=acts(...))")
        elif handler.opt["audit"] is None and key not in CHANGES_NOTHING:
            wrong.append(f"{key}: declares that it changes nothing")
        elif handler.opt["audit"] is not None and handler.opt["audit"] not in known:
            wrong.append(f"{key}: unknown action {handler.opt['audit']!r}")
        else:
            declared += 1
    assert wrong == []
    assert declared > 45  # the walk found the forum routes of every floor


async def test_a_route_writes_its_action_exactly_when_it_succeeds(client, make_client):
    """Every state-changing forum route, asked with an empty body: a success leaves one line of
    its action in the forum's log, a refusal none."""
    world = await build_world()
    boss_id = (await accounts.find_user_by_email("walk-organizer@example.jp")).id
    boss = await signed_in(make_client, boss_id)
    event_id = (await events.event_row(world.ids["slug"]))["id"]
    succeeded = []
    for method, path, handler, _guards in forum_staff_routes(client.app):
        action = handler.opt.get("audit")
        if method not in STATE_CHANGING or action is None or "clone" in path:
            continue
        last = await AuditEntry.select(AuditEntry.id).order_by(AuditEntry.id, ascending=False).first()
        response = await ask(boss, method, fill(path, world.ids))
        lines = await AuditEntry.select().where(AuditEntry.id > (last["id"] if last else 0)).order_by(AuditEntry.id)
        if response.status_code < 400:
            succeeded.append(path)
            expected = {action} | ONE_OF.get(path, set())
            assert len(lines) == 1, f"{method} {path}: {response.status_code}, {[row['action'] for row in lines]}"
            assert (lines[0]["event"], lines[0]["actor"]) == (event_id, boss_id), f"{method} {path}"
            assert lines[0]["action"] in expected, f"{method} {path}: {lines[0]['action']}"
        else:
            assert not [row for row in lines if row["action"] == action], f"{method} {path}: {response.status_code}"
    assert len(succeeded) >= 10, succeeded


async def test_the_log_names_who_did_what_latest_first(client, make_client):
    me = await organizer(client)
    slug = (
        await client.post("/api/v1/events", json=forum(title="盛岡フォーラム", registration_mode="approval"))
    ).json()["slug"]
    helper, _ = await accounts.make_participant("helper@example.jp", "手伝い 六子")
    event_id = (await events.event_row(slug))["id"]
    applicant = await make_client()
    await sign_up(applicant, name="申込 七海")
    reg = (await applicant.post(f"/api/v1/events/{slug}/registration", json={})).json()

    assert (await client.post(f"/api/v1/events/{slug}/registrations/{reg['id']}/approve")).status_code == 200
    await cohosts.add(event_id, helper.id, me["id"])
    cohost = await signed_in(make_client, helper.id)
    assert (await cohost.post(f"/api/v1/events/{slug}/registrations/{reg['id']}/check-in")).status_code == 200
    assert (await cohost.post(f"/api/v1/events/{slug}/rooms", json={"name": "岩手の部屋"})).status_code == 201
    assert (await cohost.get(f"/api/v1/events/{slug}/registrations.csv")).status_code == 200
    page = await client.post(f"/organizer/events/{slug}/edit", data={"op": "add"})  # the form again: nothing saved
    assert page.status_code == 200

    log = (await cohost.get(f"/api/v1/events/{slug}/audit")).json()
    assert [(entry["actor"], entry["action"]) for entry in log] == [
        ("手伝い 六子", "registration.export"),
        ("手伝い 六子", "room.create"),
        ("手伝い 六子", "registration.check_in"),
        ("主催 花子", "registration.approve"),
    ]
    assert log[0]["label"] == "申込一覧をダウンロード" and log[0]["at"]
    assert "helper@example.jp" not in str(log)
    manage = await client.get(f"/organizer/events/{slug}")
    assert manage.text.index("申込一覧をダウンロード") < manage.text.index("申込者を承認")  # latest first

    # nobody else reads it
    stranger = await make_client()
    await sign_up(stranger)
    assert (await stranger.get(f"/api/v1/events/{slug}/audit")).status_code == 403
    assert (await applicant.get(f"/api/v1/events/{slug}/audit")).status_code == 403


async def test_the_log_comes_in_pages(client):
    me = await organizer(client)
    slug = (await client.post("/api/v1/events", json=forum())).json()["slug"]
    event_id = (await events.event_row(slug))["id"]
    start = utcnow() - timedelta(hours=2)
    await AuditEntry.insert(
        *[
            AuditEntry(event=event_id, actor=me["id"], action="room.create", at=start + timedelta(minutes=i))
            for i in range(audit.PER_PAGE + 7)
        ]
    )
    first = (await client.get(f"/api/v1/events/{slug}/audit")).json()
    second = (await client.get(f"/api/v1/events/{slug}/audit?page=2")).json()
    assert len(first) == audit.PER_PAGE and len(second) == 7
    assert first[0]["at"] > first[-1]["at"] > second[0]["at"]
    assert (await client.get(f"/api/v1/events/{slug}/audit?page=0")).status_code == 400
    page = await client.get(f"/organizer/events/{slug}?log=2")
    assert page.status_code == 200 and "?log=1#log" in page.text and "?log=3#log" not in page.text


async def test_inviting_accepting_and_removing_a_cohost_are_logged(client, make_client):
    await organizer(client)
    slug = (await client.post("/api/v1/events", json=forum())).json()["slug"]
    person, _ = await accounts.make_participant("cohost-log@example.jp", "記録 八郎")
    assert (
        await client.post(f"/organizer/events/{slug}/cohosts", data={"email": "cohost-log@example.jp"})
    ).status_code == 303
    from tests.events.test_cohosts import invitation_link

    token = await invitation_link("cohost-log@example.jp")
    invitee = await signed_in(make_client, person.id)
    assert (await invitee.post(f"/cohosts/accept/{token}", data={})).status_code == 303
    assert (await client.post(f"/organizer/events/{slug}/cohosts/{person.id}/remove", data={})).status_code == 303
    assert await audit.actions_of((await events.event_row(slug))["id"]) == [
        "cohost.invite",
        "cohost.accept",
        "cohost.remove",
    ]
