"""Behind nginx every request comes from the proxy's address; limits per client address must use
the address nginx puts in X-Forwarded-For, and only when the request comes from a proxy named in
MEETUP_FORWARDED_ALLOW_IPS (anyone else could write that header to dodge the limits)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from meetup.accounts.magic_link import PER_ADDRESS
from tests.conftest import free_port
from tests.servers import start_server, wait_up


@contextmanager
def serve(database_url: str, tmp_path: Path, trusted: str) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(
        port, base_url, tmp_path, None, database_url, MEETUP_INPROCESS_WORKER="1", MEETUP_FORWARDED_ALLOW_IPS=trusted
    )
    try:
        wait_up(f"{base_url}/healthz", server)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


def ask_for_links(base_url: str, forwarded_for: str, n: int) -> list[int]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.get("/healthz")
        headers = {"x-csrftoken": client.cookies["csrftoken"], "x-forwarded-for": forwarded_for}
        return [
            client.post(
                "/api/v1/auth/magic-link", json={"email": f"p{forwarded_for}-{i}@example.jp"}, headers=headers
            ).status_code
            for i in range(n)
        ]


@pytest.mark.parametrize(("trusted", "counted_apart"), [("127.0.0.1", True), ("10.9.9.9", False)])
def test_client_addresses_come_from_a_trusted_proxy_only(database_url, tmp_path, trusted, counted_apart):
    with serve(database_url, tmp_path, trusted) as base_url:
        first = ask_for_links(base_url, "203.0.113.10", PER_ADDRESS + 1)
        assert first == [202] * PER_ADDRESS + [429]
        # another visitor behind the same proxy
        second = ask_for_links(base_url, "203.0.113.20", 1)
    # from a trusted proxy each visitor has their own limit; from anyone else the header is ignored
    assert second == ([202] if counted_apart else [429])
