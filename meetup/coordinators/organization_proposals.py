"""Picking or proposing an organisation on a profile, and organizers deciding the proposals.

Rules:
- a profile's organisation is matched by its name as typed, folded (NFKC, case, spaces): an
  organisation's own name or one of its aliases links the profile to it;
- a name that matches nothing stays on the profile as typed and is a proposal: one per normalised
  name, listing who proposed it; a person who names another organisation later leaves the list,
  and a pending proposal nobody names any more is dropped;
- an organizer approves a proposal (a new organisation with the kind and prefecture chosen, the
  proposed spelling kept as an alias when the name chosen differs), merges it into an existing
  organisation (the spelling kept as an alias, so searching it finds that organisation) or
  rejects it (the profiles keep the name, unlinked); both link every proposing profile that still
  names it. A proposal is decided once (409 the second time), and bad input changes nothing; a
  rejected name stays rejected (people who type it later are listed on it, unlinked).
"""

from __future__ import annotations

from meetup.coordinators import organizations
from meetup.coordinators.organization_names import normalized, organization_named
from meetup.coordinators.schemas import (
    OrganizationRef,
    ProposalApproveIn,
    ProposalOut,
    ProposerOut,
)
from meetup.coordinators.tables import (
    Organization,
    OrganizationAlias,
    OrganizationProposal,
    OrganizationProposer,
    Profile,
)
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound
from meetup.i18n import gettext as _

STATUSES = ("pending", "approved", "merged", "rejected")


# --- reading ---------------------------------------------------------------------------------


async def list_proposals(status: str = "pending") -> list[ProposalOut]:
    """Proposals in `status` (every one for "all"), the most proposed first, with who proposed them."""
    query = OrganizationProposal.select(
        *OrganizationProposal.all_columns(), OrganizationProposal.organization.name.as_alias("organization_name")
    )
    if status != "all":
        if status not in STATUSES:
            raise BadInput(_("unknown status; one of %(s)s") % {"s": ", ".join((*STATUSES, "all"))}, field="status")
        query = query.where(OrganizationProposal.status == status)
    rows = await query.order_by(OrganizationProposal.created_at)
    proposers = await _proposers_of([row["id"] for row in rows])
    outs = [_out(row, proposers.get(row["id"], [])) for row in rows]
    return sorted(outs, key=lambda p: -len(p.proposers))


async def _proposers_of(proposal_ids: list[int]) -> dict[int, list[ProposerOut]]:
    if not proposal_ids:
        return {}
    rows = (
        await OrganizationProposer.select(
            OrganizationProposer.proposal,
            OrganizationProposer.account,
            OrganizationProposer.account.display_name.as_alias("display_name"),
        )
        .where(OrganizationProposer.proposal.is_in(proposal_ids))
        .order_by(OrganizationProposer.id)
    )
    found: dict[int, list[ProposerOut]] = {}
    for row in rows:
        found.setdefault(row["proposal"], []).append(ProposerOut(id=row["account"], display_name=row["display_name"]))
    return found


def _out(row: dict, proposers: list[ProposerOut]) -> ProposalOut:
    ref = OrganizationRef(id=row["organization"], name=row["organization_name"]) if row["organization"] else None
    return ProposalOut(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        proposers=proposers,
        organization=ref,
        created_at=row["created_at"],
        decided_at=row["decided_at"],
    )


async def get_proposal(proposal_id: int) -> ProposalOut:
    row = await _row(proposal_id)
    return _out(row, (await _proposers_of([proposal_id])).get(proposal_id, []))


async def _row(proposal_id: int) -> dict:
    row = (
        await OrganizationProposal.select(
            *OrganizationProposal.all_columns(), OrganizationProposal.organization.name.as_alias("organization_name")
        )
        .where(OrganizationProposal.id == proposal_id)
        .first()
    )
    if row is None:
        raise NotFound(_("No such proposal."))
    return row


async def pending_count() -> int:
    return await OrganizationProposal.count().where(OrganizationProposal.status == "pending")


# --- deciding --------------------------------------------------------------------------------


async def _pending(proposal_id: int) -> dict:
    row = await _row(proposal_id)
    if row["status"] != "pending":
        raise Conflict(_("This proposal was already decided (%(status)s).") % {"status": row["status"]})
    return row


