"""Coordinators: profiles and their visibility, the directory, organisations, connections, ties.

Rules:
- visibility is enforced in the query: anonymous people see public profiles, members see public
  and members-only ones, organizers see all; everyone sees their own;
- making a profile public records what the person agreed to, and when, the first time;
- connections and ties live in connections.py.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from piccolo.query.functions.aggregate import Count

from meetup.accounts.schemas import UserOut
from meetup.coordinators import organization_names, reading
from meetup.coordinators.schemas import (
    CONSENT_TEXT,
    DirectoryPage,
    OrganizationRef,
    ProfileIn,
    ProfileOut,
)
from meetup.coordinators.tables import Profile, ProfileTheme
from meetup.db import utcnow, write_transaction
from meetup.events import alumni as programme_alumni


def warm_up() -> None:
    """Ready the name readings before serving (see `reading.warm_up`)."""
    reading.warm_up()


# --- organisations: their records live in organizations.py ------------------------------------


async def organization_members(organization_id: int, viewer: UserOut | None) -> list[ProfileOut]:
    """The organisation's members whose profiles `viewer` may see."""
    return (await directory(viewer, organization_id=organization_id, limit=500)).items


# --- profiles --------------------------------------------------------------------------------


def visible_to(viewer: UserOut | None):
    """The visibility rule as a WHERE clause, so hidden profiles never leave the database."""
    if viewer is not None and viewer.is_organizer:
        return Profile.visibility.is_in(["public", "members", "private"])
    if viewer is None:
        return Profile.visibility == "public"
    return Profile.visibility.is_in(["public", "members"]) | (Profile.account == viewer.id)


def _profile_out(row: dict, organization: OrganizationRef | None) -> ProfileOut:
    return ProfileOut(
        id=row["account"],
        name=row["name"],
        name_kana=row["name_kana"],
        reading=row["reading"],
        organization=row["organization_name"],
        organization_ref=organization,
        prefecture=row["prefecture"],
        municipality=row["municipality"],
        themes=msgspec.json.decode(row["themes_json"]),
        bio=row["bio"],
        links=msgspec.json.decode(row["links_json"]),
        can_help_with=row["can_help_with"],
        looking_for=row["looking_for"],
        visibility=row["visibility"],
        updated_at=row["updated_at"],
    )


_PROFILE_COLUMNS = (
    *Profile.all_columns(),
    Profile.organization.name.as_alias("organization_ref_name"),
)


def _out(row: dict) -> ProfileOut:
    ref = OrganizationRef(id=row["organization"], name=row["organization_ref_name"]) if row["organization"] else None
    return _profile_out(row, ref)


async def save_profile(user_id: int, data: ProfileIn) -> ProfileOut:
    """Create or replace the person's profile. Going public the first time records consent. The
    organisation is linked when the name typed names one (or an alias of one), else proposed."""
    name_reading = reading.reading_of(data.name, data.name_kana)
    now = utcnow()
    values = {
        "name": data.name,
        "name_kana": data.name_kana,
        "reading": name_reading,
        "organization_name": data.organization,
        "prefecture": data.prefecture,
        "municipality": data.municipality,
        "themes_json": msgspec.json.encode(data.themes).decode(),
        "bio": data.bio,
        "links_json": msgspec.json.encode(data.links).decode(),
        "can_help_with": data.can_help_with,
        "looking_for": data.looking_for,
        "visibility": data.visibility,
        "search_text": reading.search_text(
            name=data.name,
            reading=name_reading,
            extra=[
                data.organization,
                data.municipality,
                data.prefecture,
                *data.themes,
                data.bio,
                data.can_help_with,
                data.looking_for,
            ],  # fmt: skip
        ),
        "updated_at": now,
    }
    async with write_transaction():
        # A name that names no organisation stays as typed and is proposed (organization_names.py).
        values["organization"] = await organization_names.resolve_for_profile(user_id, data.organization)
        existing = await Profile.select(Profile.id, Profile.consent_at).where(Profile.account == user_id).first()
        if data.visibility == "public" and not (existing and existing["consent_at"]):
            values.update(consent_text=CONSENT_TEXT, consent_at=now)
        if existing:
            await Profile.update({getattr(Profile, k): v for k, v in values.items()}).where(
                Profile.id == existing["id"]
            )
            profile_id = existing["id"]
        else:
            rows = await Profile.insert(Profile(account=user_id, **values)).returning(Profile.id)
            profile_id = rows[0]["id"]
        await ProfileTheme.delete().where(ProfileTheme.profile == profile_id)
        if data.themes:
            await ProfileTheme.insert(*[ProfileTheme(profile=profile_id, theme=t) for t in data.themes])
    profile = await get_profile(user_id, None, include_own=True)
    assert profile is not None
    return profile


