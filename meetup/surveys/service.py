"""The forum survey (アンケート): build it, open and close it, answer it.

Rules:
- one survey per forum, built by organizers; the organizer and the forum's confirmed registrants
  may read it, nobody else (403);
- responses are accepted from the forum's start, or earlier once the organizer opens it
  (`open: true`), until the organizer closes it (`open: false`); before that a response is a 409
  saying when it opens, after it a 409 saying it is closed;
- only confirmed registrants respond (others 403); one response per person, which they may
  replace (the first is 201, a replacement 200); answers are judged by answers.py;
- once a question has answers it may not be removed or change kind, and a choice keeps every
  option someone chose (409 naming the question); labels, `required`, new questions and new
  options may change at any time;
- two people who named each other (in any people question of the survey) get a `survey` tie,
  source `survey:<forum id>`; when one withdraws the pick that tie goes again. Picks are judged
  under the survey's row lock, taken last, so two people naming each other at the same moment
  still end up tied. A one-sided pick is never shown to the person named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from meetup.accounts.schemas import UserOut
from meetup.coordinators import connections
from meetup.db import utcnow, write_transaction
from meetup.errors import Conflict, Forbidden, NotFound
from meetup.events import cohosts
from meetup.events import service as events
from meetup.i18n import gettext as _
from meetup.surveys.answers import judge
from meetup.surveys.schemas import ResponseIn, ResponseOut, SurveyIn, SurveyOut, SurveyQuestion
from meetup.surveys.tables import Survey, SurveyPick, SurveyResponse


class SurveyNotFound(NotFound):
    pass


class NotARespondent(Forbidden):
    pass


class SurveyNotOpen(Conflict):
    pass


def tie_source(event_id: int) -> str:
    return f"survey:{event_id}"


# -- reading ------------------------------------------------------------------------------------


async def survey_row(event_id: int) -> dict | None:
    return await Survey.select().where(Survey.event == event_id).first()


async def existing_row(event: dict) -> dict:
    row = await survey_row(event["id"])
    if row is None:
        raise SurveyNotFound(_("This forum has no survey."))
    return row


def questions_of(row: dict | None) -> list[SurveyQuestion]:
    return msgspec.json.decode(row["questions_json"], type=list[SurveyQuestion]) if row else []


def accepting(event: dict, row: dict | None, now: datetime | None = None) -> bool:
    """Responses are accepted now: opened by the organizer, or the forum has started (and the
    organizer has not closed it)."""
    if row is None or row["open"] is False or event["status"] != "published":
        return False
    return row["open"] is True or (now or utcnow()) >= event["starts_at"]


def _out(event: dict, row: dict, *, organizer: bool, responses: int | None = None) -> SurveyOut:
    is_open = accepting(event, row)
    return SurveyOut(
        questions=questions_of(row),
        open=is_open,
        opens_at=event["starts_at"] if row["open"] is None and not is_open else None,
        closed_by_organizer=row["open"] is False,
        responses=responses if organizer else None,
    )


async def response_count(survey_id: int) -> int:
    return await SurveyResponse.count().where(SurveyResponse.survey == survey_id)


async def may_respond(event: dict, user: UserOut | None) -> bool:
    return user is not None and await events.is_confirmed_registrant(event["id"], user.id)


async def check_reader(event: dict, user: UserOut | None) -> None:
    """Organizers and the forum's confirmed registrants may read the survey; others 403."""
    if await cohosts.runs(user, event["id"]):
        return
    if not await may_respond(event, user):
        raise NotARespondent(_("Only the forum's confirmed participants can answer its survey."))


async def get_survey(event: dict, user: UserOut | None) -> SurveyOut:
    await check_reader(event, user)
    row = await existing_row(event)
    organizer = await cohosts.runs(user, event["id"])
    return _out(event, row, organizer=organizer, responses=await response_count(row["id"]) if organizer else None)


