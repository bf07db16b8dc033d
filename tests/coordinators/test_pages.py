"""The coordinator pages people use: directory, profile, my profile form, organisations, connections.

Labels are translated, so checks that must hold in any language look at structure (`data-total`,
`data-state`, form actions); checks of English wording ask for `?lang=en`.
"""

import re

import pytest

from meetup.coordinators import connections, organizations, service
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import Organization
from tests.factories import create_forum, make_accounts, organizer, sign_up, signed_in


async def profile(user_id: int, **fields) -> None:
    """A profile saved straight through the service (fast); members-only unless told."""
    await service.save_profile(user_id, ProfileIn(**{"name": "東北 太郎", "prefecture": "宮城県", **fields}))


def total(page) -> int:
    return int(re.search(r'class="result-count" data-total="(\d+)"', page.text).group(1))


def state(page) -> str:
    return re.search(r'class="connect" data-state="(\w*)"', page.text).group(1)


def form_data(client, **fields) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **fields}


# --- the directory ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["宮城", "みさき", "ミサキ", "ﾐｻｷ", "misaki", "Miyagi", "MISAKI"])
async def test_the_directory_finds_a_person_by_kanji_kana_and_romaji(client, query):
    misaki, taro = await make_accounts(2)
    await profile(misaki, name="宮城 美咲", name_kana="みやぎ みさき", visibility="public")
    await profile(taro, name="岩手 太郎", name_kana="いわて たろう", prefecture="岩手県", visibility="public")
    page = await client.get("/coordinators", params={"q": query})
    assert page.status_code == 200
    assert "宮城 美咲" in page.text and "みやぎ みさき" in page.text
    assert f'href="/coordinators/{misaki}"' in page.text
    assert "岩手 太郎" not in page.text
    assert total(page) == 1


async def test_the_directory_filters_by_prefecture_theme_and_organisation(client):
    a, b, c = await make_accounts(3)
    await profile(a, name="青森 一郎", prefecture="青森県", themes=["移住", "農業"], organization="ドチャベンジャーズ")
    await profile(b, name="秋田 二郎", prefecture="秋田県", themes=["DX", "地域おこし"], visibility="public")
    await profile(c, name="福島 三郎", prefecture="福島県", themes=["移住"], organization="ワカツク")
    await sign_up(client)

    by_prefecture = await client.get("/coordinators", params={"prefecture": "秋田県"})
    assert "秋田 二郎" in by_prefecture.text and "青森 一郎" not in by_prefecture.text
    assert '<option value="秋田県" selected>秋田県</option>' in by_prefecture.text
    by_theme = await client.get("/coordinators", params={"theme": "移住"})
    assert "青森 一郎" in by_theme.text and "福島 三郎" in by_theme.text and "秋田 二郎" not in by_theme.text
    assert total(by_theme) == 2
    by_organisation = await client.get("/coordinators", params={"organization": "ワカツク"})
    assert "福島 三郎" in by_organisation.text and total(by_organisation) == 1
    both = await client.get("/coordinators", params={"theme": "移住", "prefecture": "青森県"})
    assert total(both) == 1 and "青森 一郎" in both.text

    everyone = await client.get("/coordinators")
    options = everyone.text.split('name="prefecture"')[1].split("</select>")[0]
    assert options.index("青森県") < options.index("福島県") < options.index("北海道") < options.index("海外")
    themes = everyone.text.split('name="theme"')[1].split("</select>")[0]
    assert "<option>移住</option>" in themes and "<option>地域おこし</option>" in themes  # curated + in use
    assert total(await client.get("/coordinators", params={"theme": "存在しないテーマ"})) == 0


