"""The organizer's forum form: times typed as Tokyo local time, the registration questions as
one fieldset each (added, moved and removed with buttons that work without JavaScript), the
series picked from a list or created with a title, and the hint shown next to a field the form
refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from meetup.errors import BadInput
from meetup.events.schemas import EventOut, Lecturer, Question, check_photo_url
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _
from meetup.site.forms import error_field

FIELDS = (
    "title", "summary", "description", "starts_at", "ends_at", "format", "venue", "online_url", "capacity",
    "registration_mode", "registration_opens_at", "registration_closes_at", "draws_at", "status", "series",
    "series_title", "alumni_of",
    "series_title", "organization", "prefecture", "themes",
)  # fmt: skip
_THEME_SEPARATORS = re.compile(r"[,、，\n]+")
_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at", "draws_at")
_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
T = TypeVar("T")

NEW_SERIES = "new"  # the series select's "create a new series" choice
MAX_QUESTIONS = 30
MAX_CHOICES = 30
# The kinds an organizer picks, and how the registration form asks them (schemas.Question):
# multiple choice is a checkbox question with options, yes/no one without.
KINDS = ("text", "choice", "multiple", "yes_no")
_AS_QUESTION = {"text": "text", "choice": "choice", "multiple": "checkbox", "yes_no": "checkbox"}
_WITH_CHOICES = ("choice", "multiple")
_ID = re.compile(r"[a-z0-9_]{1,40}")


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
        "draws_at": _("The draw comes after registration closes and before the forum starts."),
        "status": _("Choose draft or published."),
        "series": _("Choose a series from the list."),
        "alumni_of": _("Choose a series from the list."),
        "organization": _("Choose the hosting organisation from the list."),
        "prefecture": _("Choose a prefecture from the list."),
        "themes": _("Up to 10 themes of up to 30 characters, separated by 、 or commas."),
        "questions": _("Up to %(n)s questions.") % {"n": MAX_QUESTIONS},
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


# -- the questions ------------------------------------------------------------------------------


def blank_question() -> dict[str, Any]:
    return {"id": "", "label": "", "kind": "text", "required": False, "choices": ""}


def read_questions(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The question fieldsets as typed (`q-0-label`, `q-0-kind`, …), in the order shown; one
    more than allowed is read, so that too many is refused rather than cut off."""
    rows = []
    for index in range(MAX_QUESTIONS + 1):
        prefix = f"q-{index}-"
        if form.get(prefix + "kind") is None and form.get(prefix + "label") is None:
            break
        rows.append(
            {
                "id": _text(form.get(prefix + "id")).strip(),
                "label": _text(form.get(prefix + "label")).strip(),
                "kind": _text(form.get(prefix + "kind")).strip() or "text",
                "required": form.get(prefix + "required") is not None,
                "choices": _text(form.get(prefix + "choices")),
            }
        )
    return rows


def apply_op(rows: list[dict[str, Any]], op: str) -> int | None:
    """Add, move up, move down or remove a question (`add`, `up:2`, `down:0`, `remove:1`), in
    place; returns the position of the question to show, None when none is left to show."""
    action, _sep, number = op.partition(":")
    if action == "add":
        if len(rows) >= MAX_QUESTIONS:
            raise BadInput(_("Up to %(n)s questions.") % {"n": MAX_QUESTIONS}, field="questions")
        rows.append(blank_question())
        return len(rows) - 1
    index = int(number) if number.isdigit() else -1
    if not 0 <= index < len(rows):
        return None
    if action == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
        return index - 1
    if action == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
        return index + 1
    if action == "remove":
        del rows[index]
        return min(index, len(rows) - 1) if rows else None
    return index


