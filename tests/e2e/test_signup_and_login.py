"""A coordinator signs up and logs in through the real pages, in a real browser."""

from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, new_email


async def test_sign_up_log_out_and_log_in_again(live_server, browser):
    email = new_email("browser")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = await context.new_page()

    await page.goto(f"{live_server}/")
    assert await page.locator("html").get_attribute("lang") == "ja"
    await screenshot(page, "home-phone")
    await page.get_by_role("link", name="新規登録").click()
    await page.get_by_label("表示名").fill("山形 さくら")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード（10文字以上）").fill(PASSWORD)
    await screenshot(page, "signup-phone")
    await page.get_by_role("button", name="アカウントを作成").click()

    await page.wait_for_url(f"{live_server}/")
    header = page.locator("header")
    assert await header.get_by_text("山形 さくら").is_visible()

    await header.get_by_role("button", name="ログアウト").click()
    await page.wait_for_url(f"{live_server}/")
    assert await header.get_by_role("link", name="ログイン").is_visible()

    await header.get_by_role("link", name="ログイン").click()
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード", exact=True).fill("wrong password")
    await page.get_by_role("button", name="ログイン").click()
    assert await page.get_by_role("alert").inner_text() == "メールアドレスまたはパスワードが正しくありません。"

    await page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(f"{live_server}/")
    await header.get_by_role("link", name="山形 さくら").click()
    await page.wait_for_url(f"{live_server}/me")
    assert await page.get_by_text(email).is_visible()
    await screenshot(page, "me-phone")

    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.goto(f"{live_server}/?lang=en")
    assert await page.get_by_role("heading", name="Upcoming forums").is_visible()
    await screenshot(page, "home-desktop-en")
    await context.close()
