"""Completion and alumni over the JSON API (`/api/v1/series/{slug}/…`, CONTRACT §5.3): marking
who completed, and recording past graduates from a CSV file. The rules are in completion.py and
alumni_import.py."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from meetup import settings
from meetup.accounts.auth import organizer_required
from meetup.events import completion, series
from meetup.events.alumni_import import MAX_BYTES, import_graduates
from meetup.events.schemas import AlumniImportResult, CompletionResult
from meetup.site.uploads import uploaded_file

IMPORT_BODY_LIMIT = MAX_BYTES + 64 * 1024


class AlumniApi(Controller):
    path = "/api/v1/series/{slug:str}"
    tags = ["series: organizers"]
    guards = [organizer_required]

    @post(
        "/completions",
        status_code=HTTP_200_OK,
        summary="Mark everyone who meets the completion rule (after the last session)",
        description="Everyone with a confirmed enrolment who attended at least `min_sessions` sessions (and the "
        "last one when `final_required`) becomes an alumnus of the series, for good. `completed` counts those "
        "newly marked: running it again gives 0. Before the last session has ended: 409.",
    )
    async def complete(self, slug: FromPath[str]) -> CompletionResult:
        return CompletionResult(completed=await completion.mark_completions(slug))

    @post(
        "/alumni.csv",
        status_code=HTTP_200_OK,
        request_max_body_size=IMPORT_BODY_LIMIT,
        summary="Record past graduates from CSV (name, email, year)",
        description="Multipart `file`: CSV with the columns name, email, year; UTF-8 (with or without BOM) or "
        "Shift_JIS. Each graduate gets an account if the address has none (and then a mail to claim it: "
        "`invited`), and an alumni record for that year (`created`); one already recorded is `skipped`. Any bad "
        "line (columns, e-mail, a repeated e-mail, a year out of range): 400 listing each line, nothing imported; "
        "over 10 MB: 413.",
    )
    async def import_alumni(self, request: Request, slug: FromPath[str]) -> AlumniImportResult:
        row = await series.series_row(slug)  # an unknown series is a 404 before the file is read
        content = await uploaded_file(await request.form(), MAX_BYTES)
        return await import_graduates(row, content, settings.current().base_url)