def _choices(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _new_id(label: str, position: int, used: set[str]) -> str:
    """An id from the label's latin words, else from the question's position ("q3")."""
    base = "_".join(re.findall(r"[a-z0-9]+", label.lower()))[:30].strip("_") or f"q{position}"
    candidate, number = base, 1
    while candidate in used:
        number += 1
        candidate = f"{base}_{number}"
    return candidate


def question_values(rows: list[dict[str, Any]], taken: set[str] = frozenset()) -> list[dict[str, Any]]:
    """The questions as the API takes them (schemas.Question). A question keeps the id it was
    given; a new one gets an id no earlier question or answer of the forum used (`taken`), so
    answers already given stay with their own question. An untouched blank question is left out."""
    if len(rows) > MAX_QUESTIONS:
        raise BadInput(_("Up to %(n)s questions.") % {"n": MAX_QUESTIONS}, field="questions")
    kept = [row["id"] for row in rows if row["id"]]
    if len(kept) != len(set(kept)) or not all(_ID.fullmatch(qid) for qid in kept):
        raise BadInput(_("The questions were not read correctly; please reload the page."), field="questions")
    used = set(taken) | set(kept)
    questions = []
    for index, row in enumerate(rows):
        field = f"q-{index}-"
        choices = _choices(row["choices"])
        if not (row["label"] or choices or row["id"]):
            continue
        if not row["label"]:
            raise BadInput(_("Write the question."), field=field + "label")
        if len(row["label"]) > 200:
            raise BadInput(_("Keep the question to 200 characters."), field=field + "label")
        if row["kind"] not in KINDS:
            raise BadInput(_("Choose the kind of answer."), field=field + "kind")
        if row["kind"] in _WITH_CHOICES:
            if not choices:
                raise BadInput(_("Write the choices, one per line."), field=field + "choices")
            if len(choices) > MAX_CHOICES or any(len(choice) > 100 for choice in choices):
                raise BadInput(
                    _("Up to %(n)s choices, each up to 100 characters.") % {"n": MAX_CHOICES}, field=field + "choices"
                )
            if len(set(choices)) != len(choices):
                raise BadInput(_("Each choice must be different."), field=field + "choices")
        qid = row["id"] or _new_id(row["label"], len(questions) + 1, used)
        used.add(qid)
        questions.append(
            {
                "id": qid,
                "label": row["label"],
                "kind": _AS_QUESTION[row["kind"]],
                "required": row["required"],
                "options": choices if row["kind"] in _WITH_CHOICES else [],
            }
        )
    return questions


def question_rows(questions: list[Question]) -> list[dict[str, Any]]:
    """Saved questions as the form shows them."""
    return [
        {
            "id": q.id,
            "label": q.label,
            "kind": ("multiple" if q.options else "yes_no") if q.kind == "checkbox" else q.kind,
            "required": q.required,
            "choices": "\n".join(q.options),
        }
        for q in questions
    ]


# -- the lecturers ------------------------------------------------------------------------------

MAX_LECTURERS = 10
LECTURER_FIELDS = ("name", "affiliation", "bio", "photo_url")
_LECTURER_LIMITS = {"name": 100, "affiliation": 200, "bio": 1000, "photo_url": 500}


def blank_lecturer() -> dict[str, str]:
    return dict.fromkeys(LECTURER_FIELDS, "")


def read_lecturers(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """The lecturer fieldsets as typed (`l-0-name`, …), in the order shown."""
    rows = []
    for index in range(MAX_LECTURERS + 1):
        prefix = f"l-{index}-"
        if form.get(prefix + "name") is None:
            break
        rows.append({field: _text(form.get(prefix + field)).strip() for field in LECTURER_FIELDS})
    return rows


def lecturer_values(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The lecturers as the API takes them (schemas.Lecturer); a fieldset whose name is empty is
    left out (that is how one is removed), unless something else was typed in it."""
    if len(rows) > MAX_LECTURERS:
        raise BadInput(_("Up to %(n)s lecturers.") % {"n": MAX_LECTURERS}, field="lecturers")
    lecturers = []
    for index, row in enumerate(rows):
        field = f"l-{index}-"
        if not any(row.values()):
            continue
        if not row["name"]:
            raise BadInput(_("Write the lecturer's name."), field=field + "name")
        for name, limit in _LECTURER_LIMITS.items():
            if len(row[name]) > limit:
                raise BadInput(_("Keep this to %(n)s characters.") % {"n": limit}, field=field + name)
        try:
            check_photo_url(row["photo_url"])
        except ValueError:
            raise BadInput(
                _("Enter a photo address that starts with https://, or a path on this site such as /static/…"),
                field=field + "photo_url",
            ) from None
        lecturers.append(row)
    return lecturers


def lecturer_rows(lecturers: list[Lecturer], spare: int = 1) -> list[dict[str, str]]:
    """Saved lecturers as the form shows them, with `spare` empty fieldsets to add more."""
    rows = [{field: getattr(lecturer, field) for field in LECTURER_FIELDS} for lecturer in lecturers]
    return rows + [blank_lecturer() for _n in range(min(spare, MAX_LECTURERS - len(rows)))]


def _text(value: object) -> str:
    """A form value as text; a NUL byte is never meant and PostgreSQL refuses it."""
    return str(value or "").replace("\x00", "")


# -- the whole form -----------------------------------------------------------------------------


def event_values(
    raw: dict[str, str], questions: list[dict[str, Any]], lecturers: list[dict[str, str]] | None = None
) -> dict[str, object]:
    """The form's text as the values EventIn and EventPatch expect (times in Tokyo, empty = none).
    A new series is left out here: the page creates it once everything else is valid."""
    for field in ("title", "starts_at", "ends_at"):
        if not raw[field]:
            raise BadInput(_hints()[field] if field != "ends_at" else _("Enter when the forum ends."), field=field)
    values: dict[str, object] = {name: raw[name] for name in FIELDS if name not in _TIMES}
    values.update({name: _tokyo_time(name, raw[name]) for name in _TIMES})
    del values["series_title"]
    del values["alumni_of"]  # the audience: everyone, or one series' alumni
    values["audience"] = {"alumni_of": [raw["alumni_of"]]} if raw["alumni_of"] else None
    values["capacity"] = raw["capacity"] or None
    values["series"] = raw["series"] if raw["series"] not in ("", NEW_SERIES) else None
    if raw["organization"] and not (raw["organization"].isdigit() and len(raw["organization"]) < 10):
        raise BadInput(_hints()["organization"], field="organization")
    values["organization"] = int(raw["organization"]) if raw["organization"] else None
    values["prefecture"] = raw["prefecture"] or None
    values["themes"] = [t.strip() for t in _THEME_SEPARATORS.split(raw["themes"]) if t.strip()]
    values["questions"] = questions
    if lecturers is not None:
        values["lecturers"] = lecturers
    for name in ("format", "registration_mode", "status"):  # a missing choice keeps the default
        if not values[name]:
            del values[name]
    return values


def new_series_title(raw: dict[str, str]) -> str | None:
    """The title of the series to create with this forum, if the form asks for one: "new series"
    chosen (a title is then needed), or no series chosen and a new title written."""
    title = raw["series_title"]
    if raw["series"] == NEW_SERIES and not title:
        raise BadInput(_("Give the new series a title."), field="series_title")
    if len(title) > 200:
        raise BadInput(_("Keep the title to 200 characters."), field="series_title")
    return title if raw["series"] in ("", NEW_SERIES) and title else None


def convert(values: dict[str, object], schema: type[T]) -> T:
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as exc:
        field = error_field(exc) or "title"
        field = "alumni_of" if field.startswith("audience") else field
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
        "draws_at": local(out.draws_at),
        "status": out.status,
        "series": out.series.slug if out.series else "",
        "series_title": "",
        "alumni_of": out.audience.alumni_of[0] if out.audience else "",
        "organization": str(out.organization.id) if out.organization else "",
        "prefecture": out.prefecture or "",
        "themes": "、".join(out.themes),
    }
