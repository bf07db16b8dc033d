"""The network that tells the truth: tie kinds with meaning, metrics on a chosen set of ties
(checked by hand on a small graph), two dates, per-forum growth, exports, and a cache that notices
a new tie made anywhere."""

from __future__ import annotations

import csv
import importlib
import io
import re
from datetime import datetime, timedelta

import networkx as nx

from meetup import db
from meetup.coordinators import connections, service
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import Profile, Tie
from meetup.db import utcnow
from meetup.events.tables import Event, Registration
from meetup.i18n import TOKYO
from meetup.rooms import service as rooms
from tests.conftest import TEST_DATABASE_URL
from tests.coordinators.measuring import counted_measurements
from tests.factories import create_forum, make_accounts, organizer, signed_in
from tests.rooms.factories import forum_with_people, organizer_id, room_in

MARCH_1 = datetime(2021, 3, 1, 10, 0, tzinfo=TOKYO)


async def profile(uid: int, name: str, prefecture: str | None) -> None:
    if prefecture is None:  # a profile from before prefectures were asked: the side is unknown
        await Profile.insert(Profile(account=uid, name=name, prefecture=None, visibility="public"))
    else:
        await service.save_profile(uid, ProfileIn(name=name, prefecture=prefecture, visibility="public"))


async def tie(a: int, b: int, kind: str, at: datetime | None = None, event_id: int | None = None) -> None:
    await connections.record_ties([a, b], kind=kind, source=f"{kind}:{a}-{b}", at=at, event_id=event_id)


async def small_graph() -> list[int]:
    """e — a — b — c — d by relationships (a–b on 2021-03-01, the rest today), plus a room tie b–d.
    a, b: 宮城県; c: 東京都; d: 海外; e: prefecture unknown."""
    ids = await make_accounts(5)
    a, b, c, d, e = ids
    for uid, name, prefecture in ((a, "A", "宮城県"), (b, "B", "宮城県"), (c, "C", "東京都"), (d, "D", "海外")):
        await profile(uid, name, prefecture)
    await profile(e, "E", None)
    await tie(a, b, "connection", at=MARCH_1)
    await tie(b, c, "introduction")
    await tie(c, d, "survey", event_id=1)
    await tie(a, e, "project")
    await tie(b, d, "room", event_id=1)
    return ids


def metric(body: dict, *names: str) -> tuple:
    return tuple(body["metrics"][name] for name in names)


SHAPE = ("people", "ties", "density", "components", "largest_component")
PLACES = ("placed_ties", "cross_prefecture_share", "tohoku_outside_share")


async def test_relationships_and_contact_give_the_numbers_computed_by_hand(client):
    a, b, c, d, e = await small_graph()
    chosen = (await client.get("/api/v1/network")).json()
    assert chosen["ties"] == "relationships"
    assert metric(chosen, *SHAPE) == (5, 4, 0.4, 1, 5)
    # a–e has an unknown side: left out; of a–b, b–c, c–d two cross prefectures, one joins Tohoku and outside
    assert metric(chosen, *PLACES) == (3, 0.6667, 0.3333)
    # the path e–a–b–c–d: b lies on 4 of the 6 pairs' paths it is not part of, a and c on 3
    assert [(h["id"], h["betweenness"]) for h in chosen["metrics"]["hubs"]] == [(b, 0.6667), (a, 0.5), (c, 0.5)]

    contact = (await client.get("/api/v1/network", params={"ties": "contact"})).json()
    assert metric(contact, *SHAPE) == (5, 5, 0.5, 1, 5)
    assert metric(contact, *PLACES) == (4, 0.75, 0.5)  # b–d (宮城県–海外) joins both shares
    assert [(h["id"], h["betweenness"]) for h in contact["metrics"]["hubs"]] == [(b, 0.6667), (a, 0.5)]
    assert {(x["source"], x["target"]): x["kind"] for x in contact["edges"]}[(min(b, d), max(b, d))] == "room"


