"""Which organisation a name typed on a profile names, and the proposal a name that names none
becomes (the rules: organization_proposals.py, where organizers decide them).

Kept apart from organizations.py so that saving a profile (service.py) can resolve the name in
its own transaction without importing the organisation records, which import the profiles."""

from __future__ import annotations

from meetup.coordinators import reading
from meetup.coordinators.tables import (
    Organization,
    OrganizationAlias,
    OrganizationProposal,
    OrganizationProposer,
)
from meetup.db import write_transaction


def normalized(name: str) -> str:
    """The form two spellings share when they are the same name: NFKC, lower case, single spaces."""
    return reading.fold(name)[:200]


async def organization_named(name: str) -> dict | None:
    """The organisation `name` names ({'id', 'name'}): its own name, folded, or an alias."""
    folded = normalized(name)
    if not folded:
        return None
    exact = await Organization.select(Organization.id, Organization.name).where(Organization.name == name).first()
    if exact:
        return exact
    # search_text starts with the folded name: a full-width or differently cased spelling.
    pattern = folded.replace("%", "").replace("_", "") + "%"
    for row in await Organization.select(Organization.id, Organization.name, Organization.search_text).where(
        Organization.search_text.like(pattern)
    ):
        if row["search_text"].split(" | ")[0] == folded:
            return {"id": row["id"], "name": row["name"]}
    alias = (
        await OrganizationAlias.select(
            OrganizationAlias.organization.as_alias("id"), OrganizationAlias.organization.name.as_alias("name")
        )
        .where(OrganizationAlias.normalized == folded)
        .first()
    )
    return alias


async def resolve_for_profile(account_id: int, name: str) -> int | None:
    """The organisation a profile naming `name` belongs to, or None; a name that matches none is
    proposed (once per normalised name) with this person among its proposers. Call it inside the
    transaction that saves the profile."""
    found = await organization_named(name) if name.strip() else None
    folded = normalized(name) if name.strip() and found is None else ""
    async with write_transaction():
        await _leave_other_proposals(account_id, keep=folded)
        if not folded:
            return found["id"] if found else None
        await OrganizationProposal.insert(OrganizationProposal(name=name.strip()[:200], normalized=folded)).on_conflict(
            target=OrganizationProposal.normalized, action="DO NOTHING"
        )
        proposal = (
            await OrganizationProposal.select(OrganizationProposal.id)
            .where(OrganizationProposal.normalized == folded)
            .first()
        )
        await OrganizationProposer.insert(
            OrganizationProposer(proposal=proposal["id"], account=account_id)
        ).on_conflict(action="DO NOTHING")
    return None


async def _leave_other_proposals(account_id: int, *, keep: str) -> None:
    """The person no longer proposes names other than `keep`; a pending proposal they leave with
    nobody naming it goes (only those: other proposals are not touched)."""
    left = await (
        OrganizationProposer.select(OrganizationProposer.id, OrganizationProposer.proposal)
        .where(OrganizationProposer.account == account_id)
        .where(OrganizationProposer.proposal.status == "pending")
        .where(OrganizationProposer.proposal.normalized != keep)
    )
    if not left:
        return
    await OrganizationProposer.delete().where(OrganizationProposer.id.is_in([row["id"] for row in left]))
    named = OrganizationProposer.select(OrganizationProposer.proposal)
    await OrganizationProposal.delete().where(
        OrganizationProposal.id.is_in([row["proposal"] for row in left])
        & (OrganizationProposal.status == "pending")
        & OrganizationProposal.id.not_in(named)
    )
