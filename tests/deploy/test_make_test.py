"""`make test` runs the suite on SQLite, then on PostgreSQL + Redis when they answer; under
`CI=true` a PostgreSQL or Redis that does not answer fails the run (CI must test both)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from meetup import ROOT
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, free_port


def make_test(tmp_path: Path, ci: str | None, database_url: str, redis_url: str) -> subprocess.CompletedProcess:
    """`make test` with its passes stood in for: only the services check runs for real."""
    python = tmp_path / "python"
    python.write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "-m tests.services" ]; then exec {sys.executable} "$@"; fi\necho "pytest $*"\n'
    )
    python.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": ci} if ci is not None else {})
    command = ["make", "--no-print-directory", "-o", "install-test", "test", f"PY={python}", "MAKE=echo make"]
    return subprocess.run(
        [*command, f"TEST_DATABASE_URL={database_url}", f"TEST_REDIS_URL={redis_url}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("ci", "fails"), [("true", True), (None, False), ("false", False)])
def test_unreachable_services_fail_the_run_only_under_ci(tmp_path, ci, fails):
    nobody = free_port()  # nothing listens there
    done = make_test(tmp_path, ci, f"postgresql://127.0.0.1:{nobody}/test", f"redis://127.0.0.1:{nobody}/15")
    assert "test-postgres" not in done.stdout
    if fails:
        assert done.returncode != 0
        assert "CI=true: PostgreSQL and Redis must be reachable" in done.stdout
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "the suite ran on SQLite only" in done.stdout


@pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL), reason="needs the PostgreSQL and Redis of make test's second pass"
)
def test_under_ci_reachable_services_get_their_pass(tmp_path):
    done = make_test(tmp_path, "true", TEST_DATABASE_URL, TEST_REDIS_URL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test-postgres" in done.stdout
