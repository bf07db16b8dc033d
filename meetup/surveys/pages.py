"""Survey pages: the participant's form (`/events/{slug}/survey`), and for organizers the builder
and the results (`/organizer/events/{slug}/survey…`). Thin callers of the same service functions
as the JSON API; every form works without JavaScript.

People are shown by the name on their profile when the reader may see it, else by the display
name the forum already shows in its breakout rooms; never by e-mail.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from meetup.accounts.auth import current_user, login_required
from meetup.accounts.schemas import UserOut
from meetup.accounts.service import get_users
from meetup.coordinators import service as coordinators
from meetup.coordinators.reading import fold, reading_of, romaji
from meetup.errors import DomainError
from meetup.events import cohosts
from meetup.events.audit import acts, did
from meetup.events.dependencies import Forum, staff_required
from meetup.events.forum_form import apply_op, read_questions
from meetup.forum_links import ForumLink
from meetup.i18n import gettext as _
from meetup.surveys import results, service
from meetup.surveys.builder import rows_of, survey_questions
from meetup.surveys.schemas import MAX_QUESTIONS, ResponseIn, SurveyIn, SurveyQuestion

DONE = ("saved", "opened", "closed")


async def people_named_by_name(event: dict, viewer: UserOut, user_ids: list[int]) -> list[dict[str, Any]]:
    """[{id, name, search}] in あいうえお order: `search` holds the name folded, its reading in
    hiragana and in romaji, so the filter finds a person by kanji, kana or romaji."""
    profiles = await coordinators.profiles_of(user_ids, viewer)
    accounts = await get_users(user_ids)
    people = []
    for uid in user_ids:
        profile, account = profiles.get(uid), accounts.get(uid)
        if profile is None and account is None:
            continue
        name = profile.name if profile else account.display_name
        reading = profile.reading if profile and profile.reading else reading_of(name)
        search = " ".join(filter(None, [fold(name), reading, reading.replace(" ", ""), romaji(reading)]))
        people.append({"id": uid, "name": name, "reading": reading, "search": search})
    return sorted(people, key=lambda p: p["reading"] or p["name"])


async def links_for(event: dict, user: object, place: str) -> list[ForumLink]:
    """ "Answer the survey" for a confirmed registrant while it is open (forum page, closed
    rooms); organizers also get "Survey" on the forum page."""
    shown = []
    if isinstance(user, UserOut) and await service.survey_link_shown(event, user):
        shown.append(ForumLink(_("Answer the survey"), f"/events/{event['slug']}/survey"))
    if (
        place == "forum"
        and isinstance(user, UserOut)
        and (user.is_organizer or await cohosts.is_cohost(user.id, event["id"]))
    ):
        shown.append(ForumLink(_("Survey (organizers)"), f"/organizer/events/{event['slug']}/survey"))
    return shown


def _answers_from_form(form, questions: list[SurveyQuestion]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in questions:
        key = f"a-{question.id}"
        if question.kind == "people":
            picked = [value for value in form.getall(key, []) if value]
            answers[question.id] = [int(v) if v.isdigit() and len(v) < 12 else v for v in picked]
        elif form.get(key) not in (None, ""):
            answers[question.id] = form.get(key)
    return answers


async def _answer_page(
    request: Request, event: dict, *, answers: dict | None = None, error: DomainError | None = None, done=None
) -> Template:
    user: UserOut = request.user
    await service.check_reader(event, user)
    survey = await service.get_survey(event, user)
    mine = await service.my_answers(event, user.id)
    return Template(
        "surveys/answer.html",
        context={
            "event": event,
            "survey": survey,
            "answers": answers if answers is not None else (mine.answers if mine else {}),
            "answered": mine is not None,
            "may_answer": await service.may_respond(event, user),
            "people": await people_named_by_name(event, user, await service.pickable(event, user.id)),
            "error": error.detail if error else None,
            "error_field": (error.field or "").removeprefix("answers.") if error else None,
            "done": done if done in DONE else None,
        },
        status_code=error.status_code if error else 200,
    )


async def _builder(
    event: dict,
    rows: list[dict] | None = None,
    *,
    error: DomainError | None = None,
    changed: bool = False,
    copied: bool | None = None,
    done: str | None = None,
) -> Template:
    row = await service.survey_row(event["id"])
    return Template(
        "surveys/build.html",
        context={
            "event": event,
            "row": row,
            "questions": rows if rows is not None else rows_of(service.questions_of(row)),
            "open": service.accepting(event, row),
            "responses": await service.response_count(row["id"]) if row else 0,
            "max_questions": MAX_QUESTIONS,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
            "changed": changed,
            "copied": copied,
            "done": done if done in DONE else None,
        },
        status_code=error.status_code if error else 200,
    )


def _back(slug: str, done: str) -> Redirect:
    return Redirect(path=f"/organizer/events/{slug}/survey?done={done}", status_code=303)


class SurveyPages(Controller):
    include_in_schema = False

    @get("/events/{slug:str}/survey", guards=[login_required])
    async def answer_form(self, request: Request, forum: Forum, done: FromQuery[str | None] = None) -> Template:
        return await _answer_page(request, forum, done=done)

    @post("/events/{slug:str}/survey", guards=[login_required])
    async def answer(self, request: Request, forum: Forum) -> Template | Redirect:
        questions = service.questions_of(await service.survey_row(forum["id"]))
        answers = _answers_from_form(await request.form(), questions)
        try:
            await service.respond(forum, current_user(request), ResponseIn(answers=answers))
        except DomainError as exc:
            return await _answer_page(request, forum, answers=answers, error=exc)
        return Redirect(path=f"/events/{forum['slug']}/survey?done=saved", status_code=303)

    # -- organizers ---------------------------------------------------------------------------

    @get("/organizer/events/{slug:str}/survey", guards=[staff_required], opt=acts(None))
    async def build(self, forum: Forum, done: FromQuery[str | None] = None) -> Template:
        return await _builder(forum, done=done)

    @post("/organizer/events/{slug:str}/survey", guards=[staff_required], opt=acts("survey.save"))
    async def save(self, request: Request, forum: Forum) -> Template | Redirect:
        """Save the form; a question button (`op=add`, `op=up:2`, …) or "copy the last forum's
        survey" instead shows the form again, changed, nothing saved."""
        form = await request.form()
        rows = read_questions(form)
        op = str(form.get("op") or "save")
        if op != "save":
            did(request, None)  # the form again, changed; nothing saved
        try:
            if op == "copy":
                copied = await service.last_questions(forum, request.user.id)
                return await _builder(forum, rows_of(copied) or rows, changed=bool(copied), copied=bool(copied))
            if op != "save":
                apply_op(rows, op)
                return await _builder(forum, rows, changed=True)
            row = await service.survey_row(forum["id"])
            taken = {q.id for q in service.questions_of(row)}
            await service.save_survey(forum, SurveyIn(questions=survey_questions(rows, taken)))
        except DomainError as exc:
            return await _builder(forum, rows, error=exc, changed=True)
        return _back(forum["slug"], "saved")

    @post("/organizer/events/{slug:str}/survey/open", guards=[staff_required], opt=acts("survey.open"))
    async def open_or_close(self, request: Request, forum: Forum) -> Template | Redirect:
        wanted = (await request.form()).get("open") == "yes"
        did(request, "survey.open" if wanted else "survey.close")
        try:
            await service.set_open(forum, wanted)
        except DomainError as exc:
            return await _builder(forum, error=exc)
        return _back(forum["slug"], "opened" if wanted else "closed")

    @get("/organizer/events/{slug:str}/survey/results", guards=[staff_required], opt=acts(None))
    async def results(self, request: Request, forum: Forum) -> Template:
        found = await results.results(forum)
        named = {int(uid) for q in found.questions if q.kind == "people" for uid in (q.counts or {})}
        names = {str(p["id"]): p["name"] for p in await people_named_by_name(forum, request.user, sorted(named))}
        return Template(
            "surveys/results.html",
            context={"event": forum, "results": found, "names": names},
        )