async def test_the_directory_is_in_aiueo_order_and_pages_by_24(client):
    people = [
        ("渡辺 和子", "わたなべ かずこ"),
        ("青木 明", "あおき あきら"),
        ("加藤 健", "かとう けん"),
        ("佐藤 咲", "さとう さき"),
    ]
    for uid, (name, kana) in zip(await make_accounts(4), people, strict=True):
        await profile(uid, name=name, name_kana=kana, visibility="public")
    page = (await client.get("/coordinators")).text
    positions = [page.index(name) for name in ("青木 明", "加藤 健", "佐藤 咲", "渡辺 和子")]
    assert positions == sorted(positions)
    recent = (await client.get("/coordinators", params={"sort": "recent"})).text
    assert recent.index("佐藤 咲") < recent.index("青木 明")  # the last saved comes first
    assert (await client.get("/coordinators", params={"sort": "nonsense"})).status_code == 200

    for uid in await make_accounts(26):
        await profile(uid, name=f"山形 {uid}", name_kana="やまがた", prefecture="山形県", visibility="public")
    first = await client.get("/coordinators", params={"prefecture": "山形県"})
    assert total(first) == 26 and first.text.count('class="person-card"') == 24
    assert 'href="/coordinators?prefecture=%E5%B1%B1%E5%BD%A2%E7%9C%8C&amp;page=2"' in first.text
    second = await client.get("/coordinators", params={"prefecture": "山形県", "page": 2})
    assert second.text.count('class="person-card"') == 2 and 'rel="prev"' in second.text
    assert (await client.get("/coordinators", params={"page": 0})).status_code == 400
    assert (await client.get("/coordinators", params={"page": "x"})).status_code == 400
    assert (await client.get("/coordinators", params={"q": "あ" * 5000})).status_code == 200


# --- visibility ------------------------------------------------------------------------------


async def test_a_private_profile_is_seen_only_by_its_owner_and_organizers(client, make_client):
    public, hidden = await make_accounts(2)
    await profile(public, name="公開 花子", visibility="public")
    await profile(hidden, name="秘密 次郎", visibility="private", themes=["秘密のテーマ"])
    anonymous = await make_client()
    member = await make_client()
    await sign_up(member)
    missing = hidden + 1000
    for person in (anonymous, member):
        listing = await person.get("/coordinators")
        assert "公開 花子" in listing.text and "秘密 次郎" not in listing.text
        assert total(listing) == 1
        assert "秘密のテーマ" not in listing.text  # not even among the themes offered
        assert total(await person.get("/coordinators", params={"q": "秘密"})) == 0
        gone, never = await person.get(f"/coordinators/{hidden}"), await person.get(f"/coordinators/{missing}")
        assert gone.status_code == never.status_code == 404
        assert gone.text.replace(f"/coordinators/{hidden}", "") == never.text.replace(f"/coordinators/{missing}", "")
        assert "秘密" not in gone.text

    owner = await signed_in(make_client, hidden)
    assert (await owner.get(f"/coordinators/{hidden}")).status_code == 200
    assert "秘密 次郎" in (await owner.get("/coordinators")).text
    await organizer(client)
    assert "秘密 次郎" in (await client.get(f"/coordinators/{hidden}")).text
    everyone = await client.get("/coordinators")
    assert "秘密 次郎" in everyone.text and total(everyone) == 2


async def test_a_members_only_profile_is_hidden_from_anonymous_visitors(make_client):
    [uid] = await make_accounts(1)
    await profile(uid, name="会員 限子", visibility="members")
    anonymous = await make_client()
    assert total(await anonymous.get("/coordinators")) == 0
    assert (await anonymous.get(f"/coordinators/{uid}")).status_code == 404
    member = await make_client()
    await sign_up(member)
    assert total(await member.get("/coordinators")) == 1
    assert "会員 限子" in (await member.get(f"/coordinators/{uid}")).text


async def test_a_huge_or_odd_id_is_a_clear_4xx(client):
    assert (await client.get("/coordinators/99999999999")).status_code == 400
    assert (await client.get("/coordinators/0")).status_code == 400
    assert (await client.get("/organizations/99999999999")).status_code == 400
    assert (await client.get("/organizations/12345")).status_code == 404


# --- my profile ------------------------------------------------------------------------------


