"""What mail a person wants to receive: a choice of theirs, kept with their account.

Rules:
- follow-ups (campaigns), the notice that someone would like to connect, and the mail about
  newly published forums the person follows are welcome until the person turns them off (no
  row: all on); each can be turned off and on again, the last choice wins;
- transactional mail (sign-in links, tickets, registration changes) always goes: there is no choice
  to read for it.

Every domain that sends optional mail asks here (coordinators before a connection request's
notice, follow-ups before a campaign); the pages and signed links that change the choice are the
follow-ups' (followups/preferences.py).
"""

from __future__ import annotations

from datetime import datetime

from piccolo.columns import Column

from meetup.accounts.schemas import PreferencesOut
from meetup.accounts.tables import MailPreference
from meetup.db import utcnow, write_transaction


async def preferences(account_id: int) -> PreferencesOut:
    row = await MailPreference.select().where(MailPreference.account == account_id).first()
    if row is None:
        return PreferencesOut(followups=True)
    return PreferencesOut(
        followups=row["followups"],
        connection_requests=row["connection_requests"],
        follows=row["follows"],
        changed_at=row["changed_at"],
    )


async def _choose(account_id: int, choice: Column, wanted: bool, via: str) -> datetime:
    """Store one choice of the person's (the last one wins); returns when it was made."""
    now = utcnow()
    async with write_transaction():
        updated = (
            await MailPreference.update(
                {choice: wanted, MailPreference.changed_at: now, MailPreference.changed_via: via}
            )
            .where(MailPreference.account == account_id)
            .returning(MailPreference.id)
        )
        if not updated:
            row = MailPreference(account=account_id, changed_at=now, changed_via=via, **{choice._meta.name: wanted})
            await MailPreference.insert(row).on_conflict(action="DO NOTHING")
    return now


async def set_followups(account_id: int, wanted: bool, via: str) -> PreferencesOut:
    """Turn follow-up mail on or off for the person; the last choice wins."""
    changed_at = await _choose(account_id, MailPreference.followups, wanted, via)
    return PreferencesOut(followups=wanted, changed_at=changed_at)


async def set_connection_requests(account_id: int, wanted: bool, via: str) -> PreferencesOut:
    """Turn mail about connection requests on or off for the person; the last choice wins."""
    await _choose(account_id, MailPreference.connection_requests, wanted, via)
    return await preferences(account_id)


async def set_follows(account_id: int, wanted: bool, via: str) -> PreferencesOut:
    """Turn mail about newly published forums one follows on or off; the last choice wins."""
    await _choose(account_id, MailPreference.follows, wanted, via)
    return await preferences(account_id)


async def not_wanting_follows(account_ids: list[int]) -> set[int]:
    """Those among `account_ids` who turned off mail about the forums they follow."""
    if not account_ids:
        return set()
    rows = await MailPreference.select(MailPreference.account).where(
        MailPreference.account.is_in(account_ids) & (MailPreference.follows == False)  # noqa: E712
    )
    return {row["account"] for row in rows}


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


async def followups_off() -> set[int]:
    """Everyone who turned follow-ups off (for an audience of the whole network)."""
    rows = await MailPreference.select(MailPreference.account).where(MailPreference.followups == False)  # noqa: E712
    return {row["account"] for row in rows}
