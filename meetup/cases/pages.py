"""Pages of the case library and the challenge board: the lists with their filters (they work on a
phone), a case, the organizer's case form, a challenge with its 関わりたい button, the poster's
page of who is interested, and the form to post a challenge.

Thin callers of the same services as the JSON API (routes.py); every refusal is a DomainError
shown on the page with its status code.
"""

from __future__ import annotations

import math
from datetime import datetime, time
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from meetup.accounts import service as accounts
from meetup.accounts.auth import current_user, login_required, organizer_required
from meetup.cases import challenges, feed
from meetup.cases import service as cases
from meetup.cases.routes import challenge_manager
from meetup.cases.schemas import CASE_KINDS, CHALLENGE_KINDS, CHALLENGE_STATUSES, CasePatch, ChallengeIn, InterestIn
from meetup.coordinators import organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, TOHOKU
from meetup.errors import BadInput, DomainError
from meetup.events import service as events
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Text = Annotated[str | None, Parameter(max_length=200)]
PageNumber = Annotated[int, Parameter(ge=1, le=100_000)]
PAGE_SIZE = 24
PREFECTURES = {"tohoku": TOHOKU, "others": OTHERS, "overseas": OVERSEAS}


def _text(value: object) -> str:
    """A form value as text; a NUL byte is never meant and PostgreSQL refuses it."""
    return str(value or "").replace("\x00", "")


def _list(value: object) -> list[str]:
    return [part.strip() for part in _text(value).replace("、", ",").split(",") if part.strip()]


def _values(form, name: str) -> list[str]:
    """A field sent several times (checkboxes, a multiple select) or as one comma-separated text,
    each value once, in the order given."""
    return list(dict.fromkeys(part for value in form.getall(name, []) for part in _list(value)))


def _ids(values: list[str], field: str) -> list[int]:
    if any(not v.isdigit() or len(v) > 9 for v in values):
        raise BadInput(_("Numbers only, separated by commas."), field=field)
    return [int(v) for v in values]


def _case_form(form) -> dict:
    """The case form's values as the API's JSON would carry them (what was typed, for a re-fill)."""
    return {
        "title": _text(form.get("title")).strip(),
        "summary": _text(form.get("summary")),
        "body": _text(form.get("body")),
        "kind": _text(form.get("kind")),
        "themes": _list(form.get("themes"))[:20],
        "prefecture": _text(form.get("prefecture")) or None,
        "organizations": [int(v) for v in form.getall("organizations", []) if str(v).isdigit() and len(str(v)) < 10],
        "people": _values(form, "people"),
        "events": _values(form, "events"),
    }


def _person(person_id: int, name: str, prefecture: str | None = None, organization: str = "") -> dict:
    """A person as the case form shows them: never any part of an address."""
    return {"id": person_id, "name": name, "prefecture": prefecture, "organization": organization}


def _profiled(profile) -> dict:
    return _person(profile.id, profile.name, profile.prefecture, profile.organization)


async def _people(ids: list[int], viewer) -> list[dict]:
    """The people a case names, as its form shows them: by their profile, else their account's name."""
    profiles = await coordinators.profiles_of(ids, viewer)
    users = await accounts.get_users([i for i in ids if i not in profiles])
    return [
        _profiled(profiles[i]) if i in profiles else _person(i, users[i].display_name)
        for i in ids
        if i in profiles or i in users
    ]


async def _found(find: str, viewer, chosen: list[int]) -> list[dict]:
    """Whom the form's person search finds (the directory's search: kanji, kana, romaji)."""
    page = await coordinators.directory(viewer, q=find, limit=20)
    return [_profiled(p) for p in page.items if p.id not in chosen]


def _field_of(error: DomainError, default: str) -> str:
    return error.field or default


