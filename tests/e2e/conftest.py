"""Browser tests: a real server process, driven through Debian's chromium by Playwright.

Never a downloaded browser: `.ci/run` installs Debian's `chromium` (and `fonts-noto-cjk`, so
Japanese renders in screenshots). Without /usr/bin/chromium these tests are skipped, saying so.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from meetup import ROOT
from tests.conftest import TEST_REDIS_URL, free_port
from tests.factories import PASSWORD
from tests.zygote import start_main

CHROMIUM = Path("/usr/bin/chromium")
# The one place that says what a browser test needs: every test in this folder is skipped, saying
# so, when the machine has no Debian chromium (.ci/run installs it).
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium fonts-noto-cjk)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(needs_chromium)


SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`python main.py serve` (forked from a process that has the app imported: `tests.zygote`) on a
    free port against this test's database; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": database_url,
        "MEETUP_BASE_URL": base_url,
        "MEETUP_ENV": "test",
        "MEETUP_VAR_DIR": str(tmp_path / "var"),
        "MEETUP_SECRET_KEY": "e2e-secret",
    }
    env.pop("MEETUP_SMTP_URL", None)
    if TEST_REDIS_URL:
        env["MEETUP_REDIS_URL"] = TEST_REDIS_URL
    server = start_main(["serve", "--port", str(port)], env, tmp_path / "server.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.1)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One chromium for the whole run (starting one takes seconds); yields its DevTools address.
    Each test connects to it and works in contexts of its own, closed when the test ends."""
    profile = tmp_path_factory.mktemp("chromium")
    port = free_port()
    log = (profile / "chromium.log").open("w")
    process = subprocess.Popen(
        [str(CHROMIUM), "--headless", f"--remote-debugging-port={port}", f"--user-data-dir={profile}", *LAUNCH_ARGS],
        stdout=log,
        stderr=log,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{address}/json/version", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start:\n" + (profile / "chromium.log").read_text())
            time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(chromium)
        try:
            yield browser
        finally:
            for context in browser.contexts[1:]:  # [0] is chromium's own default context
                await context.close()
            await browser.close()


async def screenshot(page, name: str) -> Path:
    """Keep what a person would see, at phone and desktop widths, for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def open_page(browser, base_url: str, email: str, path: str, width: int = 390):
    """A browser of its own, signed in through the real login page, showing `path`."""
    context = await browser.new_context(viewport={"width": width, "height": 844})
    page = await context.new_page()
    await page.goto(f"{base_url}/login?next={path}")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(f"{base_url}{path}")
    return page
