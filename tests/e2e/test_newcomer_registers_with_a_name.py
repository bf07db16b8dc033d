"""A newcomer registers for a forum on a phone with a name and an e-mail address: the page and
the mail say the registration is not finished until the link's button is pressed, and once it
is, the ticket carries the name they gave, never their e-mail address."""

import re

from meetup.events.tables import Registration
from meetup.mail import outbox
from tests.e2e.conftest import screenshot
from tests.factories import create_forum, organizer

FORUM = "つながりフォーラム in 気仙沼"


async def test_a_newcomer_registers_with_a_name_on_a_phone(live_server, browser, client):
    await organizer(client)
    slug = await create_forum(client, title=FORUM, capacity=20)
    email = "kesennuma.haruka@example.jp"

    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = await context.new_page()
    await page.goto(f"{live_server}/events/{slug}")
    await page.get_by_label("表示名").fill("気仙沼 はるか")
    await page.get_by_label("メールアドレス").fill(email)
    await screenshot(page, "newcomer-form-phone")
    await page.get_by_role("button", name="申し込む").click()

    # Not registered yet, and the page says so, naming the forum.
    assert await page.get_by_role("heading", name="メールをご確認ください").is_visible()
    notice = page.get_by_role("status")
    assert "まだ完了していません" in await notice.inner_text()
    assert FORUM in await notice.inner_text()
    assert await page.get_by_text("ボタンを押した時点で申込が完了します").is_visible()
    await screenshot(page, "newcomer-mail-sent-phone")
    assert await Registration.count() == 0

    # The mail names the forum and says what to do; its link only opens a page with a button.
    [mail] = await outbox.recent(to_addr=email)
    assert FORUM in mail.subject
    assert FORUM in mail.body_text and "ボタン" in mail.body_text
    link = re.search(r"/auth/magic/[A-Za-z0-9_-]+", mail.body_text).group(0)
    await page.goto(f"{live_server}{link}")
    assert await page.get_by_role("heading", name="申込を完了してください").is_visible()
    assert await page.get_by_text(FORUM).is_visible()
    assert await page.get_by_label("表示名").input_value() == "気仙沼 はるか"
    await screenshot(page, "newcomer-magic-button-phone")
    assert await Registration.count() == 0
    await page.get_by_role("button", name="申込を完了する").click()

    await page.wait_for_url(f"{live_server}/events/{slug}?done=registered")
    assert await page.get_by_text("参加が確定しています").is_visible()
    await page.get_by_role("link", name="受付票を表示").click()
    ticket = page.locator(".ticket")
    assert await ticket.get_by_text("気仙沼 はるか").is_visible()
    assert "kesennuma" not in (await page.content()).replace(email, "")
    await screenshot(page, "newcomer-ticket-phone")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    await context.close()