async def _decide(row: dict, status: str, organization_id: int | None, by: int) -> None:
    decided = (
        await OrganizationProposal.update(
            {
                OrganizationProposal.status: status,
                OrganizationProposal.organization: organization_id,
                OrganizationProposal.decided_by: by,
                OrganizationProposal.decided_at: utcnow(),
            }
        )
        .where((OrganizationProposal.id == row["id"]) & (OrganizationProposal.status == "pending"))
        .returning(OrganizationProposal.id)
    )
    if not decided:  # decided meanwhile by another organizer
        raise Conflict(_("This proposal was already decided."))


async def _keep_alias(organization_id: int, name: str) -> None:
    """`name` finds the organisation from now on (unless it is the organisation's own name)."""
    folded = normalized(name)
    own = await Organization.select(Organization.search_text).where(Organization.id == organization_id).first()
    if own and own["search_text"].split(" | ")[0] == folded:
        return
    await OrganizationAlias.insert(
        OrganizationAlias(
            organization=organization_id,
            name=name[:200],
            normalized=folded,
            search_text=organizations.organization_search_text(name),
        )
    ).on_conflict(target=OrganizationAlias.normalized, action="DO NOTHING")


async def _link_proposers(proposal_id: int, folded: str, organization_id: int) -> int:
    """Every proposing profile that still names the proposal now belongs to the organisation."""
    accounts = OrganizationProposer.select(OrganizationProposer.account).where(
        OrganizationProposer.proposal == proposal_id
    )
    rows = await Profile.select(Profile.id, Profile.organization_name).where(
        Profile.account.is_in(accounts) & Profile.organization.is_null()
    )
    ids = [row["id"] for row in rows if normalized(row["organization_name"]) == folded]
    if ids:
        await Profile.update({Profile.organization: organization_id}).where(Profile.id.is_in(ids))
    return len(ids)


async def approve(proposal_id: int, data: ProposalApproveIn, by: int) -> ProposalOut:
    """A new organisation from the proposal, with the kind and prefecture the organizer chose (and
    the name, if they corrected it); every proposing profile is linked to it."""
    row = await _row(proposal_id)
    fields = {"name": (data.name or row["name"]).strip(), "kind": data.kind, "prefecture": data.prefecture}
    checked = organizations.checked(fields)
    async with organizations.writing_names():
        row = await _pending(proposal_id)
        if await organization_named(checked.name) is not None:
            raise Conflict(_("An organisation of that name exists: merge the proposal into it instead."), field="name")
        created = await Organization.insert(Organization(**organizations.stored_values(checked))).returning(
            Organization.id
        )
        organization_id = created[0]["id"]
        await _keep_alias(organization_id, row["name"])
        await _decide(row, "approved", organization_id, by)
        await _link_proposers(proposal_id, row["normalized"], organization_id)
    return await get_proposal(proposal_id)


async def merge(proposal_id: int, organization_id: object, by: int) -> ProposalOut:
    """The proposal names an existing organisation: its spelling becomes an alias of it and every
    proposing profile is linked to it."""
    if not isinstance(organization_id, int) or isinstance(organization_id, bool) or not 0 < organization_id < 2**31:
        raise BadInput(_("organization: choose the organisation to merge into."), field="organization")
    async with write_transaction():
        row = await _pending(proposal_id)
        if not await Organization.exists().where(Organization.id == organization_id):
            raise BadInput(_("organization: no such organisation."), field="organization")
        await _keep_alias(organization_id, row["name"])
        await _decide(row, "merged", organization_id, by)
        await _link_proposers(proposal_id, row["normalized"], organization_id)
    return await get_proposal(proposal_id)


async def reject(proposal_id: int, by: int) -> ProposalOut:
    """Not an organisation to list: the profiles keep the name as typed, linked to nothing."""
    async with write_transaction():
        row = await _pending(proposal_id)
        await _decide(row, "rejected", None, by)
    return await get_proposal(proposal_id)


async def aliases_of(organization_id: int) -> list[str]:
    rows = (
        await OrganizationAlias.select(OrganizationAlias.name)
        .where(OrganizationAlias.organization == organization_id)
        .order_by(OrganizationAlias.id)
    )
    return [row["name"] for row in rows]
