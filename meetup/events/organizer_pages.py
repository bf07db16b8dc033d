"""Organizer pages under /organizer/: the forum list, the forum form, the registrations of a
forum (approve, reject, lottery, check-in) and the check-in desk.

Thin callers of the same services as the JSON API (routes.py): forms are read into the same
msgspec Structs, and every refusal is a DomainError shown on the page with its status code.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from meetup.accounts.auth import organizer_required
from meetup.db import utcnow
from meetup.errors import BadInput, DomainError
from meetup.events import exports, lottery, registration, service
from meetup.events.errors import EventNotFound, NotRegistered
from meetup.events.schemas import EventIn, EventOut, EventPatch, LotteryIn, LotteryResult, Question
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _
from meetup.site.forms import error_field

STATUSES = ("confirmed", "waitlisted", "pending", "rejected", "cancelled")
FIELDS = (
    "title", "summary", "description", "starts_at", "ends_at", "format", "venue", "online_url", "capacity",
    "registration_mode", "registration_opens_at", "registration_closes_at", "status", "series", "questions",
)  # fmt: skip
_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
_YES = {"yes", "y", "true", "1", "はい", "必須"}
_NO = {"no", "n", "false", "0", "いいえ", "任意", ""}
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
_MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
T = TypeVar("T")


def _text(value: object) -> str:
    """A form or query value as text; a NUL byte is never meant and PostgreSQL refuses it."""
    return str(value or "").replace("\x00", "")


async def _forum(slug: str) -> dict:
    """The forum behind a page's URL (drafts included); a slug that cannot exist is a 404 too."""
    if not _SLUG.fullmatch(slug):
        raise EventNotFound(_("No such forum."))
    return await service.event_row(slug, organizer=True)


# -- the forum form ---------------------------------------------------------------------------


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


def _event_values(raw: dict[str, str]) -> dict[str, object]:
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


def _convert(values: dict[str, object], schema: type[T]) -> T:
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as exc:
        field = error_field(exc) or "title"
        raise BadInput(_hints().get(field, _("Please check this field.")), field=field) from None


def _blank_form() -> dict[str, str]:
    values = dict.fromkeys(FIELDS, "")
    values.update(format="online", registration_mode="first_come", status="draft")
    return values


def _filled_form(out: EventOut) -> dict[str, str]:
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


def _form_page(
    form: dict[str, str], event: dict | None, error: DomainError | None = None, status_code: int = 200
) -> Template:
    return Template(
        "organizer/event_form.html",
        context={
            "form": form,
            "event": event,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
        },
        status_code=status_code,
    )


async def _save(request: Request, slug: str | None) -> Template | Redirect:
    event = await _forum(slug) if slug else None
    form = await request.form()
    raw = {name: _text(form.get(name)) for name in FIELDS}
    raw.update({name: raw[name].strip() for name in FIELDS if name not in ("description", "questions")})
    try:
        values = _event_values(raw)
        if slug is None:
            slug = await service.create_event(_convert(values, EventIn), request.user.id)
        else:
            await service.update_event(slug, _convert(values, EventPatch))
    except DomainError as exc:
        return _form_page(raw, event, exc, exc.status_code)
    return Redirect(path=f"/organizer/events/{slug}", status_code=303)


# -- the registrations of a forum ---------------------------------------------------------------


def _filters(request: Request) -> dict[str, str]:
    """The manage page's filters from the query string, unknown values dropped."""
    status = _text(request.query_params.get("status"))
    checked_in = _text(request.query_params.get("checked_in"))
    return {
        "status": status if status in STATUSES else "",
        "checked_in": checked_in if checked_in in ("yes", "no") else "",
        "q": _text(request.query_params.get("q")).strip()[:200],
    }


def _manage_url(slug: str, filters: dict[str, str]) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"/organizer/events/{slug}" + (f"?{query}" if query else "")


