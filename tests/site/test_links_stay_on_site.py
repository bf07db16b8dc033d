"""Every link a page makes stays on this site, whatever path was asked for: a page reached as
`//evil.example/x` must not offer a language switch or a log-in link that leads there."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import BASE_URL
from tests.factories import make_accounts, signed_in

SITE = urlsplit(BASE_URL).netloc
HOSTILE = [
    "//evil.example/x",
    "//evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "/%2F%2Fevil.example/x?lang=en",
    "///evil.example/",
    "/%09/evil.example",
    "/events//evil.example",
    "/coordinators/%2F%2Fevil.example",
]
PAGES = ["/", "/events", "/coordinators", "/network", "/organizations", "/login", "/coordinators/99999"]


class Links(HTMLParser):
    """Every href, src, action and formaction in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value or "" for name, value in attrs if name in ("href", "src", "action", "formaction")]


def off_site(page_url: str, html: str) -> list[str]:
    """The links a browser would follow off this site. As a browser reads an http(s) link: tabs and
    line breaks are dropped, a backslash is a slash, and a link starting with two or more slashes
    names a host (`///evil.example` goes to evil.example). A `webcal://` link (a calendar to
    subscribe to) is this site's feed when it names this site's host."""
    parser = Links()
    parser.feed(html)
    bad = []
    for link in parser.found:
        as_browser = link.strip().replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
        if as_browser.startswith("//"):
            as_browser = "//" + as_browser.lstrip("/")
        target = urlsplit(urljoin(page_url, as_browser))
        if target.scheme not in ("http", "https", "webcal") or target.netloc != SITE:
            bad.append(link)
    return bad


@pytest.mark.parametrize("path", HOSTILE + PAGES)
async def test_no_page_links_off_the_site_whatever_path_was_asked(path, client, make_client):
    [member] = await make_accounts(1)
    for person in (client, await signed_in(make_client, member)):
        for suffix in ("", "?lang=en" if "?" not in path else "&lang=ja"):
            url = BASE_URL + path + suffix
            page = await person.get(url)
            assert page.status_code < 500
            assert "text/html" in page.headers["content-type"]
            assert off_site(url, page.text) == [], f"{path}{suffix}"


async def test_the_language_switch_keeps_the_page_and_its_query(client):
    page = await client.get(BASE_URL + "//evil.example/x", params={"q": "宮城"})
    assert page.status_code == 404
    assert 'href="/evil.example/x?q=%E5%AE%AE%E5%9F%8E&amp;lang=en"' in page.text
    assert 'href="/login?next=/evil.example/x"' in page.text
    events = await client.get("/events", params={"q": "宮城", "lang": "en"})
    assert 'href="/events?q=%E5%AE%AE%E5%9F%8E&amp;lang=ja"' in events.text