async def survey_link_shown(event: dict, user: UserOut | None) -> bool:
    """Whether `user` gets a link to answer: a confirmed registrant while the survey is open."""
    return accepting(event, await survey_row(event["id"])) and await may_respond(event, user)


# -- building -----------------------------------------------------------------------------------


async def _answered(survey_id: int) -> dict[str, set]:
    """{question id: every value given to it}: what editing must not take away."""
    given: dict[str, set] = {}
    for row in await SurveyResponse.select(SurveyResponse.answers_json).where(SurveyResponse.survey == survey_id):
        for qid, value in msgspec.json.decode(row["answers_json"]).items():
            given.setdefault(qid, set()).add(value if isinstance(value, str | int) else None)
    return given


def _check_edit(before: list[SurveyQuestion], after: list[SurveyQuestion], given: dict[str, set]) -> None:
    old = {q.id: q for q in before}
    new = {q.id: q for q in after}
    for qid, values in given.items():
        question = old.get(qid)
        if question is None:
            continue
        kept = new.get(qid)
        if kept is None:
            raise Conflict(
                _("Question “%(label)s” already has answers: it cannot be removed.") % {"label": question.label},
                field=f"questions.{qid}",
            )
        if kept.kind != question.kind:
            raise Conflict(
                _("Question “%(label)s” already has answers: its kind cannot change.") % {"label": question.label},
                field=f"questions.{qid}",
            )
        if kept.kind == "choice" and not {v for v in values if isinstance(v, str)} <= set(kept.options):
            raise Conflict(
                _("Question “%(label)s”: an option someone chose cannot be removed.") % {"label": question.label},
                field=f"questions.{qid}",
            )


async def save_survey(event: dict, data: SurveyIn) -> SurveyOut:
    """Create or replace the forum's survey (the editing rules are in the module docstring)."""
    now = utcnow()
    async with write_transaction():
        row = await survey_row(event["id"])
        wanted = questions_of(row) if data.questions is None else data.questions
        questions = msgspec.json.encode(wanted).decode()
        if row is None:
            await Survey.insert(Survey(event=event["id"], questions_json=questions, open=data.open, updated_at=now))
        else:
            _check_edit(questions_of(row), wanted, await _answered(row["id"]))
            values: dict = {Survey.questions_json: questions, Survey.updated_at: now}
            if data.open is not None:
                values[Survey.open] = data.open
            await Survey.update(values).where(Survey.id == row["id"])
        row = await survey_row(event["id"])
    return _out(event, row, organizer=True, responses=await response_count(row["id"]))


async def set_open(event: dict, is_open: bool) -> None:
    row = await existing_row(event)
    async with write_transaction():
        await Survey.update({Survey.open: is_open, Survey.updated_at: utcnow()}).where(Survey.id == row["id"])


async def last_questions(event: dict, organizer_id: int) -> list[SurveyQuestion]:
    """The questions of this organizer's most recent other forum with a survey (by start), for
    "copy the last forum's survey"; [] when there is none."""
    rows = (
        await Survey.select(Survey.questions_json)
        .where((Survey.event.created_by == organizer_id) & (Survey.event != event["id"]))
        .order_by(Survey.event.starts_at, ascending=False)
        .limit(1)
    )
    return questions_of(rows[0]) if rows else []


# -- answering ----------------------------------------------------------------------------------


def _named_ids(questions: list[SurveyQuestion], answers: dict[str, Any]) -> set[int]:
    return {
        value
        for q in questions
        if q.kind == "people" and isinstance(answers.get(q.id), list)
        for value in answers[q.id]
        if isinstance(value, int) and not isinstance(value, bool)
    }


