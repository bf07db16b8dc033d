"""The personal calendar feed's secret address: `{BASE_URL}/calendars/{token}.ics`.

Rules:
- the token is `<account id>-<HMAC>`, signed over the account and its `calendar_generation` with
  a key of its own: unguessable, and nothing secret is stored;
- resetting the address bumps the generation, so every address handed out before answers 404;
- anything that is not a well-formed token is simply not valid (a 404), whatever it holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from meetup import settings
from meetup.accounts.tables import Account
from meetup.db import write_transaction

TOKEN_SHAPE = re.compile(r"([0-9]{1,10})-([A-Za-z0-9_-]{32})")


def _signature(account_id: int, generation: int) -> str:
    key = settings.current().key_for("calendar-feed")
    digest = hmac.new(key, f"{account_id}:{generation}".encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()


def token_for(account_id: int, generation: int) -> str:
    return f"{account_id}-{_signature(account_id, generation)}"


def url_for(account_id: int, generation: int) -> str:
    return f"{settings.current().base_url.rstrip('/')}/calendars/{token_for(account_id, generation)}.ics"


async def calendar_url(account_id: int) -> str:
    """The person's feed address as it stands."""
    row = await Account.select(Account.calendar_generation).where(Account.id == account_id).first()
    return url_for(account_id, row["calendar_generation"] if row else 0)


async def reset(account_id: int) -> str:
    """A new address for the person's feed; the old one stops working at once."""
    async with write_transaction():
        rows = (
            await Account.update({Account.calendar_generation: Account.calendar_generation + 1})
            .where(Account.id == account_id)
            .returning(Account.calendar_generation)
        )
    return url_for(account_id, rows[0]["calendar_generation"])


async def account_for(token: str) -> int | None:
    """The account whose current feed address holds `token`, or None."""
    match = TOKEN_SHAPE.fullmatch(token)
    if match is None:
        return None
    account_id = int(match.group(1))
    row = await Account.select(Account.calendar_generation).where(Account.id == account_id).first()
    if row is None:
        return None
    expected = _signature(account_id, row["calendar_generation"])
    return account_id if hmac.compare_digest(expected.encode(), match.group(2).encode()) else None
