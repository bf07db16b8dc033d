"""The case library (事例): stories of co-creation, outside talent and DX, told so others can follow.

Rules:
- organizers write and edit cases; everyone reads them;
- a case names organisations, people and the forums where it was told; a person named is asked by
  mail (followups/consents.py) and appears on the case only once they agreed, and no more once they
  withdraw; until then the case shows no trace of them;
- forums appear only while published (a draft's or a cancelled forum's title appears nowhere public);
- `q` searches as the directory does (kanji, kana and romaji of the title, with the summary,
  themes, organisations and prefecture: `search_text`, refreshed on every save); `kind`, `theme`
  and `prefecture` filter; newest first;
- an unknown organisation, person or forum is a 400 naming the field, and nothing is stored.
"""

from __future__ import annotations

import msgspec

from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.cases.schemas import CaseIn, CaseOut, CasePatch, CaseSummary, ForumRef, NamedRef
from meetup.cases.tables import Case, CaseLink, CaseTheme
from meetup.coordinators import organizations, reading
from meetup.coordinators import service as coordinators
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, NotFound
from meetup.events import service as events
from meetup.events.errors import EventNotFound
from meetup.events.service import tokyo
from meetup.followups import consents
from meetup.i18n import gettext as _
from meetup.site.forms import error_field

CONSENT_KIND = "case"
LIST_LIMIT = 200


def checked(fields: dict) -> CaseIn:
    """`fields` checked as one case's input; BadInput naming the field at fault."""
    try:
        return msgspec.convert(fields, CaseIn)
    except msgspec.ValidationError as error:
        raise BadInput(str(error).split(" - at ")[0], field=error_field(error) or "body") from None


def search_text(data: CaseIn, organization_names: list[str]) -> str:
    """What `q` is matched against: the title in kanji, hiragana and romaji, and the rest folded."""
    return reading.search_text(
        name=data.title,
        reading=reading.reading_of(data.title),
        extra=[data.summary, *data.themes, *organization_names, data.prefecture or "", data.kind],
    )


async def _resolved(data: CaseIn) -> tuple[list[str], list[int]]:
    """(organisation names, forum ids) of what the case names; BadInput naming an unknown one."""
    names = await organizations.names_of(data.organizations)
    if missing := [o for o in data.organizations if o not in names]:
        raise BadInput(_("No such organisation: %(id)s") % {"id": missing[0]}, field="organizations")
    people = await accounts.get_users(data.people)
    if missing := [p for p in data.people if p not in people]:
        raise BadInput(_("No such person: %(id)s") % {"id": missing[0]}, field="people")
    forum_ids = []
    for slug in data.events:
        try:
            forum_ids.append((await events.event_row(slug, organizer=True))["id"])
        except EventNotFound:
            raise BadInput(_("No such forum: %(slug)s") % {"slug": slug[:60]}, field="events") from None
    return [names[o] for o in data.organizations], forum_ids


def _values(data: CaseIn, organization_names: list[str]) -> dict:
    return {
        "title": data.title,
        "summary": data.summary,
        "body": data.body,
        "kind": data.kind,
        "themes_json": msgspec.json.encode(data.themes).decode(),
        "prefecture": data.prefecture,
        "search_text": search_text(data, organization_names),
    }


async def _store_links(case_id: int, data: CaseIn, forum_ids: list[int]) -> None:
    await CaseTheme.delete().where(CaseTheme.case_story == case_id)
    await CaseLink.delete().where(CaseLink.case_story == case_id)
    if data.themes:
        await CaseTheme.insert(*[CaseTheme(case_story=case_id, theme=theme) for theme in data.themes])
    links = [CaseLink(case_story=case_id, organization=o) for o in data.organizations]
    links += [CaseLink(case_story=case_id, account=p) for p in data.people]
    links += [CaseLink(case_story=case_id, event=e) for e in forum_ids]
    if links:
        await CaseLink.insert(*links)