async def test_at_a_date_counts_the_ties_made_by_the_end_of_that_day(client):
    await small_graph()
    on_the_day = (await client.get("/api/v1/network", params={"at": "2021-03-01"})).json()
    assert (on_the_day["at"], metric(on_the_day, "ties", "components")) == ("2021-03-01", (1, 1))
    before = (await client.get("/api/v1/network", params={"at": "2021-02-28", "ties": "contact"})).json()
    assert metric(before, "people", "ties", "components", "placed_ties", "tohoku_outside_share") == (5, 0, 0, 0, 0.0)


async def test_bad_dates_and_tie_choices_are_400s(client):
    await organizer(client)
    for path in ("/api/v1/network", "/api/v1/network.csv", "/api/v1/network.graphml", "/network"):
        for params in ({"at": "2021-13-40"}, {"at": "yesterday"}, {"at": "2021-03-01T10:00"}, {"ties": "forum"}):
            response = await client.get(path, params=params)
            assert response.status_code == 400, (path, params)
    for params in ({"a": "2021-02-30"}, {"b": "x"}, {"a": "2022-01-01", "b": "2021-01-01"}, {"ties": ""}):
        assert (await client.get("/api/v1/network/compare", params=params)).status_code == 400, params
    assert (await client.get("/network", params={"a": "2022-01-01", "b": "2021-01-01"})).status_code == 400


async def test_two_dates_show_new_ties_by_kind_and_new_bridging_people(client):
    a, b, c, d, e = await small_graph()
    today = db.utcnow().astimezone(TOKYO).date().isoformat()
    body = (await client.get("/api/v1/network/compare", params={"a": "2021-03-01", "b": today})).json()
    assert (body["before"]["ties"], body["after"]["ties"]) == (1, 4)
    assert body["new_ties"] == {"connection": 0, "introduction": 1, "project": 1, "survey": 1}
    # b, a and c now lie between others; c's ties reach 宮城県 and 海外, a's only 宮城県 (e is unknown)
    assert [(p["id"], p["betweenness_after"], p["prefectures_reached"]) for p in body["new_bridges"]] == [
        (b, 0.6667, 2),
        (c, 0.5, 2),
        (a, 0.5, 1),
    ]
    contact = (await client.get("/api/v1/network/compare", params={"a": "2021-03-01", "ties": "contact"})).json()
    assert contact["new_ties"]["room"] == 1 and contact["b"] == today

    page = await client.get("/network", params={"a": "2021-03-01", "b": today, "lang": "en"})
    assert page.status_code == 200
    assert "What changed" in page.text and "New bridging people" in page.text
    assert 'data-map="before"' in page.text and 'data-map="after"' in page.text


async def test_the_page_explains_each_figure_and_offers_the_tie_switch(client, make_client):
    await small_graph()
    page = (await client.get("/network")).text  # Japanese by default
    for words in ("密度", "連結", "媒介中心性", "東北"):
        assert words in page
    assert 'href="/network?ties=contact"' in page and 'aria-current="page"' in page
    assert "/api/v1/network.graphml" not in page  # exports are for organizers

    staff = await make_client()
    await organizer(staff)
    slug = await create_forum(staff, capacity=10)
    walk_in, with_profile = await make_accounts(2)
    await profile(with_profile, "登録 済子", "岩手県")
    for uid in (walk_in, with_profile):
        assert (
            await (await signed_in(make_client, uid)).post(f"/api/v1/events/{slug}/registration", json={})
        ).status_code == 201
    organizer_page = (await staff.get("/network", params={"lang": "en"})).text
    assert "1 person registered for a forum has no profile" in organizer_page
    assert "参加者 0" not in organizer_page  # never named
    assert "/api/v1/network.graphml?ties=relationships" in organizer_page