async def test_editing_my_profile_through_the_form(client):
    me = await sign_up(client, name="宮城 美咲")
    form = await client.get("/me/profile")
    assert form.status_code == 200
    assert 'value="宮城 美咲"' in form.text  # starts from my account's name
    assert 'name="consent"' in form.text
    saved = await client.post(
        "/me/profile",
        data=form_data(
            client,
            name="宮城 美咲",
            name_kana="みやぎ みさき",
            organization="ワカツク",
            prefecture="宮城県",
            municipality="仙台市",
            themes=["移住", "インターン"],
            free_tags="学生、地域企業, #移住",
            bio="学生と地域企業をつなぐ**長期実践型インターン**。",
            links="https://wakatsuku.example/misaki\n\n  http://example.jp/blog  ",
            can_help_with="インターン受入れの設計",
            looking_for="県外の大学とのつながり",
            visibility="members",
        ),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    # no organisation is listed in this test: the name typed is kept and proposed
    assert saved.headers["location"] == f"/coordinators/{me['id']}?done=proposed"
    mine = await service.get_profile(me["id"], None, include_own=True)
    assert mine.themes == ["移住", "インターン", "学生", "地域企業"]
    assert mine.links == ["https://wakatsuku.example/misaki", "http://example.jp/blog"]
    assert mine.visibility == "members"
    page = await client.get(saved.headers["location"])
    assert "<strong>長期実践型インターン</strong>" in page.text
    assert '<a href="https://wakatsuku.example/misaki" rel="nofollow noopener noreferrer">' in page.text
    assert "県外の大学とのつながり" in page.text and "仙台市" in page.text
    assert state(page) == "me"
    again = (await client.get("/me/profile")).text
    assert 'value="学生、地域企業"' in again  # free tags come back; curated ones are ticked
    assert 'value="移住" checked' in again and 'value="members" checked' in again


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "\x00\r\n"),  # nothing left once control characters are collapsed
        ("prefecture", ""),
        ("prefecture", "ニューヨーク州"),
        ("links", "javascript:alert(1)"),
        ("links", "\n".join(f"https://example.jp/{i}" for i in range(11))),
        ("free_tags", "あ" * 31),
        ("free_tags", ",".join(f"タグ{i}" for i in range(21))),
        ("bio", "長" * 10_001),
        ("visibility", "everyone"),
    ],
)
async def test_a_mistake_in_the_form_is_shown_next_to_the_field(client, field, value):
    me = await sign_up(client)
    fields = {"name": "宮城 美咲", "prefecture": "宮城県", "visibility": "members", field: value}
    response = await client.post("/me/profile", data=form_data(client, **fields))
    assert response.status_code == 400
    marked = {"free_tags": "themes"}.get(field, field)
    assert f'aria-describedby="{marked}-error"' in response.text
    assert f'id="{marked}-error"' in response.text
    assert await service.get_profile(me["id"], None, include_own=True) is None


async def test_going_public_needs_consent_once(client):
    me = await sign_up(client)
    fields = {"name": "宮城 美咲", "prefecture": "宮城県", "visibility": "public", "bio": "書きかけ"}
    refused = await client.post("/me/profile?lang=en", data=form_data(client, **fields))
    assert refused.status_code == 400
    assert 'aria-describedby="consent-error"' in refused.text
    assert "書きかけ" in refused.text  # what I wrote is kept
    assert "NEXT TOHOKU MEETUP の" in refused.text  # the consent text is shown
    assert await service.get_profile(me["id"], None, include_own=True) is None

    agreed = await client.post("/me/profile", data=form_data(client, **fields, consent="on"), follow_redirects=False)
    assert agreed.status_code == 303
    text, consented_at = await service.consent_of(me["id"])
    assert consented_at is not None and "同意" in text
    form = await client.get("/me/profile?lang=en")
    assert 'name="consent"' not in form.text and "You agreed on" in form.text

    private = {**fields, "visibility": "private"}
    assert (
        await client.post("/me/profile", data=form_data(client, **private), follow_redirects=False)
    ).status_code == 303
    back = await client.post("/me/profile", data=form_data(client, **fields), follow_redirects=False)
    assert back.status_code == 303  # consent given once is enough
    assert (await service.consent_of(me["id"]))[1] == consented_at