async def check_respondent(event: dict, row: dict | None, user: UserOut | None) -> dict:
    """The survey row, if `user` may respond now; else 404, 403 or 409 saying why."""
    if row is None:
        raise SurveyNotFound(_("This forum has no survey."))
    if not await may_respond(event, user):
        raise NotARespondent(_("Only the forum's confirmed participants can answer its survey."))
    if accepting(event, row):
        return row
    if row["open"] is False or event["status"] != "published":
        raise SurveyNotOpen(_("The survey is closed."))
    raise SurveyNotOpen(_("The survey opens when the forum starts."))


async def my_answers(event: dict, user_id: int) -> ResponseOut | None:
    row = await survey_row(event["id"])
    if row is None:
        return None
    mine = (
        await SurveyResponse.select(SurveyResponse.answers_json, SurveyResponse.updated_at)
        .where((SurveyResponse.survey == row["id"]) & (SurveyResponse.account == user_id))
        .first()
    )
    return ResponseOut(msgspec.json.decode(mine["answers_json"]), mine["updated_at"]) if mine else None


async def pickable(event: dict, user_id: int) -> list[int]:
    """Whom `user_id` may name in a people question: the forum's other confirmed registrants."""
    return [uid for uid in await events.confirmed_people(event["id"]) if uid != user_id]


async def respond(event: dict, user: UserOut | None, data: ResponseIn) -> tuple[ResponseOut, bool]:
    """Store `user`'s answers (replacing earlier ones); returns (the response, created)."""
    row = await check_respondent(event, await survey_row(event["id"]), user)
    assert user is not None  # check_respondent refused anyone else
    questions = questions_of(row)
    registrants = await events.confirmed_among(event["id"], _named_ids(questions, data.answers))
    answers, named = judge(questions, data.answers, me=user.id, registrants=registrants)
    now = utcnow()
    stored = msgspec.json.encode(answers).decode()
    async with write_transaction():
        # The response row first: the same person answering twice at once waits here for the other.
        created = bool(
            await SurveyResponse.insert(
                SurveyResponse(survey=row["id"], account=user.id, answers_json=stored, created_at=now, updated_at=now)
            )
            .on_conflict(target=(SurveyResponse.survey, SurveyResponse.account), action="DO NOTHING")
            .returning(SurveyResponse.id)
        )
        if not created:
            await SurveyResponse.update({SurveyResponse.answers_json: stored, SurveyResponse.updated_at: now}).where(
                (SurveyResponse.survey == row["id"]) & (SurveyResponse.account == user.id)
            )
        await _replace_picks(event, row["id"], user.id, named, now)
    return ResponseOut(answers, now), created


async def _replace_picks(event: dict, survey_id: int, me: int, named: set[int], now: datetime) -> None:
    """Keep `me`'s picks as `named`, and the survey ties that follow from them."""
    before = {
        r["picked"]
        for r in await SurveyPick.select(SurveyPick.picked).where(
            (SurveyPick.survey == survey_id) & (SurveyPick.picker == me)
        )
    }
    added, withdrawn = named - before, before - named
    if not (added or withdrawn):
        return
    if withdrawn:
        await SurveyPick.delete().where(
            (SurveyPick.survey == survey_id) & (SurveyPick.picker == me) & SurveyPick.picked.is_in(list(withdrawn))
        )
    if added:
        await SurveyPick.insert(*[SurveyPick(survey=survey_id, picker=me, picked=other) for other in sorted(added)])
    # The survey's row lock, taken last and held to commit: whoever judges second sees the first's picks.
    await Survey.update({Survey.pick_seq: Survey.pick_seq + 1}).where(Survey.id == survey_id)
    source = tie_source(event["id"])
    for other in sorted(withdrawn):
        await connections.remove_tie(me, other, source=source)
    if added:
        back = await SurveyPick.select(SurveyPick.picker).where(
            (SurveyPick.survey == survey_id) & (SurveyPick.picked == me) & SurveyPick.picker.is_in(list(added))
        )
        for other in sorted(r["picker"] for r in back):
            await connections.record_ties([me, other], kind="survey", source=source, event_id=event["id"], at=now)
