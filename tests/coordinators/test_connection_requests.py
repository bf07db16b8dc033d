"""Asking to connect, as the person asking and the person asked see it: only through a profile
one may see, names only from such profiles, a limit on asks, a mail to the person asked (unless
they turned it off), a short message for them alone, a number in the header, and taking a
request back."""

import asyncio
import re

from meetup.accounts.tables import Account
from meetup.coordinators import service
from meetup.coordinators.connections import REQUESTS_PER_HOUR
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import ConnectionRequest
from meetup.mail.tables import OutboxMail
from tests.factories import make_accounts, signed_in

NEUTRAL_JA = "コーディネーター（非公開）"


async def profile(uid: int, name: str, visibility: str = "members") -> None:
    await service.save_profile(uid, ProfileIn(name=name, prefecture="宮城県", visibility=visibility))


async def newcomer(local_part: str) -> int:
    """An account made by a magic link: no profile, its display name the e-mail's local part."""
    rows = await Account.insert(Account(email=f"{local_part}@example.jp", display_name=local_part)).returning(
        Account.id
    )
    return rows[0]["id"]


async def mails_to(uid: int) -> list[dict]:
    email = (await Account.select(Account.email).where(Account.id == uid).first())["email"]
    return await OutboxMail.select().where(OutboxMail.to_addr == email).order_by(OutboxMail.id)


def form(client, **fields) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **fields}


def header_count(page) -> int:
    found = re.search(r'<span class="nav-count" aria-hidden="true">(\d+)</span>', page.text)
    return int(found.group(1)) if found else 0


# --- who can be asked, and whose names are shown ---------------------------------------------


async def test_an_account_without_a_profile_cannot_be_asked_and_its_name_never_shows(make_client):
    [asker] = await make_accounts(1)
    await profile(asker, "宮城 美咲")
    hidden = await newcomer("hanako.sato1987")
    alice = await signed_in(make_client, asker)

    refused = await alice.post("/api/v1/connections", json={"user_id": hidden})
    assert refused.status_code == 404
    nobody = await alice.post("/api/v1/connections", json={"user_id": 2_000_000})
    assert nobody.status_code == 404 and nobody.json()["detail"] == refused.json()["detail"]  # the same answer
    page_refused = await alice.post(f"/coordinators/{hidden}/connect", data=form(alice))
    assert page_refused.status_code == 404
    assert await ConnectionRequest.count() == 0

    for page in (await alice.get("/api/v1/connections"), await alice.get("/me/connections"), refused, page_refused):
        assert "hanako.sato1987" not in page.text
    assert await mails_to(hidden) == []


async def test_names_come_only_from_profiles_the_reader_may_see(make_client):
    asker, asked, later_private = await make_accounts(3)
    await profile(asked, "仙台 一郎")
    await profile(later_private, "秘密 次郎")
    await Account.update({Account.display_name: "ichiro.account"}).where(Account.id == asked)
    await Account.update({Account.display_name: "jiro.account"}).where(Account.id == later_private)
    await Account.update({Account.display_name: "no.profile.asker"}).where(Account.id == asker)
    alice = await signed_in(make_client, asker)
    assert (await alice.post("/api/v1/connections", json={"user_id": asked})).status_code == 201
    assert (await alice.post("/api/v1/connections", json={"user_id": later_private})).status_code == 201
    # one of them hides their profile after being asked
    await profile(later_private, "秘密 次郎", visibility="private")

    outgoing = {r["recipient"]: r["name"] for r in (await alice.get("/api/v1/connections")).json()["outgoing"]}
    assert outgoing == {asked: "仙台 一郎", later_private: None}
    page = await alice.get("/me/connections")
    assert "仙台 一郎" in page.text and "秘密 次郎" not in page.text and "jiro.account" not in page.text
    assert NEUTRAL_JA in page.text

    # the person asked sees the asker, who has no profile, without a name
    ichiro = await signed_in(make_client, asked)
    [incoming] = (await ichiro.get("/api/v1/connections")).json()["incoming"]
    assert incoming["requester"] == asker and incoming["name"] is None
    page = await ichiro.get("/me/connections")
    assert "no.profile.asker" not in page.text and NEUTRAL_JA in page.text
    assert "no.profile.asker" not in (await ichiro.get("/me/connections", params={"lang": "en"})).text


async def test_asking_is_limited_per_person_and_counts_asks_sent_at_once(make_client):
    asker, asked = await make_accounts(2)
    await profile(asked, "仙台 一郎")
    alice = await signed_in(make_client, asker)
    answers = await asyncio.gather(
        *[alice.post("/api/v1/connections", json={"user_id": asked}) for _ in range(REQUESTS_PER_HOUR + 10)]
    )
    statuses = [a.status_code for a in answers]
    assert statuses.count(429) == 10 and set(statuses) == {201, 429}
    refused = next(a for a in answers if a.status_code == 429)
    assert int(refused.headers["retry-after"]) > 0
    # the page's button meets the same limit, and asks to nobody count too
    assert (await alice.post(f"/coordinators/{asked}/connect", data=form(alice))).status_code == 429
    assert (await alice.post("/api/v1/connections", json={"user_id": 2_000_000})).status_code == 429
    assert await ConnectionRequest.count() == 1
    # someone else is not held back by Alice's asks
    [bob] = await make_accounts(1)
    bob_asks = await (await signed_in(make_client, bob)).post("/api/v1/connections", json={"user_id": asked})
    assert bob_asks.status_code == 201


