"""Organisation pages: organizers create and edit with a form, an organisation's admins edit
theirs and no other, the import page lists rejected lines, the list searches and filters, and an
organisation's page shows only the members the visitor may see and the forums they came to that
are published."""

from meetup.coordinators import organizations
from meetup.coordinators.tables import Organization
from tests.factories import make_accounts, organizer, signed_in

FIELDS = {
    "name": "ワカツク",
    "name_kana": "わかつく",
    "kind": "gateway",
    "prefecture": "宮城県",
    "website": "",
    "summary": "",
}


def form(client, **fields) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **fields}


async def test_an_organizer_creates_an_organisation_with_the_form(client):
    await organizer(client)
    page = await client.get("/organizer/organizations/new")
    assert page.status_code == 200 and 'name="kind"' in page.text
    created = await client.post(
        "/organizer/organizations/new", data=form(client, **FIELDS | {"summary": "インターン"}), follow_redirects=False
    )
    assert created.status_code == 303, created.text
    shown = await client.get(created.headers["location"])
    assert "ワカツク" in shown.text and "インターン" in shown.text and "ゲートウェイ" in shown.text


async def test_a_bad_form_says_what_is_wrong_and_creates_nothing(client):
    await organizer(client)
    refused = await client.post("/organizer/organizations/new", data=form(client, **FIELDS | {"prefecture": "東北県"}))
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text and "ワカツク" in refused.text  # the input is kept
    await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    taken = await client.post("/organizer/organizations/new", data=form(client, **FIELDS))
    assert taken.status_code == 409
    assert await Organization.count() == 1


async def test_an_admin_edits_their_organisation_with_the_form_and_no_other(client, make_client):
    await organizer(client)
    own = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    other = await organizations.upsert_organization(name="ドチャベンジャーズ", prefecture="秋田県")
    [admin_id] = await make_accounts(1)
    organizer_user = (await client.get("/api/v1/me")).json()
    from meetup.accounts import service as accounts

    await organizations.add_admin(own, admin_id, await accounts.get_user(organizer_user["id"]))
    admin = await signed_in(make_client, admin_id)
    await admin.get("/organizations")
    page = await admin.get(f"/organizations/{own}")
    assert f'href="/organizations/{own}/edit"' in page.text
    assert 'href="/organizations/' + str(other) + '/edit"' not in (await admin.get(f"/organizations/{other}")).text
    assert (await admin.get(f"/organizations/{own}/edit")).status_code == 200
    saved = await admin.post(
        f"/organizations/{own}/edit",
        data=form(admin, **FIELDS | {"summary": "長期実践型インターン"}),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert (await organizations.get_organization(own)).summary == "長期実践型インターン"
    assert (await admin.get(f"/organizations/{other}/edit")).status_code == 403
    hijack = await admin.post(f"/organizations/{other}/edit", data=form(admin, **FIELDS | {"name": "乗っ取り"}))
    assert hijack.status_code == 403
    assert (await organizations.get_organization(other)).name == "ドチャベンジャーズ"


async def test_the_import_page_shows_each_rejected_line_and_its_reason(client):
    await organizer(client)
    assert (await client.get("/organizer/organizations/import")).status_code == 200
    content = "name,kind,prefecture\r\nワカツク,gateway,宮城県\r\n銀行もどき,bank,宮城県\r\n".encode("cp932")
    shown = await client.post(
        "/organizer/organizations/import",
        data=form(client),
        files={"file": ("list.csv", content, "text/csv")},
    )
    assert shown.status_code == 200, shown.text
    assert 'data-created="1"' in shown.text
    assert "<td>3</td>" in shown.text and "kind" in shown.text
    wrong = await client.post(
        "/organizer/organizations/import", data=form(client), files={"file": ("x.csv", b"a,b\r\n1,2\r\n", "text/csv")}
    )
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    assert await Organization.count() == 1


async def test_the_list_searches_by_romaji_and_filters_by_kind_and_prefecture(client):
    await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    await organizations.upsert_organization(
        name="東北大学", name_kana="とうほくだいがく", kind="university", prefecture="宮城県"
    )
    await organizations.upsert_organization(name="あきた総研", kind="company", prefecture="秋田県")

    async def listed(**params) -> set[str]:
        page = await client.get("/organizations", params=params)
        assert page.status_code == 200
        return {name for name in ("ワカツク", "東北大学", "あきた総研") if f">{name}</a>" in page.text}

    assert await listed() == {"ワカツク", "東北大学", "あきた総研"}
    assert await listed(q="wakatsuku") == {"ワカツク"}
    assert await listed(q="とうほく") == {"東北大学"}
    assert await listed(kind="university") == {"東北大学"}
    assert await listed(prefecture="秋田県") == {"あきた総研"}
    assert await listed(kind="not-a-kind") == {"ワカツク", "東北大学", "あきた総研"}  # an unknown filter is ignored


async def test_the_page_lists_members_whose_profiles_the_visitor_may_see_and_their_published_forums(
    client, make_client
):
    from meetup.coordinators import service as coordinators
    from meetup.coordinators.schemas import ProfileIn
    from tests.factories import create_forum

    wakatsuku = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    public, members_only, private = await make_accounts(3)
    for uid, name, visibility in (
        (public, "公開 一", "public"),
        (members_only, "会員 二", "members"),
        (private, "非公開 三", "private"),
    ):
        profile = ProfileIn(name=name, prefecture="宮城県", organization="ワカツク", visibility=visibility)
        await coordinators.save_profile(uid, profile)
    await organizer(client)
    published = await create_forum(client, title="公開のフォーラム")
    draft = await create_forum(client, title="下書きのフォーラム")
    for slug, uid in ((published, public), (draft, public), (published, private)):
        person = await signed_in(make_client, uid)
        assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    assert (await client.patch(f"/api/v1/events/{draft}", json={"status": "draft"})).status_code == 200

    anonymous = await (await make_client()).get(f"/organizations/{wakatsuku}")
    assert "公開 一" in anonymous.text and "会員 二" not in anonymous.text and "非公開 三" not in anonymous.text
    assert "公開のフォーラム" in anonymous.text and "下書きのフォーラム" not in anonymous.text
    member = await (await signed_in(make_client, (await make_accounts(1))[0])).get(f"/organizations/{wakatsuku}")
    assert "公開 一" in member.text and "会員 二" in member.text and "非公開 三" not in member.text
    assert "下書きのフォーラム" not in member.text
