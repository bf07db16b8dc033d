"""An organizer on a phone writes a forum's registration questions: adds three, moves one up,
removes one, picks the kinds and types the choices, and saves; then, with JavaScript off,
reorders them again through the server."""

from datetime import timedelta

from meetup.db import utcnow
from meetup.events.tables import Event
from meetup.i18n import TOKYO
from tests.e2e.conftest import open_page, screenshot
from tests.factories import PASSWORD, organizer


async def questions_of(slug: str) -> list[tuple[str, str, str]]:
    import msgspec

    row = await Event.select(Event.questions_json).where(Event.slug == slug).first()
    return [(q["id"], q["label"], q["kind"]) for q in msgspec.json.decode(row["questions_json"])]


async def test_questions_form_on_a_phone(live_server, browser, client):
    await organizer(client, email="questions@example.jp")
    page = await open_page(browser, live_server, "questions@example.jp", "/organizer/events/new")
    day = (utcnow().astimezone(TOKYO) + timedelta(days=30)).date()
    await page.get_by_label("タイトル").fill("質問フォームのテスト")
    await page.locator("input[name=starts_at]").fill(f"{day}T13:00")
    await page.locator("input[name=ends_at]").fill(f"{day}T15:00")
    await page.get_by_label("状態").select_option("published")

    questions = page.locator("[data-question]")
    add = page.get_by_role("button", name="質問を追加")
    for label in ("所属団体", "昼食", "削除する質問"):
        await add.click()
        await questions.last.get_by_label("質問文").fill(label)
    assert await questions.count() == 3
    assert await questions.nth(0).get_by_label("質問文").is_visible()
    # the choices box shows only for choice questions
    assert not await questions.nth(1).locator("[data-choices]").is_visible()
    await questions.nth(1).get_by_label("回答の形式").select_option("choice")
    await questions.nth(1).locator("textarea").fill("要\n不要")
    await questions.nth(0).get_by_label("必須").check()
    await page.get_by_role("button", name="質問 2 を上へ移動").click()
    await page.get_by_role("button", name="質問 3 を削除").click()
    assert await questions.count() == 2
    assert await questions.nth(0).locator("legend").inner_text() == "質問 1"
    assert await questions.nth(0).get_by_label("質問文").input_value() == "昼食"
    assert await page.get_by_role("button", name="質問 1 を上へ移動").is_disabled()
    assert "#" not in page.url  # the buttons worked in the page, no round trip
    await questions.nth(1).scroll_into_view_if_needed()
    await screenshot(page, "question-form-phone")
    await page.get_by_role("button", name="フォーラムを作成").click()
    await page.wait_for_url(f"{live_server}/organizer/events/*")
    slug = page.url.rsplit("/", 1)[1]
    assert await questions_of(slug) == [("q1", "昼食", "choice"), ("q2", "所属団体", "text")]

    # Without JavaScript the same buttons go through the server, and nothing is saved until "save".
    context = await browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    plain = await context.new_page()
    await plain.goto(f"{live_server}/login?next=/organizer/events/{slug}/edit")
    await plain.get_by_label("メールアドレス").fill("questions@example.jp")
    await plain.get_by_label("パスワード", exact=True).fill(PASSWORD)
    await plain.get_by_role("button", name="ログイン").click()
    await plain.wait_for_url(f"{live_server}/organizer/events/{slug}/edit")
    await plain.get_by_role("button", name="質問 1 を下へ移動").click()
    await plain.wait_for_load_state()
    assert await plain.get_by_text("まだ保存されていません").is_visible()
    assert await plain.locator("[data-question]").nth(0).get_by_label("質問文").input_value() == "所属団体"
    assert await questions_of(slug) == [("q1", "昼食", "choice"), ("q2", "所属団体", "text")]
    await plain.get_by_role("button", name="質問を追加").click()
    await plain.wait_for_load_state()
    await plain.locator("[data-question]").nth(2).get_by_label("質問文").fill("Lunch allergies")
    await screenshot(plain, "question-form-phone-no-js")
    await plain.get_by_role("button", name="変更を保存").click()
    await plain.wait_for_url(f"{live_server}/organizer/events/{slug}")
    assert await questions_of(slug) == [
        ("q2", "所属団体", "text"),
        ("q1", "昼食", "choice"),
        ("lunch_allergies", "Lunch allergies", "text"),
    ]
    await context.close()
