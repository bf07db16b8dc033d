"""What the survey API takes and gives: questions, answers, results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from meetup.text import one_line

SurveyKind = Literal["scale", "choice", "text", "people"]
KINDS: tuple[str, ...] = ("scale", "choice", "text", "people")
SCALE = range(1, 6)  # a scale question is answered 1 to 5
MAX_QUESTIONS = 30
MAX_OPTIONS = 30
TEXT_LIMIT = 4000  # characters of a free-text answer
PEOPLE_LIMIT = 50  # people named in one answer


class SurveyQuestion(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: SurveyKind
    options: Annotated[list[Annotated[str, Meta(min_length=1, max_length=100)]], Meta(max_length=MAX_OPTIONS)] = []
    required: bool = False

    def __post_init__(self) -> None:
        self.label = one_line(self.label)
        self.options = [option for option in map(one_line, self.options) if option]
        if not self.label:
            raise ValueError("label: must not be blank")
        if self.kind == "choice" and not self.options:
            raise ValueError("options: a choice question needs options")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options: each option must be different")
        if self.kind != "choice":
            self.options = []


class SurveyIn(msgspec.Struct, forbid_unknown_fields=True):
    """The organizer's survey. `questions` replace the survey's (left out, they stay: `{"open":
    true}` only opens it). `open`: true accepts responses now (before the forum starts too),
    false stops them; left out, the current setting stays (a new survey opens when the forum
    starts)."""

    questions: Annotated[list[SurveyQuestion], Meta(max_length=MAX_QUESTIONS)] | None = None
    open: bool | None = None

    def __post_init__(self) -> None:
        ids = [q.id for q in self.questions or []]
        if len(ids) != len(set(ids)):
            raise ValueError("questions: each question needs its own id")


class SurveyOut(msgspec.Struct):
    """`open`: responses are accepted now. `opens_at`: when it opens by itself (the forum's
    start), while it is not open and the organizer has not closed it."""

    questions: list[SurveyQuestion]
    open: bool
    opens_at: datetime | None = None
    closed_by_organizer: bool = False
    responses: int | None = None  # organizers only


class ResponseIn(msgspec.Struct, forbid_unknown_fields=True):
    """{question id: value}: scale 1–5, choice one of the options, text, people a list of user ids."""

    answers: Annotated[dict[Annotated[str, Meta(max_length=40)], Any], Meta(max_length=MAX_QUESTIONS)] = {}


class ResponseOut(msgspec.Struct):
    answers: dict[str, Any]
    updated_at: datetime


class QuestionResult(msgspec.Struct, omit_defaults=True):
    """scale: counts of 1–5 and the average; choice: counts per option; text: the answers;
    people: how often each person (user id) was named, never by whom."""

    id: str
    kind: str
    label: str
    answered: int
    counts: dict[str, int] | None = None
    average: float | None = None
    answers: list[str] | None = None


class ResultsOut(msgspec.Struct):
    responses: int
    questions: list[QuestionResult]
    mutual_pairs: int = 0  # pairs who named each other (each a `survey` tie)
