"""Organisations as records (CONTRACT §5.4): organizers create them, organizers and an
organisation's own admins edit them, and the list finds them by kanji, kana or romaji."""

import asyncio

import pytest

from meetup.coordinators.tables import Organization, OrganizationAdmin
from tests.factories import make_accounts, organizer, sign_up, signed_in

WAKATSUKU = {
    "name": "ワカツク",
    "name_kana": "わかつく",
    "kind": "gateway",
    "prefecture": "宮城県",
    "website": "https://wakatsuku.example",
    "summary": "学生と地域企業をつなぐ長期実践型インターン",
}
TOHOKU_UNIVERSITY = {"name": "東北大学", "name_kana": "とうほくだいがく", "kind": "university", "prefecture": "宮城県"}


async def create(client, body: dict) -> dict:
    response = await client.post("/api/v1/organizations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_organizer_creates_an_organisation_with_the_contract_fields(client):
    await organizer(client)
    created = await create(client, WAKATSUKU)
    for field, value in WAKATSUKU.items():
        assert created[field] == value, field
    detail = (await client.get(f"/api/v1/organizations/{created['id']}")).json()
    assert detail["organization"]["summary"] == WAKATSUKU["summary"]
    assert detail["admins"] == []


async def test_only_organizers_create(client, make_client):
    await sign_up(client)
    assert (await client.post("/api/v1/organizations", json=WAKATSUKU)).status_code == 403
    anonymous = await make_client()
    assert (await anonymous.post("/api/v1/organizations", json=WAKATSUKU)).status_code == 401
    assert await Organization.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "bank"},
        {"prefecture": "東北県"},
        {"name": "   "},
        {"website": "javascript:alert(1)"},
        {"colour": "red"},
        {"name": "x" * 201},
    ],
)
async def test_bad_input_is_a_400_and_nothing_is_created(client, change):
    await organizer(client)
    response = await client.post("/api/v1/organizations", json=WAKATSUKU | change)
    assert response.status_code == 400, response.text
    assert await Organization.count() == 0


async def test_a_name_in_use_is_a_409(client):
    await organizer(client)
    await create(client, WAKATSUKU)
    assert (await client.post("/api/v1/organizations", json=WAKATSUKU)).status_code == 409
    assert await Organization.count() == 1


