"""What mail a person wants, and the signed links that change it without signing in.

Follow-ups (campaigns) can be turned off with one click (RFC 8058), from the link in every
campaign mail, or on the preferences page; so can the personal notice that someone would like to
connect (on the preferences page); transactional mail (sign-in links, tickets, registration
changes) always goes. Links carry `<account id>.<HMAC>`: opaque, unguessable,
and valid without a session, as a mailbox provider's one-click POST has none. Each purpose signs
with its own key derived from MEETUP_SECRET_KEY; anything that is not a well-formed token is
simply not valid (a 404), whatever characters it holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from meetup import settings
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import utcnow, write_transaction
from meetup.errors import NotFound
from meetup.followups.schemas import PreferencesOut
from meetup.followups.tables import MailPreference
from meetup.i18n import gettext as _

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,120}\.[A-Za-z0-9_-]{24}")


def sign(purpose: str, payload: str) -> str:
    """`payload.signature` for `purpose` (each purpose signs with its own derived key)."""
    key = settings.current().key_for(f"link:{purpose}")
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18]
    return f"{payload}.{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def verify(purpose: str, token: object) -> str | None:
    """The payload of a token signed for `purpose`, or None when it was not (a token of another
    shape, in other characters or of another length is never compared)."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        return None
    payload = token.rpartition(".")[0]
    return payload if hmac.compare_digest(sign(purpose, payload).encode(), token.encode()) else None


def unsubscribe_token(account_id: int) -> str:
    return sign("unsubscribe", str(account_id))


def unsubscribe_url(account_id: int) -> str:
    return f"{settings.current().base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(account_id)}"


async def account_of(token: str) -> UserOut:
    """The person an unsubscribe link belongs to; a forged or broken link is a 404."""
    payload = verify("unsubscribe", token)
    user = await accounts.get_user(int(payload)) if payload and payload.isdigit() and len(payload) < 10 else None
    if user is None:
        raise NotFound(_("This link is not valid."))
    return user


async def preferences(account_id: int) -> PreferencesOut:
    row = await MailPreference.select().where(MailPreference.account == account_id).first()
    if row is None:
        return PreferencesOut(followups=True)
    return PreferencesOut(
        followups=row["followups"], connection_requests=row["connection_requests"], changed_at=row["changed_at"]
    )


async def set_followups(account_id: int, wanted: bool, via: str) -> PreferencesOut:
    """Turn follow-up mail on or off for the person; the last choice wins."""
    now = utcnow()
    async with write_transaction():
        updated = (
            await MailPreference.update(
                {MailPreference.followups: wanted, MailPreference.changed_at: now, MailPreference.changed_via: via}
            )
            .where(MailPreference.account == account_id)
            .returning(MailPreference.id)
        )
        if not updated:
            await MailPreference.insert(
                MailPreference(account=account_id, followups=wanted, changed_at=now, changed_via=via)
            ).on_conflict(action="DO NOTHING")
    return PreferencesOut(followups=wanted, changed_at=now)


async def set_connection_requests(account_id: int, wanted: bool, via: str) -> PreferencesOut:
    """Turn mail about connection requests on or off for the person; the last choice wins."""
    now = utcnow()
    async with write_transaction():
        updated = (
            await MailPreference.update(
                {
                    MailPreference.connection_requests: wanted,
                    MailPreference.changed_at: now,
                    MailPreference.changed_via: via,
                }
            )
            .where(MailPreference.account == account_id)
            .returning(MailPreference.id)
        )
        if not updated:
            await MailPreference.insert(
                MailPreference(account=account_id, connection_requests=wanted, changed_at=now, changed_via=via)
            ).on_conflict(action="DO NOTHING")
    return await preferences(account_id)


async def wants_connection_requests(account_id: int) -> bool:
    """Whether the person wants a mail when someone asks to connect (yes unless they said no)."""
    return not await MailPreference.exists().where(
        (MailPreference.account == account_id) & (MailPreference.connection_requests == False)  # noqa: E712
    )


async def unsubscribed(account_ids: list[int]) -> set[int]:
    """Those among `account_ids` who turned follow-ups off."""
    if not account_ids:
        return set()
    rows = await MailPreference.select(MailPreference.account).where(
        MailPreference.account.is_in(account_ids) & (MailPreference.followups == False)  # noqa: E712
    )
    return {row["account"] for row in rows}
