"""The organizer's forum form: times typed as Tokyo local time, the questions written one per
line, and the hint shown next to a field the form refuses.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TypeVar

import msgspec

from meetup.errors import BadInput
from meetup.events.schemas import EventOut, Question
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _
from meetup.site.forms import error_field

FIELDS = (
    "title", "summary", "description", "starts_at", "ends_at", "format", "venue", "online_url", "capacity",
    "registration_mode", "registration_opens_at", "registration_closes_at", "status", "series", "questions",
)  # fmt: skip
_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
_YES = {"yes", "y", "true", "1", "はい", "必須"}
_NO = {"no", "n", "false", "0", "いいえ", "任意", ""}
T = TypeVar("T")


def _hints() -> dict[str, str]:
    return {
        "title": _("Enter a title (up to 200 characters)."),
        "summary": _("Keep the summary to 500 characters."),
        "description": _("Keep the description to 20,000 characters."),
        "starts_at": _("Enter when the forum starts."),
        "ends_at": _("The end must be after the start."),
        "format": _("Choose online, in person or hybrid."),
        "venue": _("Keep the venue to 300 characters."),
        "online_url": _("Enter an address that starts with https:// or http://."),
        "capacity": _("Enter the number of seats (1 or more), or leave it empty for no limit."),
        "registration_mode": _("Choose how seats are given."),
        "registration_opens_at": _("Enter a date and time."),
        "registration_closes_at": _("Registration must close after it opens."),
        "status": _("Choose draft or published."),
        "series": _("A series is written in lower-case letters, digits and hyphens."),
        "questions": _("Up to 30 questions, each with its own id."),
    }


def _tokyo_time(field: str, text: str) -> datetime | None:
    """A datetime-local value ("2026-12-01T13:00") read as the time on a clock in Tokyo."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(_("Enter a date and time."), field=field) from None
    if not 2000 <= value.year <= 2100:
        raise BadInput(_("Enter a date and time."), field=field)
    return value if value.tzinfo else value.replace(tzinfo=TOKYO)


def questions_text(questions: list[Question]) -> str:
    """Questions as the form shows them: `id | label | kind | yes/no | option1, option2`."""
    return "\n".join(
        f"{q.id} | {q.label} | {q.kind} | {'yes' if q.required else 'no'}"
        + (f" | {', '.join(q.options)}" if q.options else "")
        for q in questions
    )


def parse_questions(text: str) -> list[dict]:
    """One question per line of `id | label | kind | required (yes/no) | option1, option2`."""
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        problem = None
        if not 2 <= len(parts) <= 5:
            problem = _("write “id | label | kind | required | options”")
        else:
            qid, label, kind, required, options = parts + [""] * (5 - len(parts))
            if required.lower() not in _YES | _NO:
                problem = _("write yes or no for “required”")
            else:
                item = {
                    "id": qid,
                    "label": label,
                    "kind": kind or "text",
                    "required": required.lower() in _YES,
                    "options": [o.strip() for o in re.split(r"[,、]", options) if o.strip()],
                }
                try:
                    msgspec.convert(item, Question)
                except msgspec.ValidationError as exc:
                    problem = _question_problem(error_field(exc))
                else:
                    questions.append(item)
        if problem:
            raise BadInput(
                _("Questions, line %(line)s: %(problem)s.") % {"line": number, "problem": problem}, field="questions"
            )
    return questions


def _question_problem(field: str | None) -> str:
    return {
        "id": _("the id uses lower-case letters, digits and _ (up to 40)"),
        "label": _("the label must be 1 to 200 characters"),
        "kind": _("the kind is text, choice or checkbox"),
        "options": _("each option must be 1 to 100 characters, up to 30 options"),
    }.get(field or "", _("a choice question needs options"))


def event_values(raw: dict[str, str]) -> dict[str, object]:
    """The form's text as the values EventIn and EventPatch expect (times in Tokyo, empty = none)."""
    for field in ("title", "starts_at", "ends_at"):
        if not raw[field]:
            raise BadInput(_hints()[field] if field != "ends_at" else _("Enter when the forum ends."), field=field)
    values: dict[str, object] = {name: raw[name] for name in FIELDS if name not in _TIMES}
    values.update({name: _tokyo_time(name, raw[name]) for name in _TIMES})
    values["capacity"] = raw["capacity"] or None
    values["series"] = raw["series"] or None
    values["questions"] = parse_questions(raw["questions"])
    for name in ("format", "registration_mode", "status"):  # a missing choice keeps the default
        if not values[name]:
            del values[name]
    return values


def convert(values: dict[str, object], schema: type[T]) -> T:
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as exc:
        field = error_field(exc) or "title"
        raise BadInput(_hints().get(field, _("Please check this field.")), field=field) from None


def blank_form() -> dict[str, str]:
    values = dict.fromkeys(FIELDS, "")
    values.update(format="online", registration_mode="first_come", status="draft")
    return values


def filled_form(out: EventOut) -> dict[str, str]:
    def local(value: datetime | None) -> str:
        return f"{value.astimezone(TOKYO):{_LOCAL}}" if value else ""

    return {
        "title": out.title,
        "summary": out.summary,
        "description": out.description,
        "starts_at": local(out.starts_at),
        "ends_at": local(out.ends_at),
        "format": out.format,
        "venue": out.venue,
        "online_url": out.online_url or "",
        "capacity": "" if out.capacity is None else str(out.capacity),
        "registration_mode": out.registration_mode,
        "registration_opens_at": local(out.registration_opens_at),
        "registration_closes_at": local(out.registration_closes_at),
        "status": out.status,
        "series": out.series.slug if out.series else "",
        "questions": questions_text(out.questions),
    }
