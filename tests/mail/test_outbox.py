"""Mail goes out through the outbox: queued with the change, delivered by the worker over real SMTP."""

import asyncio
from datetime import timedelta

import msgspec
import pytest

from meetup.db import utcnow, write_transaction
from meetup.mail import outbox
from meetup.mail.tables import OutboxMail
from meetup.mail.worker import MAX_ATTEMPTS, MailWorker, SmtpTarget
from tests.conftest import free_port


@pytest.fixture
async def worker(database, mail_settings) -> MailWorker:
    return MailWorker(mail_settings)


async def status_of(mail_id: int) -> dict:
    return await OutboxMail.select().where(OutboxMail.id == mail_id).first()


async def make_due(mail_id: int) -> None:
    await OutboxMail.update({OutboxMail.next_attempt_at: utcnow() - timedelta(seconds=1)}).where(
        OutboxMail.id == mail_id
    )


async def test_mail_queued_in_a_failed_change_is_never_sent(database):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with write_transaction():
            await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x")
            raise Boom
    assert await OutboxMail.count() == 0


async def test_the_same_mail_queued_twice_is_kept_once(database):
    first = await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x", dedupe_key="reg:1:confirmed")
    second = await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x", dedupe_key="reg:1:confirmed")
    assert first is not None
    assert second is None
    assert await OutboxMail.count() == 1


@pytest.mark.parametrize("field", ["subject", "to_name", "to_addr"])
async def test_header_injection_is_refused(database, field):
    values = {"to_addr": "a@example.jp", "subject": "hello", "to_name": "A"}
    values[field] += "\r\nBcc: victim@example.jp"
    with pytest.raises(ValueError):
        await outbox.enqueue(body_text="x", **values)
    assert await OutboxMail.count() == 0


async def test_worker_delivers_text_and_html_with_a_stable_message_id(worker, smtp_server):
    collector, _ = smtp_server
    mail_id = await outbox.enqueue(
        to_addr="miyagi@example.jp",
        to_name="宮城 美咲",
        subject="【NEXT TOHOKU MEETUP】ご案内",
        body_text="こんにちは",
        body_html="<p>こんにちは</p>",
        attachments=[outbox.Attachment("forum.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR\r\n")],
    )
    assert await worker.run_once() == 1
    [message] = collector.messages()
    assert message["Subject"] == "【NEXT TOHOKU MEETUP】ご案内"
    assert "miyagi@example.jp" in message["To"]
    assert message["From"] == worker.settings.mail_from
    assert message.get_body(("plain",)).get_content().strip() == "こんにちは"
    assert "<p>こんにちは</p>" in message.get_body(("html",)).get_content()
    [ics] = list(message.iter_attachments())
    assert ics.get_filename() == "forum.ics"
    assert ics.get_content_type() == "text/calendar"
    row = await status_of(mail_id)
    assert row["status"] == "sent"
    assert row["message_id"] == message["Message-ID"]
    assert await worker.run_once() == 0  # nothing is sent twice


async def test_batch_after_batch_goes_out_on_one_connection_closed_after_the_last(database, mail_settings, smtp_server):
    collector, _ = smtp_server
    for n in range(12):
        await outbox.enqueue(to_addr=f"person{n}@example.jp", subject="ご案内", body_text="こんにちは")
    worker = MailWorker(mail_settings, batch_size=5)
    batches = []
    while claimed := await worker.run_once():
        batches.append(claimed)
    assert batches == [5, 5, 2]
    assert len(collector.envelopes) == 12
    assert len(set(collector.peers)) == 1  # one connection for the three batches
    assert collector.quits == 1  # ended after the batch that was not full
    assert await OutboxMail.count().where(OutboxMail.status == "sent") == 12


async def test_a_worker_that_stops_ends_its_connection(database, mail_settings, smtp_server):
    collector, _ = smtp_server
    for n in range(4):
        await outbox.enqueue(to_addr=f"person{n}@example.jp", subject="ご案内", body_text="こんにちは")
    worker, stop = MailWorker(mail_settings, batch_size=2, poll_seconds=0.05), asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop))
    async with asyncio.timeout(10):
        while len(collector.envelopes) < 4:
            await asyncio.sleep(0.01)
    stop.set()
    await running
    assert len(set(collector.peers)) == 1
    assert collector.quits == 1


