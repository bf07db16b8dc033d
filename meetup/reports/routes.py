"""The report, materials and recordings over the JSON API (CONTRACT §5.5), and the one address
every stored file is served from (`/materials/<token>`): thin callers of service.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from meetup.accounts.auth import current_user
from meetup.errors import NotFound
from meetup.events.audit import acts
from meetup.events.dependencies import Forum, staff_required
from meetup.i18n import gettext as _
from meetup.reports import quotes, receive, service
from meetup.reports.files import MAX_BYTES
from meetup.reports.quotes import ChatLine, QuotesIn
from meetup.reports.schemas import MaterialCreated, MaterialOut, QuoteOut, RecordingIn, ReportIn, ReportOut
from meetup.settings import Settings
from meetup.site import storage

# The file may be 20 MB; the form around it a little more. Past this Litestar answers 413 itself.
UPLOAD_BODY_LIMIT = MAX_BYTES + 2 * 1024 * 1024
# The upload reads its own CSRF token (receive.py): the middleware would read the whole form first.
UPLOAD_OPT = {"exclude_from_csrf": True}
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


def work_dir(settings: NamedDependency[Settings]) -> Path:
    """Where uploads wait while they are checked (on the same disk as var/)."""
    return Path(settings.var_dir) / "incoming"


async def upload_material(
    request: Request, forum: dict, settings: NamedDependency[Settings]
) -> service.MaterialCreated:
    """Receive the multipart body as a stream, check and store its file: the API and the page."""
    received = await receive.receive(request, work_dir(settings))
    try:
        return await service.add_material(forum, current_user(request), received, storage.current())
    finally:
        receive.discard(received)


class ReportsApi(Controller):
    path = "/api/v1/events/{slug:str}"
    tags = ["reports"]

    @put(
        "/report",
        guards=[staff_required],
        opt=acts("report.save"),
        status_code=HTTP_200_OK,
        summary="Write the forum's report (開催レポート), Markdown; `published` shows it to everyone",
    )
    async def save(self, request: Request, forum: Forum, data: JSONBody[ReportIn]) -> ReportOut:
        return await service.save_report(forum, current_user(request), data)

    @get("/report", summary="The forum's report: published, or for its organizers (else 404)")
    async def read(self, request: Request, forum: Forum) -> ReportOut:
        return await service.report_for(forum, current_user(request))

    @post(
        "/materials",
        guards=[staff_required],
        opt=acts("material.add") | UPLOAD_OPT,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        status_code=HTTP_201_CREATED,
        summary="Attach a file: multipart `file` (PDF, PNG or JPEG, at most 20 MB), `title`, `visibility`",
        description=(
            "The file is judged by its content, never its name: a PDF starts with `%PDF-`; PNG and JPEG "
            "are decoded and written again without EXIF; a file that is also ZIP or HTML is refused (400 "
            "naming `file`), as a picture over 40 million pixels; over 20 MB: 413 naming `file`. "
            "`visibility`: `public` (default) or `registrants` (the forum's confirmed registrants only)."
        ),
    )
    async def add_material(
        self, request: Request, forum: Forum, settings: NamedDependency[Settings]
    ) -> MaterialCreated:
        return await upload_material(request, forum, settings)

    @get("/materials", summary="The forum's materials and recordings that you may see")
    async def materials(self, request: Request, forum: Forum) -> list[MaterialOut]:
        return await service.materials_for(forum, current_user(request))

    @delete(
        "/materials/{material_id:int}",
        guards=[staff_required],
        opt=acts("material.delete"),
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a material or recording (and its file)",
    )
    async def remove(self, forum: Forum, material_id: FromPath[Id]) -> None:
        await service.delete_material(forum, material_id, storage.current())

    @post(
        "/recordings",
        guards=[staff_required],
        opt=acts("recording.add"),
        status_code=HTTP_201_CREATED,
        summary="Attach a recording link `{url, title, visibility}`",
    )
    async def add_recording(self, request: Request, forum: Forum, data: JSONBody[RecordingIn]) -> MaterialCreated:
        return await service.add_recording(forum, current_user(request), data)

    @get(
        "/report/chat",
        guards=[staff_required],
        opt=acts(None),
        summary="The lines of the forum's rooms that may be quoted in its report (newest first)",
    )
    async def chat(self, forum: Forum) -> list[ChatLine]:
        return await quotes.chat_lines(forum)

    @post(
        "/report/quotes",
        guards=[staff_required],
        opt=acts("report.quote"),
        status_code=HTTP_201_CREATED,
        summary="Quote chat lines `{message_ids}` in the report; each author is asked by mail",
        description=(
            "Lines of this forum's rooms only (else 400 naming `message_ids`). Until an author agrees, "
            "their lines show without a name. Answers every quote of the report."
        ),
    )
    async def quote(self, forum: Forum, data: JSONBody[QuotesIn]) -> list[QuoteOut]:
        return await quotes.quote(forum, data)

    @delete(
        "/report/quotes/{quote_id:int}",
        guards=[staff_required],
        opt=acts("report.unquote"),
        status_code=HTTP_204_NO_CONTENT,
        summary="Take a quote off the report",
    )
    async def unquote(self, forum: Forum, quote_id: FromPath[Id]) -> None:
        await quotes.unquote(forum, quote_id)


def content_disposition(row: dict) -> str:
    """`inline` with the display name (ASCII fallback and RFC 5987 UTF-8 form)."""
    ascii_name = row["display_name"].encode("ascii", "ignore").decode() or "material"
    ascii_name = "".join(ch for ch in ascii_name if ch.isalnum() or ch in "._- ") or "material"
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row['display_name'], safe='')}"


class MaterialFiles(Controller):
    include_in_schema = False

    @get("/materials/{token:str}")
    async def serve(self, request: Request, token: FromPath[str]) -> Stream | Response:
        row = await service.material_to_serve(token, current_user(request))
        chunks = await storage.current().chunks(service.storage_key(row["token"])) if row else None
        if row is None or chunks is None:
            raise NotFound(_("No such file."))
        return Stream(
            chunks,
            media_type=row["content_type"],
            headers={
                "content-disposition": content_disposition(row),
                "content-length": str(row["size"]),
                "cache-control": "public, max-age=3600" if row["visibility"] == "public" else "private, no-store",
                "content-security-policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
            },
        )
