"""A person named on something public agrees first: one mail each through the outbox (here a
real SMTP server), a link that only its own person may answer, signed in, and a query of who
agreed that follows every change of mind."""

import asyncio
import re
import secrets

import msgspec

from meetup.accounts.tables import Account
from meetup.followups import consents
from meetup.mail.tables import OutboxMail
from tests.conftest import _with_csrf, http_client, running
from tests.factories import make_accounts


async def as_person(app, user_id: int):
    person = await _with_csrf(http_client(app))
    session_id = secrets.token_hex(32)
    await app.stores.get("sessions").set(session_id, msgspec.json.encode({"uid": user_id}), expires_in=3600)
    person.cookies.set("session", session_id, domain="testserver.local")
    return person


async def delivered(collector, count: int) -> list:
    for _ in range(200):
        if len(collector.envelopes) >= count:
            break
        await asyncio.sleep(0.05)
    return collector.messages()


async def test_each_person_named_gets_one_mail_and_only_they_may_answer(mail_settings, smtp_server):
    collector, _ = smtp_server
    settings = msgspec.structs.replace(mail_settings, inprocess_worker=True)
    async with running(settings) as client:
        a, b = await make_accounts(2)
        assert await consents.ask("case", 7, [a, b, a], title="釜石市オープンシティ戦略", url="/cases/7") == 2
        assert await consents.ask("case", 7, [a], title="釜石市オープンシティ戦略", url="/cases/7") == 0  # asked once
        messages = await delivered(collector, 2)
        assert len(messages) == 2
        links = {}
        for message in messages:
            body = message.get_body(("plain",)).get_content()
            assert "釜石市オープンシティ戦略" in body
            links[message["To"].addresses[0].addr_spec] = re.search(r"http://testserver.local(/consents/\S+)", body)[1]
        assert await consents.agreed("case", 7) == set()

        email_a = (await Account.select(Account.email).where(Account.id == a).first())["email"]
        path_a, owner, other = links[email_a], a, b

        # signed out: the page sends you to sign in; a scanner's GET decides nothing
        anonymous = await _with_csrf(http_client(client.app))
        assert (await anonymous.get(path_a)).status_code == 303
        # someone else signed in may not answer for them
        stranger = await as_person(client.app, other)
        refused = await stranger.post(path_a, data={"decision": "agree"})
        assert refused.status_code == 403
        assert (await stranger.post(f"/api/v1{path_a}", json={"decision": "agree"})).status_code == 403
        assert await consents.agreed("case", 7) == set()

        person = await as_person(client.app, owner)
        page = await person.get(path_a)
        assert page.status_code == 200 and "釜石市オープンシティ戦略" in page.text
        assert (await person.post(path_a, data={"decision": "maybe"})).status_code == 400
        agreed = await person.post(path_a, data={"decision": "agree"})
        assert agreed.status_code == 200
        assert await consents.agreed("case", 7) == {owner}
        assert await consents.subjects_agreed_by("case", owner) == [7]

        # a change of mind, through the API, hides the name again at once
        declined = await person.post(f"/api/v1{path_a}", json={"decision": "decline"})
        assert declined.status_code == 200 and declined.json()["state"] == "declined"
        assert await consents.agreed("case", 7) == set()
        assert (await person.post(f"/api/v1{path_a}", json={"decision": "yes"})).json()["status_code"] == 400
        for c in (anonymous, stranger, person):
            await c.aclose()


async def test_a_link_that_is_none_is_a_404_and_forgetting_withdraws_the_mail(client, make_client):
    a, b = await make_accounts(2)
    await consents.ask("quote", 3, [a, b], title="ルームの発言", url="/events/x/report")
    assert await OutboxMail.count().where(OutboxMail.dedupe_key.like("consent:%")) == 2
    await consents.forget("quote", 3, [a])
    assert await consents.states("quote", 3) == {b: "pending"}
    assert (await client.get("/consents/not-a-real-token")).status_code == 404
    assert (await client.get("/consents/" + "A" * 43)).status_code == 404
    assert await consents.agreed_for("quote", [3]) == {}
