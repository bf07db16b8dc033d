"""Organisations: the hub organisations of the network, as records people keep.

Rules:
- organizers create organisations; organizers and an organisation's own admins edit it and add
  admins; an admin of one organisation is nobody on another (403);
- the name is the key: two organisations never share one (409), and an import matches by name;
- every save refreshes `search_text` (the name in kanji, hiragana and romaji), so
  `GET /organizations?q=` finds an organisation however its name is typed, as the directory does;
- member counts and lists show only the profiles the viewer may see; the forums shown on an
  organisation are published ones only (events.forums_attended);
- an admin list shows names only, never e-mails.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from piccolo.query.functions.aggregate import Count

from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.coordinators import reading
from meetup.coordinators.schemas import (
    ORGANIZATION_FIELDS,
    ORGANIZATION_KINDS,
    AdminOut,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
)
from meetup.coordinators.service import visible_to
from meetup.coordinators.tables import Organization, OrganizationAdmin, Profile
from meetup.db import unique_violation, write_transaction
from meetup.errors import BadInput, Conflict, Forbidden, NotFound
from meetup.i18n import gettext as _


def organization_search_text(name: str, name_kana: str = "") -> str:
    """What `q` is matched against: the name folded, its reading in hiragana and in romaji."""
    return reading.search_text(name=name, reading=reading.reading_of(name, name_kana), extra=[])


def stored_values(data: OrganizationIn, search_text: str | None = None) -> dict[str, object]:
    """The columns one organisation's input sets (the search text computed unless given)."""
    values: dict[str, object] = {field: getattr(data, field) for field in ORGANIZATION_FIELDS}
    values["search_text"] = (
        search_text if search_text is not None else organization_search_text(data.name, data.name_kana)
    )
    return values


_FIELD_AT_FAULT = re.compile(r"at `\$\.(\w+)`|^(\w+): ")


def _problem(field: str, error: str) -> str:
    """What is wrong with `field`, in the reader's language (msgspec's own words otherwise)."""
    problems = {
        "kind": _("unknown kind; one of %(kinds)s") % {"kinds": ", ".join(ORGANIZATION_KINDS)},
        "prefecture": _("unknown prefecture; write it as 宮城県, 東京都, 北海道 or 海外"),
        "website": _("not an http:// or https:// address"),
        "name": _("required, up to 200 characters"),
    }
    return problems.get(field, error)


def checked(fields: dict) -> OrganizationIn:
    """`fields` checked as one organisation's input; BadInput naming the field at fault."""
    try:
        return msgspec.convert(fields, OrganizationIn)
    except msgspec.ValidationError as error:
        match = _FIELD_AT_FAULT.search(str(error))
        field = (match.group(1) or match.group(2)) if match else None
        if field is None:
            raise BadInput(str(error)) from None
        raise BadInput(f"{field}: {_problem(field, str(error))}", field=field) from None


def _out(row: dict, members: int = 0) -> OrganizationOut:
    return OrganizationOut(
        id=row["id"],
        name=row["name"],
        name_kana=row["name_kana"],
        legal_form=row["legal_form"],
        prefecture=row["prefecture"],
        kind=row["kind"],
        summary=row["summary"],
        website=row["website"],
        member_count=members,
    )


async def _row(organization_id: int) -> dict:
    row = await Organization.select().where(Organization.id == organization_id).first()
    if row is None:
        raise NotFound(_("No such organisation."))
    return row


async def _taken(name: str, *, other_than: int | None = None) -> bool:
    where = Organization.name == name
    if other_than is not None:
        where &= Organization.id != other_than
    return await Organization.exists().where(where)


def _name_taken() -> Conflict:
    return Conflict(_("An organisation of that name exists."), field="name")


@asynccontextmanager
async def writing_names() -> AsyncIterator[None]:
    """One write transaction in which a name taken meanwhile by another request (the unique index
    refusing it) is the same 409 as a name found taken."""
    try:
        async with write_transaction():
            yield
    except Exception as error:
        if unique_violation(error):
            raise _name_taken() from None
        raise


# --- reading ---------------------------------------------------------------------------------


async def list_organizations(
    viewer: UserOut | None = None, *, q: str | None = None, kind: str | None = None, prefecture: str | None = None
) -> list[OrganizationOut]:
    """Organisations matching the query (kanji, kana or romaji) and filters, by prefecture then name."""
    where = Organization.id.is_not_null()
    if (matching := reading.search_clause(Organization.search_text, q)) is not None:
        where &= matching
    if kind:
        where &= Organization.kind == kind
    if prefecture:
        where &= Organization.prefecture == prefecture
    rows = await Organization.select().where(where).order_by(Organization.prefecture).order_by(Organization.name)
    counts = (
        await Profile.select(Profile.organization, Count(alias="n"))
        .where(visible_to(viewer) & Profile.organization.is_not_null())
        .group_by(Profile.organization)
    )
    members = {row["organization"]: row["n"] for row in counts}
    return [_out(row, members.get(row["id"], 0)) for row in rows]


