"""受付: a ticket code a person can read out and type on a phone, and a desk that finds people
by name when they have no ticket at hand."""

from __future__ import annotations

import importlib.util
import re

from meetup import ROOT
from meetup.accounts.tables import Account
from meetup.events import tickets
from meetup.events.tables import Registration
from tests.factories import create_forum, new_email, organizer, signed_in

CODE = re.compile(f"[{tickets.ALPHABET}]{{8}}")


def form(client, **fields) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **fields}


async def registrant(make_client, slug: str, name: str) -> dict:
    """A person called `name` who registers for the forum; returns their registration row."""
    rows = await Account.insert(Account(email=new_email("desk"), display_name=name)).returning(Account.id)
    person = await signed_in(make_client, rows[0]["id"])
    response = await person.post(f"/api/v1/events/{slug}/registration", json={})
    assert response.status_code == 201, response.text
    return await Registration.select().where(Registration.id == response.json()["id"]).first()


async def checked_in() -> int:
    return await Registration.count().where(Registration.checked_in_at.is_not_null())


def test_a_ticket_code_is_eight_characters_people_can_tell_apart():
    assert not set("0O1IL U") & set(tickets.ALPHABET)  # no 0/O, 1/I/L look-alikes
    assert len(set(tickets.ALPHABET)) == len(tickets.ALPHABET) == 30
    codes = [tickets.new_code() for _ in range(2000)]
    assert all(CODE.fullmatch(code) for code in codes)
    assert set("".join(codes)) == set(tickets.ALPHABET)  # every character is used
    assert all({code[i] for code in codes} == set(tickets.ALPHABET) for i in range(8))  # in every place
    assert tickets.shown("7KQM3XRD") == "7KQM-3XRD"
    for typed in ("7kqm-3xrd", "7KQM3XRD", " 7kqm 3xrd ", "７ＫＱＭ－３ＸＲＤ", "7KQMー3XRD", "https://x/t/7KQM-3XRD"):
        assert tickets.read(typed) == "7KQM3XRD", typed
    for typed in ("", "7KQM-3XR", "7KQM-3XRD9", "0OIL-1234", "qZ1vL5IOSI4Gpb7E", "7KQM\x003XRD"):
        assert tickets.read(typed) is None, typed


async def test_the_ticket_shows_the_code_as_xxxx_xxxx_in_text_and_qr(client, make_client):
    import segno

    await organizer(client)
    slug = await create_forum(client)
    row = await registrant(make_client, slug, "受付 一郎")
    assert CODE.fullmatch(row["ticket_code"])
    person = await signed_in(make_client, row["account"])
    page = (await person.get(f"/events/{slug}/ticket")).text
    shown = f"{row['ticket_code'][:4]}-{row['ticket_code'][4:]}"
    assert f"<code>{shown}</code>" in page
    qr = segno.make_qr(shown, error="m")  # the QR code holds the same XXXX-XXXX
    assert not qr.is_micro  # segno.make would choose a Micro QR for 9 characters: phones cannot read it
    assert qr.svg_inline(scale=8, dark="#1d2a35", omitsize=True) in page


