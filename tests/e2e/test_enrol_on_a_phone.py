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


async def test_an_organizer_sets_up_a_programme_and_reads_its_grid_on_a_390px_phone(
    live_server, browser, client, make_client
):
    boss = await organizer(client)
    page = await open_page(browser, live_server, boss["email"], "/organizer/series")
    await page.get_by_label("タイトル", exact=True).fill("右腕人材育成プログラム 2027")
    await page.get_by_label("アドレス（任意。後から変更できません）").fill("migite-2027")
    await page.get_by_label("一度の申込ですべての回を受講する", exact=False).check()
    await page.get_by_label("定員", exact=True).fill("2")
    await page.get_by_label("修了要件：出席が必要な回数").fill("1")
    await page.get_by_role("button", name="＋ 質問を追加").click()
    await page.locator("[name=q-0-label]").fill("応募の動機")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.get_by_role("button", name="シリーズを作成").click()
    await page.wait_for_url(f"{live_server}/organizer/series/migite-2027")

    for number in (1, 2, 3):
        await create_forum(client, **session(number, series="migite-2027"))
    for n in range(2):
        email = new_email(f"cohort{n}")
        person = await make_client()
        await sign_up(person, email=email, name=f"受講者の名前がとても長い人 {n}")
        answer = await person.post("/api/v1/series/migite-2027/enrolment", json={"answers": {"q1": "学びたい"}})
        assert answer.status_code == 201, answer.text
    await page.reload()
    grid = page.locator(".grid-scroll")
    await grid.scroll_into_view_if_needed()
    assert await page.locator(".grid-table caption").is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls in its box
    sticky = await page.locator(".grid-table th.grid-name").first.evaluate("e => getComputedStyle(e).position")
    assert sticky == "sticky"
    assert await page.get_by_text("学びたい").first.is_visible()
    await screenshot(page, "series-cohort-grid-phone")
    await page.context.close()
