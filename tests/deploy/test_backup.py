"""deploy/backup.sh, run for real against the PostgreSQL test database: the dump is readable by
its owner only, and the database password never appears on pg_dump's command line."""

from __future__ import annotations

import getpass
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from meetup import ROOT
from tests.conftest import TEST_DATABASE_URL

PG_DUMP = shutil.which("pg_dump")
needs_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL and PG_DUMP and shutil.which("pg_restore")),
    reason="needs the PostgreSQL service and pg_dump/pg_restore (make test's PostgreSQL pass sets them up)",
)


def url_with_password(url: str) -> tuple[str, str]:
    """The test database's URL with a password in it (an odd one, percent-encoded, when the URL
    has none: the test server trusts local connections and ignores it), and that password."""
    parts = urlsplit(url)
    if parts.password:
        return url, unquote(parts.password)
    password = "s3cr:t@pw%with\\odd"
    netloc = f"{quote(parts.username or getpass.getuser())}:{quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl(), password


def spy_on_pg_dump(bin_dir: Path, log_dir: Path) -> None:
    """A pg_dump first on PATH that records how it was called, then runs the real one."""
    bin_dir.mkdir()
    script = bin_dir / "pg_dump"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$@" > "{log_dir}/argv"\n'
        f'printf "%s" "${{PGPASSWORD:-}}" > "{log_dir}/pgpassword"\n'
        f'[ -n "${{PGPASSFILE:-}}" ] && cp "$PGPASSFILE" "{log_dir}/passfile"\n'
        f'stat -c %a "$PGPASSFILE" > "{log_dir}/passfile-mode"\n'
        f'exec {PG_DUMP} "$@"\n'
    )
    script.chmod(0o755)


@needs_postgresql
def test_backup_writes_a_dump_only_its_owner_can_read_without_the_password_in_argv(database, tmp_path):
    url, password = url_with_password(TEST_DATABASE_URL)
    env_file = tmp_path / "meetup.env"
    # As deploy/meetup.env.example: a value with spaces and <>, which a shell must not run.
    env_file.write_text(
        "MEETUP_ENV=prod\n"
        "MEETUP_MAIL_FROM=NEXT TOHOKU MEETUP <no-reply@meetup.example.jp>\n"
        f"MEETUP_DATABASE_URL={url}\n"
    )
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o755)
    old = backups / "meetup-20200101-0315.dump"
    old.write_text("an old dump")
    recent = backups / "meetup-20991231-0315.dump"
    recent.write_text("a dump from before the rule")
    for dump in (old, recent):
        dump.chmod(0o644)
    month_ago = time.time() - 30 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    logs, scratch = tmp_path / "logs", tmp_path / "scratch"
    logs.mkdir()
    scratch.mkdir()
    spy_on_pg_dump(tmp_path / "bin", logs)

    run = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backup.sh")],
        env={
            "PATH": f"{tmp_path / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(tmp_path),
            "TMPDIR": str(scratch),
            "MEETUP_ENV_FILE": str(env_file),
            "MEETUP_BACKUP_DIR": str(backups),
            "PGPASSWORD": "inherited-and-must-not-be-used",
        },
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),  # a permissive umask: the script sets its own
    )
    assert run.returncode == 0, run.stderr

    dumps = sorted(backups.glob("meetup-*.dump"))
    assert old not in dumps  # older than 14 days
    [made] = [d for d in dumps if d != recent]
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(recent.stat().st_mode) == 0o600
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert not list(backups.glob(".*partial"))

    argv = (logs / "argv").read_text()
    assert password not in argv and quote(password, safe="") not in argv
    assert (logs / "pgpassword").read_text() == ""
    assert (logs / "passfile-mode").read_text().strip() == "600"
    passfile = (logs / "passfile").read_text().strip()
    assert passfile == "*:*:*:*:" + password.replace("\\", "\\\\").replace(":", "\\:")
    assert list(scratch.iterdir()) == []  # the password file is gone

    listing = subprocess.run(["pg_restore", "--list", str(made)], capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "TABLE public account" in listing.stdout


def test_backup_refuses_an_env_file_without_a_postgresql_url(tmp_path):
    env_file = tmp_path / "meetup.env"
    env_file.write_text("MEETUP_DATABASE_URL=sqlite:///./var/meetup.sqlite3\n")
    run = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backup.sh")],
        env={"PATH": "/usr/bin:/bin", "MEETUP_ENV_FILE": str(env_file), "MEETUP_BACKUP_DIR": str(tmp_path / "b")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "MEETUP_DATABASE_URL" in run.stderr
