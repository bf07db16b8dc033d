"""Report pages: the report of a forum (`/events/{slug}/report`), every published report
(`/reports`, newest first), and for those who run the forum the page that writes it
(`/organizer/events/{slug}/report`: preview, publish or take back, files and recordings).
Thin callers of the same service functions as the JSON API; every form works without JavaScript.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from meetup.accounts.auth import current_user
from meetup.accounts.schemas import UserOut
from meetup.errors import DomainError, NotFound
from meetup.events import cohosts
from meetup.events import series as programmes
from meetup.events.audit import acts, did
from meetup.events.dependencies import Forum, staff_required
from meetup.forum_links import ForumLink
from meetup.i18n import gettext as _
from meetup.reports import quotes, service
from meetup.reports.routes import UPLOAD_BODY_LIMIT, UPLOAD_OPT, Id, upload_material
from meetup.reports.schemas import BODY_LIMIT, RecordingIn, ReportIn
from meetup.settings import Settings
from meetup.site import storage

DONE = ("saved", "published", "unpublished", "uploaded", "removed", "recorded", "quoted", "unquoted")
PER_PAGE = 30


async def links_for(event: dict, user: object, place: str) -> list[ForumLink]:
    """The forum page links to its report once published; those who run it to the writing page."""
    shown = []
    if place != "forum":
        return shown
    if await service.has_published_report(event["id"]):
        shown.append(ForumLink(_("Read the forum report"), f"/events/{event['slug']}/report"))
    if isinstance(user, UserOut) and (user.is_organizer or await cohosts.is_cohost(user.id, event["id"])):
        shown.append(ForumLink(_("Write the forum report (organizers)"), f"/organizer/events/{event['slug']}/report"))
    return shown


async def series_links(series_row: dict) -> list[ForumLink]:
    """A series page links to the reports of its sessions, when there are any."""
    if await service.published_reports(series_id=series_row["id"], limit=1):
        return [ForumLink(_("Forum reports of this series"), f"/reports?series={series_row['slug']}")]
    return []


async def _editor(
    request: Request,
    forum: dict,
    *,
    body: str | None = None,
    preview: bool = False,
    error: DomainError | None = None,
    done: str | None = None,
) -> Template:
    report = await service.report_for(forum, current_user(request))
    return Template(
        "reports/edit.html",
        context={
            "event": forum,
            "report": report,
            "body": report.body if body is None else body,
            "preview": preview,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
            "done": done if done in DONE else None,
            "max_mb": 20,
            "chat": await quotes.chat_lines(forum),
        },
        status_code=error.status_code if error else 200,
    )


def _back(slug: str, done: str, anchor: str = "") -> Redirect:
    return Redirect(path=f"/organizer/events/{slug}/report?done={done}{anchor}", status_code=303)


class ReportPages(Controller):
    include_in_schema = False

    @get("/events/{slug:str}/report")
    async def read(self, request: Request, forum: Forum) -> Template:
        report = await service.report_for(forum, current_user(request))
        return Template("reports/report.html", context={"event": forum, "report": report})

    @get("/reports")
    async def index(self, series: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Template:
        page = min(max(page, 1), 1000)
        found = None
        if series:
            found = await programmes.get_series(series) if len(series) <= 80 else None
            if found is None:
                raise NotFound(_("No such series."))
        series_id = (await programmes.series_row(series))["id"] if found else None
        cards = await service.published_reports(series_id=series_id, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
        return Template(
            "reports/list.html",
            context={
                "reports": cards[:PER_PAGE],
                "series": found,
                "page": page,
                "more": len(cards) > PER_PAGE,
            },
        )

    # -- those who run the forum ----------------------------------------------------------------

    @get("/organizer/events/{slug:str}/report", guards=[staff_required], opt=acts(None))
    async def edit(self, request: Request, forum: Forum, done: FromQuery[str | None] = None) -> Template:
        return await _editor(request, forum, done=done)

    @post("/organizer/events/{slug:str}/report", guards=[staff_required], opt=acts("report.save"))
    async def save(self, request: Request, forum: Forum) -> Template | Redirect:
        """`op`: preview (nothing saved), save (as it stands), publish, unpublish."""
        form = await request.form()
        body = str(form.get("body") or "")
        op = str(form.get("op") or "save")
        if op == "preview":
            did(request, None)
            return await _editor(request, forum, body=body, preview=True)
        current = await service.report_row(forum["id"])
        published = {"publish": True, "unpublish": False}.get(op, bool(current and current["published"]))
        try:
            await service.save_report(forum, current_user(request), ReportIn(body=_limited(body), published=published))
        except DomainError as exc:
            return await _editor(request, forum, body=body, error=exc)
        done = {"publish": "published", "unpublish": "unpublished"}.get(op, "saved")
        return _back(forum["slug"], done)

    @post(
        "/organizer/events/{slug:str}/report/materials",
        guards=[staff_required],
        opt=acts("material.add") | UPLOAD_OPT,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload(self, request: Request, forum: Forum, settings: NamedDependency[Settings]) -> Template | Redirect:
        try:
            await upload_material(request, forum, settings)
        except DomainError as exc:
            return await _editor(request, forum, error=exc)
        return _back(forum["slug"], "uploaded", "#materials")

    @post("/organizer/events/{slug:str}/report/recordings", guards=[staff_required], opt=acts("recording.add"))
    async def record(self, request: Request, forum: Forum) -> Template | Redirect:
        form = await request.form()
        try:
            data = _recording(form)
            await service.add_recording(forum, current_user(request), data)
        except DomainError as exc:
            return await _editor(request, forum, error=exc)
        return _back(forum["slug"], "recorded", "#materials")

    @post(
        "/organizer/events/{slug:str}/report/materials/{material_id:int}/delete",
        guards=[staff_required],
        opt=acts("material.delete"),
    )
    async def remove(self, request: Request, forum: Forum, material_id: FromPath[Id]) -> Template | Redirect:
        try:
            await service.delete_material(forum, material_id, storage.current())
        except DomainError as exc:
            return await _editor(request, forum, error=exc)
        return _back(forum["slug"], "removed", "#materials")

    @post("/organizer/events/{slug:str}/report/quotes", guards=[staff_required], opt=acts("report.quote"))
    async def quote(self, request: Request, forum: Forum) -> Template | Redirect:
        form = await request.form()
        picked = [value for value in form.getall("message", []) if value]
        try:
            ids = [int(value) for value in picked if value.isdigit() and len(value) < 11]
            if len(ids) != len(picked):
                raise BadBody(_("Only lines of this forum's rooms can be quoted."), field="message_ids")
            await quotes.quote(forum, quotes.QuotesIn(message_ids=ids))
        except DomainError as exc:
            return await _editor(request, forum, error=exc)
        return _back(forum["slug"], "quoted", "#quotes")

    @post(
        "/organizer/events/{slug:str}/report/quotes/{quote_id:int}/delete",
        guards=[staff_required],
        opt=acts("report.unquote"),
    )
    async def unquote(self, request: Request, forum: Forum, quote_id: FromPath[Id]) -> Template | Redirect:
        try:
            await quotes.unquote(forum, quote_id)
        except DomainError as exc:
            return await _editor(request, forum, error=exc)
        return _back(forum["slug"], "unquoted", "#quotes")


def _limited(body: str) -> str:
    if len(body) > BODY_LIMIT:
        raise BadBody(_("The report is too long (at most %(n)s characters).") % {"n": BODY_LIMIT}, field="body")
    return body


class BadBody(DomainError):
    status_code = 400


def _recording(form) -> RecordingIn:
    raw = {name: str(form.get(name) or "").strip() for name in ("url", "title", "visibility")}
    try:
        return msgspec.convert({k: v for k, v in raw.items() if v}, RecordingIn)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = next((name for name in ("url", "title", "visibility") if name in message), "url")
        raise BadBody(_("Check the recording's address and title."), field=field) from None