async def test_an_ended_forum_makes_no_tie_and_attendance_shows_on_the_person(client, make_client):
    event, (one, two, other) = await forum_with_people(3)
    for uid, name in ((one, "出席 一"), (two, "出席 二"), (other, "別の 人")):
        await profile(uid, name, "宮城県")
    await Registration.update({Registration.status: "cancelled"}).where(Registration.account == other)
    await Event.update(
        {Event.starts_at: utcnow() - timedelta(hours=3), Event.ends_at: utcnow() - timedelta(hours=1)}, force=True
    )
    assert await Tie.count() == 0
    mine = (await (await signed_in(make_client, one)).get(f"/coordinators/{one}", params={"lang": "en"})).text
    assert "Forums attended" in mine and event["title"] in mine
    await organizer(client)
    assert event["title"] in (await client.get(f"/coordinators/{two}")).text
    nosy = (await (await signed_in(make_client, other)).get(f"/coordinators/{one}", params={"lang": "en"})).text
    assert "Forums attended" not in nosy and event["title"] not in nosy


async def test_an_organizer_looking_into_a_room_makes_no_room_tie(database):
    event, people = await forum_with_people(2)
    staff = await organizer_id()
    room = await rooms.room_row(await room_in(event))
    assert await rooms.record_visit(room, staff) == 0
    assert await rooms.record_visit(room, people[0]) == 0
    assert await rooms.record_visit(room, people[1]) == 1
    [made] = await Tie.select()
    assert (made["kind"], {made["person_low"], made["person_high"]}) == ("room", set(people))


async def test_relationships_that_began_after_a_forum(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=10)
    x, y, z, w = await make_accounts(4)
    for uid in (x, y, z):
        registered = await (await signed_in(make_client, uid)).post(f"/api/v1/events/{slug}/registration", json={})
        assert registered.status_code == 201
    starts = (utcnow() - timedelta(days=40)).replace(microsecond=0)
    ends = starts + timedelta(hours=3)
    await Event.update({Event.starts_at: starts, Event.ends_at: ends}, force=True)
    await tie(x, z, "connection", at=starts - timedelta(days=1))  # tied before: not new
    await tie(x, z, "introduction", at=ends + timedelta(days=60))
    await tie(x, y, "connection", at=ends + timedelta(days=5))
    await tie(y, z, "survey", at=ends + timedelta(hours=1))
    await tie(x, w, "connection", at=ends + timedelta(days=5))  # w did not attend
    await tie(x, y, "room", at=starts + timedelta(hours=1))  # contact, not a relationship

    body = (await client.get(f"/api/v1/events/{slug}/network-growth")).json()
    assert body["attendees"] == 3
    assert body["within_30"] == {"connection": 1, "introduction": 0, "survey": 1, "project": 0}
    assert body["within_90"] == {"connection": 1, "introduction": 1, "survey": 1, "project": 0}
    assert "within_30" not in (await client.get(f"/organizer/events/{slug}/network")).text  # a page, not JSON
    assert (await client.get("/api/v1/events/no-such-forum/network-growth")).status_code == 404
    member = await signed_in(make_client, x)
    assert (await member.get(f"/api/v1/events/{slug}/network-growth")).status_code == 403
    assert (await (await make_client()).get(f"/api/v1/events/{slug}/network-growth")).status_code == 401


async def test_exports_for_researchers(client, make_client):
    a, b, c, d, e = await small_graph()
    await tie(a, b, "introduction")
    anonymous, member = await make_client(), await signed_in(make_client, a)
    for path in ("/api/v1/network.graphml", "/api/v1/network.csv"):
        assert (await anonymous.get(path)).status_code == 401
        assert (await member.get(path)).status_code == 403
    await organizer(client)

    graphml = await client.get("/api/v1/network.graphml", params={"ties": "contact"})
    assert graphml.status_code == 200 and "@" not in graphml.text
    graph = nx.read_graphml(io.BytesIO(graphml.content), node_type=int)
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 5
    assert graph.nodes[a]["prefecture"] == "宮城県" and graph.nodes[a]["kinds"] == "connection;introduction;project"
    pair = graph.edges[a, b]
    assert (pair["kind"], pair["kinds"], pair["weight"]) == ("connection", "connection;introduction", 2)
    assert pair["first_seen"].startswith("2021-03-01T01:00:00")

    ties_csv = await client.get("/api/v1/network.csv")
    assert ties_csv.content.startswith(b"\xef\xbb\xbf") and "text/csv" in ties_csv.headers["content-type"]
    rows = list(csv.DictReader(io.StringIO(ties_csv.content.decode("utf-8-sig"))))
    assert len(rows) == 4  # relationships only
    first = next(r for r in rows if {int(r["source"]), int(r["target"])} == {a, b})
    assert (first["kind"], first["weight"], first["source_prefecture"]) == ("connection", "2", "宮城県")
    people = list(
        csv.DictReader(io.StringIO((await client.get("/api/v1/network.csv?part=nodes")).content.decode("utf-8-sig")))
    )
    assert {int(p["id"]): p["ties"] for p in people} == {a: "2", b: "2", c: "2", d: "1", e: "1"}
    assert not any(re.search(r"@", line) for line in ties_csv.text.splitlines())


