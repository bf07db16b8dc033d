"""Judging one person's answers against the survey's questions.

Rules (each refusal is a 400 naming the question, and nothing is stored):
- every answered id is a question of this survey;
- scale: a whole number 1–5; choice: one of the question's options; text: at most TEXT_LIMIT
  characters; people: a list of distinct user ids of the forum's confirmed registrants, never
  yourself, at most PEOPLE_LIMIT;
- a required question has an answer (an empty text or an empty list is no answer).
"""

from __future__ import annotations

from typing import Any

from meetup.errors import BadInput
from meetup.i18n import gettext as _
from meetup.surveys.schemas import PEOPLE_LIMIT, SCALE, TEXT_LIMIT, SurveyQuestion
from meetup.text import multi_line


class BadAnswer(BadInput):
    """An answer the question cannot take; `field` is `answers.<question id>`."""

    def __init__(self, question: SurveyQuestion | str, problem: str):
        qid, label = (question, question) if isinstance(question, str) else (question.id, question.label)
        detail = _("Question “%(label)s” (%(id)s): %(problem)s") % {"label": label, "id": qid, "problem": problem}
        super().__init__(detail, field=f"answers.{qid}")
        self.question_id = qid


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def people_named(question: SurveyQuestion, value: Any) -> list[int]:
    """The user ids a people answer names (shape checked; who they are is checked by `judge`)."""
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise BadAnswer(question, _("choose people from the list."))
    if len(value) > PEOPLE_LIMIT:
        raise BadAnswer(question, _("name at most %(n)s people.") % {"n": PEOPLE_LIMIT})
    if len(set(value)) != len(value):
        raise BadAnswer(question, _("name each person once."))
    return value


def _clean(question: SurveyQuestion, value: Any) -> Any:
    """The answer as stored, or BadAnswer."""
    if question.kind == "scale":
        if isinstance(value, str) and value.isdigit():  # a form sends text
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise BadAnswer(question, _("answer with a whole number from 1 to 5."))
        return value
    if question.kind == "choice":
        if not isinstance(value, str) or value not in question.options:
            raise BadAnswer(question, _("choose one of the options."))
        return value
    if question.kind == "text":
        if not isinstance(value, str):
            raise BadAnswer(question, _("answer with text."))
        if len(value) > TEXT_LIMIT:
            raise BadAnswer(question, _("keep the answer to %(n)s characters.") % {"n": f"{TEXT_LIMIT:,}"})
        return multi_line(value).strip()
    return people_named(question, value)


def judge(
    questions: list[SurveyQuestion], answers: dict[str, Any], *, me: int, registrants: set[int]
) -> tuple[dict[str, Any], set[int]]:
    """(the answers to store, everyone named in people questions). `registrants` holds the forum's
    confirmed registrants among those named (others are refused)."""
    by_id = {q.id: q for q in questions}
    for qid in answers:
        if qid not in by_id:
            raise BadAnswer(qid, _("there is no such question in this survey."))
    kept: dict[str, Any] = {}
    named: set[int] = set()
    for question in questions:
        value = answers.get(question.id)
        value = None if _is_blank(value) else _clean(question, value)
        if _is_blank(value):
            if question.required:
                raise BadAnswer(question, _("this question needs an answer."))
            continue
        if question.kind == "people":
            if me in value:
                raise BadAnswer(question, _("you cannot name yourself."))
            if not set(value) <= registrants:
                raise BadAnswer(question, _("choose people who took part in this forum."))
            named.update(value)
        kept[question.id] = value
    return kept, named
