"""Under the site's Content-Security-Policy every page still works in a real browser: the network map
draws, the room chat connects, the API reference renders, confirmations still ask, and the
browser reports no refused script, style, image or connection."""

from __future__ import annotations

from playwright.async_api import expect

from meetup import demo
from tests.e2e.conftest import screenshot
from tests.e2e.demo_site import PARTICIPANT, demo_site, sign_in

WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || location.pathname}:${event.lineNumber})`);
});
"""

# After the load (and the WORKING sign of pages that fetch or connect once loaded), one more turn of
# the page's task queue: a refusal is reported in a task of its own, and so it is in by then.
SETTLED = "() => new Promise((settled) => setTimeout(settled))"

# What shows that each page's own script ran, beyond the absence of complaints.
WORKING = {
    "network": ".net-map canvas",
    "a room": "#member-list li.me",
    "API reference": ".opblock",
}


async def watched_context(browser, problems: list[str]):
    """A browser context that writes down every refusal and script error of its pages."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.expose_function("reportViolation", lambda text: problems.append(text))
    await context.add_init_script(WATCH_VIOLATIONS)

    def on_page(page) -> None:
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    context.on("page", on_page)
    return context


async def test_every_page_works_under_the_policy(live_server, browser, database):
    site = await demo_site()
    site.visitor["API reference"] = "/schema"
    email, password, _name = demo.DEMO_ORGANIZER
    people = {
        "visitor": (None, site.visitor),
        "participant": ((PARTICIPANT, demo.DEMO_PASSWORD), site.participant),
        "organizer": ((email, password), site.organizer),
        "admin": (demo.DEMO_ADMIN[:2], site.admin),
        "co-host": ((demo.DEMO_COHOST[0], demo.DEMO_PASSWORD), site.cohost),
    }
    problems: list[str] = []
    for who, (credentials, pages) in people.items():
        context = await watched_context(browser, problems)
        if credentials:
            await sign_in(context, live_server, *credentials)
        page = await context.new_page()
        for name, path in pages.items():
            response = await page.goto(f"{live_server}{path}")
            assert response.status == 200, (who, name, response.status)
            assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", ""), (who, name)
            if name in WORKING:
                await expect(page.locator(WORKING[name]).first).to_be_visible()
            await page.evaluate(SETTLED)
            if problems:
                await screenshot(page, f"csp-{who}-{name.replace(' ', '-')}")
            assert not problems, (who, name, problems)
        await context.close()


async def test_confirmations_and_self_submitting_fields_work_without_inline_handlers(live_server, browser, database):
    site = await demo_site()
    email, password, _name = demo.DEMO_ORGANIZER
    problems: list[str] = []
    context = await watched_context(browser, problems)
    await sign_in(context, live_server, email, password)
    page = await context.new_page()

    # Closing every room asks first; saying no closes nothing.
    await page.goto(f"{live_server}{site.organizer['rooms console']}")
    asked: list[str] = []

    async def answer(dialog) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.on("dialog", answer)
    accept = False
    await page.get_by_role("button", name="すべて今すぐ終了").click()
    assert asked == ["開いているすべてのルームを今すぐ終了しますか？"]
    await expect(page.locator("p.success")).to_have_count(0)
    assert page.url == f"{live_server}{site.organizer['rooms console']}"

    # Choosing another recipient shows the preview as that person receives it, at once.
    await page.goto(f"{live_server}{site.organizer['a campaign']}")
    recipient = page.get_by_label("受信者として表示")
    other = await recipient.locator("option:not([selected])").first.get_attribute("value")
    await recipient.select_option(other)
    await page.wait_for_url(f"**recipient={other}")

    # Sending asks, naming how many people; yes sends.
    accept = True
    await page.get_by_role("button", name="人に送信").click()
    await page.wait_for_url("**done=sent")
    assert len(asked) == 2 and "人に今すぐ送信しますか" in asked[1]
    assert not problems, problems
