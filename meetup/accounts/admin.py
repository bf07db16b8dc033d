"""The admin's page and API: who is an organizer (and who is an admin).

Roles, highest first: `admin` (everything an organizer may, and giving or taking roles),
`organizer` (runs every forum and the site's organizer pages), `participant`. The first admin is
made on the command line (`python main.py grant-admin EMAIL`); after that, admins give roles here.
A forum's co-hosts are no role: they are invited per forum (events/cohosts.py).

E-mail addresses are shown here, to admins only; nobody else sees anyone's address anywhere.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import Redirect, Template

from meetup.accounts import service
from meetup.accounts.auth import admin_required
from meetup.accounts.schemas import UserOut
from meetup.errors import DomainError

AccountId = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
ROLES = ("participant", "organizer", "admin")


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Annotated[str, msgspec.Meta(max_length=20, description="participant, organizer or admin")]


class AccountRole(msgspec.Struct):
    id: int
    display_name: str
    role: str


class AdminApi(Controller):
    path = "/api/v1/accounts"
    tags = ["accounts"]
    guards = [admin_required]

    @put(
        "/{user_id:int}/role",
        summary="Give an account a role (admins)",
        description="`{role}`: participant, organizer or admin; another value is a 400. Only admins (others "
        "403); an admin taking away their own admin role is a 409, so the site always keeps one.",
    )
    async def set_role(self, request: Request, user_id: FromPath[AccountId], data: JSONBody[RoleIn]) -> AccountRole:
        user = await service.change_role(request.user, user_id, data.role)
        return AccountRole(id=user.id, display_name=user.display_name, role=user.role)


async def _page(
    request: Request, q: str, *, error: str | None = None, changed: UserOut | None = None, status_code: int = 200
) -> Template:
    return Template(
        "accounts/admin.html",
        context={
            "accounts": await service.find_accounts(q, limit=100),
            "q": q,
            "roles": ROLES,
            "error": error,
            "changed": changed,
            "me": request.user.id,
        },
        status_code=status_code,
    )


class AdminPages(Controller):
    path = "/admin"
    guards = [admin_required]
    include_in_schema = False

    @get("/accounts")
    async def accounts(self, request: Request, q: FromQuery[str | None] = None) -> Template:
        return await _page(request, " ".join(str(q or "").replace("\x00", "").split())[:100])

    @post("/accounts/{user_id:int}/role")
    async def set_role(self, request: Request, user_id: FromPath[AccountId]) -> Template | Redirect:
        form = await request.form()
        q = " ".join(str(form.get("q") or "").replace("\x00", "").split())[:100]
        try:
            await service.change_role(request.user, user_id, form.get("role"))
        except DomainError as exc:
            return await _page(request, q, error=exc.detail, status_code=exc.status_code)
        return Redirect(path="/admin/accounts" + (f"?q={q}" if q else ""), status_code=303)
