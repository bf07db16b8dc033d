"""A person enrols in a programme on a phone, comes to two sessions (the organizer checks them
in), the organizer marks completion from the programme's page on a phone, and the badge shows on
the person's profile, where the directory's programme filter finds them."""

from playwright.async_api import expect

from meetup.accounts.tables import Account
from meetup.events.tables import Alumnus
from tests.e2e.conftest import open_page, screenshot
from tests.events.test_alumni import _check_in, _move_to_the_past
from tests.events.test_enrolment import session
from tests.factories import create_forum, new_email, organizer, sign_up


async def test_complete_a_programme_and_be_found_as_its_alumnus_on_a_390px_phone(
    live_server, browser, client, make_client
):
    boss = await organizer(client)
    made = await client.post(
        "/api/v1/series",
        json={"title": "右腕人材育成プログラム", "slug": "migite", "summary": "全2回の講座",
              "enrolment": {"capacity": 20, "min_sessions": 2, "final_required": True}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    slugs = [await create_forum(client, **session(n)) for n in (1, 2)]
    email = new_email("alumna")
    person = await make_client()
    await sign_up(person, email=email, name="仙台 みらい")
    saved = await person.put("/api/v1/me/profile", json={"name": "仙台 みらい", "prefecture": "宮城県"})
    assert saved.status_code == 200, saved.text
    me = (await Account.select(Account.id).where(Account.email == email).first())["id"]

    page = await open_page(browser, live_server, email, "/series/migite")
    await page.get_by_role("button", name="全回の受講を申し込む").click()
    await page.wait_for_url(f"{live_server}/series/migite?done=enrolled#enrol")

    for slug in slugs:  # the organizer checks the person in at both sessions
        await _check_in(client, slug, me)
    await _move_to_the_past(slugs)  # and the programme is over

    desk = await open_page(browser, live_server, boss["email"], "/organizer/series/migite")
    await desk.get_by_role("button", name="修了を記録する").click()
    await desk.wait_for_url(f"{live_server}/organizer/series/migite/completion?completed=1")
    await expect(desk.get_by_text("新たに 1人 の修了を記録しました。")).to_be_visible()
    assert await desk.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(desk, "programme-completion-phone")
    await desk.context.close()

    year = (await Alumnus.select(Alumnus.year).where(Alumnus.account == me).first())["year"]
    await page.goto(f"{live_server}/coordinators/{me}")
    badge = page.get_by_role("link", name=f"右腕人材育成プログラム {year} 修了")
    await expect(badge).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "alumni-badge-phone")

    await page.goto(f"{live_server}/coordinators")
    await page.locator("select[name=alumni]").select_option(label="右腕人材育成プログラム 修了生")
    await page.get_by_role("button", name="検索").click()
    await page.wait_for_url(f"{live_server}/coordinators?**alumni=migite**")
    await expect(page.locator(".people .person-name")).to_have_text(["仙台 みらい"])
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.context.close()
