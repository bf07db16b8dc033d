"""On a phone (390 px): a coordinator types part of an organisation's name in romaji and sees it
offered; a name the list does not hold is proposed when the profile is saved; an organizer then
approves the proposal on the review page, and the profile belongs to the new organisation.
Nothing scrolls sideways."""

from playwright.async_api import expect

from meetup.coordinators import organizations
from tests.e2e.conftest import open_page, screenshot
from tests.factories import new_email, organizer, sign_up

WIDTH = 390


async def no_sideways_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH


async def test_a_coordinator_picks_or_proposes_and_an_organizer_approves_on_a_phone(live_server, browser, client):
    await organizations.upsert_organization(name="ワカツク", prefecture="宮城県", name_kana="わかつく")
    coordinator = new_email("coordinator")
    await sign_up(client, email=coordinator, name="石巻 一郎")
    bureau = new_email("bureau")
    await organizer(client, email=bureau)

    page = await open_page(browser, live_server, coordinator, "/me/profile", width=WIDTH)
    field = page.locator('input[name="organization"]')
    await field.press_sequentially("wakatsu", delay=30)
    await expect(page.locator('#organization-suggestions option[value="ワカツク"]')).to_have_count(1)
    await field.fill("")
    await field.press_sequentially("ワカツク", delay=30)
    await expect(page.locator("#organization-status")).to_contain_text("登録済み")
    await field.fill("")
    await field.press_sequentially("石巻まちラボ", delay=30)
    await expect(page.locator("#organization-status")).to_contain_text("まだ登録されていない")
    await page.locator('select[name="prefecture"]').select_option("宮城県")
    await no_sideways_scroll(page)
    await screenshot(page, "organisation-picker-phone")
    await page.get_by_role("button", name="プロフィールを保存").click()
    await page.wait_for_url("**/coordinators/*?done=proposed")
    await expect(page.get_by_role("status")).to_contain_text("提案")
    await page.context.close()

    review = await open_page(browser, live_server, bureau, "/organizer/organizations/proposals", width=WIDTH)
    proposal = review.locator("section.proposal", has_text="石巻まちラボ")
    await expect(proposal).to_contain_text("1 人が提案")
    await proposal.get_by_text("新しい団体として承認").click()
    await proposal.locator('select[name="kind"]').select_option("incubator")
    await proposal.locator('select[name="prefecture"]').select_option("宮城県")
    await no_sideways_scroll(review)
    await screenshot(review, "organisation-proposals-phone")
    await proposal.get_by_role("button", name="承認", exact=True).click()
    await review.wait_for_url("**/organizer/organizations/proposals?done=approved")
    await expect(review.get_by_role("status")).to_contain_text("承認しました")
    await expect(review.locator("section.proposal")).to_have_count(0)
    await review.get_by_role("link", name="石巻まちラボ").click()
    await expect(review.get_by_role("heading", name="石巻まちラボ")).to_be_visible()
    await expect(review.locator("ul.people")).to_contain_text("石巻 一郎")
    await no_sideways_scroll(review)
