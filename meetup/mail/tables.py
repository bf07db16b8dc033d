"""The outbox: every mail the platform sends is first a row here, written in the same
transaction as the change that caused it; the worker delivers rows and records the outcome."""

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxMail(Table, tablename="outbox_mail"):
    # Enqueuing the same logical mail twice (a retried request) keeps one row.
    dedupe_key = Varchar(length=200, unique=True)
    kind = Varchar(length=20, default="transactional")  # transactional | campaign
    to_addr = Varchar(length=254, index=True)
    to_name = Varchar(length=200, default="")
    subject = Varchar(length=300)
    body_text = Text()
    body_html = Text(default="")
    headers_json = Text(default="{}")
    attachments_json = Text(default="[]")
    message_id = Varchar(length=300)
    status = Varchar(length=20, default="pending", index=True)  # pending|sending|sent|failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    locked_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    # Campaign mail only: which campaign and which person, for its progress and delivery log.
    campaign_id = Integer(null=True, default=None, index=True)
    account_id = Integer(null=True, default=None)
    # A mail queued to be written: {"composer": name, "args": {...}} until its composer has
    # written the subject and bodies (outbox.py); "" once written.
    compose_json = Text(default="")
