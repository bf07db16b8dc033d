"""Accounts: people who sign in, the one-time sign-in links mailed to them, and what mail they want."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Account(Table, tablename="account"):
    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=100)
    password_hash = Text(null=True, default=None)
    role = Varchar(length=20, default="participant", index=True)
    locale = Varchar(length=5, default="ja")
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # The personal calendar feed's URL is signed with this number: resetting it bumps it, and
    # every URL handed out before stops working (accounts/calendar_feed.py).
    calendar_generation = Integer(default=0)


class MagicLink(Table, tablename="magic_link"):
    # Only the SHA-256 of the token is kept: a leaked database holds no usable link.
    token_hash = Varchar(length=64, unique=True)
    email = Varchar(length=254, index=True)
    next_path = Varchar(length=500, default="/")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    # What to do once signed in, e.g. {"register": {"event": "slug", "answers": {...}}}.
    intent_json = Text(default="")
    # The name a newcomer gave when asking (their account's name), and the forum it registers for.
    display_name = Varchar(length=100, default="")
    forum_title = Varchar(length=200, default="")


class MailPreference(Table, tablename="mail_preference"):
    """What a person wants to receive. No row: follow-ups are welcome (the default)."""

    account = ForeignKey(references=Account, unique=True, on_delete=OnDelete.cascade)
    followups = Boolean(default=True)
    connection_requests = Boolean(default=True)  # "someone would like to connect with you" mail
    follows = Boolean(default=True)  # "a forum you follow was published" mail
    changed_at = Timestamptz(default=TimestamptzNow())
    changed_via = Varchar(length=20, default="")  # one-click | link | preferences


class Follow(Table, tablename="follow"):
    """Something a person follows: a series (its id), an organisation (its id), a prefecture or a
    theme (as written). One row per (account, kind, value): a unique index of the migration."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # series | organization | prefecture | theme
    value = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())
