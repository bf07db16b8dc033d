"""Importing the bureau's list of organisations from CSV: UTF-8 (with or without BOM) or
Shift_JIS; a bad line is listed with its reason, a bad file imports nothing, the same file twice
changes nothing."""

import pytest

from meetup.coordinators import organizations_import
from meetup.coordinators.tables import Organization
from tests.factories import organizer, sign_up

HEADER = "name,name_kana,kind,prefecture,website,summary"
GOOD = [
    "ワカツク,わかつく,gateway,宮城県,https://wakatsuku.example,学生と地域企業をつなぐ",
    "東北大学,とうほくだいがく,university,宮城県,,",
    '七十七銀行,しちじゅうしちぎんこう,finance,宮城県,,"地域金融、事業承継"',
]


def csv_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


async def upload(client, content: bytes, name: str = "organizations.csv"):
    return await client.post("/api/v1/organizations/import", files={"file": (name, content, "text/csv")})


async def names() -> list[str]:
    return sorted(row["name"] for row in await Organization.select(Organization.name))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
async def test_an_organizer_imports_a_list_in_any_of_its_encodings(client, make_client, encoding):
    await organizer(client)
    response = await upload(client, csv_file(HEADER, *GOOD, encoding=encoding))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "updated": 0, "rejected": [], "unchanged": 0}
    assert await names() == sorted(["ワカツク", "東北大学", "七十七銀行"])
    bank = (await client.get("/api/v1/organizations", params={"q": "しちじゅうしち"})).json()
    assert [(o["name"], o["kind"], o["summary"]) for o in bank] == [("七十七銀行", "finance", "地域金融、事業承継")]
    assert [o["name"] for o in (await client.get("/api/v1/organizations", params={"q": "wakatsuku"})).json()] == [
        "ワカツク"
    ]


async def test_the_same_file_twice_changes_nothing_and_an_edited_line_updates(client):
    await organizer(client)
    content = csv_file(HEADER, *GOOD)
    await upload(client, content)
    before = await Organization.select().order_by(Organization.id)
    again = (await upload(client, content)).json()
    assert again == {"created": 0, "updated": 3, "rejected": [], "unchanged": 3}
    assert await Organization.select().order_by(Organization.id) == before
    edited = (await upload(client, csv_file(HEADER, GOOD[0].replace("gateway", "support"), GOOD[1]))).json()
    assert edited == {"created": 0, "updated": 2, "rejected": [], "unchanged": 1}
    kind = await Organization.select(Organization.kind).where(Organization.name == "ワカツク").first()
    assert kind["kind"] == "support"


async def test_columns_in_another_order_and_only_the_required_ones(client):
    await organizer(client)
    response = await upload(client, csv_file("prefecture,name,kind", "秋田県,あきた総研,company"))
    assert response.json()["created"] == 1
    assert await names() == ["あきた総研"]


async def test_kinds_in_japanese_or_capitals_and_spaces_around_cells(client):
    await organizer(client)
    content = csv_file(
        "name,kind,prefecture", "東北大学, 大学 ,宮城県", "七十七銀行,金融機関,宮城県", " ワカツク ,Gateway, 宮城県"
    )
    result = (await upload(client, content)).json()
    assert (result["created"], result["rejected"]) == (3, [])
    kinds = {row["name"]: row["kind"] for row in await Organization.select(Organization.name, Organization.kind)}
    assert kinds == {"東北大学": "university", "七十七銀行": "finance", "ワカツク": "gateway"}


async def test_bad_lines_are_listed_with_their_reason_and_the_others_import(client):
    await organizer(client)
    content = csv_file(
        HEADER,
        GOOD[0],
        "銀行もどき,,bank,宮城県,,",  # line 3: unknown kind
        "どこか団体,,other,東北県,,",  # line 4: unknown prefecture
        "ワカツク,,support,宮城県,,",  # line 5: the same name as line 2
        ",,gateway,宮城県,,",  # line 6: no name
        "足りない団体,,gateway",  # line 7: too few cells
        "危ない団体,,other,宮城県,javascript:alert(1),",  # line 8: not a web address
        "",
        GOOD[1],
    )
    response = await upload(client, content)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["updated"]) == (2, 0)
    assert [r["line"] for r in result["rejected"]] == [3, 4, 5, 6, 7, 8]
    reasons = {r["line"]: r["reason"] for r in result["rejected"]}
    assert "kind" in reasons[3]
    assert "prefecture" in reasons[4]
    assert "2" in reasons[5]
    assert "website" in reasons[8]
    assert await names() == sorted(["ワカツク", "東北大学"])
    kind = await Organization.select(Organization.kind).where(Organization.name == "ワカツク").first()
    assert kind["kind"] == "gateway"  # the duplicate line changed nothing


@pytest.mark.parametrize(
    "content",
    [
        csv_file("name,kind", "ワカツク,gateway"),  # prefecture missing
        csv_file("name,kind,prefecture,email", "ワカツク,gateway,宮城県,a@example.jp"),  # unknown column
        csv_file("name,kind,prefecture,name", "ワカツク,gateway,宮城県,x"),  # a column twice
        b"",  # empty
        b"\xff\xfe\x00n\x00a\x00m\x00e",  # UTF-16: neither UTF-8 nor Shift_JIS
        csv_file(HEADER.replace(",", "\t"), GOOD[1].replace(",", "\t")),  # tab-separated: one unknown column
    ],
)
async def test_a_bad_file_is_a_400_and_nothing_is_imported(client, content):
    await organizer(client)
    response = await upload(client, content)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]
    assert await Organization.count() == 0


async def test_a_missing_file_is_a_400(client):
    await organizer(client)
    response = await client.post("/api/v1/organizations/import", files={"other": ("x.csv", b"name", "text/csv")})
    assert response.status_code == 400


async def test_a_10_mb_file_is_refused_and_nothing_is_imported(client):
    await organizer(client)
    line = GOOD[0].encode()
    content = csv_file(HEADER) + b"\r\n".join(line.replace(b"\xe3\x83\xaf", str(i).encode()) for i in range(90_000))
    assert len(content) > 10 * 1024 * 1024 - 2_000_000
    response = await upload(client, content)
    assert response.status_code == 413, response.text
    assert await Organization.count() == 0


async def test_just_over_5_mb_is_refused_by_the_import_itself(database):
    with pytest.raises(organizations_import.PayloadTooLarge):
        await organizations_import.import_organizations(b"x" * (organizations_import.MAX_BYTES + 1))


async def test_a_failure_midway_writes_nothing(client, monkeypatch):
    await organizer(client)
    await upload(client, csv_file(HEADER, GOOD[0]))
    real_insert = Organization.insert

    def failing_insert(*rows):
        raise RuntimeError("the database went away midway")

    monkeypatch.setattr(Organization, "insert", failing_insert)
    with pytest.raises(RuntimeError):
        await organizations_import.import_organizations(csv_file(HEADER, GOOD[0].replace("gateway", "other"), GOOD[1]))
    monkeypatch.setattr(Organization, "insert", real_insert)
    kind = await Organization.select(Organization.kind).where(Organization.name == "ワカツク").first()
    assert kind["kind"] == "gateway"  # the update before the failing insert was rolled back
    assert await names() == ["ワカツク"]


async def test_only_organizers_import(client):
    await sign_up(client)
    assert (await upload(client, csv_file(HEADER, *GOOD))).status_code == 403
    assert await Organization.count() == 0
