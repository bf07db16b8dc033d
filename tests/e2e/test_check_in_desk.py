"""The check-in desk on a phone (390×844) in a real browser: the camera reads a ticket's QR code
with the vendored jsQR where the browser has no BarcodeDetector (as on iPhone Safari), and a
person without their ticket is found by name and checked in."""

from __future__ import annotations

from pathlib import Path

import segno
from playwright.async_api import expect

from meetup.accounts.tables import Account
from meetup.events import registration, tickets
from meetup.events import service as events
from meetup.events.schemas import RegistrationIn
from meetup.events.tables import Registration
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, open_page, screenshot
from tests.factories import create_forum, new_email, organizer


async def confirmed(slug: str, name: str) -> dict:
    rows = await Account.insert(Account(email=new_email("desk"), display_name=name)).returning(Account.id)
    row, _ = await registration.register(await events.event_row(slug), rows[0]["id"], RegistrationIn(), [])
    return row


def camera_showing(text: str, path: Path, width: int = 640, height: int = 480) -> Path:
    """A Y4M video (what chromium's fake camera plays) of a QR code holding `text`, on white."""
    qr = segno.make_qr(text, error="m")  # as the ticket page draws it
    modules = [list(row) for row in qr.matrix]
    scale = min(width, height) * 2 // 3 // len(modules)
    size = scale * len(modules)
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray([235]) * (width * height)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * width + left + x * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 3)
    return path


async def test_the_desk_scans_with_jsqr_and_finds_people_by_name_on_a_phone(live_server, client, tmp_path):
    from playwright.async_api import async_playwright

    email = new_email("desk")
    await organizer(client, email=email)
    slug = await create_forum(client, title="受付のテスト", format="in_person", venue="仙台市")
    scanned = await confirmed(slug, "読取 太郎")
    await confirmed(slug, "佐藤 花子")
    video = camera_showing(tickets.shown(scanned["ticket_code"]), tmp_path / "ticket.y4m")

    args = [
        *LAUNCH_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = await open_page(browser, live_server, email, f"/organizer/events/{slug}")
            await page.context.add_init_script("delete window.BarcodeDetector;")  # as on iPhone Safari
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            decoder: list[int] = []
            page.on("response", lambda r: decoder.append(r.status) if r.url.endswith("/vendor/jsqr/jsQR.js") else None)

            await page.goto(f"{live_server}/organizer/events/{slug}/check-in")
            scan = page.get_by_role("button", name="カメラで読み取る")
            await expect(scan).to_be_visible()  # shown once jsQR has loaded
            assert decoder == [200]
            assert await page.evaluate("typeof window.jsQR") == "function"
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sideways
            await screenshot(page, "check-in-desk-phone")

            await scan.click()
            await expect(page.locator(".desk-result.desk-ok")).to_be_visible(timeout=15_000)
            await expect(page.locator(".desk-name")).to_have_text("読取 太郎")
            assert (await Registration.select().where(Registration.id == scanned["id"]).first())["checked_in_at"]
            await page.get_by_role("button", name="カメラを止める").click()

            await page.get_by_label("受付票がない方は名前（漢字・かな）で検索").fill("はなこ")
            await page.get_by_label("受付票がない方は名前（漢字・かな）で検索").press("Enter")
            match = page.locator(".desk-list li", has_text="佐藤 花子")
            await expect(match).to_be_visible()
            await screenshot(page, "check-in-desk-search-phone")
            await match.get_by_role("button", name="受付する").click()
            await expect(page.locator(".desk-name")).to_have_text("佐藤 花子")
            await expect(page.locator(".desk-count strong")).to_have_text("2")
            assert problems == []
        finally:
            await browser.close()
