"""A newcomer registers for a forum in a real browser; the organizer checks them in by code."""

import re

from meetup.events.tables import Registration
from meetup.mail import outbox
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, create_forum, new_email, organizer


async def test_register_from_the_forum_page_and_check_in_at_the_desk(live_server, browser, client):
    await organizer(client, email="desk@example.jp")
    slug = await create_forum(client, title="関係人口セミナー in 石巻", capacity=5)

    # A newcomer: a name and an e-mail, then the magic link's button completes the registration.
    email = new_email("newcomer")
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await page.goto(f"{live_server}/events")
    await page.get_by_role("link", name="関係人口セミナー in 石巻").click()
    await page.get_by_label("表示名").fill("石巻 みなと")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("主な活動地域（都道府県）").select_option("宮城県")
    await screenshot(page, "forum-phone")
    await page.get_by_role("button", name="申し込む").click()
    assert await page.get_by_role("heading", name="メールをご確認ください").is_visible()

    [mail] = await outbox.recent(to_addr=email)
    link = re.search(r"/auth/magic/\S+", mail.body_text).group(0)
    await page.goto(f"{live_server}{link}")
    await page.get_by_role("button", name="申込を完了する").click()
    await page.wait_for_url(f"{live_server}/events/{slug}?done=registered")
    assert await page.get_by_text("参加が確定しています").is_visible()
    assert await page.get_by_role("link", name="https://teams.example/meet/secret-room").is_visible()
    await page.get_by_role("link", name="受付票を表示").click()
    assert await page.locator(".qr svg").is_visible()
    await screenshot(page, "ticket-phone")
    code = (await Registration.select(Registration.ticket_code).first())["ticket_code"]

    # The organizer types (or scans) the code at the reception desk.
    desk = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await desk.goto(f"{live_server}/login")
    await desk.get_by_label("メールアドレス").fill("desk@example.jp")
    await desk.get_by_label("パスワード", exact=True).fill(PASSWORD)
    await desk.get_by_role("button", name="ログイン").click()
    await desk.goto(f"{live_server}/organizer/events/{slug}/check-in")
    code_input = desk.locator("input[name=code]")
    await code_input.fill(code)
    await code_input.press("Enter")
    await desk.wait_for_load_state()
    await screenshot(desk, "check-in-desk")
    row = await Registration.select(Registration.checked_in_at).first()
    assert row["checked_in_at"] is not None
    await context.close()
