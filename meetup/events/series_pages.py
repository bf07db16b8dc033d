"""Organizer pages for series under /organizer/series: every series with its forums, a new
series, and each one's title, description and enrolment (its slug, the address, stays as it was
made). A series with enrolment shows its cohort there: the cohort × sessions grid (attended,
absent, upcoming, and who is at risk of missing the completion rule), and applicants with their
answers, approved or turned away from it; the cohort downloads as CSV.

The form (series_form.py) takes the enrolment's places, mode (with seats held per Tohoku
prefecture for a lottery), completion rule, closing time and application questions; its
question buttons work without JavaScript as the forum form's do.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from meetup.accounts.auth import organizer_required
from meetup.errors import DomainError
from meetup.events import cohort_grid, enrolment, exports, forum_form, lottery, series, series_form
from meetup.events.errors import EventNotFound
from meetup.events.schemas import LotteryIn, SeriesIn, SeriesOut, SeriesPatch
from meetup.events.tables import Enrolment
from meetup.i18n import gettext as _

_FIELDS = ("title", "slug", "summary")


def _text(value: object) -> str:
    return str(value or "").replace("\x00", "")


async def _list_page(
    form: dict[str, Any] | None = None,
    questions: list[dict] | None = None,
    error: DomainError | None = None,
    status_code: int = 200,
    *,
    changed: bool = False,
    added: int | None = None,
) -> Template:
    return Template(
        "organizer/series_list.html",
        context={
            "all_series": await series.list_series(),
            "form": form or {**dict.fromkeys(_FIELDS, ""), **series_form.blank()},
            "questions": questions or [],
            "max_questions": forum_form.MAX_QUESTIONS,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
            "changed": changed,
            "added": added,
        },
        status_code=status_code,
    )


async def _edit_page(
    found: SeriesOut,
    form: dict[str, Any],
    questions: list[dict],
    error: DomainError | None = None,
    status_code: int = 200,
    *,
    changed: bool = False,
    added: int | None = None,
) -> Template:
    row = await series.series_row(found.slug)
    rule = series.enrolment_out(row)
    return Template(
        "organizer/series_form.html",
        context={
            "series": found,
            "enrolment": rule,
            "cohort": await enrolment.cohort(row) if rule else [],
            "grid": await cohort_grid.grid(row) if rule else None,
            "sessions": await series.session_count(row["id"]),
            "form": form,
            "questions": questions,
            "max_questions": forum_form.MAX_QUESTIONS,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
            "changed": changed,
            "added": added,
        },
        status_code=status_code,
    )


async def _series(slug: str) -> SeriesOut:
    found = await series.get_series(slug) if len(slug) <= 80 else None
    if found is None:
        raise EventNotFound(_("No such series."))
    return found


async def _taken(slug: str) -> set[str]:
    """Question ids the series used or its applicants answered: a new question takes none."""
    row = await series.series_row(slug)
    rows = await Enrolment.select(Enrolment.answers_json).where(Enrolment.series == row["id"])
    answered = {key for r in rows for key in msgspec.json.decode(r["answers_json"] or "{}")}
    return answered | {q.id for q in series.questions_of(row)}


async def _read(request: Request, fields: tuple[str, ...]) -> tuple[dict[str, Any], list[dict], str]:
    form = await request.form()
    raw: dict[str, Any] = {name: _text(form.get(name)) for name in fields}
    raw = {name: value if name == "summary" else value.strip() for name, value in raw.items()}
    raw.update(series_form.read(form))
    return raw, forum_form.read_questions(form), _text(form.get("op"))


def _values(raw: dict[str, Any], questions: list[dict], fields: tuple[str, ...], taken: set[str]) -> dict:
    values: dict[str, Any] = {k: raw[k] for k in fields if raw[k] or k != "slug"}
    if raw["shown"]:  # a form without the enrolment part leaves the enrolment as it is
        values["enrolment"] = series_form.rule_values(raw, forum_form.question_values(questions, taken))
    return values


class SeriesOrganizerPages(Controller):
    path = "/organizer/series"
    guards = [organizer_required]
    include_in_schema = False

    @get("/")
    async def index(self) -> Template:
        return await _list_page()

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        raw, questions, op = await _read(request, _FIELDS)
        if op and op != "save":
            try:
                shown = forum_form.apply_op(questions, op)
            except DomainError as exc:
                return await _list_page(raw, questions, exc, exc.status_code)
            return await _list_page(raw, questions, changed=True, added=shown if op == "add" else None)
        try:
            data = series_form.convert(_values(raw, questions, _FIELDS, set()), SeriesIn)
            slug = await series.create_series(data)
        except DomainError as exc:
            return await _list_page(raw, questions, exc, exc.status_code)
        return Redirect(path=f"/organizer/series/{slug}", status_code=303)

    @get("/{slug:str}")
    async def edit_form(self, slug: FromPath[str]) -> Template:
        found = await _series(slug)
        row = await series.series_row(slug)
        form = {"title": found.title, "summary": found.summary, **series_form.blank(series.enrolment_out(row))}
        return await _edit_page(found, form, forum_form.question_rows(series.questions_of(row)))

    @post("/{slug:str}")
    async def save(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        found = await _series(slug)
        raw, questions, op = await _read(request, ("title", "summary"))
        if op and op != "save":
            try:
                shown = forum_form.apply_op(questions, op)
            except DomainError as exc:
                return await _edit_page(found, raw, questions, exc, exc.status_code)
            return await _edit_page(found, raw, questions, changed=True, added=shown if op == "add" else None)
        try:
            values = _values(raw, questions, ("title", "summary"), await _taken(slug))
            await series.update_series(slug, series_form.convert(values, SeriesPatch))
        except DomainError as exc:
            return await _edit_page(found, raw, questions, exc, exc.status_code)
        return Redirect(path=f"/organizer/series/{slug}?saved=1", status_code=303)

    @get("/{slug:str}/enrolments.csv")
    async def cohort_csv(self, slug: FromPath[str]) -> Response[bytes]:
        row = await enrolment.open_series(slug)
        return Response(
            exports.enrolments_csv(
                await enrolment.cohort(row), series.questions_of(row), await series.session_count(row["id"])
            ),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="enrolments-{slug}.csv"'},
        )

    @post("/{slug:str}/lottery")
    async def draw(self, slug: FromPath[str]) -> Template | Redirect:
        row = await enrolment.open_series(slug)
        try:
            await lottery.draw_series(row, LotteryIn())
        except DomainError as exc:
            found = await _series(slug)
            form = {"title": found.title, "summary": found.summary, **series_form.blank(series.enrolment_out(row))}
            questions = forum_form.question_rows(series.questions_of(row))
            return await _edit_page(found, form, questions, exc, exc.status_code)
        return Redirect(path=f"/organizer/series/{slug}#enrolments", status_code=303)

    @post("/{slug:str}/enrolments/{enrolment_id:int}/approve")
    async def approve(self, slug: FromPath[str], enrolment_id: FromPath[int]) -> Redirect:
        await enrolment.approve(await enrolment.open_series(slug), enrolment_id)
        return Redirect(path=f"/organizer/series/{slug}#enrolments", status_code=303)

    @post("/{slug:str}/enrolments/{enrolment_id:int}/reject")
    async def reject(self, slug: FromPath[str], enrolment_id: FromPath[int]) -> Redirect:
        await enrolment.reject(await enrolment.open_series(slug), enrolment_id)
        return Redirect(path=f"/organizer/series/{slug}#enrolments", status_code=303)
