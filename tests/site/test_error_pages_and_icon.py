"""The 404 page speaks the language asked for, and every page has an icon (/favicon.ico too)."""

from tests.conftest import BASE_URL


async def test_a_missing_page_is_in_english_when_english_was_asked(client):
    for path in ("/no-such-page", "/coordinators/99999", "/events/no-such-forum", "//evil.example/x"):
        english = await client.get(BASE_URL + path, params={"lang": "en"})
        assert english.status_code == 404
        assert '<html lang="en">' in english.text and "Page not found" in english.text, path
        assert english.headers["content-language"] == "en"
        assert english.headers.get_list("content-language") == ["en"]
        japanese = await client.get(BASE_URL + path, params={"lang": "ja"})
        assert '<html lang="ja">' in japanese.text and "ページが見つかりません" in japanese.text, path
        assert "Not Found" not in japanese.text


async def test_a_missing_page_follows_the_language_cookie(client):
    await client.get("/events", params={"lang": "en"})  # the switch remembers English in a cookie
    assert client.cookies["lang"] == "en"
    page = await client.get("/no-such-page")
    assert '<html lang="en">' in page.text and "Page not found" in page.text


async def test_every_page_has_an_icon_and_favicon_ico_answers(client):
    home = await client.get("/")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home.text
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in home.text
    svg = await client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    ico = await client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert "max-age" in ico.headers["cache-control"]