async def _case_page(
    values: dict, viewer, *, case_id: int | None, title: str, error: DomainError | None = None, find: str = ""
) -> Template:
    """The case form: a new case's (`case_id` None) or an existing one's, with its remove button."""
    chosen = [int(v) for v in values["people"] if str(v).isdigit() and len(str(v)) < 10]
    return Template(
        "cases/form.html",
        context={
            "form": values,
            "errors": {_field_of(error, "title"): error.detail} if error else {},
            "action": f"/organizer/cases/{case_id}/edit" if case_id else "/organizer/cases/new",
            "title": title,
            "kinds": CASE_KINDS,
            "prefectures": PREFECTURES,
            "organizations": await organizations.choices(),
            "forums": await events.forum_choices(),
            "people": await _people(chosen, viewer),
            "find": find,
            "found": await _found(find, viewer, chosen) if find else [],
            "delete_action": f"/organizer/cases/{case_id}/delete" if case_id else None,
        },
        status_code=error.status_code if error else 200,
    )


def _searching(form) -> str | None:
    """The person search asked for with the form's search button (nothing is saved then)."""
    return _text(form.get("find_person")).strip()[:100] if form.get("find") else None


def _empty_case() -> dict:
    return {
        "title": "",
        "summary": "",
        "body": "",
        "kind": "co_creation",
        "themes": [],
        "prefecture": None,
        "organizations": [],
        "people": [],
        "events": [],
    }