# --- the mail to the person asked ------------------------------------------------------------


async def test_the_person_asked_gets_a_mail_that_names_the_asker_by_profile(make_client):
    asker, asked = await make_accounts(2)
    await profile(asker, "宮城 美咲")
    await profile(asked, "仙台 一郎")
    asker_email = (await Account.select(Account.email).where(Account.id == asker).first())["email"]
    await Account.update({Account.display_name: "misaki.account"}).where(Account.id == asker)
    alice = await signed_in(make_client, asker)
    note = "来月の研究会でお話ししたいです。"
    asked_once = await alice.post("/api/v1/connections", json={"user_id": asked, "message": note})
    assert asked_once.status_code == 201
    await alice.post("/api/v1/connections", json={"user_id": asked})  # asking twice mails once

    [mail] = await mails_to(asked)
    assert mail["subject"] == "【つながり申請】宮城 美咲 さん"
    for body in (mail["body_text"], mail["body_html"]):
        assert "宮城 美咲" in body and "来月の研究会でお話ししたいです。" in body
        assert "http://testserver.local/me/connections" in body and f"/coordinators/{asker}" in body
        assert "http://testserver.local/me/mail" in body
        assert asker_email not in body and asker_email.split("@")[0] not in body and "misaki.account" not in body
    assert "Reply-To" not in mail["headers_json"]


async def test_the_mail_is_in_the_language_of_the_person_asked(make_client):
    asker, asked = await make_accounts(2)
    await profile(asker, "宮城 美咲")
    await profile(asked, "Jane Smith")
    await Account.update({Account.locale: "en"}).where(Account.id == asked)
    await (await signed_in(make_client, asker)).post("/api/v1/connections", json={"user_id": asked})
    [mail] = await mails_to(asked)
    assert mail["subject"] == "[Connection request] 宮城 美咲"
    assert "would like to connect with you" in mail["body_text"]


async def test_no_mail_when_the_person_asked_turned_such_mail_off(make_client):
    asker, asked, other_asked = await make_accounts(3)
    await profile(asked, "仙台 一郎")
    await profile(other_asked, "石巻 花子")
    ichiro = await signed_in(make_client, asked)
    turned = await ichiro.put("/api/v1/me/mail-preferences", json={"connection_requests": False})
    assert turned.json() == {**turned.json(), "connection_requests": False, "followups": True}
    # the settings page turns it off too (follow-ups stay on)
    hanako = await signed_in(make_client, other_asked)
    saved = await hanako.post("/me/mail", data=form(hanako, followups="on"))
    assert saved.status_code == 200
    assert (await hanako.get("/api/v1/me/mail-preferences")).json()["connection_requests"] is False

    alice = await signed_in(make_client, asker)
    assert (await alice.post("/api/v1/connections", json={"user_id": asked})).status_code == 201
    assert (await alice.post("/api/v1/connections", json={"user_id": other_asked})).status_code == 201
    assert await mails_to(asked) == [] and await mails_to(other_asked) == []
    assert len((await ichiro.get("/api/v1/connections")).json()["incoming"]) == 1  # the request itself stands


async def test_an_asker_without_a_visible_profile_is_not_named_in_the_mail(make_client):
    asker, asked = await make_accounts(2)
    await profile(asker, "非公開 太郎", visibility="private")
    await Account.update({Account.display_name: "taro.private"}).where(Account.id == asker)
    await profile(asked, "仙台 一郎")
    await (await signed_in(make_client, asker)).post("/api/v1/connections", json={"user_id": asked})
    [mail] = await mails_to(asked)
    assert mail["subject"] == "【つながり申請】コーディネーターの方からつながり申請が届きました"
    for text in (mail["subject"], mail["body_text"], mail["body_html"]):
        assert "非公開 太郎" not in text and "taro.private" not in text and f"/coordinators/{asker}" not in text


# --- the message ----------------------------------------------------------------------------


async def test_the_message_is_plain_text_for_the_person_asked_only(make_client):
    asker, asked = await make_accounts(2)
    await profile(asker, "宮城 美咲")
    await profile(asked, "仙台 一郎")
    alice = await signed_in(make_client, asker)
    too_long = await alice.post("/api/v1/connections", json={"user_id": asked, "message": "あ" * 301})
    assert too_long.status_code == 400 and await ConnectionRequest.count() == 0
    note = "<script>alert(1)</script>\r\nよろしく\x07お願いします"
    assert (await alice.post("/api/v1/connections", json={"user_id": asked, "message": note})).status_code == 201

    ichiro = await signed_in(make_client, asked)
    [incoming] = (await ichiro.get("/api/v1/connections")).json()["incoming"]
    assert incoming["message"] == "<script>alert(1)</script>\nよろしくお願いします"
    page = await ichiro.get("/me/connections")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    [outgoing] = (await alice.get("/api/v1/connections")).json()["outgoing"]
    assert "message" not in outgoing
    assert "&lt;script&gt;" not in (await alice.get("/me/connections")).text


