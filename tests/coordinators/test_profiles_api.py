"""Profiles through the API: kanji, kana and romaji find a person; visibility holds everywhere."""

import pytest

from meetup.coordinators import organizations, service
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import Profile
from tests.factories import make_accounts, organizer, sign_up, signed_in

MISAKI = {
    "name": "宮城 美咲",
    "name_kana": "みやぎ みさき",
    "organization": "ワカツク",
    "prefecture": "宮城県",
    "municipality": "仙台市",
    "themes": ["移住", "インターン", "#学生"],
    "bio": "学生と地域企業をつなぐ**長期実践型インターン**のコーディネーター。",
    "links": ["https://wakatsuku.example/misaki"],
    "can_help_with": "インターン受入れの設計",
    "looking_for": "県外の大学とのつながり",
    "visibility": "public",
}


async def test_save_and_read_my_profile(client):
    me = await sign_up(client)
    response = await client.put("/api/v1/me/profile", json=MISAKI)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["id"] == me["id"]
    assert profile["reading"] == "みやぎ みさき"
    assert profile["themes"] == ["移住", "インターン", "学生"]
    assert (await client.get("/api/v1/me/profile")).json()["name"] == "宮城 美咲"
    consent_text, consented_at = await service.consent_of(me["id"])
    assert "同意" in consent_text and consented_at is not None


@pytest.mark.parametrize(
    "query", ["宮城", "美咲", "みさき", "ミサキ", "ﾐｻｷ", "misaki", "Miyagi Misaki", "ワカツク", "インターン"]
)
async def test_the_directory_finds_a_person_however_the_name_is_typed(client, make_client, query):
    await sign_up(client)
    await client.put("/api/v1/me/profile", json=MISAKI)
    anonymous = await make_client()
    response = await anonymous.get("/api/v1/coordinators", params={"q": query})
    assert [p["name"] for p in response.json()] == ["宮城 美咲"], query
    assert response.headers["x-total-count"] == "1"


async def test_romaji_folds_long_vowels(database):
    [uid] = await make_accounts(1)
    await service.save_profile(uid, ProfileIn(name="佐藤 一郎", name_kana="さとう いちろう", prefecture="福島県"))
    assert (await service.directory(None, q="sato")).total == 0  # members-only by default
    from meetup.accounts.schemas import UserOut

    member = UserOut(id=999, email="x@example.jp", display_name="x", role="participant", locale="ja")
    for query in ("sato", "satou", "satoh", "ichiro", "いちろう", "サトウ"):
        assert (await service.directory(member, q=query)).total == 1, query


async def test_sorted_by_reading_and_filtered(database):
    from meetup.accounts.schemas import UserOut

    member = UserOut(id=999, email="x@example.jp", display_name="x", role="participant", locale="ja")
    people = [
        ("和田 健", "わだ けん", "秋田県", ["DX"]),
        ("阿部 花子", "あべ はなこ", "岩手県", ["移住"]),
        ("高橋 翔", "たかはし しょう", "岩手県", ["DX", "観光"]),
    ]
    for uid, (name, kana, prefecture, themes) in zip(await make_accounts(3), people, strict=True):
        await service.save_profile(uid, ProfileIn(name=name, name_kana=kana, prefecture=prefecture, themes=themes))
    assert [p.name for p in (await service.directory(member)).items] == ["阿部 花子", "高橋 翔", "和田 健"]
    assert [p.name for p in (await service.directory(member, prefecture="岩手県")).items] == ["阿部 花子", "高橋 翔"]
    assert [p.name for p in (await service.directory(member, theme="DX")).items] == ["高橋 翔", "和田 健"]


async def test_private_profiles_never_leak(client, make_client):
    await organizer(client)
    hub = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    uids = await make_accounts(3)
    for uid, visibility in zip(uids, ("public", "members", "private"), strict=True):
        await service.save_profile(
            uid,
            ProfileIn(
                name=f"{visibility} 東北",
                prefecture="青森県",
                visibility=visibility,
                themes=["DX"],
                organization="ワカツク",
            ),
        )
    anonymous = await make_client()
    member = await make_client()
    await sign_up(member)
    owner = await signed_in(make_client, uids[2])

    async def names(person, **params):
        response = await person.get("/api/v1/coordinators", params=params)
        return sorted(p["name"] for p in response.json()), response.headers["x-total-count"]

    assert await names(anonymous) == (["public 東北"], "1")
    assert await names(anonymous, q="東北") == (["public 東北"], "1")
    assert await names(member) == (["members 東北", "public 東北"], "2")
    assert await names(member, theme="DX") == (["members 東北", "public 東北"], "2")
    assert await names(client) == (["members 東北", "private 東北", "public 東北"], "3")
    for person in (anonymous, member):
        assert (await person.get(f"/api/v1/coordinators/{uids[2]}")).status_code == 404
    assert (await anonymous.get(f"/api/v1/coordinators/{uids[1]}")).status_code == 404
    assert (await owner.get(f"/api/v1/coordinators/{uids[2]}")).status_code == 200
    # an organisation counts and lists only the members each person may see
    for person, seen in ((anonymous, ["public 東北"]), (member, ["members 東北", "public 東北"])):
        [listed] = (await person.get("/api/v1/organizations")).json()
        assert (listed["id"], listed["member_count"]) == (hub, len(seen))
        detail = (await person.get(f"/api/v1/organizations/{hub}")).json()
        assert sorted(m["name"] for m in detail["members"]) == seen
        assert detail["organization"]["member_count"] == len(seen)
    [listed] = (await client.get("/api/v1/organizations")).json()
    assert listed["member_count"] == 3  # the organizer sees everyone
    assert (await client.get(f"/api/v1/organizations/{hub}")).json()["organization"]["member_count"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prefecture": "東京"}, "prefecture"),
        ({"name": "   "}, "name"),
        ({"name": "あ" * 101}, "name"),
        ({"bio": "あ" * 1_000_000}, "bio"),
        ({"links": ["javascript:alert(1)"]}, "links"),
        ({"links": ["https://ok.example"] * 11}, "links"),
        ({"themes": ["あ" * 31]}, "themes"),
        ({"themes": [f"t{i}" for i in range(21)]}, "themes"),
        ({"visibility": "everyone"}, "visibility"),
        ({"name": "\u0000\r\n"}, "name"),  # nothing left once control characters are collapsed
    ],
)
async def test_bad_profiles_are_refused_and_nothing_is_stored(client, change, field):
    await sign_up(client)
    response = await client.put("/api/v1/me/profile", json={**MISAKI, **change})
    assert response.status_code == 400, response.text
    assert field in response.text
    assert await Profile.count() == 0


async def test_the_profile_api_needs_a_login(make_client):
    anonymous = await make_client()
    assert (await anonymous.put("/api/v1/me/profile", json=MISAKI)).status_code == 401


async def test_script_in_a_profile_is_data_not_code(client, make_client):
    me = await sign_up(client)
    evil = {**MISAKI, "name": "<script>alert(1)</script>", "bio": "<img src=x onerror=alert(1)>"}
    await client.put("/api/v1/me/profile", json=evil)
    body = (await (await make_client()).get(f"/api/v1/coordinators/{me['id']}")).json()
    assert body["name"] == "<script>alert(1)</script>"  # stored as text; pages escape it
