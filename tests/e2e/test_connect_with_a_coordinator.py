"""Two coordinators connect in a real browser on a phone: a request with a short message, the
number in the header of the person asked, their answer; and a request taken back."""

from meetup.coordinators import service
from meetup.coordinators.schemas import ProfileIn
from tests.e2e.conftest import open_page, screenshot
from tests.factories import new_email, sign_up


async def test_ask_with_a_message_see_it_counted_and_accept(live_server, browser, client):
    misaki_email, ichiro_email = new_email("misaki"), new_email("ichiro")
    misaki = await sign_up(client, email=misaki_email, name="misaki")
    await client.post("/api/v1/auth/logout")
    ichiro = await sign_up(client, email=ichiro_email, name="ichiro")
    await service.save_profile(misaki["id"], ProfileIn(name="宮城 美咲", prefecture="宮城県", visibility="public"))
    await service.save_profile(ichiro["id"], ProfileIn(name="仙台 一郎", prefecture="宮城県", visibility="public"))

    asker = await open_page(browser, live_server, misaki_email, f"/coordinators/{ichiro['id']}")
    await asker.get_by_label("ひとことメッセージ（任意）").fill("来月の研究会でお話ししたいです。")
    await screenshot(asker, "connect-phone")
    await asker.get_by_role("button", name="つながる").click()
    await asker.wait_for_url(f"{live_server}/coordinators/{ichiro['id']}?done=requested")
    assert await asker.get_by_role("button", name="申請を取り下げる").is_visible()

    asked = await open_page(browser, live_server, ichiro_email, "/events")
    header = asked.locator("header")
    assert await header.locator(".nav-count").inner_text() == "1"
    await screenshot(asked, "header-count-phone")
    await header.get_by_role("link", name="つながり").click()
    await asked.wait_for_url(f"{live_server}/me/connections")
    assert await asked.get_by_text("来月の研究会でお話ししたいです。").is_visible()
    assert await asked.get_by_role("link", name="宮城 美咲").is_visible()
    await screenshot(asked, "connection-requests-phone")
    await asked.get_by_role("button", name="承認").click()
    await asked.wait_for_url(f"{live_server}/me/connections?done=accepted")
    assert await asked.locator("header .nav-count").count() == 0

    # a request taken back from the asker's connections page
    await service.save_profile(misaki["id"], ProfileIn(name="宮城 美咲", prefecture="宮城県", visibility="public"))
    third_email = new_email("hanako")
    await client.post("/api/v1/auth/logout")
    hanako = await sign_up(client, email=third_email, name="hanako")
    await service.save_profile(hanako["id"], ProfileIn(name="石巻 花子", prefecture="宮城県", visibility="members"))
    await asker.goto(f"{live_server}/coordinators/{hanako['id']}")
    await asker.get_by_role("button", name="つながる").click()
    await asker.goto(f"{live_server}/me/connections")
    await screenshot(asker, "connections-sent-phone")
    await asker.get_by_role("button", name="取り下げる").click()
    await asker.wait_for_url(f"{live_server}/me/connections?done=withdrawn")
    assert await asker.get_by_text("つながり申請を取り下げました。").is_visible()

    # English pages name prefectures in English
    await asker.goto(f"{live_server}/coordinators?lang=en")
    assert "Miyagi" in await asker.locator(".person-place").first.inner_text()
    await screenshot(asker, "directory-phone-en")
