"""Organisations over the JSON API (CONTRACT §5.4): list and search, read, create, edit, admins,
import. The rules are in organizations.py and organizations_import.py."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import Body, FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from meetup.accounts.auth import current_user, organizer_required
from meetup.coordinators import organizations, service
from meetup.coordinators.organizations_import import MAX_BYTES, import_organizations
from meetup.coordinators.schemas import (
    AdminIn,
    AdminOut,
    ImportResult,
    OrganizationDetail,
    OrganizationIn,
    OrganizationKind,
    OrganizationOut,
    OrganizationPatch,
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
