"""Links that carry a token (unsubscribe, stay in touch, sign-in) answer a broken or hostile
token with a clear 4xx that changes nothing: never a 500, whoever sends it, signed in or not."""

import pytest

from meetup.accounts.tables import Account, MagicLink, MailPreference
from meetup.followups import preferences
from meetup.followups.introductions import stay_token
from tests.factories import make_accounts, signed_in

HOSTILE = [
    "日本語",
    "1.日本語日本語日本語日本語日本語日本語日本語日本語",
    "1.ÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀ",
    "💥" * 43,
    "é" * 43,
    "%ff%fe%fd",
    "%c0%ae%c0%ae",
    "%00",
    "a%00b.AAAAAAAAAAAAAAAAAAAAAAAA",
    "x" * 5000,
    "1" * 300 + ".AAAAAAAAAAAAAAAAAAAAAAAA",
    "1.AAAAAAAAAAAAAAAAAAAAAAAA",  # the right shape, the wrong signature
    "1-2-3.AAAAAAAAAAAAAAAAAAAAAAAA",
    "a.b.c",
    "%2e%2e",
    "%20",
    "1.%0d%0aSet-Cookie:x=1",
    "<script>alert(1)</script>",
    "%E2%80%AE" * 10,
]


def routes(token: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/unsubscribe/{token}"),
        ("POST", f"/unsubscribe/{token}"),
        ("POST", f"/unsubscribe/{token}/resubscribe"),
        ("GET", f"/stay-in-touch/{token}"),
        ("POST", f"/stay-in-touch/{token}"),
        ("POST", f"/api/v1/stay-in-touch/{token}"),
        ("GET", f"/auth/magic/{token}"),
        ("POST", f"/auth/magic/{token}"),
    ]


@pytest.mark.parametrize("token", HOSTILE)
async def test_a_hostile_token_gets_a_clear_4xx_on_every_route(token, client, make_client):
    [person] = await make_accounts(1)
    anonymous = await make_client()
    member = await signed_in(make_client, person)
    for who in (anonymous, member):
        for method, path in routes(token):
            if method == "POST" and not path.startswith("/api/"):
                response = await who.request(method, path, data={"_csrf_token": who.cookies["csrftoken"]})
            else:
                response = await who.request(method, path)
            assert 400 <= response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:200]}"
            assert "Traceback" not in response.text
    assert await MailPreference.count() == 0
    assert await MagicLink.count() == 0
    assert await Account.count() == 1


async def test_the_one_click_post_with_a_hostile_token_and_no_cookie(app_client):
    """RFC 8058: a mailbox provider POSTs with no cookie and no CSRF token."""
    for token in HOSTILE:
        response = await app_client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert 400 <= response.status_code < 500, (token, response.status_code)
    assert await MailPreference.count() == 0


async def test_a_real_token_with_a_character_changed_is_refused(client):
    [person, other] = await make_accounts(2)
    real = preferences.unsubscribe_token(person)
    for forged in (real[:-1] + ("A" if real[-1] != "A" else "B"), real + "A", real[:-1], "2" + real[1:], real.upper()):
        if forged == real:
            continue
        assert (await client.get(f"/unsubscribe/{forged}")).status_code == 404, forged
    stay = stay_token(person, other, 1)
    assert (await client.get(f"/stay-in-touch/{stay[:-2]}日本")).status_code == 404
    assert (await client.get(f"/unsubscribe/{real}")).status_code == 200


async def test_mail_settings_take_no_token_and_refuse_odd_input_clearly(client, make_client):
    [person] = await make_accounts(1)
    member = await signed_in(make_client, person)
    for value in ("日本語", "\x00", "x" * 100_000, "on\r\nX: y"):
        response = await member.post("/me/mail", data={"_csrf_token": member.cookies["csrftoken"], "followups": value})
        assert response.status_code < 500
    response = await member.put("/api/v1/me/mail-preferences", json={"followups": "日本語"})
    assert response.status_code == 400
