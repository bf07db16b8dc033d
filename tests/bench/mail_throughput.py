"""Campaign mail throughput: `python tests/bench/mail_throughput.py [--mails 5000] [--network] [--database URL]`.

With `--network` the campaign goes to the whole network (§5.4: everyone whose profile is in Miyagi;
try `--mails 20000`): `send()` only finds the audience and queues one row per person, each mail
written by the worker as it sends it; the queueing is then also compared with its floor, the same
rows inserted by the raw driver (sqlite3 executemany / asyncpg copy) into a copy of the table.

One campaign to `--mails` confirmed registrants goes through the real path: `campaigns.send()`
renders every mail and queues it in the outbox in one transaction, then `MailWorker` (unthrottled:
MEETUP_MAIL_RATE=0) claims, delivers over SMTP and records each row. The sink is aiosmtpd in its own
process, accepting everything. The baseline, in the same run and against the same sink: a bare
aiosmtplib loop sending the same messages (built from the same outbox rows) on one connection, the
least work a Python sender can do. Printed: mails per second for each, and the ratios
(worker / bare, and queue + worker / bare). Delivered counts are checked at the sink.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiosmtplib
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.settings import Settings, use  # noqa: E402

SINK = """
import asyncio, signal, sys
from aiosmtpd.controller import Controller

class Sink:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.count += len(envelope.rcpt_tos)
        return "250 OK"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)

def report(*_):
    controller.stop()
    print(Sink.count, flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, report)
signal.pause()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkProcess:
    def __init__(self, workdir: Path):
        self.port = free_port()
        script = workdir / "sink.py"
        script.write_text(SINK)
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(self.port)], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return int(out.strip().splitlines()[-1])


async def prepare(mails: int) -> int:
    """A forum with `mails` confirmed registrants (inserted directly: setup is not measured);
    returns the id of a draft campaign to all of them."""
    from meetup.accounts.tables import Account
    from meetup.events import service as events
    from meetup.events.schemas import EventIn
    from meetup.events.tables import Registration
    from meetup.followups import campaigns
    from meetup.followups.schemas import CampaignIn
    from tests.factories import forum

    slug = await events.create_event(msgspec.convert(forum(capacity=mails), EventIn), None)
    event = await events.event_row(slug)
    for start in range(0, mails, 500):
        rows = await Account.insert(
            *[
                Account(email=f"bench{i}@example.jp", display_name=f"参加者 {i}")
                for i in range(start, min(mails, start + 500))
            ]
        ).returning(Account.id)
        await Registration.insert(
            *[
                Registration(event=event["id"], account=r["id"], status="confirmed", ticket_code=f"t{r['id']}")
                for r in rows
            ]
        )
    body = "本日はご参加ありがとうございました。\n\n資料: {{ event_url }}\n\n配信停止: {{ unsubscribe_url }}"
    created = await campaigns.create_campaign(
        event, CampaignIn(subject="{{ event_title }} のお礼", body=body, audience=["confirmed"]), None
    )
    return created.id


async def prepare_network(mails: int) -> int:
    """`mails` people whose profiles say Miyagi (inserted directly); a draft network campaign to them."""
    from meetup.accounts.tables import Account
    from meetup.coordinators.tables import Profile
    from meetup.followups import campaigns
    from meetup.followups.schemas import NetworkAudience, NetworkCampaignIn

    for start in range(0, mails, 500):
        rows = await Account.insert(
            *[
                Account(email=f"bench{i}@example.jp", display_name=f"参加者 {i}")
                for i in range(start, min(mails, start + 500))
            ]
        ).returning(Account.id)
        await Profile.insert(*[Profile(account=r["id"], name=f"参加者 {r['id']}", prefecture="宮城県") for r in rows])
    body = "{{ name }} さん、次の集まりのご案内です。\n\nプロフィール: {{ profile_url }}\n\n停止: {{ unsubscribe_url }}"
    created = await campaigns.create_network_campaign(
        NetworkCampaignIn(subject="東北の次の集まりへ", body=body, audience=NetworkAudience(prefectures=["宮城県"])),
        None,
    )
    return created.id


async def queue_floor(settings: Settings, campaign_id: int) -> float:
    """Seconds the raw driver takes to insert the campaign's rows (as queued) into a copy of the table."""
    from meetup.mail.tables import OutboxMail

    rows = await OutboxMail.select().where(OutboxMail.campaign_id == campaign_id)
    columns = [c for c in rows[0] if c != "id"]
    values = [tuple(r[c] for c in columns) for r in rows]
    names = ", ".join(f'"{c}"' for c in columns)
    if settings.is_sqlite:
        import sqlite3

        conn = sqlite3.connect(settings.sqlite_path)
        conn.execute("CREATE TABLE floor_outbox AS SELECT * FROM outbox_mail WHERE 0")
        marks = ", ".join("?" for _ in columns)
        started = time.perf_counter()
        with conn:
            conn.executemany(f"INSERT INTO floor_outbox ({names}) VALUES ({marks})", values)  # noqa: S608
        seconds = time.perf_counter() - started
        conn.close()
        return seconds
    import asyncpg

    conn = await asyncpg.connect(settings.database_url)
    await conn.execute("CREATE TEMP TABLE floor_outbox (LIKE outbox_mail INCLUDING ALL)")
    started = time.perf_counter()
    await conn.copy_records_to_table("floor_outbox", records=values, columns=columns)
    seconds = time.perf_counter() - started
    await conn.close()
    return seconds


