"""Organisations over the JSON API (CONTRACT §5.4): list and search, read, create, edit, admins,
import. The rules are in organizations.py and organizations_import.py."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import Body, FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from meetup import settings
from meetup.accounts.auth import current_user, organizer_required
from meetup.accounts.ratelimit import RateLimiter
from meetup.coordinators import organization_invitations, organization_proposals, organizations, service
from meetup.coordinators.organizations_import import MAX_BYTES, import_organizations
from meetup.coordinators.schemas import (
    AdminIn,
    AdminOut,
    ImportResult,
    InvitationsIn,
    InvitationsOut,
    OrganizationDetail,
    OrganizationIn,
    OrganizationKind,
    OrganizationOut,
    OrganizationPatch,
    PendingInvitation,
    ProposalApproveIn,
    ProposalMergeIn,
    ProposalOut,
)
from meetup.errors import Forbidden
from meetup.events import service as events
from meetup.i18n import gettext as _
from meetup.site.uploads import uploaded_file

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Query = Annotated[str | None, Parameter(max_length=200)]
# The whole multipart body: the file plus its part headers and boundaries.
IMPORT_BODY_LIMIT = MAX_BYTES + 64 * 1024


async def organization_editor(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Organizers and the organisation's admins, checked before the body is read."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Not logged in")
    if not await organizations.may_edit(connection.path_params["organization_id"], user):
        raise Forbidden(_("Only organizers and this organisation's admins may change it."))


class OrganizationsApi(Controller):
    path = "/api/v1/organizations"
    tags = ["organisations"]

    @get(
        "/",
        summary="Hub organisations, searched and filtered",
        description="`q` matches the name in kanji, kana or romaji, as the directory does; `kind` and "
        "`prefecture` filter. Sorted by prefecture, then name.",
    )
    async def organizations(
        self,
        request: Request,
        q: Query = None,
        kind: FromQuery[OrganizationKind | None] = None,
        prefecture: Query = None,
    ) -> list[OrganizationOut]:
        return await organizations.list_organizations(current_user(request), q=q, kind=kind, prefecture=prefecture)

    @post("/", guards=[organizer_required], summary="Create an organisation (organizers)")
    async def create(self, data: JSONBody[OrganizationIn]) -> OrganizationOut:
        return await organizations.create_organization(data)

    @get("/{organization_id:int}", summary="An organisation, its members, admins and forums")
    async def organization(self, request: Request, organization_id: FromPath[Id]) -> OrganizationDetail:
        viewer = current_user(request)
        organization = await organizations.get_organization(organization_id, viewer)
        members = await service.organization_members(organization_id, viewer)
        forums = await events.forums_attended([m.id for m in members])
        admins = await organizations.admins_of(organization_id)
        return OrganizationDetail(organization=organization, members=members, forums=forums, admins=admins)

    @patch(
        "/{organization_id:int}",
        guards=[organization_editor],
        summary="Edit an organisation (organizers and its admins)",
        description="Only the fields given change. Others get 403.",
    )
    async def edit(
        self, request: Request, organization_id: FromPath[Id], data: JSONBody[OrganizationPatch]
    ) -> OrganizationOut:
        return await organizations.update_organization(organization_id, data, request.user)

    @post(
        "/{organization_id:int}/admins",
        guards=[organization_editor],
        summary="Add an admin (organizers and its admins)",
        description="Answers the organisation's admins (names only). Adding someone twice changes nothing.",
    )
    async def add_admin(
        self, request: Request, organization_id: FromPath[Id], data: JSONBody[AdminIn]
    ) -> list[AdminOut]:
        return await organizations.add_admin(organization_id, data.user_id, request.user)

    @post(
        "/{organization_id:int}/invitations",
        guards=[organization_editor],
        status_code=HTTP_201_CREATED,
        summary="Invite colleagues by e-mail (organizers and its admins)",
        description="`{emails: [...], as_admin?}` (1–20 addresses): each is mailed a link "
        "`{BASE_URL}/organizations/invitations/{token}` (single use, 14 days); accepting makes this the "
        "organisation on the invitee's profile (and them an admin if `as_admin`). A bad address: 400, nobody "
        "invited. An address already a member (or, as admin, an admin) of this organisation is listed in "
        "`rejected` with the reason; when every address is, 409. Whether an address has an account is never "
        "told. Counted per inviter: past 60 addresses an hour, 429.",
    )
    async def invite(
        self,
        request: Request,
        organization_id: FromPath[Id],
        data: JSONBody[InvitationsIn],
        limiter: NamedDependency[RateLimiter],
    ) -> InvitationsOut:
        return await organization_invitations.invite(
            organization_id, data.emails, data.as_admin, request.user, settings.current().base_url, limiter
        )

    @get(
        "/{organization_id:int}/invitations",
        guards=[organization_editor],
        summary="Pending colleague invitations (organizers and its admins)",
        description="Not yet accepted nor expired. `email` is shown only to organizers and to the admin who "
        "sent the invitation (null for others).",
    )
    async def invitations(self, request: Request, organization_id: FromPath[Id]) -> list[PendingInvitation]:
        await organizations.get_organization(organization_id)
        return await organization_invitations.pending(organization_id, request.user)

    @get(
        "/proposals",
        guards=[organizer_required],
        summary="Organisations proposed on profiles (organizers)",
        description="Names typed on profiles that matched no organisation, one per normalised name, with who "
        "proposed them; the most proposed first. `status`: pending (default), approved, merged, rejected or all.",
    )
    async def proposals(self, status: Query = "pending") -> list[ProposalOut]:
        return await organization_proposals.list_proposals(status or "pending")

    @post(
        "/proposals/{proposal_id:int}/approve",
        guards=[organizer_required],
        status_code=HTTP_200_OK,
        summary="Approve a proposal as a new organisation (organizers)",
        description="`{kind, prefecture, name?}` as `POST /organizations`: creates the organisation and links "
        "every proposing profile; the proposed spelling is kept as an alias if `name` differs. Unknown kind or "
        "prefecture: 400; a name in use: 409 (merge instead); decided before: 409. Nothing changes on an error.",
    )
    async def approve(
        self, request: Request, proposal_id: FromPath[Id], data: JSONBody[ProposalApproveIn]
    ) -> ProposalOut:
        return await organization_proposals.approve(proposal_id, data, request.user.id)

    @post(
        "/proposals/{proposal_id:int}/merge",
        guards=[organizer_required],
        status_code=HTTP_200_OK,
        summary="Merge a proposal into an existing organisation (organizers)",
        description="`{organization}` (its id): the proposed spelling becomes an alias (searching it finds the "
        "organisation) and every proposing profile is linked. A missing organisation: 400; decided before: 409.",
    )
    async def merge(self, request: Request, proposal_id: FromPath[Id], data: JSONBody[ProposalMergeIn]) -> ProposalOut:
        return await organization_proposals.merge(proposal_id, data.organization, request.user.id)

    @post(
        "/proposals/{proposal_id:int}/reject",
        guards=[organizer_required],
        status_code=HTTP_200_OK,
        summary="Reject a proposal (organizers)",
        description="The profiles keep the name as typed, linked to no organisation. Decided before: 409.",
    )
    async def reject(self, request: Request, proposal_id: FromPath[Id]) -> ProposalOut:
        return await organization_proposals.reject(proposal_id, request.user.id)

    @post(
        "/import",
        guards=[organizer_required],
        status_code=HTTP_200_OK,
        request_max_body_size=IMPORT_BODY_LIMIT,
        summary="Import organisations from CSV (organizers)",
        description="Multipart `file`: CSV with the columns name, kind, prefecture (required), name_kana, "
        "website, summary; UTF-8 (with or without BOM) or Shift_JIS. An existing name is updated. Wrong columns: "
        "400, nothing imported; a bad line is listed in `rejected` with its line number (header = line 1); "
        "over 5 MB: 413. Answers 200 (a report of what was done, not one new resource). `updated` counts "
        "every line naming an existing organisation, `unchanged` those that changed nothing (re-importing a "
        "file: created 0, updated = unchanged).",
    )
    async def import_file(
        self, data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)]
    ) -> ImportResult:
        return await import_organizations(await organizations_file(data))


async def organizations_file(form: dict) -> bytes:
    """The uploaded `file`'s bytes (one more than the limit at most, so a big file is refused)."""
    return await uploaded_file(form, MAX_BYTES)