async def test_asking_from_a_profile_page_carries_the_message(make_client):
    asker, asked = await make_accounts(2)
    await profile(asked, "仙台 一郎")
    alice = await signed_in(make_client, asker)
    page = await alice.get(f"/coordinators/{asked}")
    assert 'name="message"' in page.text and 'maxlength="300"' in page.text
    sent = await alice.post(f"/coordinators/{asked}/connect", data=form(alice, message="はじめまして"))
    assert sent.status_code == 303 and sent.headers["location"] == f"/coordinators/{asked}?done=requested"
    [row] = await ConnectionRequest.select()
    assert row["message"] == "はじめまして"
    too_long = await alice.post(f"/coordinators/{asked}/connect", data=form(alice, message="あ" * 301))
    assert too_long.status_code == 400


# --- the header's number and withdrawing -----------------------------------------------------


async def test_the_header_shows_how_many_requests_wait_for_an_answer(client, make_client):
    first, second, asked = await make_accounts(3)
    await profile(asked, "仙台 一郎")
    ichiro = await signed_in(make_client, asked)
    assert header_count(await ichiro.get("/events")) == 0
    for uid in (first, second):
        await (await signed_in(make_client, uid)).post("/api/v1/connections", json={"user_id": asked})
    page = await ichiro.get("/events")
    assert header_count(page) == 2 and 'href="/me/connections"' in page.text
    assert "2 requests waiting for your answer" in (await ichiro.get("/", params={"lang": "en"})).text
    incoming = (await ichiro.get("/api/v1/connections")).json()["incoming"]
    await ichiro.post(f"/api/v1/connections/{incoming[0]['id']}/accept")
    assert header_count(await ichiro.get("/coordinators")) == 1
    # the asker's own header counts nothing, and visitors see no number
    assert header_count(await (await signed_in(make_client, first)).get("/events")) == 0
    assert header_count(await client.get("/events")) == 0


async def test_the_asker_withdraws_a_request_while_it_waits(make_client):
    asker, asked = await make_accounts(2)
    await profile(asker, "宮城 美咲")
    await profile(asked, "仙台 一郎")
    alice, ichiro = await signed_in(make_client, asker), await signed_in(make_client, asked)
    request_id = (await alice.post("/api/v1/connections", json={"user_id": asked})).json()["id"]
    assert header_count(await ichiro.get("/events")) == 1

    assert (await ichiro.delete(f"/api/v1/connections/{request_id}")).status_code == 404  # only the asker
    assert (await alice.delete(f"/api/v1/connections/{request_id}")).status_code == 204
    assert (await ichiro.get("/api/v1/connections")).json()["incoming"] == []
    [mail] = await mails_to(asked)  # queued, not yet sent: it is taken back with the request
    assert mail["status"] == "failed" and "withdrawn" in mail["last_error"]
    assert header_count(await ichiro.get("/events")) == 0
    assert (await alice.delete(f"/api/v1/connections/{request_id}")).status_code == 404

    # from the page: the request sent, withdrawn with its button
    await alice.post("/api/v1/connections", json={"user_id": asked})
    page = await alice.get("/me/connections")
    [action] = re.findall(r'action="(/me/connections/\d+/withdraw)"', page.text)
    done = await alice.post(action, data=form(alice))
    assert done.status_code == 303 and done.headers["location"] == "/me/connections?done=withdrawn"
    assert await ConnectionRequest.count() == 0

    # and from the person's profile, back to it
    await alice.post("/api/v1/connections", json={"user_id": asked})
    profile_page = await alice.get(f"/coordinators/{asked}")
    [action] = re.findall(r'action="(/me/connections/\d+/withdraw)"', profile_page.text)
    done = await alice.post(action, data=form(alice, back=str(asked)))
    assert done.headers["location"] == f"/coordinators/{asked}?done=withdrawn"
    assert await ConnectionRequest.count() == 0


async def test_an_accepted_request_cannot_be_withdrawn(make_client):
    asker, asked = await make_accounts(2)
    await profile(asked, "仙台 一郎")
    alice, ichiro = await signed_in(make_client, asker), await signed_in(make_client, asked)
    request_id = (await alice.post("/api/v1/connections", json={"user_id": asked})).json()["id"]
    await ichiro.post(f"/api/v1/connections/{request_id}/accept")
    assert (await alice.delete(f"/api/v1/connections/{request_id}")).status_code == 409
    assert (await ConnectionRequest.select(ConnectionRequest.status).first())["status"] == "accepted"
