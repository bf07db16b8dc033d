"""The outbox worker: claims due rows, delivers them over SMTP, records what happened.

In dev without MEETUP_SMTP_URL it delivers into the dev mailbox instead: everything runs as with
SMTP (claiming, writing queued mail, pacing campaigns, recording it sent) except that nothing
leaves the machine, and /dev/mailbox reads the sent rows.

Claiming is one UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING, so two
workers never hold the same row. A row stays `sending` with a lease (`locked_until`); a worker
that dies mid-batch leaves rows whose lease runs out and another worker picks them up again,
with the same Message-ID, so a receiving server can recognise the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from meetup.db import engine, utcnow, write, write_transaction
from meetup.mail.outbox import MailRow, to_mail_row, written
from meetup.mail.tables import OutboxMail
from meetup.settings import Settings

log = logging.getLogger("meetup.mail")

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = False

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """`smtp://[user:pass@]host:port` (`smtps://` implicit TLS, `?starttls=1`)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MEETUP_SMTP_URL must look like smtp://[user:pass@]host:port")
        query = parse_qs(parts.query)
        implicit = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit,
            start_tls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 6 h, with ±10 % jitter so retries don't march in step."""
    seconds = min(30 * 2 ** max(attempts - 1, 0), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def is_temporary(exc: BaseException) -> bool:
    """4xx replies and lost connections are worth retrying; 5xx and bad messages are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= r.code < 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPNotSupported):
        return False
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 400 <= exc.code < 500
    return isinstance(exc, aiosmtplib.SMTPException | OSError | asyncio.TimeoutError)


def message_id(row: MailRow, domain: str) -> str:
    # Derived from the row, so every retry of the row carries the same Message-ID.
    digest = hashlib.sha256(f"{row.id}:{row.created_at.isoformat()}".encode()).hexdigest()[:16]
    return f"<outbox.{row.id}.{digest}@{domain}>"


def build_message(row: MailRow, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = formataddr((row.to_name, row.to_addr)) if row.to_name else row.to_addr
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(row, settings.mail_domain)
    for name, value in row.headers.items():
        msg[name] = value
    msg.set_content(row.body_text)
    if row.body_html:
        msg.add_alternative(row.body_html, subtype="html")
    for item in row.attachments:
        maintype, _, rest = item.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        msg.add_attachment(
            item.data,
            maintype=maintype,
            subtype=subtype,
            filename=item.filename,
            params=dict(p.split("=", 1) for p in params if "=" in p),
        )
    return msg


class DevMailbox:
    """The transport of dev without SMTP: the outbox row, once recorded sent, is the delivered
    mail, and /dev/mailbox shows it. It has the few methods of aiosmtplib.SMTP the worker uses."""

    is_connected = False

    async def connect(self) -> None:
        self.is_connected = True

    async def send_message(self, message: EmailMessage) -> None:
        """Nothing leaves the machine; the message was built, so it would have been sendable."""

    async def quit(self) -> None:
        self.is_connected = False

    def close(self) -> None:
        self.is_connected = False


def uses_dev_mailbox(settings: Settings) -> bool:
    """In dev, a missing MEETUP_SMTP_URL means "deliver into the dev mailbox"; in test and prod
    mail then waits in the outbox."""
    return not settings.smtp_url and settings.env == "dev"


def inprocess_worker(settings: Settings) -> MailWorker | None:
    """The worker the web process runs (MEETUP_INPROCESS_WORKER), or None: without SMTP outside
    dev nothing delivers, which prod says loudly at start."""
    if not settings.inprocess_worker:
        return None
    if settings.smtp_url or uses_dev_mailbox(settings):
        return MailWorker(settings)
    if settings.is_prod:
        log.warning(
            "MEETUP_SMTP_URL is not set: no mail will be sent (sign-in links, confirmations, follow-ups "
            "wait in the outbox). Set MEETUP_SMTP_URL=smtp://[user:pass@]host:port and restart."
        )
    else:
        log.info("MEETUP_SMTP_URL is not set: mail waits in the outbox (MEETUP_ENV=%s)", settings.env)
    return None


class Throttle:
    """At most `rate` campaign mails a second (0: no limit): a steady pace, no bursts."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=asyncio.sleep):
        self.interval = 1 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self._next > now:
            await self.sleep(self._next - now)
            now = self._next
        self._next = max(self._next, now) + self.interval


class MailWorker:
    """Delivers due outbox rows. `run_once()` is one batch; `run()` loops until stopped.

    Transactional mail (sign-in links, tickets) is claimed before campaign mail, and only campaign
    mail is throttled, so a big follow-up never holds up someone waiting for a sign-in link."""

    def __init__(
        self,
        settings: Settings,
        *,
        batch_size: int = 50,
        poll_seconds: float = 1.0,
        throttle: Throttle | None = None,
        lease: timedelta = LEASE,
    ):
        if not settings.smtp_url and not uses_dev_mailbox(settings):
            raise ValueError("the mail worker needs MEETUP_SMTP_URL (outside MEETUP_ENV=dev)")
        self.settings = settings
        self.target = SmtpTarget.from_url(settings.smtp_url) if settings.smtp_url else None
        self.throttle = throttle or Throttle(settings.mail_rate)
        # A batch must finish well within its lease: at most ~a minute of throttled sending.
        paced = int(60 / self.throttle.interval) if self.throttle.interval else batch_size
        self.batch_size = max(1, min(batch_size, paced))
        self.poll_seconds = poll_seconds
        self.lease = lease
        self._lease_ends = utcnow() + lease
        self._wake = asyncio.Event()
        # The SMTP connection, kept from one batch to the next while full batches come one after
        # another (a campaign): a connection per batch of 50 cost a connect, EHLO and QUIT each.
        self._client: aiosmtplib.SMTP | DevMailbox | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        if self.target is None:
            log.info("mail worker delivering into the dev mailbox (/dev/mailbox): MEETUP_SMTP_URL is not set")
        else:
            log.info("mail worker sending through %s:%s", self.target.hostname, self.target.port)
        try:
            while not stop.is_set():
                try:
                    sent = await self.run_once()
                except Exception:  # the database may be down: wait and try again, never die
                    log.exception("mail worker batch failed")
                    await self.hang_up()
                    sent = 0
                if sent:
                    continue
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            await self.hang_up()

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver them; returns how many were claimed. The SMTP
        connection stays open after a full batch (more is likely due at once) and is closed after
        a batch that was not."""
        rows = await self.claim()
        if rows:
            await self.deliver(rows)
        if len(rows) < self.batch_size:
            await self.hang_up()
        return len(rows)

    async def hang_up(self) -> None:
        """Close the SMTP connection if one is open (QUIT, or drop it when QUIT fails)."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:
                client.close()

    async def claim(self) -> list[MailRow]:
        now = utcnow()
        due = ((OutboxMail.status == "pending") & (OutboxMail.next_attempt_at <= now)) | (
            (OutboxMail.status == "sending") & (OutboxMail.locked_until < now)
        )
        if not await OutboxMail.exists().where(due):
            return []
        batch = (
            OutboxMail.select(OutboxMail.id)
            .where(due)
            .order_by(OutboxMail.kind, ascending=False)  # "transactional" before "campaign"
            .order_by(OutboxMail.id)
            .limit(self.batch_size)
        )
        if engine().engine_type == "postgres":
            batch = batch.lock_rows(skip_locked=True)
        async with write_transaction():
            claimed = (
                await OutboxMail.update(
                    {
                        OutboxMail.status: "sending",
                        OutboxMail.attempts: OutboxMail.attempts + 1,
                        OutboxMail.locked_until: now + self.lease,
                    }
                )
                .where(OutboxMail.id.is_in(batch))
                .returning(*OutboxMail.all_columns())
            )
        self._lease_ends = now + self.lease
        sendable = [raw for raw in await written(claimed) if raw["status"] == "sending"]
        return sorted((to_mail_row(raw) for raw in sendable), key=lambda row: (row.kind != "transactional", row.id))

    def _transport(self) -> aiosmtplib.SMTP | DevMailbox:
        target = self.target
        if target is None:
            return DevMailbox()
        return aiosmtplib.SMTP(
            hostname=target.hostname,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.use_tls,
            start_tls=target.start_tls,
            tls_context=ssl.create_default_context() if target.use_tls or target.start_tls else None,
            timeout=30,
        )

    async def deliver(self, rows: list[MailRow]) -> None:
        client = self._client
        if client is None or not client.is_connected:
            client = self._transport()
            try:
                await client.connect()
            except Exception as exc:
                for row in rows:
                    await self.record_failure(row, exc)
                return
            self._client = client
        # The last accepted mail's "sent" is written while the next message is built; it is
        # awaited before the next send, so never more than one accepted mail is unrecorded.
        recording: asyncio.Future | None = None

        async def settle() -> None:
            nonlocal recording
            if recording is not None:
                pending, recording = recording, None
                await pending

        try:
            for index, row in enumerate(rows):
                if utcnow() > self._lease_ends - self.lease / 5:
                    # Running out of lease (a slow server): give the rest back rather than
                    # let another worker claim rows this one may still send.
                    await settle()
                    await self._give_back(rows[index:])
                    return
                if row.kind == "campaign":
                    await self.throttle.wait()
                try:
                    message = build_message(row, self.settings)
                except ValueError as exc:  # a malformed row can never be sent
                    await settle()
                    await self.record_failure(row, exc)
                    continue
                await settle()
                try:
                    await client.send_message(message)
                except Exception as exc:
                    await self.record_failure(row, exc)
                    if not client.is_connected:
                        await client.connect()
                    continue
                recording = asyncio.ensure_future(self.record_sent(row, message["Message-ID"]))
                await asyncio.sleep(0)  # let it send its statement now, to run while the next mail is built
            await settle()
        except Exception as exc:  # reconnect failed: leave the rest for a later batch
            log.warning("SMTP connection lost: %s", exc)
            await settle()
            await self._release(rows, exc)
            await self.hang_up()
        finally:
            if recording is not None:
                with contextlib.suppress(Exception):
                    await recording

    async def _give_back(self, rows: list[MailRow]) -> None:
        async with write_transaction():
            await OutboxMail.update(
                {
                    OutboxMail.status: "pending",
                    OutboxMail.attempts: OutboxMail.attempts - 1,
                    OutboxMail.locked_until: None,
                    OutboxMail.next_attempt_at: utcnow(),
                }
            ).where(OutboxMail.id.is_in([r.id for r in rows]) & (OutboxMail.status == "sending"))

    async def _release(self, rows: list[MailRow], exc: BaseException) -> None:
        pending = await OutboxMail.select(OutboxMail.id).where(
            OutboxMail.id.is_in([r.id for r in rows]) & (OutboxMail.status == "sending")
        )
        still = {raw["id"] for raw in pending}
        for row in rows:
            if row.id in still:
                await self.record_failure(row, exc)

    async def record_sent(self, row: MailRow, sent_message_id: str) -> None:
        # One statement, committed on its own the moment the server has accepted the mail: the
        # shortest window in which a crash could leave a delivered mail unrecorded. Written as
        # SQL because it runs once per mail and Piccolo's query building costs more than the query.
        await write(
            "UPDATE outbox_mail SET status = 'sent', sent_at = {}, message_id = {}, locked_until = NULL, "
            "last_error = '' WHERE id = {}",
            utcnow(),
            sent_message_id,
            row.id,
        )

    async def record_failure(self, row: MailRow, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = not is_temporary(exc) or row.attempts >= MAX_ATTEMPTS
        log.warning("mail %s to %s %s: %s", row.id, row.to_addr, "failed" if final else "will retry", error)
        async with write_transaction():
            await OutboxMail.update(
                {
                    OutboxMail.status: "failed" if final else "pending",
                    OutboxMail.next_attempt_at: utcnow() + backoff(row.attempts),
                    OutboxMail.locked_until: None,
                    OutboxMail.last_error: error,
                }
            ).where(OutboxMail.id == row.id)
