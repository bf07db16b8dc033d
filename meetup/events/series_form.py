"""The organizer's series form (create and edit): title, description, and the optional
enrolment — places, how they are given (first come, approval, or a lottery holding seats per
Tohoku prefecture as a forum's draw does), the completion rule, the closing time, and the
application questions, edited with the forum form's question machinery (forum_form.py).

Inputs carry the API's field names (`enrolment.capacity`, `enrolment.min_sessions`, …), so a
refusal from the service (a rule above the number of sessions: `enrolment.min_sessions`) is
shown next to the field it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from meetup.coordinators.prefectures import TOHOKU
from meetup.errors import BadInput
from meetup.events import forum_form
from meetup.events.schemas import EnrolmentOut
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

T = TypeVar("T")
ENROL_FIELDS = (
    "enrolment.capacity", "enrolment.mode", "enrolment.min_sessions", "enrolment.closes_at",
)  # fmt: skip
_PATH = re.compile(r"at `\$\.([\w.]+)")
_PREFIX = re.compile(r"^([\w.]+): ")


def hints() -> dict[str, str]:
    return {
        "title": _("Enter a title (up to 200 characters)."),
        "slug": _(
            "The address uses lower-case letters, digits and hyphens (up to 80), starting with a letter or digit."
        ),
        "summary": _("Keep the description to 20,000 characters."),
        "enrolment.capacity": _("Enter the number of places (1 or more)."),
        "enrolment.mode": _("Choose how places are given."),
        "enrolment.min_sessions": _("Enter how many sessions completing takes (1 or more)."),
        "enrolment.closes_at": _("Enter a date and time."),
        "enrolment.held": _("Seats held are whole numbers from 0, and no more in all than the places."),
        "enrolment.questions": _("Up to %(n)s questions.") % {"n": forum_form.MAX_QUESTIONS},
        "questions": _("Up to %(n)s questions.") % {"n": forum_form.MAX_QUESTIONS},
    }


def blank(rule: EnrolmentOut | None = None) -> dict[str, Any]:
    """The enrolment part of the form: as saved, or empty (no enrolment)."""
    if rule is None:
        return {
            "enrol": False,
            "enrolment.capacity": "",
            "enrolment.mode": "first_come",
            "enrolment.min_sessions": "1",
            "enrolment.final_required": False,
            "enrolment.closes_at": "",
            "held": dict.fromkeys(TOHOKU, "0"),
        }
    closes = rule.closes_at
    return {
        "enrol": True,
        "enrolment.capacity": str(rule.capacity),
        "enrolment.mode": rule.mode,
        "enrolment.min_sessions": str(rule.min_sessions),
        "enrolment.final_required": rule.final_required,
        "enrolment.closes_at": f"{closes.astimezone(TOKYO):%Y-%m-%dT%H:%M}" if closes else "",
        "held": {p: str(rule.held.get(p, 0)) for p in TOHOKU},
    }


def _text(value: object) -> str:
    return str(value or "").replace("\x00", "").strip()


def read(form: Mapping[str, Any]) -> dict[str, Any]:
    """The enrolment part as typed, to show again."""
    return {
        "shown": form.get("enrolment_form") is not None,  # the form had the enrolment part
        "enrol": form.get("enrol") is not None,
        **{name: _text(form.get(name)) for name in ENROL_FIELDS},
        "enrolment.final_required": form.get("enrolment.final_required") is not None,
        "held": {p: _text(form.get(f"held-{p}")) or "0" for p in TOHOKU},
    }


def _whole(field: str, text: str) -> int:
    if not re.fullmatch(r"\d{1,6}", text):
        raise BadInput(hints()[field if field in hints() else "enrolment.held"], field=field)
    return int(text)


def rule_values(raw: dict[str, Any], questions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The enrolment as SeriesIn / SeriesPatch take it (None: the series takes no enrolment)."""
    if not raw["enrol"]:
        return None
    closes_at: datetime | None = None
    if raw["enrolment.closes_at"]:
        try:
            closes_at = datetime.fromisoformat(raw["enrolment.closes_at"])
        except ValueError:
            raise BadInput(_("Enter a date and time."), field="enrolment.closes_at") from None
        if not 2000 <= closes_at.year <= 2100:
            raise BadInput(_("Enter a date and time."), field="enrolment.closes_at")
        closes_at = closes_at if closes_at.tzinfo else closes_at.replace(tzinfo=TOKYO)
    held = {p: _whole(f"held-{p}", v) for p, v in raw["held"].items()}
    return {
        "capacity": _whole("enrolment.capacity", raw["enrolment.capacity"]),
        "mode": raw["enrolment.mode"] or "first_come",
        "min_sessions": _whole("enrolment.min_sessions", raw["enrolment.min_sessions"] or "1"),
        "final_required": raw["enrolment.final_required"],
        "closes_at": closes_at,
        "questions": questions,
        "held": {p: n for p, n in held.items() if n} if raw["enrolment.mode"] == "lottery" else {},
    }


def error_field(exc: msgspec.ValidationError) -> str | None:
    message = str(exc)
    if message.startswith("held:"):
        return "enrolment.held"
    if message.startswith("questions:"):
        return "questions"
    match = _PATH.search(message) or _PREFIX.search(message)
    if not match:
        return None
    field = match.group(1)
    if field.startswith("enrolment.questions") or field == "questions":
        return "questions"
    if field == "held" or field.startswith("enrolment.held"):
        return "enrolment.held"
    return field


def convert(values: dict[str, Any], schema: type[T]) -> T:
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as exc:
        field = error_field(exc) or "title"
        raise BadInput(hints().get(field, _("Please check this field.")), field=field) from None