async def test_a_new_tie_is_seen_at_once_even_when_written_by_another_connection(client, monkeypatch):
    a, b, c, d, e = await small_graph()
    measured = counted_measurements(monkeypatch)
    assert (await client.get("/api/v1/network")).json()["metrics"]["ties"] == 4
    assert (await client.get("/api/v1/network")).json()["metrics"]["ties"] == 4
    assert len(measured) == 1  # nothing changed: measured once

    await another_process_ties(d, e)
    assert (await client.get("/api/v1/network")).json()["metrics"]["ties"] == 5
    assert len(measured) == 2


async def test_the_answer_is_sent_compressed_to_clients_that_take_gzip(client):
    await small_graph()
    plain = await client.get("/api/v1/network", headers={"accept-encoding": "identity"})
    packed = await client.get("/api/v1/network", headers={"accept-encoding": "br, gzip;q=0.5"})
    refused = await client.get("/api/v1/network", headers={"accept-encoding": "gzip;q=0, br"})

    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert all(r.headers["vary"] == "Accept-Encoding" for r in (plain, packed, refused))
    assert packed.num_bytes_downloaded < len(packed.content)  # httpx unpacked it
    assert packed.json() == plain.json() == refused.json()


async def another_process_ties(low: int, high: int) -> None:
    """A tie written on a connection of its own, as another server process would."""
    sql = 'INSERT INTO "tie" ("person_low", "person_high", "kind", "source", "created_at") VALUES ({}, {}, {}, {}, {})'
    args = (low, high, "connection", "elsewhere", utcnow())
    if TEST_DATABASE_URL:
        import asyncpg

        connection = await asyncpg.connect(TEST_DATABASE_URL)
        try:
            await connection.execute(sql.format("$1", "$2", "$3", "$4", "$5"), *args)
        finally:
            await connection.close()
    else:
        import sqlite3

        path = db.engine().path
        with sqlite3.connect(path) as connection:
            connection.execute(sql.format(*"?????"), (*args[:4], str(args[4])))


async def test_the_migration_removes_forum_ties_and_organizer_room_ties_and_keeps_attendance(client, make_client):
    event, (one, two) = await forum_with_people(2)
    staff = await organizer_id()
    await Tie.insert(
        Tie(person_low=min(one, two), person_high=max(one, two), kind="forum", source=f"event:{event['id']}"),
        Tie(person_low=min(one, staff), person_high=max(one, staff), kind="room", source="room:1"),
        Tie(person_low=min(one, two), person_high=max(one, two), kind="room", source="room:1"),
        Tie(person_low=min(one, staff), person_high=max(one, staff), kind="connection", source="request:1"),
    )
    registrations = await Registration.select().order_by(Registration.id)
    migration = importlib.import_module("meetup_2026_12_02t14_10_00_000000")
    await (await migration.forwards()).run()
    left = {(t["kind"], t["person_low"], t["person_high"]) for t in await Tie.select()}
    assert left == {("room", min(one, two), max(one, two)), ("connection", min(one, staff), max(one, staff))}
    assert await Registration.select().order_by(Registration.id) == registrations
