"""Behind nginx every request comes from the proxy's address; limits per client address must use
the address nginx puts in X-Forwarded-For, and only when the request comes from a proxy named in
MEETUP_FORWARDED_ALLOW_IPS (anyone else could write that header to dodge the limits)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from meetup import ROOT
from meetup.accounts.magic_link import PER_ADDRESS
from tests.conftest import free_port


@contextmanager
def serve(database_url: str, tmp_path: Path, trusted: str) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEETUP_", "FORWARDED_ALLOW_IPS"))},
        "MEETUP_DATABASE_URL": database_url,
        "MEETUP_BASE_URL": base_url,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": "proxy-test-secret",
        "MEETUP_VAR_DIR": str(tmp_path / f"var{port}"),
        "MEETUP_FORWARDED_ALLOW_IPS": trusted,
    }
    log = tmp_path / f"server{port}.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + log.read_text())
            time.sleep(0.1)
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
