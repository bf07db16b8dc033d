"""Organizer pages for series under /organizer/series: every series with its forums, a new
series, and each one's title and description (its slug, the address, stays as it was made); a
series with enrolment lists its cohort there, with the sessions each attended, and applicants
are approved or turned away from it.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from meetup.accounts.auth import organizer_required
from meetup.errors import BadInput, DomainError
from meetup.events import enrolment, series
from meetup.events.errors import EventNotFound
from meetup.events.schemas import SeriesIn, SeriesOut, SeriesPatch
from meetup.i18n import gettext as _
from meetup.site.forms import error_field

_FIELDS = ("title", "slug", "summary")
T = TypeVar("T")


def _hint(field: str) -> str:
    return {
        "title": _("Enter a title (up to 200 characters)."),
        "slug": _(
            "The address uses lower-case letters, digits and hyphens (up to 80), starting with a letter or digit."
        ),
        "summary": _("Keep the description to 20,000 characters."),
    }.get(field, _("Please check this field."))


async def _read(
    request: Request, fields: tuple[str, ...], schema: type[T]
) -> tuple[T | None, dict[str, str], BadInput | None]:
    """(the form as `schema` or None, what was typed to show again, the problem)."""
    form = await request.form()
    raw = {name: str(form.get(name) or "").replace("\x00", "") for name in fields}
    raw = {name: value if name == "summary" else value.strip() for name, value in raw.items()}
    try:
        value = msgspec.convert({k: v for k, v in raw.items() if v or k != "slug"}, schema, strict=False)
    except msgspec.ValidationError as exc:
        field = error_field(exc) or "title"
        return None, raw, BadInput(_hint(field), field=field)
    return value, raw, None


async def _list_page(
    form: dict[str, str] | None = None, error: DomainError | None = None, status_code: int = 200
) -> Template:
    return Template(
        "organizer/series_list.html",
        context={
            "all_series": await series.list_series(),
            "form": form or dict.fromkeys(_FIELDS, ""),
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
        },
        status_code=status_code,
    )


async def _edit_page(
    found: SeriesOut, form: dict[str, str], error: DomainError | None = None, status_code: int = 200
) -> Template:
    row = await series.series_row(found.slug)
    rule = series.enrolment_out(row)
    return Template(
        "organizer/series_form.html",
        context={
            "series": found,
            "enrolment": rule,
            "cohort": await enrolment.cohort(row) if rule else [],
            "sessions": await series.session_count(row["id"]),
            "form": form,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
        },
        status_code=status_code,
    )


async def _series(slug: str) -> SeriesOut:
    found = await series.get_series(slug) if len(slug) <= 80 else None
    if found is None:
        raise EventNotFound(_("No such series."))
    return found


class SeriesOrganizerPages(Controller):
    path = "/organizer/series"
    guards = [organizer_required]
    include_in_schema = False

    @get("/")
    async def index(self) -> Template:
        return await _list_page()

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data, raw, problem = await _read(request, _FIELDS, SeriesIn)
        try:
            if problem or data is None:
                raise problem or BadInput(_("Please check this field."))
            slug = await series.create_series(data)
        except DomainError as exc:
            return await _list_page(raw, exc, exc.status_code)
        return Redirect(path=f"/organizer/series/{slug}", status_code=303)

    @get("/{slug:str}")
    async def edit_form(self, slug: FromPath[str]) -> Template:
        found = await _series(slug)
        return await _edit_page(found, {"title": found.title, "summary": found.summary})

    @post("/{slug:str}")
    async def save(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        found = await _series(slug)
        patch, raw, problem = await _read(request, ("title", "summary"), SeriesPatch)
        try:
            if problem or patch is None:
                raise problem or BadInput(_("Please check this field."))
            await series.update_series(slug, patch)
        except DomainError as exc:
            return await _edit_page(found, raw, exc, exc.status_code)
        return Redirect(path="/organizer/series", status_code=303)

    @post("/{slug:str}/enrolments/{enrolment_id:int}/approve")
    async def approve(self, slug: FromPath[str], enrolment_id: FromPath[int]) -> Redirect:
        await enrolment.approve(await enrolment.open_series(slug), enrolment_id)
        return Redirect(path=f"/organizer/series/{slug}#enrolments", status_code=303)

    @post("/{slug:str}/enrolments/{enrolment_id:int}/reject")
    async def reject(self, slug: FromPath[str], enrolment_id: FromPath[int]) -> Redirect:
        await enrolment.reject(await enrolment.open_series(slug), enrolment_id)
        return Redirect(path=f"/organizer/series/{slug}#enrolments", status_code=303)
