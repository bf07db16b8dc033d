"""Capacity holds under a burst: 120 people at once for 10 seats, then cancellations promote;
and two server processes on one database never sell a seat twice between them."""

import asyncio
import secrets
from collections import Counter

import httpx
import msgspec

from meetup.accounts import service as accounts
from meetup.accounts.tables import Account
from meetup.app import make_session_store
from meetup.events import service as events
from meetup.events.schemas import EventIn
from meetup.events.tables import Event, Registration
from meetup.mail.tables import OutboxMail
from tests.conftest import free_port
from tests.factories import create_forum, forum, make_accounts, organizer, signed_in
from tests.servers import start_server, wait_up

PEOPLE = 120
SEATS = 10


async def test_a_burst_of_registrations_never_oversells(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=SEATS)
    clients = [await signed_in(make_client, uid) for uid in await make_accounts(PEOPLE)]

    responses = await asyncio.gather(*(c.post(f"/api/v1/events/{slug}/registration", json={}) for c in clients))
    assert {r.status_code for r in responses} == {201}
    bodies = [r.json() for r in responses]
    confirmed = [b for b in bodies if b["status"] == "confirmed"]
    waitlisted = [b for b in bodies if b["status"] == "waitlisted"]
    assert len(confirmed) == SEATS
    assert len(waitlisted) == PEOPLE - SEATS
    assert sorted(b["waitlist_position"] for b in waitlisted) == list(range(1, PEOPLE - SEATS + 1))
    row = await Event.select(Event.confirmed_count, Event.waitlisted_count).first()
    assert (row["confirmed_count"], row["waitlisted_count"]) == (SEATS, PEOPLE - SEATS)
    assert await Registration.count().where(Registration.status == "confirmed") == SEATS

    # Five of the confirmed cancel at once: the first five in line take their seats.
    by_id = {b["id"]: c for b, c in zip(bodies, clients, strict=True)}
    leaving = [by_id[b["id"]] for b in confirmed[:5]]
    first_five = sorted(waitlisted, key=lambda b: b["waitlist_position"])[:5]
    cancels = await asyncio.gather(*(c.delete(f"/api/v1/events/{slug}/registration") for c in leaving))
    assert {r.status_code for r in cancels} == {204}
    for body in first_five:
        mine = await by_id[body["id"]].get(f"/api/v1/events/{slug}/registration")
        assert mine.json()["status"] == "confirmed"
    assert await Registration.count().where(Registration.status == "confirmed") == SEATS
    positions = [
        (await by_id[b["id"]].get(f"/api/v1/events/{slug}/registration")).json()["waitlist_position"]
        for b in sorted(waitlisted, key=lambda b: b["waitlist_position"])[5:]
    ]
    assert positions == list(range(1, PEOPLE - SEATS - 5 + 1))
    assert (await Event.select(Event.waitlisted_count).first())["waitlisted_count"] == PEOPLE - SEATS - 5


async def test_concurrent_double_clicks_make_one_registration(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=SEATS)
    [uid] = await make_accounts(1)
    person = await signed_in(make_client, uid)
    responses = await asyncio.gather(*(person.post(f"/api/v1/events/{slug}/registration", json={}) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Registration.count() == 1
    assert await OutboxMail.count() == 1  # the others' statements queued no mail either


async def test_two_server_processes_on_one_database_never_oversell(database, tmp_path):
    """On SQLite a process's writes wait for each other behind one lock in that process; two
    `main.py serve` processes on one file share only the database's own locking, so this burst
    is what shows the seat statements hold on their own (on PostgreSQL it is two pools)."""
    people, seats = 40, 7
    boss, _ = await accounts.make_organizer("two-processes@example.jp", None, "主催")
    slug = await events.create_event(msgspec.convert(forum(capacity=seats), EventIn), boss.id)
    uids = await make_accounts(people)
    # both processes read sessions from one place (files under a shared var/, as without Redis)
    shared = msgspec.structs.replace(database, var_dir=str(tmp_path / "shared-var"))
    store = make_session_store(shared, None)
    sessions = {uid: secrets.token_hex(32) for uid in uids}
    for uid, session in sessions.items():
        await store.set(session, msgspec.json.encode({"uid": uid}), expires_in=600)

    ports = [free_port(), free_port()]
    base_url = f"http://127.0.0.1:{ports[0]}"  # one public address; both processes serve it
    servers = [
        start_server(port, base_url, tmp_path, None, database.database_url, MEETUP_VAR_DIR=shared.var_dir)
        for port in ports
    ]
    clients: list[httpx.AsyncClient] = []
    try:
        for port, server in zip(ports, servers, strict=True):
            await asyncio.to_thread(wait_up, f"http://127.0.0.1:{port}/healthz", server)
        for i, uid in enumerate(uids):
            # no connection kept alive: on a busy machine readying 40 people takes longer than the
            # server's 5 s keep-alive, and a POST sent as it closed an idle connection got a ReadError
            no_keep_alive = httpx.Limits(max_keepalive_connections=0)
            person = httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[i % 2]}", timeout=60, limits=no_keep_alive)
            clients.append(person)
            person.cookies.set("session", sessions[uid])
            await person.get("/healthz")
            person.headers["x-csrftoken"] = person.cookies["csrftoken"]
        responses = await asyncio.gather(*(c.post(f"/api/v1/events/{slug}/registration", json={}) for c in clients))
    finally:
        for person in clients:
            await person.aclose()
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)

    assert [r.status_code for r in responses] == [201] * people, [r.text for r in responses if r.status_code != 201]
    status = {uid: r.json()["status"] for uid, r in zip(uids, responses, strict=True)}
    assert Counter(status.values()) == {"confirmed": seats, "waitlisted": people - seats}
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted")
    assert positions == list(range(1, people - seats + 1))
    row = await Event.select(Event.confirmed_count, Event.waitlisted_count).first()
    assert (row["confirmed_count"], row["waitlisted_count"]) == (seats, people - seats)
    assert await Registration.count().where(Registration.status == "confirmed") == seats
    # every registrant's mail queued once, saying what they got
    address = {row["email"]: row["id"] for row in await Account.select(Account.id, Account.email)}
    mails = await OutboxMail.select(OutboxMail.to_addr, OutboxMail.compose_json)
    assert sorted(address[m["to_addr"]] for m in mails) == sorted(uids)
    for mail in mails:
        said = msgspec.json.decode(mail["compose_json"])["args"]
        assert said["kind"] == status[address[mail["to_addr"]]], said
