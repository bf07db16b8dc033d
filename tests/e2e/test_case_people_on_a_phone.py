"""The case form on a phone (390 px): the organizer finds the people involved by typing part of a
name in kana or romaji, ticks them (they move to the chosen list), picks the forum where the case
was presented by its title, and saves; Enter in the search box searches, it does not save."""

from meetup.cases.tables import Case
from tests.e2e.conftest import open_page, screenshot
from tests.factories import create_forum, make_accounts, new_email, organizer
from tests.followups.factories import profile

WIDTH = 390


async def test_an_organizer_names_people_and_a_forum_on_a_case_on_a_phone(live_server, browser, client):
    email = new_email("casewriter")
    await organizer(client, email=email)
    sato, sasaki = await make_accounts(2, prefix="named")
    await profile(sato, "佐藤 一郎", [], name_kana="さとう いちろう", organization="ワカツク")
    await profile(sasaki, "佐々木 玲", [], name_kana="ささき れい", prefecture="岩手県")
    await create_forum(client, title="NEXT TOHOKU MEETUP 2021")

    page = await open_page(browser, live_server, email, "/organizer/cases/new", WIDTH)
    await page.get_by_label("タイトル").fill("釜石オープンシティ戦略")
    search = page.get_by_label("人を探す")
    await search.fill("sato")
    found = page.locator("#people-found li")
    await found.filter(has_text="佐藤 一郎").wait_for()
    assert "佐々木 玲" not in await page.locator("#people-found").inner_text()
    await found.filter(has_text="佐藤 一郎").get_by_role("checkbox").check()
    assert "佐藤 一郎" in await page.locator("#people-chosen").inner_text()

    await search.fill("ささき")
    await search.press("Enter")  # searches; the form is not sent
    await found.filter(has_text="佐々木 玲").get_by_role("checkbox").check()
    assert page.url.endswith("/organizer/cases/new") and await Case.count() == 0
    chosen = await page.locator("#people-chosen").inner_text()
    assert "佐藤 一郎" in chosen and "佐々木 玲" in chosen and "岩手県" in chosen

    await page.get_by_label("発表されたフォーラム").select_option(label=None, index=0)
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    await screenshot(page, "case-people-phone")
    await page.get_by_role("button", name="保存", exact=True).last.click()
    await page.wait_for_url(f"{live_server}/cases/*")
    [case] = await Case.select(Case.id)
    edit = await page.goto(f"{live_server}/organizer/cases/{case['id']}/edit")
    assert edit.ok
    chosen = page.locator("#people-chosen input:checked")
    assert sorted([await c.get_attribute("value") for c in await chosen.all()]) == sorted([str(sato), str(sasaki)])
    assert "NEXT TOHOKU MEETUP 2021" in await page.locator('select[name="events"] option:checked').inner_text()
    assert await page.get_by_role("button", name="この事例を削除する").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # the edit page too
