"""axe-core (WCAG 2.1 A and AA) finds nothing on the pages people use most, on a desktop and on a
phone: a visitor's, a participant's and an organizer's, built from the demo data."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from meetup import demo
from tests.e2e.demo_site import PARTICIPANT, demo_site, sign_in

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
RUN_AXE = """
async () => {
  const rules = {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}};
  const result = await axe.run(document, rules);
  return result.violations.map((v) => ({id: v.id, targets: v.nodes.map((n) => n.target.join(" "))}));
}
"""
# Wait for what each page's script draws, so axe sees the page a person sees.
DRAWN = {"network": ".net-map canvas", "a room": "#member-list li.me"}


async def violations_on(page, base_url: str, path: str, name: str) -> list[str]:
    found = []
    await page.goto(f"{base_url}{path}")
    if name in DRAWN:
        await expect(page.locator(DRAWN[name]).first).to_be_visible()
    for size in SIZES:
        await page.set_viewport_size(size)
        if not await page.evaluate("typeof axe !== 'undefined'"):
            await page.evaluate(AXE)  # a script of the test, not the site's: the policy does not apply
        for violation in await page.evaluate(RUN_AXE):
            found += [f"{name} ({path}) at {size['width']}px: {violation['id']} {t}" for t in violation["targets"]]
    return found


async def test_axe_finds_no_wcag_violation_on_forty_two_pages(live_server, browser, database):
    site = await demo_site()
    organizer_email, organizer_password, _name = demo.DEMO_ORGANIZER
    people = (
        (None, site.visitor),
        (
            (PARTICIPANT, demo.DEMO_PASSWORD),
            {
                k: site.participant[k]
                for k in (
                    "my registrations",
                    "a room",
                    "my certificate of completion",
                    "a programme's alumni",
                    "what I follow",
                    "my account and calendar",
                    "a co-host invitation",
                    "who is interested in my challenge",
                    "an invitation to join an organisation",
                )
            },
        ),
        (
            (organizer_email, organizer_password),
            {
                k: site.organizer[k]
                for k in (
                    "manage a forum",
                    "an organisation's form",
                    "a new organisation",
                    "organisation import",
                    "proposed organisations",
                    "a programme's completion",
                    "graduates import",
                    "a programme's cohort",
                    "series and a new programme",
                    "write a forum report",
                    "a case form",
                )  # fmt: skip
            },
        ),
        (demo.DEMO_ADMIN[:2], site.admin),
        ((demo.DEMO_COHOST[0], demo.DEMO_PASSWORD), site.cohost),
    )
    found: list[str] = []
    walked = 0
    for credentials, pages in people:
        context = await browser.new_context()
        if credentials:
            await sign_in(context, live_server, *credentials)
        page = await context.new_page()
        for name, path in pages.items():
            found += await violations_on(page, live_server, path, name)
            walked += 1
        await context.close()
    assert walked == 42
    assert not found, "\n".join(found)
