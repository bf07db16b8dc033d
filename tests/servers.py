"""Real server processes for the tests that need more than one (`main.py serve` on a port)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_DATABASE_URL
from tests.zygote import Forked, start_main


def start_server(
    port: int, base_url: str, tmp_path: Path, redis_url: str | None, database_url: str | None = None, **env: str
) -> Forked:
    """`main.py serve` on `port` (the test database unless told otherwise; Redis only if given), a
    process of its own forked from the test process's zygote (`tests.zygote`: a new interpreter
    spent two to three seconds of CPU importing the app before it served)."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEETUP_")},
        "MEETUP_DATABASE_URL": database_url or TEST_DATABASE_URL,
        **({"MEETUP_REDIS_URL": redis_url} if redis_url else {}),
        "MEETUP_BASE_URL": base_url,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": "two-process-secret",
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_VAR_DIR": str(tmp_path / f"var{port}"),
        **env,
    }
    return start_main(["serve", "--port", str(port)], environment, tmp_path / f"server{port}.log")


def wait_up(url: str, process: Forked, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not start")
