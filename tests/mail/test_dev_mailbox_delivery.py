"""`make run` has no SMTP server: in dev the worker delivers into the dev mailbox, so mail is
marked sent and a campaign's progress moves; in test and prod without SMTP mail waits."""

import asyncio
import logging

import msgspec
import pytest

from meetup.mail import worker
from meetup.mail.tables import OutboxMail
from tests.conftest import _with_csrf, http_client, running
from tests.factories import create_forum, organizer, sign_up


async def statuses() -> dict[int, str]:
    return {row["id"]: row["status"] for row in await OutboxMail.select(OutboxMail.id, OutboxMail.status)}


async def until_all_sent(expected: int) -> dict[int, str]:
    """The outbox once `expected` mails are in it and none waits any more (or as it is at the end)."""
    for _ in range(400):
        seen = await statuses()
        if len(seen) >= expected and all(status in ("sent", "failed") for status in seen.values()):
            break
        await asyncio.sleep(0.05)
    return seen


async def test_in_dev_without_smtp_a_confirmation_and_a_campaign_are_sent_into_the_dev_mailbox(settings):
    dev = msgspec.structs.replace(settings, env="dev", smtp_url=None, inprocess_worker=True)
    async with running(dev) as organizer_client:
        await _with_csrf(organizer_client)
        await organizer(organizer_client)
        slug = await create_forum(organizer_client)
        async with http_client(organizer_client.app) as person:
            await _with_csrf(person)
            me = await sign_up(person, name="宮城 美咲")
            assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
        created = await organizer_client.post(
            f"/api/v1/events/{slug}/campaigns",
            json={"subject": "ご参加のお礼", "body": "ありがとうございました。", "audience": ["confirmed"]},
        )
        campaign_id = created.json()["id"]
        assert (await organizer_client.post(f"/api/v1/campaigns/{campaign_id}/send")).status_code == 202

        seen = await until_all_sent(expected=2)
        assert sorted(seen.values()) == ["sent", "sent"]
        progress = (await organizer_client.get(f"/api/v1/campaigns/{campaign_id}")).json()
        assert progress["counts"] == {"queued": 0, "sent": 1, "failed": 0}
        assert progress["status"] == "sent"

        mailbox = await organizer_client.get("/dev/mailbox/", params={"to": me["email"]})
        assert mailbox.status_code == 200
        assert "ご参加のお礼" in mailbox.text
        assert "【参加確定】東北コーディネーター・フォーラム" in mailbox.text  # the confirmation, written by the worker
        assert mailbox.text.count("status-sent") == 2
        [confirmation] = await OutboxMail.select().where(OutboxMail.campaign_id.is_null())
        detail = await organizer_client.get(f"/dev/mailbox/{confirmation['id']}")
        assert "宮城 美咲" in detail.text
        assert "forum.ics" in detail.text


@pytest.mark.parametrize("env", ["test", "prod"])
def test_outside_dev_there_is_no_worker_without_smtp(settings, env):
    quiet = msgspec.structs.replace(settings, env=env, smtp_url=None, inprocess_worker=True)
    assert worker.inprocess_worker(quiet) is None
    with pytest.raises(ValueError, match="MEETUP_SMTP_URL"):
        worker.MailWorker(quiet)


async def test_in_test_without_smtp_mail_waits_in_the_outbox(settings):
    quiet = msgspec.structs.replace(settings, env="test", smtp_url=None, inprocess_worker=True)
    async with running(quiet) as client:
        await _with_csrf(client)
        await organizer(client)
        slug = await create_forum(client)
        assert (await client.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
        tasks = {task.get_name() for task in asyncio.all_tasks()}  # the app's lifespan runs in this loop
        assert "scheduler" in tasks  # the in-process services did start (MEETUP_INPROCESS_WORKER)…
        assert "mail-worker" not in tasks  # …but no worker delivers without SMTP: the mail waits
        assert set((await statuses()).values()) == {"pending"}


def test_prod_without_smtp_says_so_at_start(settings, caplog):
    prod = msgspec.structs.replace(settings, env="prod", smtp_url=None, inprocess_worker=True)
    with caplog.at_level(logging.WARNING, logger="meetup.mail"):
        assert worker.inprocess_worker(prod) is None
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "MEETUP_SMTP_URL is not set" in record.getMessage()
    assert "no mail will be sent" in record.getMessage()


def test_dev_without_smtp_runs_a_worker_and_with_smtp_every_env_does(settings):
    dev = msgspec.structs.replace(settings, env="dev", smtp_url=None, inprocess_worker=True)
    assert worker.inprocess_worker(dev)
    assert not worker.inprocess_worker(msgspec.structs.replace(dev, inprocess_worker=False))
    for env in ("dev", "test", "prod"):
        with_smtp = msgspec.structs.replace(settings, env=env, smtp_url="smtp://127.0.0.1:2525", inprocess_worker=True)
        assert worker.inprocess_worker(with_smtp) is not None