async def test_a_temporary_refusal_is_retried_later(worker, smtp_server):
    collector, _ = smtp_server
    collector.reply = "451 4.3.0 try again later"
    mail_id = await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x")
    await worker.run_once()
    row = await status_of(mail_id)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert "451" in row["last_error"]
    assert row["next_attempt_at"] > utcnow()
    assert await worker.run_once() == 0  # not due yet: backoff

    collector.reply = None
    await make_due(mail_id)
    await worker.run_once()
    assert (await status_of(mail_id))["status"] == "sent"
    assert len(collector.envelopes) == 1


async def test_a_permanent_refusal_is_marked_failed(worker, smtp_server):
    collector, _ = smtp_server
    collector.reply = "550 5.1.1 no such user"
    mail_id = await outbox.enqueue(to_addr="nobody@example.jp", subject="x", body_text="x")
    await worker.run_once()
    row = await status_of(mail_id)
    assert row["status"] == "failed"
    assert "550" in row["last_error"]


async def test_smtp_down_delays_and_nothing_is_lost(database, settings, smtp_server):
    down = msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    mail_id = await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x")
    await MailWorker(down).run_once()
    row = await status_of(mail_id)
    assert row["status"] == "pending"
    assert row["last_error"]

    collector, port = smtp_server
    await make_due(mail_id)
    await MailWorker(msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}")).run_once()
    assert (await status_of(mail_id))["status"] == "sent"
    assert len(collector.envelopes) == 1


async def test_after_the_last_attempt_the_mail_is_failed(worker, smtp_server):
    collector, _ = smtp_server
    collector.reply = "421 4.7.0 busy"
    mail_id = await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x")
    for _ in range(MAX_ATTEMPTS):
        await make_due(mail_id)
        await worker.run_once()
    row = await status_of(mail_id)
    assert row["attempts"] == MAX_ATTEMPTS
    assert row["status"] == "failed"


async def test_a_crashed_workers_rows_are_picked_up_again_with_the_same_message_id(worker, smtp_server):
    collector, _ = smtp_server
    mail_id = await outbox.enqueue(to_addr="a@example.jp", subject="x", body_text="x")
    claimed = await worker.claim()  # a worker claims the row, then dies before sending
    assert [row.id for row in claimed] == [mail_id]
    assert await worker.run_once() == 0  # its lease still holds
    await OutboxMail.update({OutboxMail.locked_until: utcnow() - timedelta(seconds=1)}).where(OutboxMail.id == mail_id)
    assert await worker.run_once() == 1
    [message] = collector.messages()
    assert message["Message-ID"] == (await status_of(mail_id))["message_id"]


async def test_two_workers_at_once_send_each_mail_exactly_once(database, mail_settings, smtp_server):
    collector, _ = smtp_server
    recipients = [f"p{i}@example.jp" for i in range(120)]
    for address in recipients:
        await outbox.enqueue(to_addr=address, subject="x", body_text="x")
    workers = [MailWorker(mail_settings, batch_size=10) for _ in range(2)]

    async def drain(worker: MailWorker) -> None:
        while await worker.run_once():
            pass

    await asyncio.gather(*(drain(w) for w in workers))
    delivered = sorted(rcpt for envelope in collector.envelopes for rcpt in envelope.rcpt_tos)
    assert delivered == sorted(recipients)
    assert await OutboxMail.count().where(OutboxMail.status == "sent") == len(recipients)


def test_smtp_urls():
    assert SmtpTarget.from_url("smtp://mail.example:2525") == SmtpTarget("mail.example", 2525)
    secure = SmtpTarget.from_url("smtps://user%40x:p%3Ass@mail.example")
    assert (secure.port, secure.use_tls, secure.username, secure.password) == (465, True, "user@x", "p:ss")
    assert SmtpTarget.from_url("smtp://mail.example:587?starttls=1").start_tls is True
    with pytest.raises(ValueError):
        SmtpTarget.from_url("http://mail.example")
