"""The organizer's survey form: one fieldset per question (`q-0-label`, `q-0-kind`, …), added,
moved and removed with buttons that go through the server, so it works without JavaScript
(the same buttons and rows as the forum's registration questions, events/forum_form.py).
Nothing is saved until "save"; a question keeps its id, a new one gets `q<n>` unused so far.
"""

from __future__ import annotations

from typing import Any

import msgspec

from meetup.errors import BadInput
from meetup.i18n import gettext as _
from meetup.site.forms import error_field
from meetup.surveys.schemas import KINDS, SurveyQuestion


def rows_of(questions: list[SurveyQuestion]) -> list[dict[str, Any]]:
    """Saved questions as the form shows them."""
    return [
        {"id": q.id, "label": q.label, "kind": q.kind, "required": q.required, "choices": "\n".join(q.options)}
        for q in questions
    ]


def _new_id(used: set[str]) -> str:
    number = 1
    while f"q{number}" in used:
        number += 1
    return f"q{number}"


def survey_questions(rows: list[dict[str, Any]], taken: set[str]) -> list[SurveyQuestion]:
    """The rows as questions; an untouched blank row is left out. `taken`: ids answers used."""
    used = set(taken) | {row["id"] for row in rows if row["id"]}
    questions = []
    for index, row in enumerate(rows):
        choices = [line.strip() for line in row["choices"].splitlines() if line.strip()]
        if not (row["label"] or row["id"]):
            continue
        field = f"q-{index}-"
        if row["kind"] not in KINDS:
            raise BadInput(_("Choose the kind of answer."), field=field + "kind")
        qid = row["id"] or _new_id(used)
        used.add(qid)
        value = {"id": qid, "label": row["label"], "kind": row["kind"], "required": row["required"]}
        if row["kind"] == "choice":
            value["options"] = choices
        try:
            questions.append(msgspec.convert(value, SurveyQuestion))
        except msgspec.ValidationError as exc:
            problem = error_field(exc) or "label"
            hint = {
                "options": _("Write the choices, one per line (each up to 100 characters, all different)."),
                "id": _("The questions were not read correctly; please reload the page."),
            }.get(problem, _("Write the question (up to 200 characters)."))
            raise BadInput(hint, field=field + ("choices" if problem == "options" else "label")) from None
    return questions
