"""Schemathesis walks every operation of `/schema/openapi.json` against a real server, as an
anonymous visitor and as an organizer: no answer is a 5xx, and no answer breaks its own schema.

A bounded number of examples per operation keeps it in the suite (`FUZZ_EXAMPLES`); the server
has demo data, so paths like `/events/{slug}` meet real rows as well as made-up ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, free_port
from tests.zygote import start_main

# Random examples per operation in the fuzzing phase, after the coverage phase's boundary and
# negative values for every operation (most of the cases: ~2900 of ~3500 at 8 examples).
FUZZ_EXAMPLES = int(os.environ.get("MEETUP_FUZZ_EXAMPLES", "4"))
ORGANIZER = ("fuzz-organizer@example.jp", "fuzz-organizer-password")


@pytest.fixture(scope="module")
def fuzz_server(migrated_database: str, tmp_path_factory: pytest.TempPathFactory):
    """`main.py serve` on its own database (with the demo data) for the whole module."""
    workdir = tmp_path_factory.mktemp("fuzz")
    if TEST_DATABASE_URL:
        database_url = TEST_DATABASE_URL
    else:
        copy = workdir / "fuzz.sqlite3"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), copy)
        database_url = f"sqlite:///{copy}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": database_url,
        "MEETUP_BASE_URL": base_url,
        "MEETUP_ENV": "test",
        "MEETUP_VAR_DIR": str(workdir / "var"),
        "MEETUP_SECRET_KEY": "fuzz-secret",
        "MEETUP_INPROCESS_WORKER": "0",
    }
    env.pop("MEETUP_SMTP_URL", None)
    env.pop("MEETUP_REDIS_URL", None)
    if TEST_REDIS_URL:
        env["MEETUP_REDIS_URL"] = TEST_REDIS_URL
    # main.py's commands, each forked from a process that has imported the app (tests.zygote)
    for command in (["seed"], ["create-organizer", ORGANIZER[0], "--password", ORGANIZER[1]]):
        log = workdir / f"{command[0]}.log"
        assert start_main(command, env, log).wait(timeout=300) == 0, log.read_text()
    server = start_main(["serve", "--port", str(port)], env, workdir / "server.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + Path(workdir / "server.log").read_text())
            time.sleep(0.1)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=15)
        tracebacks = (workdir / "server.log").read_text(errors="replace").count("Traceback")
        assert tracebacks == 0, f"the server logged {tracebacks} tracebacks: {workdir / 'server.log'}"


def browser_headers(base_url: str, login: tuple[str, str] | None) -> list[str]:
    """Headers like a browser's: the CSRF cookie and header, and a session when `login` is given."""
    with httpx.Client(base_url=base_url) as client:
        client.get("/healthz")
        csrf = client.cookies["csrftoken"]
        if login:
            answer = client.post(
                "/api/v1/auth/login",
                json={"email": login[0], "password": login[1]},
                headers={"x-csrftoken": csrf},
            )
            assert answer.status_code == 200, answer.text
        cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return ["-H", f"Cookie: {cookies}", "-H", f"x-csrftoken: {csrf}"]


def fuzz(base_url: str, headers: list[str], report: Path) -> subprocess.CompletedProcess:
    """schemathesis' CLI, run in the test's temporary folder (its cache stays out of the checkout)."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base_url}/schema/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(FUZZ_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--exclude-path-regex",
        "/auth/logout",  # keeps the organizer signed in for the rest of the run
        "--seed",
        "2021",
        "--request-timeout",
        "30",
        "--report-junit-path",
        str(report),
        *headers,
    ]
    return subprocess.run(command, cwd=report.parent, capture_output=True, text=True, timeout=900)


# Who walks: an organizer reaches every operation past its guard, the public ones with the values a
# visitor would send, so every query the walks make is in that walk, which runs on both databases;
# a visitor's walk adds the refusals (401/403) and runs in the SQLite pass only.
WALKS = (("organizer", ORGANIZER),) if TEST_DATABASE_URL else (("anonymous", None), ("organizer", ORGANIZER))


def test_no_answer_is_a_server_error_or_breaks_its_schema(fuzz_server, tmp_path):
    """The walks one after the other in one test, so that run in parallel they still share one
    server (seeding it takes seconds) instead of each worker seeding its own."""
    for who, login in WALKS:
        headers = browser_headers(fuzz_server, login)
        (tmp_path / who).mkdir()
        result = fuzz(fuzz_server, headers, tmp_path / who / "junit.xml")
        assert result.returncode == 0, f"as {who}:\n" + result.stdout[-8000:] + result.stderr[-2000:]
