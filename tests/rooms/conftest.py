"""Room tests talk to a real server on a real port with the `websockets` client.

The server is uvicorn running the app in this test's event loop, so the test can prepare data
with the services and share the session store the app uses. The app is the test's settings' own
(`app_for`: re-bound, not built again; building one costs a second of CPU), so it knows itself by
the test base URL, not by the port: clients send that as their Origin, as a browser on the site would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator

import msgspec
import pytest
import uvicorn
import websockets

from meetup.rooms.limits import MAX_FRAME_BYTES, WS_PROTOCOL
from tests.conftest import app_for, free_port


class LiveApp:
    def __init__(self, app, base_url: str, origin: str, server: uvicorn.Server):
        self.app = app
        self.server = server  # uvicorn's: its open connections are in server.server_state
        self.base_url = base_url  # where the server listens
        self.ws_url = base_url.replace("http://", "ws://")
        self.origin = origin  # the site's own origin (its settings' base URL)

    async def session_for(self, user_id: int) -> str:
        session_id = secrets.token_hex(32)
        store = self.app.stores.get("sessions")
        await store.set(session_id, msgspec.json.encode({"uid": user_id}), expires_in=3600)
        return session_id

    async def connect(
        self, room_id: int, user_id: int | None = None, *, after: int | None = None, origin=None, **options
    ):
        session = await self.session_for(user_id) if user_id is not None else None
        return await self.connect_with_session(room_id, session, after=after, origin=origin, **options)

    async def connect_with_session(
        self, room_id: int, session: str | None, *, after: int | None = None, origin=None, **options
    ):
        headers = {}
        if session is not None:
            headers["Cookie"] = f"session={session}"
        url = f"{self.ws_url}/ws/rooms/{room_id}" + (f"?after={after}" if after is not None else "")
        return await websockets.connect(
            url,
            additional_headers=headers,
            origin=origin if origin is not None else self.origin,
            max_size=2**22,
            **options,
        )


@pytest.fixture
async def live(settings) -> AsyncIterator[LiveApp]:
    port = free_port()
    with app_for(settings) as app:
        async with _served(app, port) as server:
            yield LiveApp(app, f"http://127.0.0.1:{port}", settings.origin, server)


@contextlib.asynccontextmanager
async def _served(app, port: int) -> AsyncIterator[uvicorn.Server]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws=WS_PROTOCOL,
        ws_max_size=MAX_FRAME_BYTES,
    )  # as `python main.py serve`
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


async def frame(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))


async def frame_of(ws, kind: str, timeout: float = 5.0) -> dict:
    """The next frame of this type, skipping others (presence frames come and go)."""
    while True:
        received = await frame(ws, timeout)
        if received["type"] == kind:
            return received


async def close_code(ws, within: float = 10.0) -> int:
    """Read frames until the server closes the connection; its close code. `within` only bounds a
    test that would otherwise hang (a revocation is pushed at once; the periodic check takes 15 s)."""
    async with asyncio.timeout(within):
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.recv()
    return ws.close_code


async def members_become(ws, expected: set[int], timeout: float = 5.0) -> None:
    """Wait for a presence frame listing exactly `expected` (earlier ones may still arrive)."""
    while True:
        presence = await frame_of(ws, "presence", timeout)
        if {m["id"] for m in presence["members"]} == expected:
            return


async def http_as(live: LiveApp, user_id: int):
    """An HTTP client on the live server, signed in as `user_id`, sending the CSRF header."""
    import httpx

    client = httpx.AsyncClient(base_url=live.base_url)
    client.cookies.set("session", await live.session_for(user_id))
    await client.get("/healthz")
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    return client
