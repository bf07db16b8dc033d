"""Cookies are safe by default, and no unsafe request goes through without the CSRF token."""

import msgspec

from meetup.accounts.tables import Account
from tests.conftest import running
from tests.factories import PASSWORD, new_email, sign_up


def cookie_header(response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


async def test_the_session_cookie_is_httponly_and_lax(client):
    response = await client.post(
        "/api/v1/auth/signup", json={"email": new_email(), "password": PASSWORD, "display_name": "x"}
    )
    header = cookie_header(response, "session").lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "secure" not in header  # dev and test run on plain http


async def test_cookies_are_secure_in_production(settings):
    prod = msgspec.structs.replace(settings, env="prod", base_url="https://meetup.example")
    async with running(prod, base_url="https://meetup.example") as client:
        first = await client.get("/healthz")
        assert "secure" in cookie_header(first, "csrftoken").lower()
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        signup = await client.post(
            "/api/v1/auth/signup", json={"email": new_email(), "password": PASSWORD, "display_name": "x"}
        )
        assert signup.status_code == 201
        assert "secure" in cookie_header(signup, "session").lower()
        assert (await client.get("/dev/mailbox")).status_code == 404  # no dev pages in prod


async def test_an_anonymous_visit_creates_no_session(app_client):
    response = await app_client.get("/")
    assert not any(h.startswith("session=") for h in response.headers.get_list("set-cookie"))


async def test_unsafe_requests_need_the_csrf_token(app_client):
    await app_client.get("/")
    body = {"email": new_email(), "password": PASSWORD, "display_name": "x"}
    missing = await app_client.post("/api/v1/auth/signup", json=body)
    assert missing.status_code == 403
    wrong = await app_client.post("/api/v1/auth/signup", json=body, headers={"x-csrftoken": "0" * 80})
    assert wrong.status_code == 403
    assert await Account.count() == 0
    right = await app_client.post(
        "/api/v1/auth/signup", json=body, headers={"x-csrftoken": app_client.cookies["csrftoken"]}
    )
    assert right.status_code == 201


async def test_every_form_carries_the_token(app_client):
    for path in ("/login", "/signup", "/magic-link"):
        page = await app_client.get(path)
        assert 'name="_csrf_token"' in page.text, path


async def test_a_form_post_without_the_token_is_refused(app_client):
    await app_client.get("/login")
    response = await app_client.post("/login", data={"email": "a@example.jp", "password": PASSWORD})
    assert response.status_code == 403


async def test_logout_needs_the_token_too(client, make_client):
    await sign_up(client)
    forged = await client.post("/api/v1/auth/logout", headers={"x-csrftoken": ""})
    assert forged.status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_login_page_flow_with_form_and_token(client, make_client):
    email = new_email()
    await sign_up(client, email=email, name="福島 翔")
    person = await make_client()
    token = person.cookies["csrftoken"]
    bad = await person.post("/login", data={"email": email, "password": "wrong-wrong", "_csrf_token": token})
    assert bad.status_code == 401
    assert "正しくありません" in bad.text
    good = await person.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": "/me", "_csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code in (302, 303)
    assert good.headers["location"] == "/me"
    page = await person.get("/me")
    assert "福島 翔" in page.text


async def test_login_never_redirects_off_site(client, make_client):
    email = new_email()
    await sign_up(client, email=email)
    person = await make_client()
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        response = await person.post(
            "/login",
            data={"email": email, "password": PASSWORD, "next": target, "_csrf_token": person.cookies["csrftoken"]},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target