def registration_curve(daily: list[tuple[str, int]]) -> dict | None:
    """Bars (one per day, quiet days included) and the cumulative line, in SVG units."""
    if not daily:
        return None
    counts = dict(daily)
    first, last = date.fromisoformat(daily[0][0]), date.fromisoformat(daily[-1][0])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    width, height, left, right, top, bottom = 320, 170, 30, 30, 14, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(days)
    peak = max(counts.values())
    total = sum(counts.values())
    labelled = {round(i * (len(days) - 1) / 4) for i in range(5)} if len(days) > 1 else {0}
    bars, points, running = [], [], 0
    for i, day in enumerate(days):
        n = counts.get(day.isoformat(), 0)
        running += n
        bar_h = plot_h * n / peak
        centre = left + step * (i + 0.5)
        bars.append(
            {
                "day": day.isoformat(),
                "count": n,
                "x": round(left + step * i + step * 0.12, 2),
                "y": round(top + plot_h - bar_h, 2),
                "width": round(max(step * 0.76, 0.8), 2),
                "height": round(bar_h, 2),
                "centre": round(centre, 2),
                "label": f"{day.month}/{day.day}" if i in labelled else None,
                "anchor": "start" if i == 0 and len(days) > 1 else "end" if i == len(days) - 1 and i else "middle",
            }
        )
        points.append(f"{centre:.2f},{top + plot_h - plot_h * running / total:.2f}")
    busiest = max(daily, key=lambda item: item[1])
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "baseline": top + plot_h,
        "bars": bars,
        "line": " ".join(points),
        "peak": peak,
        "total": total,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "busiest": busiest,
    }


