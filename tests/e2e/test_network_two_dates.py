"""An organizer reads the network on a phone: the tie switch, the figures explained in plain
Japanese, and two dates side by side with what changed."""

from datetime import datetime

from meetup.coordinators import connections, service
from meetup.coordinators.schemas import ProfileIn
from meetup.i18n import TOKYO
from tests.e2e.conftest import open_page, screenshot
from tests.factories import make_accounts, new_email, organizer


async def test_compare_two_dates_on_a_phone(live_server, browser, client):
    email = new_email("staff")
    await organizer(client, email=email)
    a, b, c = await make_accounts(3)
    for uid, name, prefecture in ((a, "宮城 美咲", "宮城県"), (b, "岩手 太郎", "岩手県"), (c, "東京 亮", "東京都")):
        await service.save_profile(uid, ProfileIn(name=name, prefecture=prefecture, visibility="public"))
    await connections.record_ties([a, b], kind="connection", source="request:1", at=datetime(2021, 2, 1, tzinfo=TOKYO))
    await connections.record_ties([b, c], kind="introduction", source="introduction:1", event_id=1)
    await connections.record_ties([a, c], kind="room", source="room:1", event_id=1)

    page = await open_page(browser, live_server, email, "/network")
    assert await page.get_by_text("媒介中心性", exact=False).first.is_visible()
    await page.get_by_role("link", name="関係＋接点").click()
    await page.wait_for_url(f"{live_server}/network?ties=contact")
    await page.get_by_label("1つ目の日付").fill("2021-03-01")
    await page.get_by_role("button", name="比べる").click()
    await page.wait_for_url("**/network?ties=contact&a=2021-03-01&b=*")
    assert await page.get_by_role("heading", name="変化したこと").is_visible()
    new_ties = await page.locator(".net-new-ties").inner_text()
    assert "紹介: 1" in new_ties and "同じブレイクアウトルーム: 1" in new_ties
    assert await page.locator(".net-map[data-map=before]").is_visible()
    assert await page.locator(".net-map[data-map=after]").is_visible()
    assert await page.get_by_role("link", name="岩手 太郎").first.is_visible()  # a new bridge
    await screenshot(page, "network-two-dates-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
