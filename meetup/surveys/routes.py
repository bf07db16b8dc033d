"""The forum survey over the JSON API (CONTRACT §5.2): thin callers of service.py and results.py."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from meetup.accounts.auth import current_user, login_required
from meetup.events.audit import acts
from meetup.events.dependencies import Forum, staff_required
from meetup.i18n import gettext as _
from meetup.surveys import results, service
from meetup.surveys.schemas import ResponseIn, ResponseOut, ResultsOut, SurveyIn, SurveyOut


class SurveyApi(Controller):
    path = "/api/v1/events/{slug:str}/survey"
    tags = ["survey"]

    @put(
        "/",
        guards=[staff_required],
        opt=acts("survey.save"),
        status_code=HTTP_200_OK,
        summary="Create or replace the forum's survey (organizer)",
        description=(
            "Questions of kind scale (1–5), choice (one of `options`), text or people (whom you met or "
            "want to consult); left out, the questions stay. `open: true` accepts responses before the "
            "forum starts, `false` stops them; left out, the setting stays (a new survey opens when the "
            "forum starts). Once a question has answers it cannot be removed or change kind, and a chosen "
            "option cannot be removed: 409."
        ),
    )
    async def save(self, forum: Forum, data: JSONBody[SurveyIn]) -> SurveyOut:
        return await service.save_survey(forum, data)

    @get("/", summary="The survey (organizers and the forum's confirmed registrants)")
    async def read(self, request: Request, forum: Forum) -> SurveyOut:
        return await service.get_survey(forum, current_user(request))

    @post(
        "/response",
        guards=[login_required],
        status_code=HTTP_201_CREATED,
        summary="Answer the survey (201), or replace your answers (200)",
        description=(
            "Only the forum's confirmed registrants (else 403), while the survey is open (else 409: "
            "not open yet, or closed). Bad answers: 400 whose `extra[0].key` is `answers.<question id>`."
        ),
    )
    async def respond(self, request: Request, forum: Forum, data: JSONBody[ResponseIn]) -> Response[ResponseOut]:
        out, created = await service.respond(forum, current_user(request), data)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/response", guards=[login_required], summary="My answers (404 if none)")
    async def mine(self, request: Request, forum: Forum) -> ResponseOut:
        user = current_user(request)
        await service.check_reader(forum, user)
        found = await service.my_answers(forum, user.id)
        if found is None:
            raise service.SurveyNotFound(_("You have not answered this survey yet."))
        return found

    @get(
        "/results", guards=[staff_required], opt=acts(None), summary="Results: counts, averages, free texts (organizer)"
    )
    async def results(self, forum: Forum) -> ResultsOut:
        return await results.results(forum)

    @get(
        "/results.csv",
        guards=[staff_required],
        opt=acts("survey.export"),
        summary="Responses as CSV, anonymous (UTF-8 with BOM)",
    )
    async def results_csv(self, forum: Forum) -> Response[bytes]:
        return Response(
            (await results.results_csv(forum)).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="survey-{forum["slug"]}.csv"'},
        )