async def _manage_page(
    request: Request,
    event: dict,
    *,
    lottery_form: dict[str, str] | None = None,
    result: LotteryResult | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    filters = _filters(request)
    checked_in = {"yes": True, "no": False}.get(filters["checked_in"])
    rows = await exports.registration_rows(
        event["id"], status=filters["status"] or None, checked_in=checked_in, q=filters["q"] or None
    )
    return Template(
        "organizer/manage.html",
        context={
            "event": event,
            "counts": await exports.status_counts(event["id"]),
            "rows": rows,
            "questions": {q.id: q.label for q in service.questions_of(event)},
            "filters": filters,
            "back": urlencode({k: v for k, v in filters.items() if v}),
            "curve": registration_curve(await exports.daily_registrations(event["id"])),
            "lottery_form": lottery_form or {"seats": "", "min_per_prefecture": "0"},
            "result": result,
            "error": error,
            "statuses": STATUSES,
        },
        status_code=status_code,
    )


async def _desk_page(
    event: dict,
    *,
    arrived: int | None = None,
    again: bool = False,
    error: str | None = None,
    code: str = "",
    status_code: int = 200,
) -> Template:
    checked = await exports.registration_rows(event["id"], status="confirmed", checked_in=True)
    checked.sort(key=lambda row: row.checked_in_at, reverse=True)
    counts = await exports.status_counts(event["id"])
    return Template(
        "organizer/check_in.html",
        context={
            "event": event,
            "checked": checked,
            "confirmed": counts.get("confirmed", 0),
            "person": next((row for row in checked if row.id == arrived), None),
            "again": again,
            "error": error,
            "code": code,
        },
        status_code=status_code,
    )


async def _act(
    request: Request, slug: str, reg_id: int, action: Callable[[dict, int], Awaitable[dict]]
) -> Template | Redirect:
    """Run one registration action and go back where the button was (manage page or desk)."""
    event = await _forum(slug)
    desk = request.query_params.get("from") == "desk"
    try:
        if not 0 < reg_id <= _MAX_ID:
            raise NotRegistered(_("No such registration."))
        await action(event, reg_id)
    except DomainError as exc:
        if desk:
            return await _desk_page(event, error=exc.detail, status_code=exc.status_code)
        return await _manage_page(request, event, error=exc.detail, status_code=exc.status_code)
    path = f"/organizer/events/{slug}/check-in" if desk else _manage_url(slug, _filters(request))
    return Redirect(path=path, status_code=303)


async def _lottery(request: Request, slug: str, draw: bool) -> Template:
    event = await _forum(slug)
    form = await request.form()
    raw = {name: _text(form.get(name)).strip() for name in ("seats", "min_per_prefecture")}
    try:
        data = msgspec.convert({k: v for k, v in raw.items() if v}, LotteryIn, strict=False)
    except msgspec.ValidationError:
        message = _("Seats and the minimum per prefecture are whole numbers from 0.")
        return await _manage_page(request, event, lottery_form=raw, error=message, status_code=400)
    try:
        result = await (lottery.run if draw else lottery.preview)(event, data)
    except DomainError as exc:
        return await _manage_page(request, event, lottery_form=raw, error=exc.detail, status_code=exc.status_code)
    return await _manage_page(request, event, lottery_form=raw, result=result)


class OrganizerPages(Controller):
    path = "/organizer"
    guards = [organizer_required]
    include_in_schema = False

    @get("/")
    async def dashboard(self) -> Template:
        forums = await service.list_events(statuses=("draft", "published", "cancelled"), limit=1000)
        now = utcnow()
        return Template(
            "organizer/dashboard.html",
            context={
                "upcoming": [f for f in forums if f.ends_at >= now],
                "past": [f for f in reversed(forums) if f.ends_at < now],
            },
        )

    @get("/events/new")
    async def new_form(self) -> Template:
        return _form_page(_blank_form(), None)

    @post("/events/new")
    async def create(self, request: Request) -> Template | Redirect:
        return await _save(request, None)

    @get("/events/{slug:str}/edit")
    async def edit_form(self, request: Request, slug: FromPath[str]) -> Template:
        event = await _forum(slug)
        return _form_page(_filled_form(await service.get_event(slug, request.user.id, organizer=True)), event)

    @post("/events/{slug:str}/edit")
    async def edit(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        return await _save(request, slug)

    @post("/events/{slug:str}/cancel")
    async def cancel(self, slug: FromPath[str]) -> Redirect:
        """Call the forum off: everyone holding a place is mailed (service.update_event)."""
        await _forum(slug)
        await service.update_event(slug, EventPatch(status="cancelled"))
        return Redirect(path=f"/organizer/events/{slug}", status_code=303)

    @get("/events/{slug:str}")
    async def manage(self, request: Request, slug: FromPath[str]) -> Template:
        return await _manage_page(request, await _forum(slug))

    @post("/events/{slug:str}/registrations/{reg_id:int}/approve")
    async def approve(self, request: Request, slug: FromPath[str], reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(request, slug, reg_id, registration.approve)

    @post("/events/{slug:str}/registrations/{reg_id:int}/reject")
    async def reject(self, request: Request, slug: FromPath[str], reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(request, slug, reg_id, registration.reject)

    @post("/events/{slug:str}/registrations/{reg_id:int}/check-in")
    async def check_in(self, request: Request, slug: FromPath[str], reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(request, slug, reg_id, lambda event, rid: registration.check_in(event, reg_id=rid))

    @post("/events/{slug:str}/registrations/{reg_id:int}/undo-check-in")
    async def undo_check_in(self, request: Request, slug: FromPath[str], reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(request, slug, reg_id, lambda event, rid: registration.check_in(event, reg_id=rid, undo=True))

    @post("/events/{slug:str}/lottery/preview")
    async def lottery_preview(self, request: Request, slug: FromPath[str]) -> Template:
        return await _lottery(request, slug, draw=False)

    @post("/events/{slug:str}/lottery")
    async def lottery_draw(self, request: Request, slug: FromPath[str]) -> Template:
        return await _lottery(request, slug, draw=True)

    @get("/events/{slug:str}/check-in")
    async def desk(self, slug: FromPath[str]) -> Template:
        return await _desk_page(await _forum(slug))

    @post("/events/{slug:str}/check-in")
    async def desk_check_in(self, request: Request, slug: FromPath[str]) -> Template:
        """A typed or scanned ticket code; a second scan of the same ticket says when it came in."""
        event = await _forum(slug)
        code = _text((await request.form()).get("code")).strip()[:200]
        if not code:
            return await _desk_page(event, error=_("Enter or scan a ticket code."), status_code=400)
        started = utcnow()
        try:
            row = await registration.check_in(event, code=code)
        except DomainError as exc:
            return await _desk_page(event, error=exc.detail, code=code, status_code=exc.status_code)
        # A scanner may fire twice within a moment: only an older check-in counts as "again".
        again = row["checked_in_at"] < started - timedelta(seconds=5)
        return await _desk_page(event, arrived=row["id"], again=again)