async def test_the_desk_and_the_api_take_a_code_in_any_case_with_or_without_the_dash(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    rows = [await registrant(make_client, slug, f"来場者 {i}") for i in range(6)]
    codes = [row["ticket_code"] for row in rows]

    typed_at_the_desk = [
        f"{codes[0][:4].lower()}-{codes[0][4:].lower()}",
        f"{codes[1][:4]} {codes[1][4:]}",
        codes[2].lower(),
        "".join(chr(ord(c) + 0xFEE0) for c in f"{codes[3][:4]}-{codes[3][4:]}"),  # full width, from a Japanese IME
    ]
    for i, typed in enumerate(typed_at_the_desk):
        page = await client.post(f"/organizer/events/{slug}/check-in", data=form(client, code=typed))
        assert page.status_code == 200, typed
        assert 'class="desk-result desk-ok"' in page.text and f"来場者 {i}" in page.text

    for i, typed in ((4, f"  {codes[4][:4].lower()} - {codes[4][4:]} "), (5, codes[5].lower())):
        response = await client.post(f"/api/v1/events/{slug}/check-in", json={"code": typed})
        assert response.status_code == 200, typed
        assert response.json()["id"] == rows[i]["id"] and response.json()["checked_in_at"]
    assert await checked_in() == 6


async def test_a_wrong_code_gets_a_clear_4xx_and_changes_nothing(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    other = await create_forum(client, title="別のフォーラム")
    mine = await registrant(make_client, slug, "受付 花子")
    elsewhere = await registrant(make_client, other, "他所 太郎")
    taken = (mine["ticket_code"], elsewhere["ticket_code"])
    fresh = next(code for code in iter(tickets.new_code, None) if code not in taken)
    wrong = {
        "qZ1vL5IOSI4Gpb7E": 400,  # an old-style code
        mine["ticket_code"][:7]: 400,  # one character short
        "見つからない": 400,
        tickets.shown(fresh): 404,  # a code, but nobody's
        tickets.shown(elsewhere["ticket_code"]): 404,  # another forum's ticket
    }
    for typed, status in wrong.items():
        page = await client.post(f"/organizer/events/{slug}/check-in", data=form(client, code=typed))
        assert page.status_code == status, typed
        assert 'class="desk-result desk-error"' in page.text
        api = await client.post(f"/api/v1/events/{slug}/check-in", json={"code": typed})
        assert api.status_code == status, typed
        assert api.json()["detail"]
    page = await client.post(f"/organizer/events/{slug}/check-in", data=form(client, code="qZ1vL5IOSI4Gpb7E"))
    assert "受付票のコードではありません" in page.text
    assert await checked_in() == 0


async def test_a_code_another_registration_holds_is_drawn_again(client, make_client, monkeypatch):
    await organizer(client)
    slug = await create_forum(client)
    first = await registrant(make_client, slug, "一人目")
    drawn = iter([first["ticket_code"], first["ticket_code"]])
    monkeypatch.setattr(tickets, "new_code", lambda: next(drawn, None) or "ZZZZ2222")
    second = await registrant(make_client, slug, "二人目")
    assert second["ticket_code"] == "ZZZZ2222"
    assert second["status"] == "confirmed"


async def test_the_desk_finds_confirmed_registrants_by_name_or_kana_and_checks_them_in(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=3)
    hanako = await registrant(make_client, slug, "佐藤 花子")
    await registrant(make_client, slug, "佐藤 一郎")
    await registrant(make_client, slug, "鈴木 次郎")
    await registrant(make_client, slug, "佐藤 待子")  # waitlisted: no seat, not at the desk
    other = await create_forum(client, title="別のフォーラム")
    await registrant(make_client, other, "佐藤 他子")  # another forum's registrant
    desk = f"/organizer/events/{slug}/check-in"

    def names(page: str) -> list[str]:
        return re.findall(r'<span class="desk-match-name">([^<]+?)\s*(?:<|$)', page)

    found = (await client.get(desk, params={"q": "さとう"})).text
    assert names(found) == ["佐藤 一郎", "佐藤 花子"]  # あいうえお順; not the waitlisted, not the other forum
    assert "@example.jp" not in found  # never an e-mail address at the desk
    assert names((await client.get(desk, params={"q": "サトウ ハナ"})).text) == ["佐藤 花子"]
    assert names((await client.get(desk, params={"q": "hanako"})).text) == ["佐藤 花子"]
    assert names((await client.get(desk, params={"q": "花"})).text) == ["佐藤 花子"]
    nobody = (await client.get(desk, params={"q": "高橋"})).text
    assert names(nobody) == [] and "「高橋」に一致する参加確定者はいません" in nobody

    button = f'action="/organizer/events/{slug}/registrations/{hanako["id"]}/check-in?from=desk"'
    assert button in found
    pressed = await client.post(
        f"/organizer/events/{slug}/registrations/{hanako['id']}/check-in?from=desk", data=form(client)
    )
    assert pressed.status_code == 303 and pressed.headers["location"] == f"{desk}?arrived={hanako['id']}"
    welcome = (await client.get(pressed.headers["location"])).text
    assert 'class="desk-result desk-ok"' in welcome and "佐藤 花子" in welcome
    assert (await Registration.select().where(Registration.id == hanako["id"]).first())["checked_in_at"]
    again = (await client.get(desk, params={"q": "はなこ"})).text
    assert button not in again and "受付済み" in again
    assert await checked_in() == 1


async def test_the_migration_gives_old_tickets_new_codes(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    rows = [await registrant(make_client, slug, f"古い受付票 {i}") for i in range(5)]
    for i, row in enumerate(rows[:4]):  # as registrations made before looked
        await Registration.update({Registration.ticket_code: f"qZ1vL5IOSI4Gpb7{i}"}).where(Registration.id == row["id"])
    kept = rows[4]["ticket_code"]

    path = ROOT / "migrations" / "meetup_2026_12_02t08_40_01_000000.py"
    spec = importlib.util.spec_from_file_location("readable_ticket_codes", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    await (await migration.forwards()).run()

    codes = {r["id"]: r["ticket_code"] for r in await Registration.select(Registration.id, Registration.ticket_code)}
    assert all(CODE.fullmatch(code) for code in codes.values())
    assert len(set(codes.values())) == 5 and codes[rows[4]["id"]] == kept
    response = await client.post(
        f"/api/v1/events/{slug}/check-in", json={"code": tickets.shown(codes[rows[0]["id"]]).lower()}
    )
    assert response.status_code == 200