async def set_organization(user_id: int, name: str) -> ProfileOut | None:
    """The person's profile now names the organisation `name` (None: they have no profile yet)."""
    profile = await get_profile(user_id, None, include_own=True)
    if profile is None:
        return None
    fields = {f: getattr(profile, f) for f in ProfileIn.__struct_fields__ if f != "organization"}
    fields["prefecture"] = fields["prefecture"] or ""
    return await save_profile(user_id, ProfileIn(**fields, organization=name))


async def get_profile(user_id: int, viewer: UserOut | None, *, include_own: bool = False) -> ProfileOut | None:
    """The profile if `viewer` may see it, else None (a hidden profile looks like no profile)."""
    query = Profile.select(*_PROFILE_COLUMNS).where(Profile.account == user_id)
    if not include_own:
        query = query.where(visible_to(viewer))
    row = await query.first()
    if not row:
        return None
    out = _out(row)
    out.alumni = (await programme_alumni.alumni_of([user_id])).get(user_id, [])
    return out


async def profiles_of(user_ids: list[int], viewer: UserOut | None = None) -> dict[int, ProfileOut]:
    """{account id: profile} of those among `user_ids` whose profile `viewer` may see; with no
    viewer, the profiles any member may see (public and members-only, never private)."""
    if not user_ids:
        return {}
    rule = visible_to(viewer) if viewer is not None else Profile.visibility.is_in(["public", "members"])
    rows = await Profile.select(*_PROFILE_COLUMNS).where(Profile.account.is_in(user_ids) & rule)
    return {row["account"]: _out(row) for row in rows}


async def consent_of(user_id: int) -> tuple[str, datetime | None]:
    row = await Profile.select(Profile.consent_text, Profile.consent_at).where(Profile.account == user_id).first()
    return (row["consent_text"], row["consent_at"]) if row else ("", None)


SORTS = ("reading", "recent")


async def directory(
    viewer: UserOut | None,
    *,
    q: str | None = None,
    prefecture: str | None = None,
    theme: str | None = None,
    organization: str | None = None,
    organization_id: int | None = None,
    alumni_of: str | None = None,
    cohort: int | None = None,
    sort: str = "reading",
    limit: int = 50,
    offset: int = 0,
) -> DirectoryPage:
    """Profiles `viewer` may see, filtered (`alumni_of`: alumni of the series at that slug, of the
    cohort that completed in `cohort` when given);
    sorted by reading (あいうえお順) or most recent."""
    where = visible_to(viewer)
    if (matching := reading.search_clause(Profile.search_text, q)) is not None:
        where &= matching
    if prefecture:
        where &= Profile.prefecture == prefecture
    if organization_id is not None:
        where &= Profile.organization == organization_id
    elif organization:
        where &= Profile.organization_name == organization
    if theme:
        where &= Profile.id.is_in(ProfileTheme.select(ProfileTheme.profile).where(ProfileTheme.theme == theme))
    if alumni_of:
        where &= Profile.account.is_in(programme_alumni.accounts_of_series(alumni_of, cohort))
    total = await Profile.count().where(where)
    query = Profile.select(*_PROFILE_COLUMNS).where(where).limit(min(max(limit, 1), 200)).offset(max(offset, 0))
    if sort == "recent":
        query = query.order_by(Profile.updated_at, ascending=False)
    else:
        query = query.order_by(Profile.reading).order_by(Profile.id)
    items = [_out(row) for row in await query]
    completed = await programme_alumni.alumni_of([item.id for item in items])
    for item in items:
        item.alumni = completed.get(item.id, [])
    return DirectoryPage(total=total, items=items)


async def popular_themes(viewer: UserOut | None, limit: int = 30) -> list[tuple[str, int]]:
    rows = (
        await ProfileTheme.select(ProfileTheme.theme, Count(alias="n"))
        .where(ProfileTheme.profile.is_in(Profile.select(Profile.id).where(visible_to(viewer))))
        .group_by(ProfileTheme.theme)
        .order_by(Count(alias="n"), ascending=False)
        .limit(limit)
    )
    return [(row["theme"], row["n"]) for row in rows]


async def themes_of(user_ids: list[int]) -> dict[int, set[str]]:
    """{account id: themes of their profile} (for grouping people by shared themes)."""
    if not user_ids:
        return {}
    rows = await ProfileTheme.select(ProfileTheme.theme, ProfileTheme.profile.account.as_alias("account")).where(
        ProfileTheme.profile.account.is_in(user_ids)
    )
    themes: dict[int, set[str]] = {}
    for row in rows:
        themes.setdefault(row["account"], set()).add(row["theme"])
    return themes


async def theme_in_use(theme: str) -> bool:
    """Whether some profile carries `theme` (who does is not told)."""
    return await ProfileTheme.exists().where(ProfileTheme.theme == theme)