async def test_my_profile_needs_a_sign_in(make_client):
    anonymous = await make_client()
    response = await anonymous.get("/me/profile", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/login?next=/me/profile")
    post = await anonymous.post("/me/profile", data=form_data(anonymous, name="x", prefecture="宮城県"))
    assert post.status_code == 401


# --- script never runs -----------------------------------------------------------------------


async def test_script_in_a_profile_is_escaped_everywhere_it_is_shown(client, make_client):
    [uid] = await make_accounts(1)
    await organizations.upsert_organization(name="<script>alert('org')</script>", prefecture="宮城県")
    await profile(
        uid,
        name="<script>alert('name')</script>",
        name_kana="<img src=x onerror=alert(1)>",
        organization="<script>alert('org')</script>",
        municipality="<svg onload=alert(2)>",
        themes=["<script>alert(3)</script>"],
        bio="<script>alert(4)</script>\n\n[x](javascript:alert(5)) <img src=x onerror=alert(6)>",
        links=['https://example.jp/"><script>alert(7)</script>'],
        can_help_with="<b onmouseover=alert(8)>help</b>",
        visibility="public",
    )
    viewer = await make_client()
    await sign_up(viewer)
    await connections.record_ties([uid, (await viewer.get("/api/v1/me")).json()["id"]], kind="room", source="room:1")
    org_id = (await organizations.list_organizations())[0].id
    pages = [
        await viewer.get("/coordinators"),
        await viewer.get(f"/coordinators/{uid}"),
        await viewer.get("/organizations"),
        await viewer.get(f"/organizations/{org_id}"),
        await viewer.get("/me/connections"),
        await (await signed_in(make_client, uid)).get("/me/profile"),
    ]
    for page in pages:
        assert page.status_code == 200
        text = page.text
        assert "<script>alert" not in text
        assert "<img src=x" not in text and "<svg onload" not in text and "<b onmouseover" not in text
        assert 'href="javascript:' not in text
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in pages[1].text
    assert 'href="https://example.jp/&#34;&gt;&lt;script&gt;alert(7)&lt;/script&gt;"' in pages[1].text


async def test_a_script_link_is_refused_by_the_form(client):
    me = await sign_up(client)
    fields = {"name": "宮城 美咲", "prefecture": "宮城県", "visibility": "members"}
    for link in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example"):
        response = await client.post("/me/profile", data=form_data(client, **fields, links=link))
        assert response.status_code == 400
        assert "<script>alert" not in response.text
    tags = await client.post(
        "/me/profile", data=form_data(client, **fields, free_tags="<script>x</script>"), follow_redirects=False
    )
    assert tags.status_code == 303
    page = await client.get(f"/coordinators/{me['id']}")
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>x" not in page.text


# --- connections -----------------------------------------------------------------------------


async def test_connecting_through_the_pages(make_client):
    a, b, c = await make_accounts(3)
    await profile(a, name="宮城 美咲")
    await profile(b, name="岩手 太郎")
    misaki, taro, other = [await signed_in(make_client, uid) for uid in (a, b, c)]
    anonymous = await make_client()
    assert (await anonymous.get(f"/coordinators/{a}")).status_code == 404

    page = await taro.get(f"/coordinators/{a}?lang=en")
    assert state(page) == "none" and f'action="/coordinators/{a}/connect"' in page.text and ">Connect<" in page.text
    asked = await taro.post(f"/coordinators/{a}/connect", data=form_data(taro), follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == f"/coordinators/{a}?done=requested"
    assert state(page := await taro.get(f"/coordinators/{a}?lang=en")) == "requested" and "Request sent" in page.text
    assert state(page := await misaki.get(f"/coordinators/{b}?lang=en")) == "incoming" and ">Accept<" in page.text

    mine = await misaki.get("/me/connections")
    [request_id] = re.findall(r'action="/me/connections/(\d+)/accept"', mine.text)
    assert "岩手 太郎" in mine.text
    assert "宮城 美咲" in (await taro.get("/me/connections")).text  # the request I sent
    stranger = await other.post(f"/me/connections/{request_id}/accept", data=form_data(other))
    assert stranger.status_code == 404
    accepted = await misaki.post(f"/me/connections/{request_id}/accept", data=form_data(misaki), follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/me/connections?done=accepted"
    assert state(await misaki.get(f"/coordinators/{b}")) == "connected"
    page = await taro.get(f"/coordinators/{a}?lang=en")
    assert state(page) == "connected" and "Remove connection" in page.text
    network = await misaki.get("/me/connections")
    assert 'class="tag tie-connection"' in network.text and f'href="/coordinators/{b}"' in network.text

    removed = await taro.post(f"/coordinators/{a}/disconnect", data=form_data(taro), follow_redirects=False)
    assert removed.status_code == 303
    assert state(await taro.get(f"/coordinators/{a}")) == "none"
    assert await connections.connection_state(a, b) == "none"

    # Asking the other way round when they asked first accepts their request from the profile page.
    await misaki.post(f"/coordinators/{b}/connect", data=form_data(misaki))
    accept_on_profile = await taro.post(f"/coordinators/{a}/connect", data=form_data(taro), follow_redirects=False)
    assert accept_on_profile.headers["location"] == f"/coordinators/{a}?done=connected"
    assert await connections.connection_state(a, b) == "connected"
    removed = await misaki.post(
        f"/coordinators/{b}/disconnect", data=form_data(misaki, back="connections"), follow_redirects=False
    )
    assert removed.headers["location"] == "/me/connections?done=removed"

    # Declining: the request leaves my list, and the asker sees no connection.
    await other.post(f"/coordinators/{a}/connect", data=form_data(other))
    [request_id] = re.findall(r'action="/me/connections/(\d+)/decline"', (await misaki.get("/me/connections")).text)
    declined = await misaki.post(
        f"/me/connections/{request_id}/decline", data=form_data(misaki), follow_redirects=False
    )
    assert declined.status_code == 303
    assert "/decline" not in (await misaki.get("/me/connections")).text
    assert await connections.connection_state(c, a) == "none"


async def test_a_hidden_profile_cannot_be_reached_by_connecting(make_client):
    a, b = await make_accounts(2)
    await profile(a, name="秘密 次郎", visibility="private")
    member = await signed_in(make_client, b)
    assert (await member.post(f"/coordinators/{a}/connect", data=form_data(member))).status_code == 404
    assert (await member.post(f"/coordinators/{a + 100}/connect", data=form_data(member))).status_code == 404
    assert await connections.connection_state(b, a) == "none"
    anonymous = await make_client()
    assert (await anonymous.post(f"/coordinators/{a}/connect", data=form_data(anonymous))).status_code == 401


async def test_my_network_names_people_only_when_i_may_see_them(make_client):
    me, visible, hidden = await make_accounts(3)
    await profile(visible, name="公開 花子", visibility="public")
    await profile(hidden, name="秘密 次郎", visibility="private")
    await connections.record_ties([me, visible, hidden], kind="room", source="room:7")
    page = await (await signed_in(make_client, me)).get("/me/connections?lang=en")
    assert "公開 花子" in page.text and 'class="tag tie-room"' in page.text
    assert "秘密 次郎" not in page.text and "A coordinator" in page.text
    assert f'href="/coordinators/{hidden}"' not in page.text


# --- organisations ---------------------------------------------------------------------------


async def test_an_organisation_lists_its_members_and_their_forums(client, make_client):
    wakatsuku = await organizations.upsert_organization(
        name="ワカツク", legal_form="一般社団法人", prefecture="宮城県", website="https://wakatsuku.example"
    )
    await organizations.upsert_organization(name="ドチャベンジャーズ", prefecture="秋田県")
    # a link stored before websites were checked is still never made a link
    await Organization.insert(Organization(name="javascript団体", website="javascript:alert(1)"))
    a, b, hidden = await make_accounts(3)
    await profile(a, name="宮城 美咲", organization="ワカツク", visibility="public")
    await profile(b, name="仙台 一郎", organization="ワカツク", visibility="members")
    await profile(hidden, name="秘密 次郎", organization="ワカツク", visibility="private")
    await organizer(client)
    slug = await create_forum(client, title="東北コーディネーター・フォーラム 2026")
    for uid in (a, b):
        person = await signed_in(make_client, uid)
        assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201

    anonymous = await make_client()
    listing = await anonymous.get("/organizations")
    assert listing.status_code == 200
    assert listing.text.index("宮城県") < listing.text.index("秋田県")  # Tohoku in its own order
    assert f'href="/organizations/{wakatsuku}"' in listing.text
    counts = re.findall(r'data-count="(\d+)"', listing.text.split(f"/organizations/{wakatsuku}")[1])
    assert counts[0] == "1"  # only the public member, for an anonymous visitor

    page = await anonymous.get(f"/organizations/{wakatsuku}")
    assert "宮城 美咲" in page.text and "仙台 一郎" not in page.text and "秘密 次郎" not in page.text
    assert "東北コーディネーター・フォーラム 2026" in page.text and f'href="/events/{slug}"' in page.text
    assert '<a href="https://wakatsuku.example" rel="nofollow noopener noreferrer">' in page.text

    member = await signed_in(make_client, b)
    page = await member.get(f"/organizations/{wakatsuku}")
    assert "宮城 美咲" in page.text and "仙台 一郎" in page.text and "秘密 次郎" not in page.text
    profile_page = await member.get(f"/coordinators/{a}")
    assert f'<a href="/organizations/{wakatsuku}">ワカツク</a>' in profile_page.text

    odd = [o for o in await organizations.list_organizations() if o.name == "javascript団体"][0]
    assert 'href="javascript:' not in (await anonymous.get(f"/organizations/{odd.id}")).text
