"""On a 390-px phone: an organizer writes the forum's report (開催レポート), previews it, attaches a
photo from the phone, publishes, and the report shows from the forum page with the photo."""

from tests.e2e.conftest import open_page, screenshot
from tests.factories import create_forum, organizer
from tests.reports.factories import png


async def test_write_and_publish_a_report_on_a_390px_phone(live_server, browser, client, tmp_path):
    boss = await organizer(client)
    slug = await create_forum(client, title="東北コーディネーター・フォーラム")
    photo = tmp_path / "IMG_0001.png"
    photo.write_bytes(png(600, 400, (30, 120, 200)))

    page = await open_page(browser, live_server, boss["email"], f"/organizer/events/{slug}")
    await page.get_by_role("link", name="開催レポート", exact=True).click()
    await page.wait_for_url(f"**/organizer/events/{slug}/report")
    await page.get_by_label("レポート本文（Markdown）").fill(
        "## 当日の様子\n\n東北内外から**100名超**が参加しました。\n\n<script>alert(1)</script>"
    )
    await page.get_by_role("button", name="プレビュー").click()
    preview = page.locator(".report-preview")
    assert await preview.get_by_role("heading", name="当日の様子").is_visible()
    assert await preview.get_by_text("<script>alert(1)</script>").is_visible()  # shown as text
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    upload = page.locator("form[enctype='multipart/form-data']")
    await upload.get_by_label("タイトル").fill("会場の様子")
    await upload.get_by_label("ファイル：PDF・PNG・JPEG（20 MBまで）").set_input_files(str(photo))
    await upload.get_by_role("button", name="添付する").click()
    await page.wait_for_url("**/report?done=uploaded*")
    assert await page.get_by_text("ファイルを添付しました。").is_visible()
    # the body typed before the upload was kept only in the preview: write it again and publish
    await page.get_by_label("レポート本文（Markdown）").fill("## 当日の様子\n\n東北内外から**100名超**が参加しました。")
    await page.get_by_role("button", name="公開する").click()
    await page.wait_for_url("**/report?done=published")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "report-editor-phone")

    await page.goto(f"{live_server}/events/{slug}")
    await page.get_by_role("link", name="開催レポートを読む").click()
    await page.wait_for_url(f"**/events/{slug}/report")
    assert await page.get_by_role("heading", name="当日の様子").is_visible()
    picture = page.get_by_role("img", name="会場の様子")
    await picture.scroll_into_view_if_needed()
    assert await picture.evaluate("img => img.complete && img.naturalWidth") == 600
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "report-phone")
    await page.context.close()
