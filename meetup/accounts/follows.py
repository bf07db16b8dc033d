"""What a person follows, kept with their account (as what mail they want is), so that every
page that offers a follow button — a series (events), an organisation (coordinators), a
prefecture or a theme — can ask "does this person follow it" without reaching up to follow-ups,
which own the rules (followups/follows.py: what may be followed, and the mail).

Rules:
- a follow is (kind, value): `series` (the series' id), `organization` (its id), `prefecture`
  (as written, 宮城県) or `theme` (the tag); one row per person and target;
- a person sees and removes only their own follows.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from meetup.accounts.tables import Follow
from meetup.db import write_transaction

KINDS = ("series", "organization", "prefecture", "theme")


class FollowRow(msgspec.Struct):
    id: int
    kind: str
    value: str
    created_at: datetime


def _row(raw: dict) -> FollowRow:
    return FollowRow(id=raw["id"], kind=raw["kind"], value=raw["value"], created_at=raw["created_at"])


async def add(account_id: int, kind: str, value: str) -> tuple[FollowRow, bool]:
    """Follow (kind, value); returns the follow and whether it is new (following twice keeps one)."""
    async with write_transaction():
        found = (
            await Follow.select()
            .where((Follow.account == account_id) & (Follow.kind == kind) & (Follow.value == value))
            .first()
        )
        if found:
            return _row(found), False
        rows = (
            await Follow.insert(Follow(account=account_id, kind=kind, value=value))
            .on_conflict(action="DO NOTHING")
            .returning(*Follow.all_columns())
        )
        if not rows:  # someone else's request for the same follow went in first
            found = (
                await Follow.select()
                .where((Follow.account == account_id) & (Follow.kind == kind) & (Follow.value == value))
                .first()
            )
            return _row(found), False
    return _row(rows[0]), True


async def of(account_id: int) -> list[FollowRow]:
    """The person's follows, oldest first."""
    rows = await Follow.select().where(Follow.account == account_id).order_by(Follow.id)
    return [_row(r) for r in rows]


async def following(account_id: int | None, kind: str, value: str) -> int | None:
    """The id of the person's follow of (kind, value), or None (also for nobody signed in)."""
    if account_id is None:
        return None
    row = (
        await Follow.select(Follow.id)
        .where((Follow.account == account_id) & (Follow.kind == kind) & (Follow.value == value))
        .first()
    )
    return row["id"] if row else None


async def remove(account_id: int, follow_id: int) -> bool:
    """Stop following; only the person's own follow is removed (returns whether one was)."""
    async with write_transaction():
        rows = (
            await Follow.delete().where((Follow.id == follow_id) & (Follow.account == account_id)).returning(Follow.id)
        )
    return bool(rows)


async def followers(targets: list[tuple[str, str]]) -> set[int]:
    """Everyone who follows any of `targets` ((kind, value) pairs)."""
    found: set[int] = set()
    by_kind: dict[str, list[str]] = {}
    for kind, value in targets:
        by_kind.setdefault(kind, []).append(value)
    for kind, values in by_kind.items():
        rows = await Follow.select(Follow.account).where((Follow.kind == kind) & Follow.value.is_in(values))
        found |= {r["account"] for r in rows}
    return found


async def counts(kind: str, value: str) -> int:
    return await Follow.count().where((Follow.kind == kind) & (Follow.value == value))
