"""The follow-ups' tables: campaigns and "stay in touch" wishes."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account
from meetup.events.tables import Event


class Campaign(Table, tablename="campaign"):
    """A follow-up mail an organizer writes to a forum's attendees."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    subject = Varchar(length=200)
    body = Text()  # Markdown with {{ placeholders }}
    audience_json = Text(default='["confirmed"]')
    introductions = Boolean(default=False)  # add "people you met" to each mail
    status = Varchar(length=10, default="draft")  # draft | sending (its mail is in the outbox)
    recipient_count = Integer(default=0)  # fixed when sent
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class StayInTouch(Table, tablename="stay_in_touch"):
    """ "I'd like to stay in touch with this person", pressed in a follow-up mail. When both
    sides have pressed it, both are introduced by mail and become connected."""

    person = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    other = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    event_id = Integer(null=True, default=None)
    # "" for a forum's follow-up, "challenge:<id>" for a challenge's introduction: one wish per
    # (person, other, occasion), a unique index of the migration
    occasion = Varchar(length=30, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    introduced_at = Timestamptz(null=True, default=None)


class FollowNotice(Table, tablename="follow_notice"):
    """A forum a follower was told about: one row per (account, forum), a unique index of the
    migration, so nobody is mailed about the same forum twice."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())


class Consent(Table, tablename="consent"):
    """A person named on something public (a case, a quoted chat line) and whether they agreed.

    One row per (subject kind, subject id, account): a unique index of the migration. The link
    mailed to the person holds a token kept here only as its SHA-256 (rules: followups/consents.py)."""

    subject_kind = Varchar(length=20)  # "case", "quote", …
    subject_id = Integer()
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    subject_title = Varchar(length=200, default="")  # what the person is asked about, as the mail says it
    subject_url = Varchar(length=500, default="")  # where they will be named, as a path ("/cases/3")
    token_hash = Varchar(length=64, unique=True)
    state = Varchar(length=10, default="pending")  # pending | agreed | declined
    asked_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
