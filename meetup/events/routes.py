"""Forums and registration over the JSON API (`/api/v1/events…`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from meetup import settings
from meetup.accounts.auth import current_user, login_required, organizer_required
from meetup.events import audit, cohosts, exports, lottery, registration, service
from meetup.events.audit import acts
from meetup.events.calendar import event_ics
from meetup.events.dependencies import FORUM_OR_CALENDAR, Forum, is_calendar, manages, staff_required
from meetup.events.errors import NotRegistered
from meetup.events.schemas import (
    CheckInIn,
    CohostIn,
    CohostInvited,
    Created,
    EventIn,
    EventOut,
    EventPatch,
    EventSummary,
    LotteryIn,
    LotteryResult,
    RegistrationIn,
    RegistrationOut,
    RegistrationRow,
)
from meetup.i18n import gettext as _


def calendar_response(row: dict) -> Response[bytes]:
    return Response(
        event_ics(row, settings.current().base_url),
        media_type="text/calendar",  # Litestar adds "; charset=utf-8"
        headers={"content-disposition": f'attachment; filename="{row["slug"]}.ics"'},
    )


class EventsApi(Controller):
    path = "/api/v1/events"
    tags = ["forums"]

    @get("/", summary="Published forums, soonest first")
    async def list_events(
        self,
        q: FromQuery[str | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from", description="starts at or after")] = None,
        to: Annotated[datetime | None, QueryParameter(description="starts at or before")] = None,
        prefecture: Annotated[str | None, QueryParameter(description="held in this prefecture (宮城県)")] = None,
        theme: Annotated[str | None, QueryParameter(description="tagged with this theme")] = None,
        organization: Annotated[int | None, QueryParameter(description="hosted by this organisation (id)")] = None,
    ) -> list[EventSummary]:
        return await service.list_events(
            q=q[:200] if q else None,
            starts_from=from_,
            starts_to=to,
            prefecture=prefecture[:10] if prefecture else None,
            theme=theme[:60] if theme else None,
            organization=organization if organization is None or 0 < organization < 2**31 else -1,
        )

    @get(
        "/{slug:str}",
        summary="One forum (or its calendar file, with the .ics suffix)",
        description="`/events/{slug}.ics` answers `text/calendar`. `online_url` is present only "
        "for the forum's confirmed registrants and organizers.",
        dependencies=FORUM_OR_CALENDAR,
    )
    async def get_event(self, request: Request, slug: FromPath[str], forum: Forum) -> Response[EventOut]:
        if is_calendar(slug):
            return calendar_response(forum)
        user = current_user(request)
        out = await service.event_out(forum, user.id if user else None, organizer=await manages(user, forum))
        return Response(out)

    @post("/", guards=[organizer_required], status_code=HTTP_201_CREATED, summary="Create a forum")
    async def create_event(self, request: Request, data: JSONBody[EventIn]) -> Created:
        return Created(slug=await service.create_event(data, request.user.id))

    @patch("/{slug:str}", guards=[staff_required], opt=acts("forum.edit", cohosts=False), summary="Change a forum")
    async def update_event(self, request: Request, forum: Forum, data: JSONBody[EventPatch]) -> EventOut:
        slug = forum["slug"]
        await service.update_event(slug, data)
        return await service.get_event(slug, request.user.id, organizer=True)

    @post(
        "/{slug:str}/registration",
        guards=[login_required],
        summary="Register (201), or get the registration made before (200)",
        status_code=HTTP_201_CREATED,
    )
    async def register(
        self, request: Request, slug: FromPath[str], public_forum: Forum, data: JSONBody[RegistrationIn]
    ) -> Response[RegistrationOut]:
        row, created = await registration.register(
            public_forum, request.user.id, data, service.questions_of(public_forum), recipient=request.user
        )
        return Response(await registration.to_out(row, slug), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/{slug:str}/registration", guards=[login_required], summary="My registration")
    async def my_registration(self, request: Request, slug: FromPath[str], public_forum: Forum) -> RegistrationOut:
        row = await registration.my_registration(public_forum["id"], request.user.id)
        if row is None:
            raise NotRegistered(_("You are not registered for this forum."))
        return await registration.to_out(row, slug)

    @delete("/{slug:str}/registration", guards=[login_required], status_code=HTTP_204_NO_CONTENT, summary="Cancel")
    async def cancel(self, request: Request, public_forum: Forum) -> None:
        await registration.cancel(public_forum, request.user.id)


class OrganizerEventsApi(Controller):
    path = "/api/v1/events/{slug:str}"
    tags = ["forums: organizers"]
    guards = [staff_required]  # organizers; co-hosts only where a route's opt lets them (acts)

    @get("/registrations", opt=acts(None), summary="Registrations with answers and check-in")
    async def registrations(
        self,
        forum: Forum,
        status: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> list[RegistrationRow]:
        return await exports.registration_rows(forum["id"], status=status, q=q[:200] if q else None)

    @get(
        "/registrations.csv",
        opt=acts("registration.export"),
        summary="Registrations as CSV (UTF-8 with BOM, for Excel)",
    )
    async def registrations_csv(self, slug: FromPath[str], forum: Forum) -> Response[bytes]:
        rows = await exports.registration_rows(forum["id"])
        return Response(
            exports.registrations_csv(rows, service.questions_of(forum)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="registrations-{slug}.csv"'},
        )

    @post(
        "/registrations/{reg_id:int}/approve",
        opt=acts("registration.approve"),
        status_code=HTTP_200_OK,
        summary="Approve an applicant",
    )
    async def approve(self, slug: FromPath[str], forum: Forum, reg_id: FromPath[int]) -> RegistrationOut:
        return await registration.to_out(await registration.approve(forum, reg_id), slug)

    @post(
        "/registrations/{reg_id:int}/reject",
        opt=acts("registration.reject"),
        status_code=HTTP_200_OK,
        summary="Reject an applicant",
    )
    async def reject(self, slug: FromPath[str], forum: Forum, reg_id: FromPath[int]) -> RegistrationOut:
        return await registration.to_out(await registration.reject(forum, reg_id), slug)

    @post(
        "/registrations/{reg_id:int}/check-in",
        opt=acts("registration.check_in"),
        status_code=HTTP_200_OK,
        summary="Check a registrant in",
    )
    async def check_in(self, slug: FromPath[str], forum: Forum, reg_id: FromPath[int]) -> RegistrationOut:
        return await registration.to_out(await registration.check_in(forum, reg_id=reg_id), slug)

    @delete(
        "/registrations/{reg_id:int}/check-in",
        opt=acts("registration.undo_check_in"),
        status_code=HTTP_200_OK,
        summary="Undo a mistaken check-in",
    )
    async def undo_check_in(self, slug: FromPath[str], forum: Forum, reg_id: FromPath[int]) -> RegistrationOut:
        return await registration.to_out(await registration.check_in(forum, reg_id=reg_id, undo=True), slug)

    @post(
        "/check-in",
        opt=acts("registration.check_in"),
        status_code=HTTP_200_OK,
        summary="Check in by ticket code (typed or scanned)",
        description="`code` as the ticket shows it (`XXXX-XXXX`), in any case, with or without the dash or "
        "spaces; a scanned ticket URL counts by its last segment. Text that cannot be a code is a 400; a code "
        "of no registration of this forum a 404.",
    )
    async def check_in_by_code(self, slug: FromPath[str], forum: Forum, data: JSONBody[CheckInIn]) -> RegistrationOut:
        return await registration.to_out(await registration.check_in(forum, code=data.code), slug)

    @post(
        "/lottery",
        opt=acts("lottery.draw"),
        status_code=HTTP_200_OK,
        summary="Draw the pending applicants at random",
        description="`{seats?, held?}`: `held` holds seats per Tohoku prefecture, drawn among that "
        "prefecture's applicants; held seats a prefecture cannot fill go back to the open draw. More held "
        "seats than seats drawn is a 400 whose `detail` says so.",
    )
    async def draw(self, forum: Forum, data: JSONBody[LotteryIn]) -> LotteryResult:
        return await lottery.run(forum, data)

    @post(
        "/lottery/preview",
        opt=acts(None),
        status_code=HTTP_200_OK,
        summary="What a draw would do, without drawing",
        description="Takes what the draw takes and answers as it would (held seats filled and returned per "
        "prefecture), changing nothing.",
    )
    async def preview(self, forum: Forum, data: JSONBody[LotteryIn]) -> LotteryResult:
        return await lottery.preview(forum, data)

    @post(
        "/cohosts",
        opt=acts("cohost.invite", cohosts=False),
        status_code=HTTP_201_CREATED,
        summary="Invite a co-host (organizers)",
        description="`{email}`: mails an invitation holding `{BASE_URL}/cohosts/accept/{token}` (single use, "
        "14 days). An address that is no address is a 400; one of an organizer or of a co-host of this forum "
        "a 409.",
    )
    async def invite_cohost(self, request: Request, forum: Forum, data: JSONBody[CohostIn]) -> CohostInvited:
        email = await cohosts.invite(forum, data.email, request.user, settings.current().base_url)
        return CohostInvited(email=email, expires_in_days=cohosts.LIFETIME.days)

    @get("/cohosts", opt=acts(None), summary="The forum's co-hosts (names only)")
    async def list_cohosts(self, forum: Forum) -> list[cohosts.CohostOut]:
        return await cohosts.cohosts_of(forum["id"])

    @delete(
        "/cohosts/{user_id:int}",
        opt=acts("cohost.remove", cohosts=False),
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a co-host (organizers)",
    )
    async def remove_cohost(
        self, forum: Forum, user_id: FromPath[Annotated[int, QueryParameter(ge=1, le=2**31 - 1)]]
    ) -> None:
        await cohosts.remove(forum["id"], user_id)

    @get(
        "/audit",
        opt=acts(None),
        summary="What the forum's organizers and co-hosts did, latest first",
        description="`[{at, actor, action, label}]`: `actor` is the person's name, `action` a short machine "
        "name (`registration.approve`), `label` what it means in the reader's language. 50 a page (`page=`).",
    )
    async def audit_log(
        self, forum: Forum, page: FromQuery[Annotated[int, QueryParameter(ge=1, le=10_000)]] = 1
    ) -> list[audit.AuditOut]:
        rows, _more = await audit.entries(forum["id"], page=page)
        return rows
