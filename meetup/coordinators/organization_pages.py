"""Organisation pages: the searchable list, an organisation's page, the form organizers and the
organisation's admins edit it with, and the organizer's CSV import.

Thin callers of organizations.py and organizations_import.py, the functions the JSON API calls:
who may edit, what is valid and what is shown are decided there.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from meetup.accounts import follows
from meetup.accounts.auth import current_user, organizer_required
from meetup.coordinators import organizations, service
from meetup.coordinators.organizations_import import MAX_BYTES, import_organizations
from meetup.coordinators.organizations_routes import organization_editor, organizations_file
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, PREFECTURES, TOHOKU
from meetup.coordinators.schemas import ORGANIZATION_FIELDS, ORGANIZATION_KINDS, OrganizationPatch
from meetup.errors import DomainError
from meetup.events import service as events
from meetup.i18n import gettext as _

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Text = Annotated[str | None, Parameter(max_length=200)]
_ERROR_FIELD = re.compile(r"at `\$\.(\w+)|^(\w+): ")
PREFECTURE_CHOICES = {"tohoku": TOHOKU, "others": OTHERS, "overseas": OVERSEAS}


def _grouped(found: list) -> list[dict]:
    """Organisations under their prefecture, the six Tohoku prefectures first."""
    groups = [
        {"prefecture": prefecture, "organizations": members}
        for prefecture in PREFECTURES
        if (members := [o for o in found if o.prefecture == prefecture])
    ]
    if elsewhere := [o for o in found if o.prefecture not in PREFECTURES]:
        groups.append({"prefecture": None, "organizations": elsewhere})
    return groups


def _form_values(form) -> dict[str, str]:
    return {field: str(form.get(field) or "") for field in ORGANIZATION_FIELDS}


def _field_of(error: DomainError) -> str:
    if error.field:
        return error.field
    match = _ERROR_FIELD.search(error.detail)
    return (match.group(1) or match.group(2)) if match and (match.group(1) or match.group(2)) else "name"


def _form(values: dict, *, action: str, title: str, error: DomainError | None = None, status: int = 200) -> Template:
    errors = {_field_of(error): error.detail} if error else {}
    return Template(
        "coordinators/organization_form.html",
        context={
            "form": values,
            "errors": errors,
            "action": action,
            "title": title,
            "kinds": ORGANIZATION_KINDS,
            "prefectures": PREFECTURE_CHOICES,
        },
        status_code=status,
    )


class OrganizationPages(Controller):
    @get("/organizations")
    async def organizations(
        self,
        request: Request,
        q: Text = None,
        kind: FromQuery[str | None] = None,
        prefecture: Text = None,
    ) -> Template:
        kind = kind if kind in ORGANIZATION_KINDS else None
        found = await organizations.list_organizations(current_user(request), q=q, kind=kind, prefecture=prefecture)
        user = current_user(request)
        return Template(
            "coordinators/organizations.html",
            context={
                "groups": _grouped(found),
                "count": len(found),
                "filters": {"q": q or "", "kind": kind or "", "prefecture": prefecture or ""},
                "kinds": ORGANIZATION_KINDS,
                "prefectures": PREFECTURE_CHOICES,
                "may_create": bool(user and user.is_organizer),
            },
        )

    @get("/organizations/{organization_id:int}")
    async def organization(
        self, request: Request, organization_id: FromPath[Id], done: FromQuery[str | None] = None
    ) -> Template:
        viewer = current_user(request)
        organization = await organizations.get_organization(organization_id, viewer)
        members = await service.organization_members(organization_id, viewer)
        forums = await events.forums_attended([m.id for m in members])
        website = organization.website if urlsplit(organization.website).scheme in ("http", "https") else None
        return Template(
            "coordinators/organization.html",
            context={
                "organization": organization,
                "members": members,
                "forums": forums,
                "website": website,
                "admins": await organizations.admins_of(organization_id),
                "may_edit": await organizations.may_edit(organization_id, viewer),
                "hosted": await events.list_events(organization=organization_id, statuses=("published", "cancelled")),
                "follow_id": await follows.following(
                    viewer.id if viewer else None, "organization", str(organization_id)
                ),
                "done": done,
            },
        )

    @get("/organizer/organizations/new", guards=[organizer_required])
    async def new_organization(self) -> Template:
        values = dict.fromkeys(ORGANIZATION_FIELDS, "") | {"kind": "gateway"}
        return _form(values, action="/organizer/organizations/new", title=_("New organisation"))

    @post("/organizer/organizations/new", guards=[organizer_required])
    async def create_organization(self, request: Request) -> Template | Redirect:
        values = _form_values(await request.form())
        try:
            created = await organizations.create_organization(organizations.checked(values))
        except DomainError as error:
            title = _("New organisation")
            return _form(
                values, action="/organizer/organizations/new", title=title, error=error, status=error.status_code
            )
        return Redirect(path=f"/organizations/{created.id}", status_code=303)

    @get("/organizations/{organization_id:int}/edit", guards=[organization_editor])
    async def edit_organization(self, request: Request, organization_id: FromPath[Id]) -> Template:
        organization = await organizations.get_organization(organization_id, request.user)
        values = {field: getattr(organization, field) or "" for field in ORGANIZATION_FIELDS}
        return _form(values, action=f"/organizations/{organization_id}/edit", title=organization.name)

    @post("/organizations/{organization_id:int}/edit", guards=[organization_editor])
    async def save_organization(self, request: Request, organization_id: FromPath[Id]) -> Template | Redirect:
        values = _form_values(await request.form())
        try:
            patch = msgspec.convert(values, OrganizationPatch)
            await organizations.update_organization(organization_id, patch, request.user)
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            action = f"/organizations/{organization_id}/edit"
            return _form(values, action=action, title=values["name"], error=error, status=error.status_code)
        return Redirect(path=f"/organizations/{organization_id}", status_code=303)

    @get("/organizer/organizations/import", guards=[organizer_required])
    async def import_page(self) -> Template:
        return Template("coordinators/organization_import.html", context={"result": None, "error": None})

    @post(
        "/organizer/organizations/import",
        guards=[organizer_required],
        request_max_body_size=MAX_BYTES + 64 * 1024,
    )
    async def import_file(self, request: Request) -> Template:
        form = await request.form()
        try:
            result = await import_organizations(await organizations_file(form))
        except DomainError as error:
            context = {"result": None, "error": error.detail}
            return Template("coordinators/organization_import.html", context=context, status_code=error.status_code)
        return Template("coordinators/organization_import.html", context={"result": result, "error": None})