async def choices() -> list[dict]:
    """Every organisation as a form offers it: {'id', 'name', 'prefecture'}, by prefecture then name."""
    return (
        await Organization.select(Organization.id, Organization.name, Organization.prefecture)
        .order_by(Organization.prefecture)
        .order_by(Organization.name)
    )


async def administered_by(user: UserOut) -> list[dict]:
    """The organisations a person may act for, as `choices` gives them: every one for organizers,
    their own for an organisation's admins (a challenge's form offers these)."""
    if user.is_organizer:
        return await choices()
    rows = await OrganizationAdmin.select(OrganizationAdmin.organization).where(OrganizationAdmin.account == user.id)
    mine = {row["organization"] for row in rows}
    return [row for row in await choices() if row["id"] in mine]


async def get_organization(organization_id: int, viewer: UserOut | None = None) -> OrganizationOut:
    """The organisation, counting only the members whose profiles `viewer` may see."""
    row = await _row(organization_id)
    members = await Profile.count().where(visible_to(viewer) & (Profile.organization == organization_id))
    return _out(row, members)


async def admins_of(organization_id: int) -> list[AdminOut]:
    rows = await OrganizationAdmin.select(
        OrganizationAdmin.account.as_alias("id"), OrganizationAdmin.account.display_name.as_alias("display_name")
    ).where(OrganizationAdmin.organization == organization_id)
    return [AdminOut(id=row["id"], display_name=row["display_name"]) for row in rows]


async def may_edit(organization_id: int, user: UserOut | None) -> bool:
    """Organizers edit every organisation; an admin edits only their own."""
    if user is None:
        return False
    if user.is_organizer:
        return True
    return await OrganizationAdmin.exists().where(
        (OrganizationAdmin.organization == organization_id) & (OrganizationAdmin.account == user.id)
    )


async def _check_may_edit(organization_id: int, user: UserOut | None) -> dict:
    row = await _row(organization_id)
    if not await may_edit(organization_id, user):
        raise Forbidden(_("Only organizers and this organisation's admins may change it."))
    return row


# --- writing ---------------------------------------------------------------------------------


async def create_organization(data: OrganizationIn) -> OrganizationOut:
    """A new organisation; a name already in use is a 409."""
    async with writing_names():
        if await _taken(data.name):
            raise _name_taken()
        rows = await Organization.insert(Organization(**stored_values(data))).returning(*Organization.all_columns())
    return _out(rows[0])


async def update_organization(organization_id: int, patch: OrganizationPatch, editor: UserOut) -> OrganizationOut:
    """Change the fields given, each checked as on creation; organizers and its admins only."""
    async with writing_names():
        row = await _check_may_edit(organization_id, editor)
        current = {field: row[field] for field in ORGANIZATION_FIELDS}
        given = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
        data = checked(current | given)
        if data.name != row["name"] and await _taken(data.name, other_than=organization_id):
            raise _name_taken()
        await Organization.update(stored_values(data)).where(Organization.id == organization_id)
    return await get_organization(organization_id, editor)


async def add_admin(organization_id: int, user_id: int, by: UserOut) -> list[AdminOut]:
    """Make the person an admin of the organisation (once; adding them again changes nothing)."""
    await _check_may_edit(organization_id, by)
    if await accounts.get_user(user_id) is None:
        raise NotFound(_("No such person."), field="user_id")
    try:
        async with write_transaction():
            await OrganizationAdmin.insert(OrganizationAdmin(organization=organization_id, account=user_id))
    except Exception as error:
        if not unique_violation(error):  # the (organisation, account) index: already an admin
            raise
    return await admins_of(organization_id)


async def upsert_organization(
    *,
    name: str,
    prefecture: str,
    kind: str = "gateway",
    legal_form: str = "",
    name_kana: str = "",
    summary: str = "",
    website: str = "",
    source: str = "",
) -> int:
    """Create the organisation, or refresh its details when one of that name exists; returns its
    id. For the demo and tests: the input is checked as the API checks it."""
    data = checked(
        {"name": name, "kind": kind, "prefecture": prefecture, "name_kana": name_kana}
        | {"summary": summary, "website": website}
    )
    values = stored_values(data) | {"legal_form": legal_form, "source": source}
    async with write_transaction():
        existing = await Organization.select(Organization.id).where(Organization.name == data.name).first()
        if existing:
            await Organization.update(values).where(Organization.id == existing["id"])
            return existing["id"]
        rows = await Organization.insert(Organization(**values)).returning(Organization.id)
    return rows[0]["id"]


async def names_of(organization_ids: list[int]) -> dict[int, str]:
    """{organisation id: name} of those that exist (what a follow of one is called)."""
    if not organization_ids:
        return {}
    rows = await Organization.select(Organization.id, Organization.name).where(
        Organization.id.is_in(list(organization_ids))
    )
    return {row["id"]: row["name"] for row in rows}
