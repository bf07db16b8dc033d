"""Series and enrolment over the JSON API (`/api/v1/series…`, CONTRACT §5.3)."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from meetup.accounts.auth import current_user, login_required, organizer_required
from meetup.errors import NotFound
from meetup.events import enrolment, exports, lottery, series, service
from meetup.events.calendar_routes import series_feed
from meetup.events.schemas import (
    Created,
    EnrolmentIn,
    EnrolmentRow,
    LotteryIn,
    LotteryResult,
    MyEnrolment,
    SeriesDetail,
    SeriesIn,
    SeriesPatch,
)
from meetup.i18n import gettext as _


async def series_detail(slug: str, *, organizer: bool) -> SeriesDetail:
    """The series with its sessions in date order: drafts only for organizers."""
    row = await series.series_row(slug)
    statuses = ("draft", "published", "cancelled") if organizer else ("published", "cancelled")
    out = SeriesDetail(
        slug=row["slug"],
        title=row["title"],
        summary=row["summary"],
        sessions=await service.list_events(series_slug=slug, statuses=statuses),
    )
    if (rule := series.enrolment_out(row)) is not None:
        out.enrolment = rule
    return out


class SeriesApi(Controller):
    path = "/api/v1/series"
    tags = ["series"]

    @post("/", guards=[organizer_required], status_code=HTTP_201_CREATED, summary="Create a series")
    async def create(self, data: JSONBody[SeriesIn]) -> Created:
        return Created(slug=await series.create_series(data))

    @get(
        "/{slug:str}",
        summary="A series with its sessions (and its enrolment, if it takes one); with .ics, its calendar",
        description="`/series/{slug}.ics` answers `text/calendar`: the series' published sessions to subscribe "
        "to (304 on a matching `If-None-Match`).",
    )
    async def detail(self, request: Request, slug: FromPath[str]) -> Response[SeriesDetail]:
        if slug.endswith(".ics"):
            return await series_feed(request, slug.removesuffix(".ics"))
        user = current_user(request)
        return Response(await series_detail(slug, organizer=bool(user and user.is_organizer)))

    @patch(
        "/{slug:str}",
        guards=[organizer_required],
        summary="Change a series' title, description or enrolment",
        description="`enrolment` is the whole rule (fields left out take their defaults); `enrolment: null` "
        "switches enrolment off while nobody has enrolled. A completion rule above the number of sessions is a "
        "400 naming `enrolment.min_sessions`; a capacity below those enrolled a 409. A raised capacity gives "
        "the new places to the waitlist in order.",
    )
    async def update(self, slug: FromPath[str], data: JSONBody[SeriesPatch]) -> SeriesDetail:
        await series.update_series(slug, data)
        return await series_detail(slug, organizer=True)

    @post(
        "/{slug:str}/enrolment",
        guards=[login_required],
        status_code=HTTP_201_CREATED,
        summary="Enrol (201), or get the enrolment made before (200)",
        description="One application for every session: confirmed (a seat at each session), waitlisted or "
        "pending (approval), as registration.",
    )
    async def enrol(
        self, request: Request, slug: FromPath[str], data: JSONBody[EnrolmentIn | None] = None
    ) -> Response[MyEnrolment]:
        row = await enrolment.open_series(slug)
        mine, created = await enrolment.enrol(row, request.user.id, data)
        return Response(await enrolment.to_out(mine, slug), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/{slug:str}/enrolment", guards=[login_required], summary="My enrolment")
    async def my_enrolment(self, request: Request, slug: FromPath[str]) -> MyEnrolment:
        row = await enrolment.open_series(slug)
        mine = await enrolment.mine(row["id"], request.user.id)
        if mine is None:
            raise NotFound(_("You are not enrolled in this series."))
        return await enrolment.to_out(mine, slug)

    @delete(
        "/{slug:str}/enrolment",
        guards=[login_required],
        status_code=HTTP_204_NO_CONTENT,
        summary="Cancel my enrolment (the seat at every future session goes to the next in line)",
    )
    async def cancel(self, request: Request, slug: FromPath[str]) -> None:
        await enrolment.cancel(await enrolment.open_series(slug), request.user.id)


class OrganizerSeriesApi(Controller):
    path = "/api/v1/series/{slug:str}"
    tags = ["series: organizers"]
    guards = [organizer_required]

    @get("/enrolments", summary="The cohort: each enrolment with the sessions attended")
    async def cohort(self, slug: FromPath[str]) -> list[EnrolmentRow]:
        return await enrolment.cohort(await enrolment.open_series(slug))

    @get(
        "/enrolments.csv",
        summary="The cohort as CSV (UTF-8 with BOM, for Excel), with the answers to the application questions",
    )
    async def cohort_csv(self, slug: FromPath[str]) -> Response[bytes]:
        row = await enrolment.open_series(slug)
        return Response(
            exports.enrolments_csv(
                await enrolment.cohort(row), series.questions_of(row), await series.session_count(row["id"])
            ),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="enrolments-{slug}.csv"'},
        )

    @post("/enrolments/{enrolment_id:int}/approve", status_code=HTTP_200_OK, summary="Approve an applicant")
    async def approve(self, slug: FromPath[str], enrolment_id: FromPath[int]) -> MyEnrolment:
        row = await enrolment.open_series(slug)
        return await enrolment.to_out(await enrolment.approve(row, enrolment_id), slug)

    @post("/enrolments/{enrolment_id:int}/reject", status_code=HTTP_200_OK, summary="Reject an applicant")
    async def reject(self, slug: FromPath[str], enrolment_id: FromPath[int]) -> MyEnrolment:
        row = await enrolment.open_series(slug)
        return await enrolment.to_out(await enrolment.reject(row, enrolment_id), slug)

    @post(
        "/lottery",
        status_code=HTTP_200_OK,
        summary="Draw the series' pending applicants at random",
        description="As a forum's draw (`{seats?, held?}`, seats held per Tohoku prefecture); winners are "
        "enrolled, with a seat at every session, the rest wait in random order.",
    )
    async def draw(self, slug: FromPath[str], data: JSONBody[LotteryIn]) -> LotteryResult:
        return await lottery.draw_series(await enrolment.open_series(slug), data)

    @post("/lottery/preview", status_code=HTTP_200_OK, summary="What a draw of the series would do")
    async def preview(self, slug: FromPath[str], data: JSONBody[LotteryIn]) -> LotteryResult:
        return await lottery.preview_series(await enrolment.open_series(slug), data)