class CasePages(Controller):
    include_in_schema = False

    @get("/cases")
    async def library(
        self,
        request: Request,
        q: Text = None,
        kind: Text = None,
        theme: Text = None,
        prefecture: Text = None,
        organization: FromQuery[Id | None] = None,
        person: FromQuery[Id | None] = None,
        page: FromQuery[PageNumber] = 1,
        removed: Text = None,
    ) -> Template:
        kind = kind if kind in CASE_KINDS else None
        user = current_user(request)
        search = {"q": q, "kind": kind, "theme": theme, "prefecture": prefecture}
        search |= {"organization": organization, "person": person}
        found, total = await cases.search_cases(**search, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        kept = {key: value for key, value in search.items() if value}

        def page_url(number: int) -> str:
            return "/cases?" + urlencode({**kept, "page": number}) if number > 1 or kept else "/cases"

        return Template(
            "cases/list.html",
            context={
                "found": found,
                "total": total,
                "page": page,
                "pages": pages,
                "prev_url": page_url(page - 1) if page > 1 else None,
                "next_url": page_url(page + 1) if page < pages else None,
                "filters": {"q": q or "", "kind": kind or "", "theme": theme or "", "prefecture": prefecture or ""},
                "kinds": CASE_KINDS,
                "themes": await cases.themes_in_use(),
                "prefectures": PREFECTURES,
                "may_write": bool(user and user.is_organizer),
                "removed": removed == "1",
            },
        )

    @get("/cases.atom")
    async def atom(self) -> Response[str]:
        return await feed.atom_response()

    @get("/cases/{case_id:int}")
    async def case(self, request: Request, case_id: FromPath[Id]) -> Template:
        user = current_user(request)
        found = await cases.get_case(case_id, user)
        people = [p.id for p in found.people]
        names = {}
        if found.consents:
            asked = [int(k) for k in found.consents]
            profiles = await coordinators.profiles_of(asked, user)
            names = {p: profiles[p].name for p in asked if p in profiles}
        return Template(
            "cases/detail.html",
            context={
                "case": found,
                "profiles": set(await coordinators.profiles_of(people, user)),
                "names": names,
                "may_write": bool(user and user.is_organizer),
            },
        )

    @get("/organizer/cases/new", guards=[organizer_required])
    async def new_case(self, request: Request, challenge: FromQuery[Id | None] = None) -> Template:
        values = await challenges.case_draft(challenge, request.user) if challenge else _empty_case()
        return await _case_page(values, request.user, case_id=None, title=_("Write a case"))

    @post("/organizer/cases/new", guards=[organizer_required])
    async def create_case(self, request: Request) -> Template | Redirect:
        form = await request.form()
        values = _case_form(form)
        page = {"case_id": None, "title": _("Write a case")}
        if (find := _searching(form)) is not None:
            return await _case_page(values, request.user, find=find, **page)
        try:
            values["people"] = _ids(values["people"], "people")
            created = await cases.create_case(cases.checked(values), request.user)
        except DomainError as error:
            return await _case_page(values, request.user, error=error, **page)
        return Redirect(path=f"/cases/{created.id}", status_code=303)

    @get("/organizer/cases/{case_id:int}/edit", guards=[organizer_required])
    async def edit_case(self, request: Request, case_id: FromPath[Id]) -> Template:
        values = await cases.form_values(case_id)
        return await _case_page(values, request.user, case_id=case_id, title=values["title"])

    @post("/organizer/cases/{case_id:int}/edit", guards=[organizer_required])
    async def save_case(self, request: Request, case_id: FromPath[Id]) -> Template | Redirect:
        form = await request.form()
        values = _case_form(form)
        await cases.form_values(case_id)  # a case that is none is a 404, not a form
        page = {"case_id": case_id, "title": values["title"] or _("Case")}
        if (find := _searching(form)) is not None:
            return await _case_page(values, request.user, find=find, **page)
        try:
            values["people"] = _ids(values["people"], "people")
            data = cases.checked(values)
            patch = CasePatch(**{name: getattr(data, name) for name in values})
            await cases.update_case(case_id, patch, request.user)
        except DomainError as error:
            return await _case_page(values, request.user, error=error, **page)
        return Redirect(path=f"/cases/{case_id}", status_code=303)

    @post("/organizer/cases/{case_id:int}/delete", guards=[organizer_required])
    async def delete_case(self, case_id: FromPath[Id]) -> Redirect:
        await cases.delete_case(case_id)
        return Redirect(path="/cases?removed=1", status_code=303)


def _challenge_form(form) -> dict:
    return {
        "title": _text(form.get("title")).strip(),
        "organization": _text(form.get("organization")),
        "kind": _text(form.get("kind")),
        "prefecture": _text(form.get("prefecture")),
        "body": _text(form.get("body")),
        "closes_on": _text(form.get("closes_on"))[:10],
    }


def _challenge_input(values: dict) -> ChallengeIn:
    """The form's values as the API's input: a closing date is the end of that day in Tokyo."""
    closes_at = None
    if values["closes_on"]:
        try:
            closes_at = datetime.combine(datetime.fromisoformat(values["closes_on"]).date(), time(23, 59), TOKYO)
        except ValueError:
            raise BadInput(_("Choose a date."), field="closes_at") from None
    if not values["organization"].isdigit() or len(values["organization"]) > 9:
        raise BadInput(_("Choose the organisation."), field="organization")
    fields = {k: v for k, v in values.items() if k != "closes_on"}
    fields |= {"organization": int(values["organization"]), "closes_at": closes_at}
    return challenges.checked(fields)


class ChallengePages(Controller):
    include_in_schema = False

    @get("/challenges")
    async def board(
        self,
        request: Request,
        q: Text = None,
        kind: Text = None,
        prefecture: Text = None,
        status: Text = None,
        organization: FromQuery[Id | None] = None,
    ) -> Template:
        kind = kind if kind in CHALLENGE_KINDS else None
        status = status if status in CHALLENGE_STATUSES else None
        user = current_user(request)
        found = await challenges.list_challenges(
            q=q, kind=kind, prefecture=prefecture, status=status, organization=organization
        )
        return Template(
            "cases/challenges.html",
            context={
                "found": found,
                "filters": {"q": q or "", "kind": kind or "", "prefecture": prefecture or ""},
                "kinds": CHALLENGE_KINDS,
                "prefectures": PREFECTURES,
                "may_post": bool(user and await organizations.administered_by(user)),
            },
        )

    async def _form(self, user, values: dict, error: DomainError | None = None) -> Template:
        return Template(
            "cases/challenge_form.html",
            context={
                "form": values,
                "errors": {_field_of(error, "title"): error.detail} if error else {},
                "kinds": CHALLENGE_KINDS,
                "prefectures": PREFECTURES,
                "organizations": await organizations.administered_by(user),
            },
            status_code=error.status_code if error else 200,
        )

    @get("/challenges/new", guards=[login_required])
    async def new(self, request: Request) -> Template:
        values = {"title": "", "organization": "", "kind": "internship", "prefecture": "", "body": "", "closes_on": ""}
        return await self._form(request.user, values)

    @post("/challenges/new", guards=[login_required])
    async def create(self, request: Request) -> Template | Redirect:
        values = _challenge_form(await request.form())
        try:
            posted = await challenges.post_challenge(_challenge_input(values), request.user)
        except DomainError as error:
            return await self._form(request.user, values, error)
        return Redirect(path=f"/challenges/{posted.id}", status_code=303)

    async def _page(self, request: Request, challenge_id: int, *, notice=None, error=None) -> Template:
        user = current_user(request)
        found = await challenges.get_challenge(challenge_id)
        manages = await challenges.manages(challenge_id, user)
        return Template(
            "cases/challenge.html",
            context={
                "challenge": found,
                "user": user,
                "manages": manages,
                "already": bool(user and await challenges.has_said(challenge_id, user.id)),
                "notice": notice,
                "error": error.detail if error else None,
            },
            status_code=error.status_code if error else 200,
        )

    @get("/challenges/{challenge_id:int}")
    async def challenge(
        self, request: Request, challenge_id: FromPath[Id], done: FromQuery[str | None] = None
    ) -> Template:
        return await self._page(request, challenge_id, notice=done)

    @post("/challenges/{challenge_id:int}/interest", guards=[login_required])
    async def interest(self, request: Request, challenge_id: FromPath[Id]) -> Template | Redirect:
        form = await request.form()
        try:
            data = InterestIn(message=_text(form.get("message"))[:1000])
            await challenges.say_interested(challenge_id, request.user, data)
        except DomainError as error:
            if error.status_code == 404:
                raise
            return await self._page(request, challenge_id, error=error)
        return Redirect(path=f"/challenges/{challenge_id}?done=interested", status_code=303)

    async def _interests(self, request: Request, challenge_id: int, *, notice=None, error=None) -> Template:
        found = await challenges.interests(challenge_id, request.user)
        return Template(
            "cases/interests.html",
            context={
                "challenge": await challenges.get_challenge(challenge_id),
                "interests": found,
                "notice": notice,
                "error": error.detail if error else None,
            },
            status_code=error.status_code if error else 200,
        )

    @get("/challenges/{challenge_id:int}/interests", guards=[challenge_manager])
    async def interests(
        self, request: Request, challenge_id: FromPath[Id], done: FromQuery[str | None] = None
    ) -> Template:
        return await self._interests(request, challenge_id, notice=done)

    @post("/challenges/{challenge_id:int}/interests/{interest_id:int}/introduce", guards=[challenge_manager])
    async def introduce(
        self, request: Request, challenge_id: FromPath[Id], interest_id: FromPath[Id]
    ) -> Template | Redirect:
        try:
            await challenges.introduce(challenge_id, interest_id, request.user)
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            return await self._interests(request, challenge_id, error=error)
        return Redirect(path=f"/challenges/{challenge_id}/interests?done=introduced", status_code=303)

    @post("/challenges/{challenge_id:int}/status", guards=[challenge_manager])
    async def move(self, request: Request, challenge_id: FromPath[Id]) -> Template | Redirect:
        status = _text((await request.form()).get("status"))
        try:
            if status not in CHALLENGE_STATUSES:
                raise BadInput(_("status: one of open, matched, closed"), field="status")
            await challenges.move(challenge_id, status, request.user)
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            return await self._interests(request, challenge_id, error=error)
        return Redirect(path=f"/challenges/{challenge_id}/interests", status_code=303)