async def run(args: argparse.Namespace, workdir: Path) -> None:
    from meetup.followups import campaigns
    from meetup.mail.outbox import to_mail_row
    from meetup.mail.tables import OutboxMail
    from meetup.mail.worker import MailWorker, build_message

    database_url = args.database or f"sqlite:///{workdir / 'bench.sqlite3'}"
    settings = Settings(
        database_url=database_url, env="test", secret_key="bench", var_dir=str(workdir / "var"), mail_rate=0
    )
    use(settings)
    db.configure(settings)
    if not settings.is_sqlite:
        import asyncpg

        conn = await asyncpg.connect(database_url)
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await conn.close()
    await db.open_database()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            await db.migrate()
        await OutboxMail.delete(force=True)
        if args.network:
            from meetup import composers

            composers.register_all()  # the worker writes each network mail as it sends it
        campaign_id = await (prepare_network if args.network else prepare)(args.mails)
        await OutboxMail.delete().where(OutboxMail.kind == "transactional")

        # meetup: render + queue, then the worker delivers everything.
        sink = SinkProcess(workdir)
        worker_settings = msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{sink.port}")
        started = time.perf_counter()
        await campaigns.send(campaign_id)
        queued_at = time.perf_counter()
        worker = MailWorker(worker_settings, batch_size=args.batch)
        while await worker.run_once():
            pass
        finished = time.perf_counter()
        meetup_count = sink.stop()
        sent = await OutboxMail.count().where((OutboxMail.campaign_id == campaign_id) & (OutboxMail.status == "sent"))
        queue_seconds, deliver_seconds = queued_at - started, finished - queued_at
        floor_seconds = await queue_floor(settings, campaign_id) if args.network else None

        # bare: the same messages, one aiosmtplib connection, nothing recorded.
        rows = [to_mail_row(r) for r in await OutboxMail.select().where(OutboxMail.campaign_id == campaign_id)]
        sink = SinkProcess(workdir)
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False)
        started = time.perf_counter()
        await client.connect()
        for row in rows:  # building each MIME message is part of sending it, as in the worker
            await client.send_message(build_message(row, worker_settings))
        await client.quit()
        bare_seconds = time.perf_counter() - started
        bare_count = sink.stop()
    finally:
        await db.close_database()

    engine = "SQLite" if settings.is_sqlite else "PostgreSQL"
    n = args.mails
    kind = "network campaign (mail written by the worker)" if args.network else "forum campaign"
    print(f"mail throughput on {engine}: {n} mails of a {kind} into an aiosmtpd sink (its own process)")
    what = "audience + outbox insert" if args.network else "render + outbox insert "
    print(f"  meetup queue   send(): {what} {queue_seconds:7.2f} s  {n / queue_seconds:8.0f} mails/s")
    if floor_seconds is not None:
        print(
            f"  floor queue    raw driver bulk insert          {floor_seconds:7.2f} s  {n / floor_seconds:8.0f} mails/s"
        )
        print(f"  ratio queue / floor: {floor_seconds / queue_seconds:.2f}  (target: 20,000 queued in under 10 s)")
    per = n / deliver_seconds
    print(f"  meetup worker  claim, SMTP, record each row    {deliver_seconds:7.2f} s  {per:8.0f} mails/s")
    total = queue_seconds + deliver_seconds
    print(f"  meetup total   queue + worker                  {total:7.2f} s  {n / total:8.0f} mails/s")
    print(f"  bare           aiosmtplib loop, one connection {bare_seconds:7.2f} s  {n / bare_seconds:8.0f} mails/s")
    print("                 (builds each message with the worker's build_message, sends, records nothing)")
    print(f"  ratio worker / bare: {bare_seconds / deliver_seconds:.2f}")
    print(f"  ratio total / bare:  {bare_seconds / total:.2f}")
    print(f"  delivered at the sink: meetup {meetup_count} (rows marked sent: {sent}), bare {bare_count}")
    if meetup_count != n or sent != n or bare_count != n:
        print("  MISMATCH: not every mail was delivered exactly once")
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=5000)
    parser.add_argument("--network", action="store_true", help="a campaign to the whole network (§5.4)")
    parser.add_argument("--batch", type=int, default=50, help="the worker's claim size (default 50)")
    parser.add_argument("--database", help="a postgresql:// URL (its public schema is dropped!); default SQLite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mail-bench-"))
    try:
        asyncio.run(run(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
