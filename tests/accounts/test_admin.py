"""Admins (README "Roles"): the first is made on the command line, then admins give and take the
organizer role in the web (`PUT /api/v1/accounts/{id}/role`, `/admin/accounts`). Nobody but
admins sees anyone's e-mail address there, and the site never ends without an admin."""

from __future__ import annotations

from meetup.accounts import service
from tests.factories import PASSWORD, make_accounts, new_email, sign_up, signed_in
from tests.zygote import run_main


async def an_admin(make_client):
    admin, _ = await service.make_admin("admin@example.jp", None, "管理 一子")
    return admin, await signed_in(make_client, admin.id)


async def test_an_admin_gives_and_takes_the_organizer_role(client, make_client):
    admin, boss = await an_admin(make_client)
    (person,) = await make_accounts(1)
    response = await boss.put(f"/api/v1/accounts/{person}/role", json={"role": "organizer"})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": person, "display_name": "参加者 0", "role": "organizer"}
    promoted = await signed_in(make_client, person)
    assert (await promoted.get("/organizer/")).status_code == 200
    assert (await boss.put(f"/api/v1/accounts/{person}/role", json={"role": "participant"})).status_code == 200
    assert (await promoted.get("/organizer/")).status_code == 403  # at once, on the same session
    assert (await service.get_user(person)).role == "participant"


async def test_bad_roles_and_people_who_are_no_admin(client, make_client):
    admin, boss = await an_admin(make_client)
    (person,) = await make_accounts(1)
    for body in ({"role": "superuser"}, {"role": ""}, {"role": 3}, {}, {"role": "organizer", "x": 1}):
        response = await boss.put(f"/api/v1/accounts/{person}/role", json=body)
        assert response.status_code == 400, (body, response.text)
    assert (await boss.put("/api/v1/accounts/999999/role", json={"role": "organizer"})).status_code == 404
    assert (await service.get_user(person)).role == "participant"

    organizer, _ = await service.make_organizer(new_email(), None, "主催 花子")
    as_organizer = await signed_in(make_client, organizer.id)
    assert (await as_organizer.put(f"/api/v1/accounts/{person}/role", json={"role": "organizer"})).status_code == 403
    assert (await as_organizer.get("/admin/accounts")).status_code == 403
    assert (await as_organizer.put(f"/api/v1/accounts/{organizer.id}/role", json={"role": "admin"})).status_code == 403
    anonymous = await make_client()
    assert (await anonymous.put(f"/api/v1/accounts/{person}/role", json={"role": "organizer"})).status_code == 401
    assert (await service.get_user(person)).role == "participant"


async def test_an_admin_cannot_take_away_their_own_admin_role(client, make_client):
    admin, boss = await an_admin(make_client)
    for role in ("organizer", "participant"):
        response = await boss.put(f"/api/v1/accounts/{admin.id}/role", json={"role": role})
        assert response.status_code == 409, response.text
        assert "管理者" in response.json()["detail"]
    page = await boss.post(f"/admin/accounts/{admin.id}/role", data={"role": "participant"})
    assert page.status_code == 409 and "管理者が必ず一人は残る" in page.text
    assert (await service.get_user(admin.id)).role == "admin"
    # another admin may, and the first one stays
    second, _ = await service.make_admin("second@example.jp", None, "管理 二子")
    other = await signed_in(make_client, second.id)
    assert (await other.put(f"/api/v1/accounts/{admin.id}/role", json={"role": "organizer"})).status_code == 200
    assert (await service.get_user(second.id)).role == "admin"


async def test_the_roles_page_searches_by_name_and_shows_addresses_only_to_admins(client, make_client):
    admin, boss = await an_admin(make_client)
    await service.make_participant("sato@example.jp", "佐藤 美咲")
    await service.make_participant("suzuki@example.jp", "鈴木 健")
    page = await boss.get("/admin/accounts", params={"q": "佐藤"})
    assert page.status_code == 200
    assert "佐藤 美咲" in page.text and "sato@example.jp" in page.text
    assert "鈴木 健" not in page.text
    assert "その名前の方は見つかりません" in (await boss.get("/admin/accounts", params={"q": "%"})).text
    everyone = await boss.get("/admin/accounts")
    assert "suzuki@example.jp" in everyone.text and "管理 一子" in everyone.text
    # the form changes a role and comes back to the same search
    suzuki = await service.find_user_by_email("suzuki@example.jp")
    done = await boss.post(f"/admin/accounts/{suzuki.id}/role", data={"role": "organizer", "q": "鈴木"})
    assert done.status_code == 303 and done.headers["location"].startswith("/admin/accounts?q=")
    assert (await service.get_user(suzuki.id)).role == "organizer"
    bad = await boss.post(f"/admin/accounts/{suzuki.id}/role", data={"role": "king"})
    assert bad.status_code == 400 and (await service.get_user(suzuki.id)).role == "organizer"
    # the organizer pages link to it for admins only
    assert "/admin/accounts" in (await boss.get("/organizer/")).text
    organizer = await signed_in(make_client, suzuki.id)
    assert "/admin/accounts" not in (await organizer.get("/organizer/")).text
    participant = await make_client()
    await sign_up(participant)
    assert (await participant.get("/admin/accounts")).status_code == 403


def test_grant_admin_command(database_url, tmp_path):
    env = {"MEETUP_DATABASE_URL": database_url, "MEETUP_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = ["grant-admin", "first@example.jp", "--password", PASSWORD, "--name", "管理者"]
    first = run_main(run, env, tmp_path / "out")
    assert first.returncode == 0, first.stderr
    assert "created first@example.jp as admin" in first.stdout
    again = run_main(run[:2], env, tmp_path / "out")
    assert "promoted first@example.jp as admin" in again.stdout
    bad = run_main([run[0], "not-an-address"], env, tmp_path / "out")
    assert bad.returncode == 2
