"""What the organizer learns from a survey: counts, averages, free texts, and a CSV.

Nobody is named in results: free texts and CSV rows carry no respondent, and people questions
are counted (how often each person was named, how many pairs named each other), never who named
whom.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import msgspec

from meetup.i18n import TOKYO
from meetup.i18n import gettext as _
from meetup.surveys import service
from meetup.surveys.schemas import SCALE, QuestionResult, ResultsOut, SurveyQuestion
from meetup.surveys.tables import SurveyPick, SurveyResponse


async def _responses(survey_id: int) -> list[dict[str, Any]]:
    rows = (
        await SurveyResponse.select(SurveyResponse.answers_json, SurveyResponse.updated_at)
        .where(SurveyResponse.survey == survey_id)
        .order_by(SurveyResponse.id)
    )
    return [{"answers": msgspec.json.decode(r["answers_json"]), "at": r["updated_at"]} for r in rows]


def _result(question: SurveyQuestion, values: list[Any]) -> QuestionResult:
    out = QuestionResult(id=question.id, kind=question.kind, label=question.label, answered=len(values))
    if question.kind == "scale":
        counted = Counter(values)
        out.counts = {str(point): counted[point] for point in SCALE}
        out.average = round(sum(values) / len(values), 2) if values else None
    elif question.kind == "choice":
        counted = Counter(values)
        out.counts = {option: counted[option] for option in question.options}
    elif question.kind == "text":
        out.answers = values
    else:
        counted = Counter(person for named in values for person in named)
        out.counts = {str(person): n for person, n in counted.most_common()}
    return out


async def mutual_pairs(survey_id: int) -> int:
    picks = {(r["picker"], r["picked"]) for r in await SurveyPick.select().where(SurveyPick.survey == survey_id)}
    return sum(1 for a, b in picks if a < b and (b, a) in picks)


async def results(event: dict) -> ResultsOut:
    row = await service.existing_row(event)
    responses = await _responses(row["id"])
    questions = service.questions_of(row)
    return ResultsOut(
        responses=len(responses),
        questions=[_result(q, [r["answers"][q.id] for r in responses if q.id in r["answers"]]) for q in questions],
        mutual_pairs=await mutual_pairs(row["id"]),
    )


def _excel_safe(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in Excel (as in events/exports.py).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(question: SurveyQuestion, value: Any) -> str | int:
    if value is None:
        return ""
    if question.kind == "people":
        return len(value)  # how many people they named, never whom
    return value if isinstance(value, int) else _excel_safe(value)


async def results_csv(event: dict) -> str:
    """One row per response, anonymous (UTF-8 with BOM, so Excel opens it in Japanese); a people
    question's cell is how many people the respondent named."""
    row = await service.existing_row(event)
    questions = service.questions_of(row)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["#", _("Answered at"), *[_excel_safe(q.label) for q in questions]])
    for number, response in enumerate(await _responses(row["id"]), start=1):
        answers = response["answers"]
        when = response["at"].astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
        writer.writerow([number, when, *[_cell(q, answers.get(q.id)) for q in questions]])
    return out.getvalue()
