"""Organisation pages: the searchable list, an organisation's page, the form organizers and the
organisation's admins edit it with, and the organizer's CSV import.

Thin callers of organizations.py and organizations_import.py, the functions the JSON API calls:
who may edit, what is valid and what is shown are decided there.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from meetup import settings
from meetup.accounts import follows
from meetup.accounts.auth import current_user, organizer_required
from meetup.accounts.ratelimit import RateLimiter
from meetup.coordinators import organization_invitations, organization_proposals, organizations, service
from meetup.coordinators.organizations_import import MAX_BYTES, import_organizations
from meetup.coordinators.organizations_routes import organization_editor, organizations_file
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, PREFECTURES, TOHOKU
from meetup.coordinators.schemas import ORGANIZATION_FIELDS, ORGANIZATION_KINDS, OrganizationPatch, ProposalApproveIn
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


def _form(
    values: dict,
    *,
    action: str,
    title: str,
    error: DomainError | None = None,
    status: int = 200,
    people: dict | None = None,
) -> Template:
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
            "people": people,
        },
        status_code=status,
    )


async def _people(
    organization_id: int,
    viewer,
    *,
    invite: dict | None = None,
    result=None,
) -> dict:
    """The edit page's admins and pending invitations, and the invite form's state."""
    return {
        "id": organization_id,
        "admins": await organizations.admins_of(organization_id),
        "pending": await organization_invitations.pending(organization_id, viewer),
        "invite": invite or {"emails": "", "as_admin": False, "error": None},
        "result": result,
        "days": organization_invitations.LIFETIME.days,
    }


async def _edit_page(request: Request, organization_id: int, *, status: int = 200, **people: object) -> Template:
    organization = await organizations.get_organization(organization_id, request.user)
    values = {field: getattr(organization, field) or "" for field in ORGANIZATION_FIELDS}
    return _form(
        values,
        action=f"/organizations/{organization_id}/edit",
        title=organization.name,
        people=await _people(organization_id, request.user, **people),  # type: ignore[arg-type]
        status=status,
    )


async def _proposals_page(*, done: str | None = None, error: dict | None = None, status_code: int = 200) -> Template:
    return Template(
        "coordinators/organization_proposals.html",
        context={
            "proposals": await organization_proposals.list_proposals("pending"),
            "decided": [p for p in await organization_proposals.list_proposals("all") if p.status != "pending"][:20],
            "organizations": await organizations.choices(),
            "kinds": ORGANIZATION_KINDS,
            "prefectures": PREFECTURE_CHOICES,
            "done": done if done in ("approved", "merged", "rejected") else None,
            "error": error,
        },
        status_code=status_code,
    )


def _invitation_page(
    token: str, *, invitation: dict | None = None, error: str | None = None, status_code: int = 200
) -> Template:
    return Template(
        "coordinators/organization_invitation.html",
        context={"token": token, "invitation": invitation, "error": error},
        status_code=status_code,
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
                "pending_proposals": await organization_proposals.pending_count() if user and user.is_organizer else 0,
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
    async def edit_organization(
        self, request: Request, organization_id: FromPath[Id], invited: FromQuery[int | None] = None
    ) -> Template:
        shown = invited is not None and 0 < invited <= organization_invitations.MAX_ADDRESSES
        result = {"invited": invited, "rejected": []} if shown else None
        return await _edit_page(request, organization_id, result=result)

    @post("/organizations/{organization_id:int}/invitations", guards=[organization_editor])
    async def invite(
        self, request: Request, organization_id: FromPath[Id], limiter: NamedDependency[RateLimiter]
    ) -> Template | Redirect:
        """Invite colleagues: the addresses are shown back only to the admin who typed them."""
        form = await request.form()
        emails = str(form.get("emails") or "")[:6000]
        as_admin = form.get("as_admin") == "on"
        try:
            out = await organization_invitations.invite(
                organization_id, emails, as_admin, request.user, settings.current().base_url, limiter
            )
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            invite = {"emails": emails, "as_admin": as_admin, "error": error.detail}
            return await _edit_page(request, organization_id, invite=invite, status=error.status_code)
        if out.rejected:  # some invited, some not: say which, on the page itself
            result = {"invited": len(out.invited), "rejected": out.rejected}
            return await _edit_page(request, organization_id, result=result)
        path = f"/organizations/{organization_id}/edit?invited={len(out.invited)}#people"
        return Redirect(path=path, status_code=303)

    @get("/organizations/invitations/{token:str}")
    async def invitation(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """What accepting means (signed out: sign in first and come back; another account: why not).
        A GET changes nothing: mail scanners open links."""
        token = token[:100]
        try:
            row = await organization_invitations.invitation(token)
        except DomainError as exc:
            return _invitation_page(token, error=exc.detail, status_code=exc.status_code)
        user = current_user(request)
        if user is None:
            return Redirect(path=f"/login?next=/organizations/invitations/{token}", status_code=303)
        if not organization_invitations.is_for(row, user):
            return _invitation_page(token, error=organization_invitations.wrong_address().detail, status_code=403)
        return _invitation_page(token, invitation=row)

    @post("/organizations/invitations/{token:str}")
    async def accept_invitation(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        token = token[:100]
        user = current_user(request)
        try:
            if user is None:
                await organization_invitations.invitation(token)  # a link that is no invitation says so
                return Redirect(path=f"/login?next=/organizations/invitations/{token}", status_code=303)
            row = await organization_invitations.accept(token, user)
        except DomainError as exc:
            return _invitation_page(token, error=exc.detail, status_code=exc.status_code)
        if not row["has_profile"]:
            query = urlencode({"organization": row["organization_name"], "joined": row["organization"]})
            return Redirect(path=f"/me/profile?{query}", status_code=303)
        return Redirect(path=f"/organizations/{row['organization']}?done=joined", status_code=303)

    @get("/organizer/organizations/proposals", guards=[organizer_required])
    async def proposals(self, done: FromQuery[str | None] = None) -> Template:
        return await _proposals_page(done=done)

    @post("/organizer/organizations/proposals/{proposal_id:int}/approve", guards=[organizer_required])
    async def approve(self, request: Request, proposal_id: FromPath[Id]) -> Template | Redirect:
        form = await request.form()
        fields = {k: str(form.get(k) or "")[:200] for k in ("kind", "prefecture", "name")}
        try:
            data = msgspec.convert(fields, ProposalApproveIn)
            await organization_proposals.approve(proposal_id, data, request.user.id)
        except (DomainError, msgspec.ValidationError) as exc:
            detail = exc.detail if isinstance(exc, DomainError) else str(exc)
            status = exc.status_code if isinstance(exc, DomainError) else 400
            if status == 404:
                raise
            return await _proposals_page(error={"id": proposal_id, "detail": detail}, status_code=status)
        return Redirect(path="/organizer/organizations/proposals?done=approved", status_code=303)

    @post("/organizer/organizations/proposals/{proposal_id:int}/merge", guards=[organizer_required])
    async def merge(self, request: Request, proposal_id: FromPath[Id]) -> Template | Redirect:
        chosen = str((await request.form()).get("organization") or "")
        try:
            target = int(chosen) if chosen.isdigit() and len(chosen) < 11 else None
            await organization_proposals.merge(proposal_id, target, request.user.id)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            error = {"id": proposal_id, "detail": exc.detail}
            return await _proposals_page(error=error, status_code=exc.status_code)
        return Redirect(path="/organizer/organizations/proposals?done=merged", status_code=303)

    @post("/organizer/organizations/proposals/{proposal_id:int}/reject", guards=[organizer_required])
    async def reject(self, request: Request, proposal_id: FromPath[Id]) -> Template | Redirect:
        try:
            await organization_proposals.reject(proposal_id, request.user.id)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            error = {"id": proposal_id, "detail": exc.detail}
            return await _proposals_page(error=error, status_code=exc.status_code)
        return Redirect(path="/organizer/organizations/proposals?done=rejected", status_code=303)

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
            people = await _people(organization_id, request.user)
            return _form(
                values, action=action, title=values["name"], error=error, status=error.status_code, people=people
            )
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
