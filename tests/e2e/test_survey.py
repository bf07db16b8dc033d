"""On a 390×844 phone: a participant opens the survey from the forum page, answers it (a 1–5
scale, a choice, free text, and a person found by typing their name in kana), then the
organizer reads the results on a phone: bars, the average, the free text, the CSV link."""

from playwright.async_api import expect

from meetup.accounts import service as accounts
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import SignupIn
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import RegistrationIn
from tests.e2e.conftest import open_page, screenshot
from tests.factories import PASSWORD, create_forum, new_email, organizer
from tests.surveys.factories import QUESTIONS

FITS = "document.documentElement.scrollWidth <= 390"


async def participant(slug: str, name: str) -> tuple[str, int]:
    email = new_email("survey")
    user = await accounts.signup(
        SignupIn(email=email, password=PASSWORD, display_name=name), limiter=RateLimiter(), client="e2e"
    )
    await registration.register(await events.event_row(slug), user.id, RegistrationIn(), [])
    return email, user.id


async def test_answer_on_a_phone_then_read_results_as_organizer(live_server, browser, client):
    organizer_email = new_email("organizer")
    await organizer(client, email=organizer_email)
    slug = await create_forum(client, title="アンケートのフォーラム")
    amy_email, _amy = await participant(slug, "青森 花子")
    _ben_email, ben = await participant(slug, "宮城 美咲")
    await coordinators.save_profile(ben, ProfileIn(name="宮城 美咲", name_kana="みやぎ みさき", prefecture="宮城県"))
    await participant(slug, "秋田 健")
    response = await client.put(f"/api/v1/events/{slug}/survey", json={"questions": QUESTIONS, "open": True})
    assert response.status_code == 200

    page = await open_page(browser, live_server, amy_email, f"/events/{slug}")
    await page.get_by_role("link", name="アンケートに回答する").click()
    await page.wait_for_url(f"{live_server}/events/{slug}/survey")
    await page.locator("#question-satisfaction").get_by_text("4", exact=True).click()
    await page.get_by_label("ブレイクアウト").check()
    await page.get_by_label("感想").fill("県を越えた出会いがありました。")
    await page.get_by_label("名前・よみ（かな、ローマ字）で探す").fill("みやぎ")
    people = page.locator("#people-met li[data-search]")
    await expect(people.filter(has_text="秋田 健")).to_be_hidden()
    await people.filter(has_text="宮城 美咲").get_by_role("checkbox").check()
    assert await page.evaluate(FITS)
    await screenshot(page, "survey-answer-phone")
    await page.get_by_role("button", name="回答を送信").click()
    await expect(page.get_by_role("status")).to_contain_text("ご回答ありがとうございました")
    assert await page.locator("#question-satisfaction input[value='4']").is_checked()

    results = await open_page(browser, live_server, organizer_email, f"/organizer/events/{slug}/survey/results")
    await expect(results.locator("#result-satisfaction")).to_contain_text("平均 4.0")
    await expect(results.locator("#result-comment")).to_contain_text("県を越えた出会いがありました。")
    await expect(results.locator("#result-met")).to_contain_text("宮城 美咲")
    assert await results.locator("#result-format svg").count() == 3
    await expect(results.get_by_role("link", name="CSVをダウンロード")).to_be_visible()
    assert await results.evaluate(FITS)
    await screenshot(results, "survey-results-phone")
