"""A campaign's mail is delayed by faults, never lost or doubled: SMTP going away mid-campaign,
two workers at once, a worker killed mid-batch. Counted per recipient at a real SMTP server."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta

import msgspec
from aiosmtpd.controller import Controller

from meetup import ROOT
from meetup.db import utcnow
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import EventIn, RegistrationIn
from meetup.followups import campaigns
from meetup.followups.schemas import CampaignIn
from meetup.mail.outbox import enqueue
from meetup.mail.tables import OutboxMail
from meetup.mail.worker import MailWorker, Throttle
from tests.conftest import SmtpCollector, free_port
from tests.factories import forum, make_accounts


async def campaign_to(people: int) -> tuple[int, list[str]]:
    """A sent campaign (its mail queued) to `people` confirmed registrants; their addresses."""
    slug = await events.create_event(msgspec.convert(forum(capacity=people), EventIn), None)
    event = await events.event_row(slug)
    uids = await make_accounts(people)
    for uid in uids:
        await registration.register(event, uid, RegistrationIn(), [])
    await OutboxMail.delete().where(OutboxMail.kind == "transactional")  # the confirmations: not counted here
    created = await campaigns.create_campaign(event, CampaignIn(subject="お礼", body="{{ name }} さん"), None)
    await campaigns.send(created.id)
    rows = await OutboxMail.select(OutboxMail.to_addr).where(OutboxMail.campaign_id == created.id)
    return created.id, sorted(row["to_addr"] for row in rows)


def per_recipient(collector: SmtpCollector) -> dict[str, set[str]]:
    """{recipient: the Message-IDs it received}."""
    seen: dict[str, set[str]] = defaultdict(set)
    for envelope, message in zip(collector.envelopes, collector.messages(), strict=True):
        for rcpt in envelope.rcpt_tos:
            seen[rcpt].add(message["Message-ID"])
    return seen


async def make_all_due() -> None:
    await OutboxMail.update({OutboxMail.next_attempt_at: utcnow() - timedelta(seconds=1)}).where(
        OutboxMail.status == "pending"
    )


async def drain(worker: MailWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not await worker.run_once():
            return


class FlakyCollector(SmtpCollector):
    """Accepts `accept` mails, then answers 421 (closing) like a server going down for maintenance."""

    def __init__(self, accept: int):
        super().__init__()
        self.accept = accept

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if len(self.envelopes) >= self.accept:
            return "421 4.3.2 Service shutting down"
        return await super().handle_DATA(server, session, envelope)


async def test_smtp_going_down_mid_campaign_delays_mail_and_loses_none(database, settings):
    campaign_id, addresses = await campaign_to(40)
    port = free_port()
    flaky = FlakyCollector(accept=15)
    server = Controller(flaky, hostname="127.0.0.1", port=port)
    server.start()
    worker = MailWorker(msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", mail_rate=0))
    try:
        await worker.run_once()  # 15 accepted, then the server refuses
        assert len(flaky.envelopes) == 15
    finally:
        server.stop()
    await make_all_due()
    await worker.run_once()  # the server is gone: connection refused
    state = await campaigns.get_campaign(campaign_id)
    assert (state.counts.sent, state.counts.queued, state.counts.failed) == (15, 25, 0)

    back = SmtpCollector()
    server = Controller(back, hostname="127.0.0.1", port=port)
    server.start()
    try:
        await make_all_due()
        await drain(worker)
    finally:
        server.stop()
    received = Counter(rcpt for c in (flaky, back) for e in c.envelopes for rcpt in e.rcpt_tos)
    assert sorted(received) == addresses
    assert set(received.values()) == {1}
    assert (await campaigns.get_campaign(campaign_id)).status == "sent"


async def test_two_workers_at_once_deliver_each_campaign_mail_exactly_once(database, mail_settings, smtp_server):
    collector, _ = smtp_server
    _, addresses = await campaign_to(90)
    unthrottled = msgspec.structs.replace(mail_settings, mail_rate=0)
    workers = [MailWorker(unthrottled, batch_size=7) for _ in range(2)]
    await asyncio.gather(*(drain(w) for w in workers))
    received = Counter(rcpt for e in collector.envelopes for rcpt in e.rcpt_tos)
    assert sorted(received) == addresses
    assert set(received.values()) == {1}


async def test_a_worker_killed_mid_batch_loses_nothing_and_a_repeat_keeps_its_message_id(
    database, smtp_server, tmp_path
):
    collector, port = smtp_server
    _, addresses = await campaign_to(60)
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": database.database_url,
        "MEETUP_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "MEETUP_VAR_DIR": str(tmp_path),
        "MEETUP_SECRET_KEY": database.secret_key,
        # The same site as the worker that finishes the job: a Message-ID names the site's host.
        "MEETUP_BASE_URL": database.base_url,
        "MEETUP_MAIL_RATE": "20",  # slow enough to be killed in the middle of its batch
    }
    worker = subprocess.Popen([sys.executable, "main.py", "worker"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while len(collector.envelopes) < 10 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=15)
    delivered_before = len(collector.envelopes)
    assert 10 <= delivered_before < 60
    assert await OutboxMail.count().where(OutboxMail.status == "sending") > 0  # its claimed rows, stuck
    # The dead worker's lease runs out (5 minutes; moved on here instead of waited for).
    await OutboxMail.update({OutboxMail.locked_until: utcnow() - timedelta(seconds=1)}).where(
        OutboxMail.status == "sending"
    )
    await drain(MailWorker(msgspec.structs.replace(database, smtp_url=f"smtp://127.0.0.1:{port}", mail_rate=0)))

    seen = per_recipient(collector)
    assert sorted(seen) == addresses  # nobody lost
    assert all(len(ids) == 1 for ids in seen.values())  # a repeat, if any, is the same mail
    # Only the one mail in flight at the kill can have been accepted and not yet recorded.
    assert len(collector.envelopes) - len(addresses) <= 1
    assert await OutboxMail.count().where(OutboxMail.status != "sent") == 0


async def test_sign_in_links_are_not_held_up_by_a_big_campaign(database, mail_settings, smtp_server):
    collector, _ = smtp_server
    await campaign_to(30)
    await enqueue(to_addr="newcomer@example.jp", subject="ログイン用リンク", body_text="link")
    worker = MailWorker(mail_settings, batch_size=5)
    await worker.run_once()
    assert collector.envelopes[0].rcpt_tos == ["newcomer@example.jp"]


async def test_campaign_mail_is_paced_at_the_configured_rate():
    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(5, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(11):
        await throttle.wait()
    assert abs(sum(slept) - 2.0) < 1e-9  # 11 mails at 5 a second: 10 gaps of 0.2 s
    unlimited = Throttle(0, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(100):
        await unlimited.wait()
    assert len(slept) == 10