async def create_case(data: CaseIn, by: UserOut) -> CaseOut:
    """A new case; each person it names is asked by mail before they are shown on it."""
    names, forum_ids = await _resolved(data)
    async with write_transaction():
        rows = await Case.insert(Case(**_values(data, names), created_by=by.id)).returning(Case.id)
        case_id = rows[0]["id"]
        await _store_links(case_id, data, forum_ids)
        await consents.ask(CONSENT_KIND, case_id, data.people, title=data.title, url=f"/cases/{case_id}")
    return await get_case(case_id, by)


async def update_case(case_id: int, patch: CasePatch, by: UserOut) -> CaseOut:
    """Change the fields given, each checked as on creation; a person added is asked, a person
    removed is no longer asked (their answer is forgotten)."""
    current = await _input_of(case_id)
    given = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    data = checked(msgspec.structs.asdict(current) | given)
    names, forum_ids = await _resolved(data)
    removed = [p for p in current.people if p not in data.people]
    async with write_transaction():
        await Case.update(_values(data, names) | {"updated_at": utcnow()}).where(Case.id == case_id)
        await _store_links(case_id, data, forum_ids)
        await consents.forget(CONSENT_KIND, case_id, removed)
        await consents.ask(CONSENT_KIND, case_id, data.people, title=data.title, url=f"/cases/{case_id}")
    return await get_case(case_id, by)


async def delete_case(case_id: int) -> None:
    """The case gone, with its themes and links; the people asked about it are asked no more
    (a link already mailed then answers that there is nothing to agree to). A case already gone:
    nothing to do."""
    async with write_transaction():
        if await Case.exists().where(Case.id == case_id):
            await consents.forget(CONSENT_KIND, case_id)
            await Case.delete().where(Case.id == case_id)


async def _row(case_id: int) -> dict:
    row = await Case.select().where(Case.id == case_id).first() if 0 < case_id < 2**31 else None
    if row is None:
        raise NotFound(_("No such case."))
    return row


