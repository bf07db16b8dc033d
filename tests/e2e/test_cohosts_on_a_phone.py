"""On a 390-px phone: an organizer invites a co-host from the forum's page, the co-host accepts
from the mailed link (signing in on the way) and lands on the forum they now run, whose log
shows both; an admin makes someone an organizer on the roles page."""

from meetup.accounts import service as accounts
from tests.e2e.conftest import open_page, screenshot
from tests.events.test_cohosts import invitation_link
from tests.factories import PASSWORD, create_forum, new_email, organizer, sign_up


async def test_invite_and_accept_a_cohost_on_a_390px_phone(live_server, browser, client, make_client):
    boss = await organizer(client)
    slug = await create_forum(client, title="山形コーディネーター会議")
    helper = new_email("helper")
    await sign_up(await make_client(), email=helper, name="山形 共催")

    page = await open_page(browser, live_server, boss["email"], f"/organizer/events/{slug}")
    await page.get_by_label("共催者をメールで招待").fill(helper)
    await page.get_by_role("button", name="招待を送る").click()
    await page.wait_for_url(f"**/organizer/events/{slug}?invited=*")
    assert await page.get_by_text(f"{helper} に招待を送りました。").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.context.close()

    token = await invitation_link(helper, live_server)
    page = await open_page(browser, live_server, helper, f"/cohosts/accept/{token}")
    assert await page.get_by_text("「山形コーディネーター会議」の共催者として招待されています。").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.get_by_role("button", name="承諾して共催者になる").click()
    await page.wait_for_url(f"{live_server}/organizer/events/{slug}")
    assert await page.get_by_role("link", name="受付", exact=True).is_visible()
    assert await page.get_by_role("link", name="編集").count() == 0
    log = page.locator("#log")
    await log.scroll_into_view_if_needed()
    assert await log.get_by_text("共催者として参加").is_visible()
    assert await log.get_by_text("共催者を招待").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "cohost-forum-phone")
    await page.context.close()


async def test_an_admin_makes_an_organizer_on_a_390px_phone(live_server, browser, make_client):
    admin_email = new_email("admin")
    await accounts.make_admin(admin_email, PASSWORD, "管理 一子")
    newcomer = new_email("newcomer")
    await sign_up(await make_client(), email=newcomer, name="新任 主催")

    page = await open_page(browser, live_server, admin_email, "/admin/accounts")
    await page.get_by_role("searchbox", name="名前").fill("新任")
    await page.get_by_role("button", name="検索").click()
    await page.wait_for_url("**/admin/accounts?q=*")
    await page.get_by_label("新任 主催さんの権限").select_option("organizer")
    await page.get_by_role("button", name="権限を変更").click()
    await page.wait_for_url("**/admin/accounts?q=*")
    assert (await accounts.find_user_by_email(newcomer)).role == "organizer"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "roles-phone")
    await page.context.close()
