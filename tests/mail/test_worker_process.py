"""`python main.py worker` alone delivers the outbox (deployments with separate mail workers)."""

import os
import subprocess
import sys
import time

from meetup import ROOT
from meetup.mail import outbox
from meetup.mail.tables import OutboxMail


async def test_the_worker_command_delivers_and_stops_cleanly(database, smtp_server, tmp_path):
    collector, port = smtp_server
    for i in range(5):
        await outbox.enqueue(to_addr=f"p{i}@example.jp", subject="お知らせ", body_text="本文")
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": database.database_url,
        "MEETUP_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "MEETUP_VAR_DIR": str(tmp_path),
    }
    worker = subprocess.Popen([sys.executable, "main.py", "worker"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while len(collector.envelopes) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.terminate()
        assert worker.wait(timeout=15) == 0
    assert sorted(e.rcpt_tos[0] for e in collector.envelopes) == [f"p{i}@example.jp" for i in range(5)]
    assert await OutboxMail.count().where(OutboxMail.status == "sent") == 5


async def test_the_worker_command_writes_the_registration_mail_it_sends(client, make_client, smtp_server, settings):
    """The confirmation is queued to be written; the worker process writes it, in Japanese, with
    the online URL and the calendar file, and sends it."""
    from email import message_from_bytes, policy

    from tests.factories import create_forum, make_accounts, organizer, signed_in

    collector, port = smtp_server
    await organizer(client)
    slug = await create_forum(client)
    await OutboxMail.delete(force=True)
    [uid] = await make_accounts(1)
    person = await signed_in(make_client, uid)
    assert (await person.post(f"/api/v1/events/{slug}/registration", json={})).status_code == 201
    [queued] = await OutboxMail.select()
    assert queued["compose_json"] and not queued["body_text"]
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": settings.database_url,
        "MEETUP_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "MEETUP_VAR_DIR": settings.var_dir,
        "MEETUP_BASE_URL": settings.base_url,
    }
    worker = subprocess.Popen([sys.executable, "main.py", "worker"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not collector.envelopes and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.terminate()
        assert worker.wait(timeout=15) == 0
    [envelope] = collector.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert "確定" in message["Subject"]
    assert "https://teams.example/meet/secret-room" in message.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in message.iter_attachments()] == ["forum.ics"]
    [sent] = await OutboxMail.select()
    assert (sent["status"], sent["compose_json"]) == ("sent", "")


def test_the_worker_command_refuses_to_start_without_smtp_outside_dev(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MEETUP_SMTP_URL"} | {
        "MEETUP_VAR_DIR": str(tmp_path),
        "MEETUP_ENV": "test",
    }
    result = subprocess.run(
        [sys.executable, "main.py", "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "MEETUP_SMTP_URL" in result.stderr