async def _links(case_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    found: dict[int, dict[str, list[int]]] = {i: {"organization": [], "account": [], "event": []} for i in case_ids}
    if not case_ids:
        return found
    rows = await CaseLink.select().where(CaseLink.case_story.is_in(case_ids)).order_by(CaseLink.id)
    for row in rows:
        for key in ("organization", "account", "event"):
            if row[key] is not None:
                found[row["case_story"]][key].append(row[key])
    return found


async def _input_of(case_id: int) -> CaseIn:
    """The case as its form holds it (for an edit)."""
    row = await _row(case_id)
    links = (await _links([case_id]))[case_id]
    slugs = (await events.forum_refs(links["event"])) if links["event"] else {}
    return CaseIn(
        title=row["title"],
        summary=row["summary"],
        body=row["body"],
        kind=row["kind"],
        themes=msgspec.json.decode(row["themes_json"]),
        prefecture=row["prefecture"],
        organizations=links["organization"],
        people=links["account"],
        events=[slugs[e]["slug"] for e in links["event"] if e in slugs],
    )


async def form_values(case_id: int) -> dict:
    """The case form's values for an edit."""
    return msgspec.structs.asdict(await _input_of(case_id))


async def _organization_refs(ids: list[int]) -> dict[int, NamedRef]:
    names = await organizations.names_of(ids)
    return {i: NamedRef(id=i, name=name) for i, name in names.items()}


async def named_people(case_id: int, people: list[int]) -> list[NamedRef]:
    """The people of a case who agreed to be named, by their profile's name (or their own)."""
    said_yes = await consents.agreed(CONSENT_KIND, case_id)
    agreed = [p for p in people if p in said_yes]
    if not agreed:
        return []
    profiles = await coordinators.profiles_of(agreed)
    users = await accounts.get_users(agreed)
    return [
        NamedRef(id=p, name=profiles[p].name if p in profiles else users[p].display_name) for p in agreed if p in users
    ]


async def get_case(case_id: int, viewer: UserOut | None = None) -> CaseOut:
    """The case as `viewer` sees it (organizers also see who answered what)."""
    row = await _row(case_id)
    links = (await _links([case_id]))[case_id]
    orgs = await _organization_refs(links["organization"])
    forums = await events.forum_refs(links["event"], drafts=False)
    return CaseOut(
        id=row["id"],
        title=row["title"],
        summary=row["summary"],
        body=row["body"],
        kind=row["kind"],
        themes=msgspec.json.decode(row["themes_json"]),
        prefecture=row["prefecture"],
        organizations=[orgs[o] for o in links["organization"] if o in orgs],
        people=await named_people(case_id, links["account"]),
        events=[
            ForumRef(slug=forums[e]["slug"], title=forums[e]["title"])
            for e in links["event"]
            if e in forums and forums[e]["status"] == "published"
        ],
        created_at=tokyo(row["created_at"]),
        updated_at=tokyo(row["updated_at"]),
        url=f"/cases/{row['id']}",
        consents=(
            {str(k): v for k, v in (await consents.states(CONSENT_KIND, case_id)).items()}
            if viewer is not None and viewer.is_organizer
            else None
        ),
    )


async def _matching(
    *,
    q: str | None = None,
    kind: str | None = None,
    theme: str | None = None,
    prefecture: str | None = None,
    organization: int | None = None,
    person: int | None = None,
    ids: list[int] | None = None,
):
    """The WHERE clause of a search of the library; None when nothing can match."""
    where = Case.id.is_not_null()
    if person is not None:
        ids = await _agreed_cases_of(person) if ids is None else ids
    if (matching := reading.search_clause(Case.search_text, q)) is not None:
        where &= matching
    if kind:
        where &= Case.kind == kind
    if prefecture:
        where &= Case.prefecture == prefecture
    if theme:
        where &= Case.id.is_in(CaseTheme.select(CaseTheme.case_story).where(CaseTheme.theme == theme))
    if organization is not None:
        where &= Case.id.is_in(CaseLink.select(CaseLink.case_story).where(CaseLink.organization == organization))
    if ids is not None:
        if not ids:
            return None
        where &= Case.id.is_in(ids)
    return where


async def list_cases(*, limit: int = LIST_LIMIT, **filters) -> list[CaseSummary]:
    """Cases matching the query (kanji, kana or romaji) and filters (`q`, `kind`, `theme`,
    `prefecture`, `organization`, `person`, `ids`), newest first. `person`: the cases naming
    someone who agreed to be named there."""
    where = await _matching(**filters)
    return [] if where is None else await _summaries(where, limit, 0)


async def search_cases(*, limit: int, offset: int = 0, **filters) -> tuple[list[CaseSummary], int]:
    """One page of `list_cases` and how many cases match in all (the search built once)."""
    where = await _matching(**filters)
    if where is None:
        return [], 0
    return await _summaries(where, limit, offset), await Case.count().where(where)


async def _summaries(where, limit: int, offset: int) -> list[CaseSummary]:
    rows = await (
        Case.select(Case.id, Case.title, Case.summary, Case.kind, Case.themes_json, Case.prefecture, Case.created_at)
        .where(where)
        .order_by(Case.created_at, ascending=False)
        .order_by(Case.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    links = await _links([row["id"] for row in rows])
    orgs = await _organization_refs(sorted({o for found in links.values() for o in found["organization"]}))
    return [
        CaseSummary(
            id=row["id"],
            title=row["title"],
            summary=row["summary"],
            kind=row["kind"],
            themes=msgspec.json.decode(row["themes_json"]),
            prefecture=row["prefecture"],
            organizations=[orgs[o] for o in links[row["id"]]["organization"] if o in orgs],
            created_at=tokyo(row["created_at"]),
            url=f"/cases/{row['id']}",
        )
        for row in rows
    ]


async def _agreed_cases_of(user_id: int) -> list[int]:
    """The cases naming a person who agreed to be named there (their profile's "関わった事例")."""
    agreed = await consents.subjects_agreed_by(CONSENT_KIND, user_id)
    if not agreed:
        return []
    named = await CaseLink.select(CaseLink.case_story).where(
        CaseLink.case_story.is_in(agreed) & (CaseLink.account == user_id)
    )
    return sorted({row["case_story"] for row in named})


async def themes_in_use(limit: int = 40) -> list[str]:
    """The themes cases carry, most used first (the library's theme filter)."""
    rows = await CaseTheme.raw(
        'SELECT "theme", COUNT(*) AS n FROM "case_theme" GROUP BY "theme" ORDER BY n DESC, "theme" LIMIT {}', limit
    )
    return [row["theme"] for row in rows]
