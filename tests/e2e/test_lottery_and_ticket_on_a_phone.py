"""On a 390×844 phone: the organizer holds lottery seats per prefecture and previews the draw;
a registrant's ticket shows its code as XXXX-XXXX under the QR code."""

from playwright.async_api import expect

from meetup.accounts import service as accounts
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import SignupIn
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import RegistrationIn
from tests.e2e.conftest import SCREENSHOTS, open_page, screenshot
from tests.factories import PASSWORD, create_forum, new_email, organizer


async def applicant(slug: str, name: str, prefecture: str) -> tuple[str, dict]:
    """An account with a password that applies for the forum; (e-mail, registration)."""
    email = new_email("phone")
    user = await accounts.signup(
        SignupIn(email=email, password=PASSWORD, display_name=name), limiter=RateLimiter(), client="e2e"
    )
    row, _ = await registration.register(
        await events.event_row(slug), user.id, RegistrationIn(prefecture=prefecture), []
    )
    return email, row


async def test_lottery_held_seats_preview_on_a_phone(live_server, browser, client):
    email = new_email("lottery")
    await organizer(client, email=email)
    slug = await create_forum(client, title="抽選のフォーラム", registration_mode="lottery", capacity=4)
    for i, prefecture in enumerate(["福島県", "福島県", "青森県", "東京都", "東京都", "東京都"]):
        await applicant(slug, f"申込者 {i}", prefecture)

    page = await open_page(browser, live_server, email, f"/organizer/events/{slug}")
    await page.get_by_label("当選枠数（空欄で空席すべて）").fill("3")
    for prefecture in ("青森県", "岩手県", "宮城県", "秋田県"):
        await page.get_by_label(prefecture, exact=True).fill("1")
    await page.get_by_role("button", name="試算する").click()
    refused = "確保枠が合計4席ありますが、今回の当選枠は3席しかありません"
    await expect(page.get_by_role("alert")).to_contain_text(refused)

    for prefecture in ("岩手県", "宮城県", "秋田県"):
        await page.get_by_label(prefecture, exact=True).fill("0")
    await page.get_by_label("福島県", exact=True).fill("2")
    await page.get_by_role("button", name="試算する").click()
    result = page.locator(".lottery-result")
    await expect(result).to_contain_text("試算です")
    await expect(result.locator("tr", has_text="福島県")).to_contain_text("2")
    await page.locator(".lottery").scroll_into_view_if_needed()
    await screenshot(page, "lottery-held-seats-phone")
    await page.locator(".lottery").screenshot(path=str(SCREENSHOTS / "lottery-section-phone.png"))
    wide = await page.evaluate(
        "[...document.querySelectorAll('.lottery, .lottery *')].filter(e => e.getBoundingClientRect().right > 390)"
        ".map(e => e.outerHTML.slice(0, 80))"
    )
    assert wide == []  # the lottery section fits the phone
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # and so does the whole page


async def test_the_ticket_shows_a_readable_code_on_a_phone(live_server, browser, client):
    await organizer(client)
    slug = await create_forum(client, title="受付票のフォーラム")
    email, row = await applicant(slug, "受付票 太郎", "宮城県")
    page = await open_page(browser, live_server, email, f"/events/{slug}/ticket")
    code = page.locator(".ticket-code code")
    await expect(code).to_have_text(f"{row['ticket_code'][:4]}-{row['ticket_code'][4:]}")
    await expect(page.locator(".qr svg")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "ticket-code-phone")
