"""Roles are checked by guards: participants cannot reach organizer pages."""

import msgspec

from meetup.accounts import service
from tests.conftest import _with_csrf, http_client, running
from tests.factories import PASSWORD, new_email, organizer, sign_up
from tests.zygote import run_main


async def test_organizer_pages_by_role(settings):
    # The dev mailbox exists only in development.
    async with running(msgspec.structs.replace(settings, env="dev")) as client:
        anonymous = await _with_csrf(http_client(client.app))
        to_login = await anonymous.get("/dev/mailbox/", follow_redirects=False)
        assert to_login.status_code in (302, 303)
        assert to_login.headers["location"].startswith("/login?next=")

        participant = await _with_csrf(http_client(client.app))
        await sign_up(participant)
        assert (await participant.get("/dev/mailbox/")).status_code == 403

        await _with_csrf(client)
        await organizer(client)
        assert (await client.get("/dev/mailbox/")).status_code == 200
        for person in (anonymous, participant):
            await person.aclose()


async def test_api_answers_401_not_a_redirect(make_client):
    anonymous = await make_client()
    response = await anonymous.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


async def test_make_organizer_creates_or_promotes(client):
    email = new_email()
    user = await sign_up(client, email=email)
    promoted, created = await service.make_organizer(email, None)
    assert not created
    assert promoted.id == user["id"]
    assert promoted.role == "organizer"
    fresh, created = await service.make_organizer(new_email(), PASSWORD, "主催 次郎")
    assert created
    assert fresh.role == "organizer"
    assert fresh.display_name == "主催 次郎"


def test_create_organizer_command(database_url, tmp_path):
    env = {"MEETUP_DATABASE_URL": database_url, "MEETUP_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = ["create-organizer", "boss@example.jp", "--password", PASSWORD, "--name", "局長"]
    first = run_main(run, env, tmp_path / "out")
    assert first.returncode == 0, first.stderr
    assert "created boss@example.jp as organizer" in first.stdout
    second = run_main(run, env, tmp_path / "out")
    assert "promoted boss@example.jp as organizer" in second.stdout
    short = run_main([*run[:2], "--password", "short"], env, tmp_path / "out")
    assert short.returncode == 2
    assert "10 characters" in short.stderr


def test_every_command_has_help(tmp_path):
    for command in ("serve", "worker", "migrate", "seed", "create-organizer", "grant-admin"):
        result = run_main([command, "--help"], {"PATH": "/usr/bin:/bin"}, tmp_path)
        assert result.returncode == 0, command
        assert "usage: main.py" in result.stdout