async def test_the_same_name_sent_twice_at_once_is_one_organisation_and_one_409(client, make_client):
    await organizer(client)
    responses = await asyncio.gather(*(client.post("/api/v1/organizations", json=WAKATSUKU) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    [admin_id] = await make_accounts(1)
    organization_id = next(r.json()["id"] for r in responses if r.status_code == 201)
    url = f"/api/v1/organizations/{organization_id}/admins"
    added = await asyncio.gather(*(client.post(url, json={"user_id": admin_id}) for _ in range(4)))
    assert {r.status_code for r in added} == {201}
    assert await OrganizationAdmin.count() == 1


async def test_admins_edit_their_own_organisation_and_no_other(client, make_client):
    await organizer(client)
    wakatsuku = await create(client, WAKATSUKU)
    university = await create(client, TOHOKU_UNIVERSITY)
    admin_id, colleague_id, stranger_id = await make_accounts(3)
    response = await client.post(f"/api/v1/organizations/{wakatsuku['id']}/admins", json={"user_id": admin_id})
    assert response.status_code == 201, response.text
    assert [a["id"] for a in response.json()] == [admin_id]
    assert "email" not in response.json()[0]

    admin = await signed_in(make_client, admin_id)
    edited = await admin.patch(f"/api/v1/organizations/{wakatsuku['id']}", json={"summary": "インターンの草分け"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["summary"] == "インターンの草分け"
    assert edited.json()["name"] == "ワカツク"  # fields not given stay
    # an admin of one organisation is nobody on another
    other = await admin.patch(f"/api/v1/organizations/{university['id']}", json={"summary": "乗っ取り"})
    assert other.status_code == 403
    assert (
        await admin.post(f"/api/v1/organizations/{university['id']}/admins", json={"user_id": admin_id})
    ).status_code == 403
    assert (await Organization.select(Organization.summary).where(Organization.id == university["id"]).first())[
        "summary"
    ] == ""
    # an admin adds a colleague, who may then edit; adding twice changes nothing
    for _ in range(2):
        added = await admin.post(f"/api/v1/organizations/{wakatsuku['id']}/admins", json={"user_id": colleague_id})
        assert added.status_code == 201
    assert sorted(a["id"] for a in added.json()) == sorted([admin_id, colleague_id])
    colleague = await signed_in(make_client, colleague_id)
    assert (
        await colleague.patch(f"/api/v1/organizations/{wakatsuku['id']}", json={"kind": "support"})
    ).status_code == 200
    stranger = await signed_in(make_client, stranger_id)
    assert (await stranger.patch(f"/api/v1/organizations/{wakatsuku['id']}", json={"kind": "other"})).status_code == 403
    assert (
        await stranger.post(f"/api/v1/organizations/{wakatsuku['id']}/admins", json={"user_id": stranger_id})
    ).status_code == 403


async def test_edits_are_checked_as_creation_is(client):
    await organizer(client)
    wakatsuku = await create(client, WAKATSUKU)
    await create(client, TOHOKU_UNIVERSITY)
    url = f"/api/v1/organizations/{wakatsuku['id']}"
    assert (await client.patch(url, json={"prefecture": "東北県"})).status_code == 400
    assert (await client.patch(url, json={"kind": "bank"})).status_code == 400
    assert (await client.patch(url, json={"name": "東北大学"})).status_code == 409
    assert (await client.patch(url, json={"email": "x@example.jp"})).status_code == 400
    assert (await client.patch("/api/v1/organizations/999999", json={"kind": "other"})).status_code == 404
    assert (await client.post(url + "/admins", json={"user_id": 999999})).status_code == 404
    assert (await client.get(url)).json()["organization"] | {"member_count": 0} == wakatsuku | {"member_count": 0}


async def test_a_renamed_organisation_is_found_by_its_new_reading(client):
    await organizer(client)
    wakatsuku = await create(client, WAKATSUKU)
    await client.patch(f"/api/v1/organizations/{wakatsuku['id']}", json={"name": "みやぎ若者塾", "name_kana": ""})
    found = (await client.get("/api/v1/organizations", params={"q": "wakamono"})).json()
    assert [o["name"] for o in found] == ["みやぎ若者塾"]
    assert (await client.get("/api/v1/organizations", params={"q": "wakatsuku"})).json() == []


@pytest.mark.parametrize(
    "query", ["ワカツク", "わかつく", "ﾜｶﾂｸ", "wakatsuku", "WAKATSUKU", "東北大学", "とうほく", "tohoku"]
)
async def test_the_list_finds_an_organisation_however_its_name_is_typed(client, make_client, query):
    await organizer(client)
    await create(client, WAKATSUKU)
    await create(client, TOHOKU_UNIVERSITY)
    anonymous = await make_client()
    found = (await anonymous.get("/api/v1/organizations", params={"q": query})).json()
    expected = "東北大学" if query in ("東北大学", "とうほく", "tohoku") else "ワカツク"
    assert [o["name"] for o in found] == [expected], query


async def test_the_list_filters_by_kind_and_prefecture(client):
    await organizer(client)
    await create(client, WAKATSUKU)
    await create(client, TOHOKU_UNIVERSITY)
    await create(client, {"name": "あきた総研", "kind": "company", "prefecture": "秋田県"})

    async def names(**params):
        response = await client.get("/api/v1/organizations", params=params)
        assert response.status_code == 200, response.text
        return [o["name"] for o in response.json()]

    assert await names(kind="university") == ["東北大学"]
    assert sorted(await names(prefecture="宮城県")) == sorted(["ワカツク", "東北大学"])
    assert await names(prefecture="秋田県", kind="company") == ["あきた総研"]
    assert await names(prefecture="秋田県", kind="gateway") == []
    assert (await client.get("/api/v1/organizations", params={"kind": "bank"})).status_code == 400
