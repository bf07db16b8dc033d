"""A person enrols in a programme from its page on a phone: one button, a seat at every session,
and the ticket of a session opens from the programme's page."""

from tests.e2e.conftest import open_page, screenshot
from tests.events.test_enrolment import session
from tests.factories import create_forum, new_email, organizer, sign_up


async def test_enrol_in_a_programme_on_a_390px_phone(live_server, browser, client, make_client):
    await organizer(client)
    made = await client.post(
        "/api/v1/series",
        json={"title": "右腕人材育成プログラム 2027", "slug": "migite", "summary": "全7回の講座",
              "enrolment": {"capacity": 20, "min_sessions": 2, "final_required": True}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    first = await create_forum(client, **session(1))
    await create_forum(client, **session(2))
    email = new_email("enrol")
    await sign_up(await make_client(), email=email, name="仙台 みらい")

    page = await open_page(browser, live_server, email, "/series/migite")
    assert await page.get_by_text("20名中 残り20名").is_visible()
    assert await page.get_by_text("2回以上の出席（最終回の出席は必須）").is_visible()
    await page.get_by_role("button", name="全回の受講を申し込む").click()
    await page.wait_for_url(f"{live_server}/series/migite?done=enrolled#enrol")
    assert await page.get_by_text("受講が決定しています。すべての回に席が確保されています。").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sideways
    await screenshot(page, "series-enrolled-phone")

    await page.get_by_role("link", name="参加票").first.click()
    await page.wait_for_url(f"{live_server}/events/{first}/ticket")
    assert await page.locator(".qr svg").is_visible()
    await page.context.close()
