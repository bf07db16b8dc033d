"""The signed links in follow-up mail that change what mail a person wants, without signing in.

Follow-ups (campaigns) can be turned off with one click (RFC 8058), from the link in every
campaign mail, or on the preferences page; so can the personal notice that someone would like to
connect (on the preferences page); the choice itself is kept with the account
(accounts/mail_preferences.py). Links carry `<account id>.<HMAC>`: opaque, unguessable,
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
from meetup.errors import NotFound
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
