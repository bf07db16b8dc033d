"""Other people see a person's name, never any part of their e-mail address: a newcomer names
themself when registering by e-mail, an account made without a name gets a neutral one, and
everyone can change their name on /me."""

import importlib
import re

from meetup.accounts import service
from meetup.accounts.tables import Account
from meetup.mail import outbox
from tests.accounts.test_magic_link import mailed_token, press
from tests.factories import PASSWORD, create_forum, new_email, organizer, sign_up

NEUTRAL = re.compile(r"^(参加者|Participant) \d{4}$")


async def test_a_plain_magic_link_account_gets_a_neutral_name_not_the_local_part(client):
    email = new_email("tanaka.hanako")
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    page = await client.get(f"/auth/magic/{token}")
    assert 'name="display_name"' in page.text  # a new account: the page asks for a name
    await press(client, token)  # the person left it empty
    me = (await client.get("/api/v1/me")).json()
    assert NEUTRAL.match(me["display_name"]), me["display_name"]
    assert email.split("@")[0] not in me["display_name"]


async def test_the_name_given_on_the_links_page_names_the_new_account(client):
    email = new_email("sato")
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    await press(client, token, display_name="  佐藤   一郎 ")
    assert (await client.get("/api/v1/me")).json()["display_name"] == "佐藤 一郎"


async def test_a_bad_name_on_the_links_page_is_a_400_and_uses_nothing(client):
    email = new_email()
    await client.post("/api/v1/auth/magic-link", json={"email": email})
    token = await mailed_token(email)
    for name in ("x" * 101, "\x00\x01"):  # too long; nothing but control characters (they become spaces)
        response = await press(client, token, display_name=name)
        assert response.status_code == 400
        assert "表示名" in response.text or "100" in response.text
    assert await Account.count() == 0
    assert (await press(client, token, display_name="山田 花子")).status_code == 303


async def test_a_newcomer_registering_by_mail_is_known_by_the_name_they_gave(client, make_client):
    await organizer(client)
    slug = await create_forum(client, title="関係人口セミナー in 石巻")
    newcomer = await make_client()
    email = new_email("newcomer")
    form = {"_csrf_token": newcomer.cookies["csrftoken"], "email": email, "display_name": "石巻 みなと"}
    sent = await newcomer.post(f"/events/{slug}/register", data=form)
    assert sent.status_code == 202
    [mail] = await outbox.recent(to_addr=email)
    assert "石巻 みなと 様" in mail.body_text
    token = await mailed_token(email)
    page = await newcomer.get(f"/auth/magic/{token}")
    assert "関係人口セミナー in 石巻" in page.text  # the page says which registration it completes
    assert 'value="石巻 みなと"' in page.text
    done = await press(newcomer, token)
    assert done.headers["location"] == f"/events/{slug}/register/continue"
    await newcomer.get(done.headers["location"])
    assert (await newcomer.get("/api/v1/me")).json()["display_name"] == "石巻 みなと"
    registrants = (await client.get(f"/api/v1/events/{slug}/registrations")).json()
    assert [r["user"]["display_name"] for r in registrants] == ["石巻 みなと"]


async def test_the_forum_page_asks_a_newcomer_for_a_name(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    newcomer = await make_client()
    page = await newcomer.get(f"/events/{slug}")
    assert 'name="display_name"' in page.text
    email = new_email()
    missing = await newcomer.post(
        f"/events/{slug}/register", data={"_csrf_token": newcomer.cookies["csrftoken"], "email": email}
    )
    assert missing.status_code == 400
    assert "表示名" in missing.text or "100文字" in missing.text
    assert f'value="{email}"' in missing.text  # what they typed is kept
    assert await outbox.recent(to_addr=email) == []
    bad_email = await newcomer.post(
        f"/events/{slug}/register",
        data={"_csrf_token": newcomer.cookies["csrftoken"], "email": "not-an-address", "display_name": "山田"},
    )
    assert bad_email.status_code == 400
    assert 'value="山田"' in bad_email.text


async def test_people_set_their_name_on_me(client, make_client):
    user = await sign_up(client, name="旧い名前")
    page = await client.get("/me")
    assert 'name="display_name"' in page.text
    saved = await client.post(
        "/me", data={"_csrf_token": client.cookies["csrftoken"], "display_name": "新しい 名前"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert "名前を保存しました" in (await client.get(saved.headers["location"])).text
    assert (await client.get("/api/v1/me")).json()["display_name"] == "新しい 名前"
    for bad in ("", "x" * 101, "\x07\x07"):  # control characters become spaces: only them is blank
        response = await client.post("/me", data={"_csrf_token": client.cookies["csrftoken"], "display_name": bad})
        assert response.status_code == 400
    renamed = await client.patch("/api/v1/me", json={"display_name": "API の 名前"})
    assert renamed.status_code == 200
    assert renamed.json()["display_name"] == "API の 名前"
    assert renamed.json()["id"] == user["id"]
    assert (await client.patch("/api/v1/me", json={"display_name": ""})).status_code == 400
    assert (await (await make_client()).patch("/api/v1/me", json={"display_name": "x"})).status_code == 401


async def test_existing_accounts_named_after_their_address_are_renamed(database):
    await Account.insert(
        Account(email="newcomer1@example.jp", display_name="newcomer1"),
        Account(email="Suzuki.Taro@example.jp", display_name="suzuki.taro", locale="en"),
        Account(email="yamada@example.jp", display_name="山田 太郎"),
    )
    migration = importlib.import_module("migrations.meetup_2026_12_02t08_31_18_000000")
    manager = await migration.forwards()
    for step in manager.raw:
        await step()
    names = {row["email"]: row["display_name"] for row in await Account.select(Account.email, Account.display_name)}
    assert re.match(r"^参加者 \d{4}$", names["newcomer1@example.jp"])
    assert re.match(r"^Participant \d{4}$", names["Suzuki.Taro@example.jp"])
    assert names["yamada@example.jp"] == "山田 太郎"


async def test_create_organizer_without_a_name_never_uses_the_address(database):
    user, created = await service.make_organizer("boss.person@example.jp", PASSWORD)
    assert created
    assert NEUTRAL.match(user.display_name)
