"""No page can be framed (clickjacking an organizer's buttons), nothing is sniffed, no path leaks to
other sites, and the Content-Security-Policy allows only the site's own scripts and styles: on
pages, the API, static files, errors and 404s alike."""

import re

import msgspec

from tests.conftest import _with_csrf, running
from tests.factories import create_forum, organizer, sign_up


def policy(response) -> dict[str, str]:
    directives = (d.strip().split(None, 1) for d in response.headers["content-security-policy"].split(";"))
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives if d}


def assert_protected(response, what: str) -> None:
    headers = response.headers
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "same-origin", what
    csp = policy(response)
    assert csp["frame-ancestors"] == "'none'", what
    assert csp["script-src"] == "'self'", what
    assert csp["object-src"] == "'none'", what
    assert csp["base-uri"] == "'none'", what


async def test_every_kind_of_answer_forbids_framing_and_sniffing(client, make_client):
    await organizer(client)
    slug = await create_forum(client)
    mail = {"subject": "ご参加ありがとうございました", "body": "本文", "audience": ["confirmed"]}
    campaign = (await client.post(f"/api/v1/events/{slug}/campaigns", json=mail)).json()["id"]
    participant = await make_client("10.0.0.2")
    await sign_up(participant)
    assert (await participant.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    anonymous = await make_client("10.0.0.3")
    del anonymous.headers["x-csrftoken"]

    answers = {
        "home": (anonymous, "GET", "/", 200),
        "forums": (anonymous, "GET", "/events", 200),
        "a forum": (anonymous, "GET", f"/events/{slug}", 200),
        "directory": (anonymous, "GET", "/coordinators", 200),
        "network": (anonymous, "GET", "/network", 200),
        "login": (anonymous, "GET", "/login", 200),
        "signup": (anonymous, "GET", "/signup", 200),
        "login redirect": (anonymous, "GET", "/me/registrations", 302),
        "my registrations": (participant, "GET", "/me/registrations", 200),
        "my ticket": (participant, "GET", f"/events/{slug}/ticket", 200),
        "organizer home": (client, "GET", "/organizer/", 200),
        "manage a forum": (client, "GET", f"/organizer/events/{slug}", 200),
        "check-in desk": (client, "GET", f"/organizer/events/{slug}/check-in", 200),
        "a campaign": (client, "GET", f"/organizer/campaigns/{campaign}", 200),
        "refused organizer page": (participant, "GET", f"/organizer/events/{slug}", 403),
        "API list": (anonymous, "GET", "/api/v1/events", 200),
        "API 401": (anonymous, "GET", "/api/v1/me", 401),
        "API without CSRF token": (anonymous, "POST", "/api/v1/auth/logout", 403),
        "API 404": (anonymous, "GET", "/api/v1/no/such/thing", 404),
        "page 404": (anonymous, "GET", "/no/such/page", 404),
        "405": (anonymous, "DELETE", "/events", 405),
        "static file": (anonymous, "GET", "/static/css/site.css", 200),
        "missing static file": (anonymous, "GET", "/static/css/none.css", 404),
        "health": (anonymous, "GET", "/healthz", 200),
        "API reference": (anonymous, "GET", "/schema", 200),
        "OpenAPI document": (anonymous, "GET", "/schema/openapi.json", 200),
    }
    for what, (who, method, path, status) in answers.items():
        response = await who.request(method, path)
        assert response.status_code == status, (what, response.status_code)
        assert_protected(response, what)


async def test_the_policy_lets_the_rooms_websocket_reach_the_sites_origin(client):
    csp = policy(await client.get("/"))
    assert csp["connect-src"] == "'self' ws://testserver.local"
    assert csp["default-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["form-action"] == "'self'"


async def test_pages_carry_no_inline_script_handler_or_style(client):
    """What the policy refuses would silently break: so no page relies on it."""
    await organizer(client)
    slug = await create_forum(client)
    for path in ("/", "/events", f"/events/{slug}", "/network", f"/organizer/events/{slug}", "/schema"):
        html = (await client.get(path)).text
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"\sstyle\s*=", html), path
        for attributes in re.findall(r"<script\b([^>]*)>", html):
            assert " src=" in attributes or 'type="application/json"' in attributes, (path, attributes)
        assert "<style" not in html, path


async def test_the_campaign_preview_may_show_the_mails_own_styles(client):
    """The preview frame inherits the page's policy; mail clients need inline styles."""
    await organizer(client)
    slug = await create_forum(client)
    await client.post(f"/api/v1/events/{slug}/registration", json={})
    created = await client.post(
        f"/api/v1/events/{slug}/campaigns", json={"subject": "お礼", "body": "本文", "audience": ["confirmed"]}
    )
    page = await client.get(f"/organizer/campaigns/{created.json()['id']}")
    assert page.status_code == 200
    assert 'srcdoc="' in page.text
    csp = policy(page)
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert page.headers["x-frame-options"] == "DENY"


async def test_the_dev_mailbox_shows_a_mail_with_its_own_styles(settings):
    async with running(msgspec.structs.replace(settings, env="dev")) as client:
        await _with_csrf(client)
        await client.post("/api/v1/auth/magic-link", json={"email": "newcomer@example.jp"})
        await organizer(client)
        listing = await client.get("/dev/mailbox/?to=newcomer@example.jp")
        mail_id = listing.text.split('href="/dev/mailbox/')[1].split('"')[0]
        mail = await client.get(f"/dev/mailbox/{mail_id}")
    assert mail.status_code == 200 and "srcdoc=" in mail.text
    assert policy(mail)["style-src"] == "'self' 'unsafe-inline'"
    assert policy(mail)["frame-ancestors"] == "'none'"


async def test_https_in_prod_is_remembered_by_the_browser(settings):
    async def fetch(changes: dict):
        async with running(msgspec.structs.replace(settings, **changes)) as client:
            return await client.get("/healthz")

    answer = await fetch({"env": "prod", "base_url": "https://meetup.example.jp", "secret_key": "k" * 40})
    assert answer.headers["strict-transport-security"] == "max-age=31536000"
    assert policy(answer)["connect-src"] == "'self' wss://meetup.example.jp"
    assert "strict-transport-security" not in (await fetch({})).headers
