"""In production the secret key must be a real secret, and each thing we sign has its own key:
with a known or shared key, anyone could forge stay-in-touch and unsubscribe links."""

import base64
import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meetup import ROOT
from meetup import settings as app_settings
from meetup.app import create_app
from meetup.followups import preferences
from meetup.followups.introductions import stay_token
from meetup.settings import SettingsError, load_settings
from tests.factories import make_accounts

GOOD_KEY = "q8Zr2-Lk4WnVb7XyPt9Dm3Hs6Jf1Gc5Ae0Ru_Oi"
EXAMPLE_KEY = next(
    line.split("=", 1)[1]
    for line in (ROOT / "deploy" / "meetup.env.example").read_text().splitlines()
    if line.startswith("MEETUP_SECRET_KEY=")
)
BAD_KEYS = [
    "CHANGE-ME",
    "x",
    "change-me-change-me-change-me-change-me",
    "changeme" * 5,
    "this-is-the-production-secret-example-key",
    "x" * 64,
    "a" * 40,
    "abababababababababababababababababab",
    "my-super-secret-key-for-the-meetup-site-01",
    "q8Zr2-Lk4WnVb7XyPt9Dm3Hs6Jf1",  # random, but too short
    "0123456789" * 3,  # 30 characters
    EXAMPLE_KEY,
    "test-secret-key-not-for-production",
]


def prod(key: str | None, tmp_path: Path) -> dict[str, str]:
    environ = {"MEETUP_ENV": "prod", "MEETUP_VAR_DIR": str(tmp_path)}
    if key is not None:
        environ["MEETUP_SECRET_KEY"] = key
    return environ


@pytest.mark.parametrize("key", [*BAD_KEYS, None])
def test_production_refuses_a_short_or_placeholder_key(key, tmp_path):
    with pytest.raises(SettingsError, match="MEETUP_SECRET_KEY"):
        load_settings(prod(key, tmp_path))


def test_production_accepts_a_random_key(tmp_path):
    import secrets

    assert load_settings(prod(GOOD_KEY, tmp_path)).secret_key == GOOD_KEY
    for _ in range(200):
        load_settings(prod(secrets.token_urlsafe(48), tmp_path))
        load_settings(prod(secrets.token_hex(16), tmp_path))


def test_development_and_tests_may_use_any_key(tmp_path):
    assert load_settings({"MEETUP_ENV": "test", "MEETUP_SECRET_KEY": "x"}).secret_key == "x"
    generated = load_settings({"MEETUP_ENV": "dev", "MEETUP_VAR_DIR": str(tmp_path)}).secret_key
    assert len(generated) >= 32


@pytest.mark.parametrize("command", ["serve", "worker", "migrate", "seed", "create-organizer"])
def test_every_command_refuses_to_start_in_production_with_a_placeholder_key(command, tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEETUP_ENV": "prod",
        "MEETUP_SECRET_KEY": "CHANGE-ME",
        "MEETUP_DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
        "MEETUP_SMTP_URL": "smtp://127.0.0.1:9",
        "MEETUP_VAR_DIR": str(tmp_path / "var"),
    }
    args = {"create-organizer": ["boss@example.jp", "--password", "a-long-password"]}.get(command, [])
    run = subprocess.run(
        [sys.executable, "main.py", command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    assert "MEETUP_SECRET_KEY" in run.stderr
    assert not (tmp_path / "prod.sqlite3").exists()  # it stopped before touching the database


def test_migrate_runs_in_production_with_a_real_key(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEETUP_ENV": "prod",
        "MEETUP_SECRET_KEY": GOOD_KEY,
        "MEETUP_DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
        "MEETUP_VAR_DIR": str(tmp_path / "var"),
    }
    run = subprocess.run(
        [sys.executable, "main.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr


def test_each_purpose_signs_with_its_own_key(settings):
    keys = {purpose: settings.key_for(purpose) for purpose in ("csrf", "link:unsubscribe", "link:stay")}
    assert len(set(keys.values())) == 3
    assert settings.secret_key.encode() not in keys.values()
    app = create_app(settings)
    assert app.csrf_config.secret not in (settings.secret_key, "")
    assert app.csrf_config.secret == settings.key_for("csrf").hex()


async def test_a_token_signed_for_one_purpose_does_not_pass_for_another(database):
    app_settings.use(database)
    unsubscribe = preferences.sign("unsubscribe", "1-2-3")
    assert preferences.verify("unsubscribe", unsubscribe) == "1-2-3"
    assert preferences.verify("stay", unsubscribe) is None
    stay = stay_token(1, 2, 3)
    assert preferences.verify("stay", stay) == "1-2-3"
    assert preferences.verify("unsubscribe", stay) is None


def raw_key_token(secret: str, purpose: str, payload: str) -> str:
    """A token as it was signed before keys were derived: HMAC of the raw secret."""
    digest = hmac.new(secret.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).digest()[:18]
    return f"{payload}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


async def test_tokens_signed_with_the_raw_key_no_longer_work(client, settings):
    [person] = await make_accounts(1)
    forged = raw_key_token(settings.secret_key, "unsubscribe", str(person))
    assert (await client.get(f"/unsubscribe/{forged}")).status_code == 404
    one_click = await client.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 404
    stay = raw_key_token(settings.secret_key, "stay", f"{person}-{person + 1}-1")
    assert (await client.get(f"/stay-in-touch/{stay}")).status_code == 404
    assert (await client.post(f"/api/v1/stay-in-touch/{stay}")).status_code == 404
    real = preferences.unsubscribe_token(person)
    assert (await client.get(f"/unsubscribe/{real}")).status_code == 200
