"""With MEETUP_SMTP_URL set, the web process's own worker delivers mail (the embedded default)."""

import asyncio

import msgspec

from tests.conftest import BASE_URL, _with_csrf, running
from tests.factories import new_email


async def test_a_magic_link_reaches_a_real_smtp_server(mail_settings, smtp_server):
    collector, _ = smtp_server
    settings = msgspec.structs.replace(mail_settings, inprocess_worker=True)
    email = new_email()
    async with running(settings) as client:
        await _with_csrf(client)
        assert (await client.post("/api/v1/auth/magic-link", json={"email": email})).status_code == 202
        for _ in range(100):
            if collector.envelopes:
                break
            await asyncio.sleep(0.05)
    [message] = collector.messages()
    assert message["To"] == email
    assert f"{BASE_URL}/auth/magic/" in message.get_body(("plain",)).get_content()


async def test_without_smtp_organizers_read_mail_in_the_dev_mailbox(settings):
    from tests.factories import organizer

    email = new_email()
    async with running(msgspec.structs.replace(settings, env="dev")) as client:  # the mailbox is dev only
        await _with_csrf(client)
        await client.post("/api/v1/auth/magic-link", json={"email": email})
        await organizer(client)
        page = await client.get(f"/dev/mailbox/?to={email}")
        assert page.status_code == 200
        assert email in page.text
        mail_id = page.text.split('href="/dev/mailbox/')[1].split('"')[0]
        detail = await client.get(f"/dev/mailbox/{mail_id}")
    assert "/auth/magic/" in detail.text
    assert 'sandbox=""' in detail.text  # the HTML part is shown in a sandboxed frame
