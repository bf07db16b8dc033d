"""An organizer watches a follow-up go out: the counts and the log update without a reload."""

from playwright.async_api import expect

from meetup.mail.worker import MailWorker
from tests.e2e.conftest import open_page, screenshot
from tests.factories import organizer
from tests.followups.factories import forum_with_audience, rename


async def test_the_campaign_page_shows_progress_live(live_server, browser, client, mail_settings, smtp_server):
    collector, _ = smtp_server
    await organizer(client, email="mailer@example.jp")
    forum = await forum_with_audience()
    await rename(forum.no_show, "<b>秋田</b> 健")
    created = await client.post(
        f"/api/v1/events/{forum.event['slug']}/campaigns",
        json={
            "subject": "ご参加ありがとうございました",
            "body": "{{ name }} さん、資料です。",
            "audience": ["confirmed"],
        },
    )
    campaign_id = created.json()["id"]
    assert (await client.post(f"/api/v1/campaigns/{campaign_id}/send")).status_code == 202

    page = await open_page(browser, live_server, "mailer@example.jp", f"/organizer/campaigns/{campaign_id}", 1280)
    assert await page.locator('[data-count="queued"]').text_content() == "3"
    await page.evaluate("window.__notReloaded = true")

    await MailWorker(mail_settings).run_once()  # the worker delivers while the page is open
    campaign_mail = [m for m in collector.messages() if m["List-Unsubscribe"]]
    assert len(campaign_mail) == 3

    # expect(), not wait_for_function: a predicate given as a string is eval, which the CSP refuses
    await expect(page.locator('[data-count="sent"]')).to_have_text("3")
    assert await page.locator('[data-count="queued"]').text_content() == "0"
    assert await page.evaluate("window.__notReloaded === true")
    await expect(page.locator(".status-sent")).to_have_count(3)
    assert await page.get_by_role("cell", name="<b>秋田</b> 健").is_visible()  # text, not markup
    await screenshot(page, "campaign-progress")


async def test_a_draft_that_repeats_the_greeting_shows_a_warning_on_a_phone(live_server, browser, client):
    await organizer(client, email="writer@example.jp")
    forum = await forum_with_audience()
    created = await client.post(
        f"/api/v1/events/{forum.event['slug']}/campaigns",
        json={
            "subject": "ご参加ありがとうございました",
            "body": "{{ name }} 様\n\n資料は {{ event_url }} にあります。**ご確認ください。**",
            "audience": ["confirmed"],
        },
    )
    campaign_id = created.json()["id"]
    page = await open_page(browser, live_server, "writer@example.jp", f"/organizer/campaigns/{campaign_id}")
    warning = page.locator("[data-salutation-warning]")
    assert await warning.is_visible()
    assert "宛名が二重になります" in await warning.text_content()
    box = await warning.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # within the phone's width
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "campaign-draft-warning-phone")


async def test_mail_to_the_network_counts_and_saves_on_a_phone(live_server, browser, client):
    from meetup.coordinators import service as coordinators
    from meetup.coordinators.schemas import ProfileIn
    from tests.factories import make_accounts

    await organizer(client, email="network-mailer@example.jp")
    for uid in await make_accounts(2, prefix="iwate"):
        await coordinators.save_profile(uid, ProfileIn(name=f"岩手 {uid}", prefecture="岩手県"))
    page = await open_page(browser, live_server, "network-mailer@example.jp", "/organizer/campaigns")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.get_by_label("件名").fill("東北の次の集まりへ")
    await page.get_by_label("本文（Markdown）").fill("{{ name }} さん、次の集まりのご案内です。")
    await page.get_by_label("岩手県").check()
    await page.get_by_role("button", name="宛先の人数を数える").click()
    await expect(page.locator("[data-recipient-count]")).to_contain_text("2")
    assert await page.get_by_label("岩手県").is_checked()  # the choices stay as they were
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.get_by_role("button", name="下書き保存してプレビュー").click()
    await expect(page.locator("iframe.mail-html")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "network-campaign-phone")
