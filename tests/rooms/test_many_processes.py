"""Two server processes on different ports act as one room through PostgreSQL and Redis."""

import asyncio
import contextlib
import json
import secrets

import httpx
import msgspec
import pytest
import websockets
from redis.asyncio import Redis

from meetup.app import make_session_store
from meetup.rooms.hub import Hub, relay_client, room_channel
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, free_port
from tests.rooms.conftest import close_code
from tests.rooms.factories import forum_with_people, room_in
from tests.servers import start_server, wait_up

pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="needs the PostgreSQL and Redis services (make test's second pass sets MEETUP_TEST_DATABASE_URL and "
    "MEETUP_TEST_REDIS_URL)",
)


async def test_a_line_sent_through_one_process_reaches_a_member_on_the_other(database, tmp_path):
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    redis = Redis.from_url(TEST_REDIS_URL)
    store = make_session_store(database, redis)
    sessions = {}
    for uid in (a, b):
        sessions[uid] = secrets.token_hex(32)
        await store.set(sessions[uid], msgspec.json.encode({"uid": uid}), expires_in=600)
    ports = [free_port(), free_port()]
    base_url = f"http://127.0.0.1:{ports[0]}"  # one public address; both processes serve it
    servers = [start_server(port, base_url, tmp_path, TEST_REDIS_URL) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            await asyncio.to_thread(wait_up, f"http://127.0.0.1:{port}/healthz", server)

        async def connect(port: int, uid: int):
            return await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/rooms/{room_id}",
                additional_headers={"Cookie": f"session={sessions[uid]}"},
                origin=base_url,
            )

        async def next_of(ws, kind: str, author: int | None = None) -> dict:
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                if frame["type"] == kind and (author is None or frame["author"]["id"] == author):
                    return frame

        alice = await connect(ports[0], a)
        assert (await next_of(alice, "hello"))["you"]["id"] == a  # she is in: her presence is written
        bob = await connect(ports[1], b)  # (connected before her hello, his could be counted first)
        hello = await next_of(bob, "hello")
        assert {m["id"] for m in hello["members"]} == {a, b}  # presence is shared through Redis
        await alice.send('{"type":"say","body":"仙台のプロセスから","client_id":"x1"}')
        line = await next_of(bob, "message")
        assert (line["body"], line["author"]["id"]) == ("仙台のプロセスから", a)
        await bob.send('{"type":"say","body":"石巻のプロセスから"}')
        assert (await next_of(alice, "message", author=b))["body"] == "石巻のプロセスから"
        await alice.close()
        await bob.close()
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)
        await redis.aclose()


async def test_a_revocation_in_one_process_puts_the_member_out_on_the_other(database, tmp_path):
    """Alice cancels and Bob logs out through the first process; their sockets are on the second."""
    event, (a, b) = await forum_with_people(2)
    room_id = await room_in(event)
    redis = Redis.from_url(TEST_REDIS_URL)
    store = make_session_store(database, redis)
    sessions = {}
    for uid in (a, b):
        sessions[uid] = secrets.token_hex(32)
        await store.set(sessions[uid], msgspec.json.encode({"uid": uid}), expires_in=600)
    ports = [free_port(), free_port()]
    base_url = f"http://127.0.0.1:{ports[0]}"
    servers = [start_server(port, base_url, tmp_path, TEST_REDIS_URL) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            await asyncio.to_thread(wait_up, f"http://127.0.0.1:{port}/healthz", server)
        sockets = {}
        for uid in (a, b):
            sockets[uid] = await websockets.connect(
                f"ws://127.0.0.1:{ports[1]}/ws/rooms/{room_id}",
                additional_headers={"Cookie": f"session={sessions[uid]}"},
                origin=base_url,
            )
            assert json.loads(await asyncio.wait_for(sockets[uid].recv(), timeout=10))["type"] == "hello"

        async def through_the_first(uid: int, method: str, path: str) -> int:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}") as client:
                client.cookies.set("session", sessions[uid])
                await client.get("/healthz")
                headers = {"x-csrftoken": client.cookies["csrftoken"]}
                return (await client.request(method, path, headers=headers)).status_code

        assert await through_the_first(a, "DELETE", f"/api/v1/events/{event['slug']}/registration") == 204
        assert await close_code(sockets[a]) == 4403
        assert await through_the_first(b, "POST", "/api/v1/auth/logout") == 204
        assert await close_code(sockets[b]) == 4401
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)
        await redis.aclose()


def other_db(url: str) -> str:
    """The same Redis server, two dbs below (the workers of a parallel run use this one and the one below)."""
    base, number = url.rsplit("/", 1)
    return f"{base}/{int(number) - 2}"


async def test_apps_on_two_dbs_of_one_redis_never_hear_each_others_rooms():
    """Redis pub/sub ignores the db number: before the db was in the channel names, a room 1 on one
    db heard the lines of a room 1 on another (the chat flake with two test workers, each with its
    own db, whose rooms are all number 1)."""
    urls = [TEST_REDIS_URL, other_db(TEST_REDIS_URL), TEST_REDIS_URL, other_db(TEST_REDIS_URL)]
    hubs = [Hub(Redis.from_url(url), relay_client(url)) for url in urls]
    heard: list[list[bytes]] = [[] for _ in hubs]
    arrived = [asyncio.Event() for _ in hubs]

    def listener(i: int):
        async def keep(data: bytes) -> None:
            heard[i].append(data)
            arrived[i].set()

        return keep

    async with contextlib.AsyncExitStack() as stack:
        for i, hub in enumerate(hubs):
            await hub.start()
            stack.push_async_callback(hub.relay.aclose)
            stack.push_async_callback(hub.redis.aclose)
            stack.push_async_callback(hub.stop)
            subscription = await hub.subscribe([room_channel(1)])
            await stack.enter_async_context(subscription.run_in_background(listener(i)))
        await hubs[0].publish(b"line on the first db", room_channel(1))
        await asyncio.wait_for(arrived[2].wait(), timeout=10)  # another process on the same db hears it
        await hubs[3].publish(b"line on the second db", room_channel(1))
        await asyncio.wait_for(arrived[1].wait(), timeout=10)
        # Redis sends a subscriber its messages in order: the first line, had it crossed, came before
        assert heard[1] == [b"line on the second db"]
        assert heard[2] == [b"line on the first db"]
