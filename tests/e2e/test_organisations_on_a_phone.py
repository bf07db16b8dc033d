"""An organizer keeps the list of organisations on a phone (390 px): creates one with the form,
sees its page, finds it by romaji with a kind filter, and imports a Shift_JIS list whose bad
line is shown with its reason. Nothing on these pages scrolls sideways."""

from tests.e2e.conftest import open_page, screenshot
from tests.factories import new_email, organizer

WIDTH = 390


async def no_sideways_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH


async def test_an_organizer_creates_finds_and_imports_organisations_on_a_phone(live_server, browser, client, tmp_path):
    email = new_email("bureau")
    await organizer(client, email=email)
    page = await open_page(browser, live_server, email, "/organizer/organizations/new", width=WIDTH)
    await no_sideways_scroll(page)
    await page.locator('input[name="name"]').fill("東北大学 地域イノベーション研究センター")
    await page.locator('input[name="name_kana"]').fill("とうほくだいがく ちいきいのべーしょんけんきゅうせんたー")
    await page.locator('select[name="kind"]').select_option("university")
    await page.locator('select[name="prefecture"]').select_option("宮城県")
    await page.locator('textarea[name="summary"]').fill("地域イノベーションプロデューサー塾")
    await screenshot(page, "organisation-form-phone")
    await page.locator("form.stack button[type=submit]").click()
    await page.wait_for_url(f"{live_server}/organizations/*")
    assert await page.get_by_role("heading", name="東北大学 地域イノベーション研究センター").is_visible()
    assert await page.get_by_text("大学", exact=True).is_visible()
    assert await page.get_by_role("link", name="この組織を編集").is_visible()
    await no_sideways_scroll(page)
    await screenshot(page, "organisation-page-phone")

    await page.goto(f"{live_server}/organizations?q=tohoku&kind=university")
    assert await page.get_by_role("link", name="東北大学 地域イノベーション研究センター").is_visible()
    await no_sideways_scroll(page)
    await page.goto(f"{live_server}/organizations?q=tohoku&kind=finance")
    assert await page.get_by_text("条件に合う組織はありません。").is_visible()

    listing = tmp_path / "organisations.csv"
    listing.write_bytes(
        "name,kind,prefecture,summary\r\nワカツク,gateway,宮城県,インターン\r\n七十七銀行,bank,宮城県,\r\n".encode(
            "cp932"
        )
    )
    await page.goto(f"{live_server}/organizer/organizations/import")
    await page.locator('input[name="file"]').set_input_files(str(listing))
    await page.get_by_role("button", name="取り込む").click()
    await page.wait_for_selector("table.rejected")
    assert await page.locator("table.rejected td").first.inner_text() == "3"
    assert "新規 1 件" in await page.get_by_role("status").inner_text()
    await no_sideways_scroll(page)
    await screenshot(page, "organisation-import-phone")
