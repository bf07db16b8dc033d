"""Pages for completion and alumni (CONTRACT §5.3): the organizer's completion page and button,
the graduates' import, and each alumnus' certificate of completion (修了証).

Thin callers of completion.py, alumni.py and alumni_import.py, the functions the JSON API calls.
A certificate is shown to its person and to organizers only; anyone else gets the 404 a missing
one gets, so nobody learns who completed what from it.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from meetup import settings
from meetup.accounts.auth import current_user, login_required, organizer_required
from meetup.errors import DomainError
from meetup.events import alumni, completion, enrolment, series
from meetup.events.alumni_import import MAX_BYTES, BadLines, import_graduates
from meetup.events.errors import EventNotFound
from meetup.i18n import gettext as _
from meetup.site.uploads import uploaded_file

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


async def _completion_page(
    row: dict, completed: int | None = None, error: DomainError | None = None, status_code: int = 200
) -> Template:
    sessions = await completion.sessions_of(row["id"])
    rule = series.enrolment_out(row)
    return Template(
        "organizer/series_completion.html",
        context={
            "series": row,
            "enrolment": rule,
            "sessions": sessions,
            "cohort": await enrolment.cohort(row) if rule else [],
            "alumni": await alumni.completed_people(row["id"]),
            "dates": await completion.programme_dates(row["id"]),
            "completed": completed,
            "error": error.detail if error else None,
        },
        status_code=status_code,
    )


def _import_page(row: dict, result=None, error: DomainError | None = None, status_code: int = 200) -> Template:
    return Template(
        "organizer/alumni_import.html",
        context={
            "series": row,
            "result": result,
            "error": error.detail if error and not isinstance(error, BadLines) else None,
            "bad_lines": error.lines if isinstance(error, BadLines) else [],
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


class AlumniPages(Controller):
    include_in_schema = False

    @get("/organizer/series/{slug:str}/completion", guards=[organizer_required])
    async def completion_page(
        self, slug: FromPath[str], completed: FromQuery[Annotated[int | None, Parameter(ge=0, le=10**6)]] = None
    ) -> Template:
        return await _completion_page(await series.series_row(slug), completed)

    @post("/organizer/series/{slug:str}/completions", guards=[organizer_required])
    async def mark(self, slug: FromPath[str]) -> Template | Redirect:
        row = await series.series_row(slug)
        try:
            count = await completion.mark_completions(slug)
        except DomainError as exc:
            return await _completion_page(row, error=exc, status_code=exc.status_code)
        return Redirect(path=f"/organizer/series/{slug}/completion?completed={count}", status_code=303)

    @get("/organizer/series/{slug:str}/alumni-import", guards=[organizer_required])
    async def import_page(self, slug: FromPath[str]) -> Template:
        return _import_page(await series.series_row(slug))

    @post(
        "/organizer/series/{slug:str}/alumni-import",
        guards=[organizer_required],
        request_max_body_size=MAX_BYTES + 64 * 1024,
    )
    async def import_file(self, request: Request, slug: FromPath[str]) -> Template:
        row = await series.series_row(slug)
        try:
            content = await uploaded_file(await request.form(), MAX_BYTES)
            result = await import_graduates(row, content, settings.current().base_url)
        except DomainError as exc:
            return _import_page(row, error=exc, status_code=exc.status_code)
        return _import_page(row, result)

    @get("/series/{slug:str}/certificates/{user_id:int}", guards=[login_required])
    async def certificate(self, request: Request, slug: FromPath[str], user_id: FromPath[Id]) -> Template:
        viewer = current_user(request)
        row = await series.series_row(slug)
        record = await alumni.record_of(row["id"], user_id)
        if record is None or not (viewer.is_organizer or viewer.id == user_id):
            raise EventNotFound(_("No such certificate."))
        return Template(
            "events/certificate.html",
            context={
                "series": row,
                "record": record,
                "dates": await completion.programme_dates(row["id"]),
                "issuer": settings.current().certificate_issuer,
                "number": f"{row['slug'].upper()}-{record['id']:05d}",
            },
        )
