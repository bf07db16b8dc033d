"""Bad input gets a clear 4xx naming the field, stores nothing, and never a 500."""

import pytest

from meetup.accounts.tables import Account, MagicLink
from tests.factories import PASSWORD, new_email

HUGE = "あ" * (1024 * 1024)


async def nothing_stored() -> bool:
    return await Account.count() == 0 and await MagicLink.count() == 0


async def test_malformed_json(client):
    response = await client.post(
        "/api/v1/auth/signup", content=b'{"email": "a@example.jp", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 400
    assert await nothing_stored()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 42, "password": PASSWORD, "display_name": "x"}, "email"),
        ({"email": "a@example.jp", "password": ["list"], "display_name": "x"}, "password"),
        ({"email": "a@example.jp", "password": PASSWORD, "display_name": None}, "display_name"),
        ({"email": "a@example.jp", "password": "short", "display_name": "x"}, "password"),
        ({"email": "a@example.jp", "password": PASSWORD, "display_name": "x", "locale": "fr"}, "locale"),
        ({"email": "a@example.jp", "password": PASSWORD}, "display_name"),
        ({"email": "a@example.jp", "password": PASSWORD, "display_name": "x", "role": "admin"}, "role"),
    ],
)
async def test_wrong_types_and_values_name_the_field(client, body, field):
    response = await client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert await nothing_stored()


@pytest.mark.parametrize("field", ["email", "password", "display_name"])
async def test_oversized_fields_are_refused(client, field):
    body = {"email": new_email(), "password": PASSWORD, "display_name": "東北 太郎", field: HUGE}
    response = await client.post("/api/v1/auth/signup", json=body)
    assert response.status_code in (400, 413)
    if response.status_code == 400:
        assert field in response.text
    assert await nothing_stored()


@pytest.mark.parametrize(
    "address", ["not-an-address", "a@", "@example.jp", "a b@example.jp", "a@example", "a@@example.jp", "あ@例え"]
)
async def test_bad_email_addresses(client, address):
    signup = await client.post(
        "/api/v1/auth/signup", json={"email": address, "password": PASSWORD, "display_name": "x"}
    )
    magic = await client.post("/api/v1/auth/magic-link", json={"email": address})
    for response in (signup, magic):
        assert response.status_code == 400, response.text
        assert "email" in response.text
    assert await nothing_stored()


async def test_a_name_of_nothing_but_control_characters_is_refused(client):
    # Control characters become spaces (meetup/text.py), so "a\x00b" is "a b"; nothing left is a 400.
    response = await client.post(
        "/api/v1/auth/signup", json={"email": new_email(), "password": PASSWORD, "display_name": "\u0000\r\n"}
    )
    assert response.status_code == 400
    assert "display_name" in response.text
    assert await nothing_stored()


async def test_a_body_that_is_not_an_object(client):
    for body in ([1, 2], "text", 3):
        response = await client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 400
    assert await nothing_stored()


async def test_bad_form_input_re_renders_the_page_with_the_field_marked(client):
    response = await client.post(
        "/signup",
        data={"email": "nope", "password": PASSWORD, "display_name": "x", "_csrf_token": client.cookies["csrftoken"]},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert "正しいメールアドレス" in response.text
    assert await nothing_stored()
