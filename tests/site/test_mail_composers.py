"""Every mail the app queues can be written by the processes that send it. Some mail is queued to
be written later (the registration mail); its composer is registered at start-up, by the app and
by the worker command, never as a side effect of what a process happened to import: here a
process that has imported everything but registered nothing starts the way each of them does,
and must then write and send every mail a forum's life puts in the outbox."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import main
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.events import service as events
from meetup.followups.introductions import stay_token
from meetup.mail import outbox
from meetup.mail.tables import OutboxMail
from tests.conftest import _with_csrf, http_client, running
from tests.factories import create_forum, make_accounts, new_email, organizer, signed_in


async def queue_every_kind_of_mail(client, make_client) -> None:
    """A registration, an enrolment in a programme, a sign-in link, a connection request, a
    campaign and its test, and the introduction of two people who both pressed "stay in touch"."""
    await organizer(client)
    slug = await create_forum(client)
    a, b = await make_accounts(2)
    for uid, name in ((a, "青森 あおい"), (b, "岩手 いわお")):
        await coordinators.save_profile(uid, ProfileIn(name=name, prefecture="宮城県", visibility="members"))
        person = await signed_in(make_client, uid)
        assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    assert (await client.post("/api/v1/auth/magic-link", json={"email": new_email()})).status_code == 202
    asker = await signed_in(make_client, a)
    assert (await asker.post("/api/v1/connections", json={"user_id": b})).status_code == 201
    campaign = await client.post(
        f"/api/v1/events/{slug}/campaigns", json={"subject": "お礼", "body": "ありがとうございました。"}
    )
    assert campaign.status_code == 201, campaign.text
    assert (await client.post(f"/api/v1/campaigns/{campaign.json()['id']}/test", json={})).status_code == 202
    assert (await client.post(f"/api/v1/campaigns/{campaign.json()['id']}/send")).status_code == 202
    event_id = (await events.event_row(slug))["id"]
    for person, other in ((a, b), (b, a)):
        pressed = await client.post(f"/api/v1/stay-in-touch/{stay_token(person, other, event_id)}")
        assert pressed.status_code == 200, pressed.text
    made = await client.post("/api/v1/series", json={"title": "右腕", "slug": "migite", "enrolment": {"capacity": 5}})
    assert made.status_code == 201, made.text
    assert (await asker.post("/api/v1/series/migite/enrolment", json={})).status_code == 201
    kinds = {row["kind"] for row in await OutboxMail.select(OutboxMail.kind)}
    composed = await OutboxMail.count().where(OutboxMail.compose_json != "")
    assert kinds == {"transactional", "campaign"} and composed == 3  # two registration mails, one enrolment mail


def forget_every_composer(monkeypatch) -> None:
    """This process as a fresh one: everything imported, no composer registered yet."""
    monkeypatch.setattr(outbox, "_COMPOSERS", {})


@asynccontextmanager
async def an_app_that_queued_every_kind_of_mail(settings) -> AsyncIterator[int]:
    """A running app after a forum's life queued its mail; yields how many mails it queued."""
    async with running(settings) as client:

        async def make_client():
            return await _with_csrf(http_client(client.app))

        await queue_every_kind_of_mail(await _with_csrf(client), make_client)
        yield await OutboxMail.count()


async def test_the_worker_command_writes_and_sends_every_mail_the_app_queues(mail_settings, smtp_server, monkeypatch):
    collector, _port = smtp_server
    async with an_app_that_queued_every_kind_of_mail(mail_settings) as queued:
        forget_every_composer(monkeypatch)

        worker = main.mail_worker(mail_settings)  # what `python main.py worker` runs
        while await worker.run_once():
            pass

        unsent = await OutboxMail.select(OutboxMail.to_addr, OutboxMail.last_error).where(OutboxMail.status != "sent")
    assert unsent == []
    assert len(collector.envelopes) == queued
    assert all(message["Subject"] for message in collector.messages())


async def test_the_app_writes_every_mail_the_app_queues(settings, monkeypatch):
    async with an_app_that_queued_every_kind_of_mail(settings):
        pass
    forget_every_composer(monkeypatch)

    async with running(settings):  # create_app: what `python main.py serve` starts
        shown = await outbox.recent(limit=500)  # the dev mailbox writes what it shows
    assert [(mail.to_addr, mail.last_error) for mail in shown if mail.status == "failed"] == []
    assert all(mail.subject and mail.body_text for mail in shown)
