"""Development helpers stay in development: the dev mailbox (it shows every sign-in link) is
served only when MEETUP_ENV=dev, and the demo data (published passwords) never loads in prod."""

import os

import msgspec
import pytest

from tests.conftest import _with_csrf, running
from tests.factories import new_email, organizer
from tests.zygote import run_main


@pytest.mark.parametrize("env", ["test", "prod"])
async def test_the_dev_mailbox_is_not_served_outside_development(settings, env):
    changed = msgspec.structs.replace(settings, env=env, base_url="https://meetup.example")
    async with running(changed, base_url="https://meetup.example") as client:  # prod cookies are Secure
        await _with_csrf(client)
        await client.post("/api/v1/auth/magic-link", json={"email": new_email()})
        await organizer(client)  # even an organizer cannot read the sign-in links
        for path in ("/dev/mailbox", "/dev/mailbox/", "/dev/mailbox/1"):
            assert (await client.get(path)).status_code == 404, path


async def test_the_dev_mailbox_is_served_in_development(settings):
    async with running(msgspec.structs.replace(settings, env="dev")) as client:
        await _with_csrf(client)
        await organizer(client)
        assert (await client.get("/dev/mailbox/")).status_code == 200


def test_seed_refuses_to_run_in_production(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEETUP_ENV": "prod",
        "MEETUP_SECRET_KEY": "q8Zr2-Lk4WnVb7XyPt9Dm3Hs6Jf1Gc5Ae0Ru_Oi",
        "MEETUP_DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
        "MEETUP_VAR_DIR": str(tmp_path / "var"),
    }
    for args in (["seed"], ["seed", "--if-empty"]):
        run = run_main(args, env, tmp_path / "out")
        assert run.returncode != 0
        assert "MEETUP_ENV=prod" in run.stderr
        assert "demo organizer" not in run.stdout
    assert not (tmp_path / "prod.sqlite3").exists()
