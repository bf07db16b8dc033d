"""The challenge board (余白) on a phone (390 px): a member finds a challenge with the filters,
presses 関わりたい with a short message, and the poster sees them on the interests page. Nothing
scrolls sideways."""

from tests.e2e.conftest import open_page, screenshot
from tests.factories import new_email, organizer, sign_up

WIDTH = 390


async def no_sideways_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH


async def test_a_member_presses_kakawaritai_and_the_poster_sees_it_on_a_phone(
    live_server, browser, client, make_client
):
    poster_email = new_email("bureau")
    await organizer(client, email=poster_email)
    from meetup.coordinators import organizations

    org = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    posted = await client.post(
        "/api/v1/challenges",
        json={
            "title": "老舗水産加工会社の新商品づくりインターン",
            "body": "後継ぎ候補と新商品を企画します。\n\n- 期間：3か月",
            "organization": org,
            "kind": "internship",
            "prefecture": "宮城県",
        },
    )
    assert posted.status_code == 201, posted.text
    challenge = posted.json()
    member_email = new_email("keen")
    await sign_up(await make_client(), email=member_email, name="石巻 みなと")

    page = await open_page(browser, live_server, member_email, "/challenges", WIDTH)
    await page.locator('select[name="kind"]').select_option("internship")
    await page.locator('select[name="prefecture"]').select_option("宮城県")
    await page.locator("form.filters button[type=submit]").click()
    await page.wait_for_url(f"{live_server}/challenges?*kind=internship*")
    await no_sideways_scroll(page)
    await page.get_by_role("link", name="老舗水産加工会社の新商品づくりインターン").click()
    await page.wait_for_url(f"{live_server}/challenges/{challenge['id']}")
    await page.get_by_label("投稿者へのひとこと（任意）").fill("水産業の販路開拓の経験があります。")
    await no_sideways_scroll(page)
    await screenshot(page, "challenge-phone")
    await page.get_by_role("button", name="関わりたい").click()
    await page.wait_for_url(f"{live_server}/challenges/{challenge['id']}?done=interested")
    assert "「関わりたい」を伝えました" in await page.get_by_role("status").inner_text()
    assert await page.get_by_role("button", name="関わりたい").count() == 0  # once

    poster = await open_page(browser, live_server, poster_email, f"/challenges/{challenge['id']}/interests", WIDTH)
    interest = poster.locator("li.interest")
    assert await interest.count() == 1
    assert "石巻 みなと" in await interest.inner_text()
    assert "水産業の販路開拓の経験があります。" in await interest.inner_text()
    assert await poster.get_by_role("button", name="紹介する").is_visible()
    await no_sideways_scroll(poster)
    await screenshot(poster, "challenge-interests-phone")
