"""Organizer pages under /organizer/: the forum list, the forum form, the registrations of a
forum (approve, reject, lottery, check-in) and the check-in desk.

Thin callers of the same services as the JSON API (routes.py): forms are read into the same
msgspec Structs, and every refusal is a DomainError shown on the page with its status code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from meetup import settings
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, TOHOKU
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, DomainError, NotFound
from meetup.events import audit, chart, cohosts, exports, forum_form, lottery, registration, series, service, tickets
from meetup.events.audit import acts, did
from meetup.events.dependencies import Forum, staff_required
from meetup.events.errors import NotRegistered
from meetup.events.schemas import EventIn, EventPatch, LotteryIn, LotteryResult, SeriesIn
from meetup.i18n import gettext as _

STATUSES = ("confirmed", "waitlisted", "pending", "rejected", "cancelled")
_MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def _text(value: object) -> str:
    """A form or query value as text; a NUL byte is never meant and PostgreSQL refuses it."""
    return str(value or "").replace("\x00", "")


# -- the forum form ---------------------------------------------------------------------------


async def _form_page(
    form: dict[str, str],
    questions: list[dict],
    event: dict | None,
    *,
    error: DomainError | None = None,
    status_code: int = 200,
    changed: bool = False,
    added: int | None = None,
    lecturers: list[dict] | None = None,
) -> Template:
    return Template(
        "organizer/event_form.html",
        context={
            "form": form,
            "questions": questions,
            "lecturers": lecturers if lecturers is not None else forum_form.lecturer_rows([]),
            "max_questions": forum_form.MAX_QUESTIONS,
            "series_options": await series.list_series(),
            "host_options": await service.host_choices(),
            "prefectures": {"tohoku": TOHOKU, "others": OTHERS, "overseas": OVERSEAS},
            "new_series": forum_form.NEW_SERIES,
            "event": event,
            "error": error.detail if error else None,
            "errors": {error.field: error.detail} if error and error.field else {},
            "changed": changed,  # a question was added, moved or removed: nothing is saved yet
            "added": added,
        },
        status_code=status_code,
    )


async def _save(request: Request, event: dict | None) -> Template | Redirect:
    """Save the forum form (a new forum when `event` is None); a question button (`op=add`,
    `op=up:2`, …) instead shows the form again with that change made and nothing saved, so the
    form works without JavaScript."""
    slug = event["slug"] if event else None
    form = await request.form()
    raw = {name: _text(form.get(name)) for name in forum_form.FIELDS}
    raw.update({name: raw[name].strip() for name in forum_form.FIELDS if name != "description"})
    questions = forum_form.read_questions(form)
    lecturers = forum_form.read_lecturers(form)
    shown_lecturers = [row for row in lecturers if any(row.values())]
    shown_lecturers += [forum_form.blank_lecturer()] if len(shown_lecturers) < forum_form.MAX_LECTURERS else []
    op = _text(form.get("op"))
    if op and op != "save":
        did(request, None)  # the form again, changed; nothing saved
        try:
            shown = forum_form.apply_op(questions, op)
        except DomainError as exc:
            return await _form_page(
                raw, questions, event, error=exc, status_code=exc.status_code, lecturers=shown_lecturers
            )
        return await _form_page(
            raw, questions, event, changed=True, added=shown if op == "add" else None, lecturers=shown_lecturers
        )
    try:
        if raw["series"] not in ("", forum_form.NEW_SERIES) and not await series.get_series(raw["series"]):
            raise BadInput(_("Choose a series from the list."), field="series")
        taken = (
            (await service.answer_ids(event["id"]) | {q.id for q in service.questions_of(event)}) if event else set()
        )
        values = forum_form.event_values(
            raw,
            forum_form.question_values(questions, taken),
            forum_form.lecturer_values(lecturers) if form.get("l-0-name") is not None else None,
        )
        series_title = forum_form.new_series_title(raw)
        data = forum_form.convert(values, EventIn if slug is None else EventPatch)
        async with write_transaction():  # a new series is made only with the forum that joins it
            if series_title:
                data.series = await series.create_series(SeriesIn(title=series_title))
            if slug is None:
                slug = await service.create_event(data, request.user.id)
            else:
                await service.update_event(slug, data)
    except DomainError as exc:
        return await _form_page(
            raw, questions, event, error=exc, status_code=exc.status_code, lecturers=lecturers or shown_lecturers
        )
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


async def _manage_page(
    request: Request,
    event: dict,
    *,
    lottery_form: dict | None = None,
    result: LotteryResult | None = None,
    error: str | None = None,
    status_code: int = 200,
    invite: dict | None = None,
) -> Template:
    filters = _filters(request)
    audit_page = _page_number(request.query_params.get("log"))
    log, older = await audit.entries(event["id"], page=audit_page)
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
            "curve": chart.registration_curve(await exports.daily_registrations(event["id"])),
            "lottery_form": lottery_form or _blank_lottery_form(),
            "result": result,
            "error": error,
            "statuses": STATUSES,
            "now": utcnow(),
            "organizer": request.user.is_organizer,  # co-hosts: the forum's people, not its settings
            "cohosts": await cohosts.cohosts_of(event["id"]),
            "invite": invite or {},
            "invited": _text(request.query_params.get("invited"))[:254],
            "log": log,
            "log_page": audit_page,
            "log_older": older,
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
    q: str = "",
    status_code: int = 200,
) -> Template:
    checked = await exports.registration_rows(event["id"], status="confirmed", checked_in=True)
    checked.sort(key=lambda row: row.checked_in_at, reverse=True)
    counts = await exports.status_counts(event["id"])
    matches, more = await tickets.find_by_name(event["id"], q) if q else ([], False)
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
            "q": q,
            "matches": matches,
            "more_matches": more,
        },
        status_code=status_code,
    )


async def _act(
    request: Request,
    event: dict,
    reg_id: int,
    action: Callable[[dict, int], Awaitable[dict]],
    *,
    arrival: bool = False,
) -> Template | Redirect:
    """Run one registration action and go back where the button was (manage page or desk);
    the desk greets an `arrival` by name."""
    slug = event["slug"]
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
    if desk and arrival:
        path += f"?arrived={reg_id}"
    return Redirect(path=path, status_code=303)


def _page_number(value: object) -> int:
    text = _text(value)
    return int(text) if text.isdigit() and 0 < len(text) < 6 and int(text) > 0 else 1


def _blank_lottery_form() -> dict:
    return {"seats": "", "held": dict.fromkeys(TOHOKU, "0")}


async def _lottery(request: Request, event: dict, draw: bool) -> Template:
    """The lottery form: seats to draw and a number held for each Tohoku prefecture."""
    form = await request.form()
    raw = {
        "seats": _text(form.get("seats")).strip(),
        "held": {p: _text(form.get(f"held-{p}")).strip() for p in TOHOKU},
    }
    values = {
        "seats": raw["seats"] or None,
        "held": {p: v for p, v in raw["held"].items() if v},
    }
    try:
        data = msgspec.convert(values, LotteryIn, strict=False)
    except msgspec.ValidationError:
        message = _("Seats to draw and seats held are whole numbers from 0.")
        return await _manage_page(request, event, lottery_form=raw, error=message, status_code=400)
    try:
        result = await (lottery.run if draw else lottery.preview)(event, data)
    except DomainError as exc:
        return await _manage_page(request, event, lottery_form=raw, error=exc.detail, status_code=exc.status_code)
    return await _manage_page(request, event, lottery_form=raw, result=result)


async def _publish(request: Request, event: dict, *, published: bool) -> Template | Redirect:
    try:
        await service.set_published(event["slug"], published)
    except DomainError as exc:
        return await _manage_page(request, event, error=exc.detail, status_code=exc.status_code)
    return Redirect(path=_manage_url(event["slug"], _filters(request)), status_code=303)


class OrganizerPages(Controller):
    path = "/organizer"
    guards = [staff_required]  # organizers; co-hosts only where a route's opt lets them (acts)
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
        return await _form_page(forum_form.blank_form(), [], None)

    @post("/events/new")
    async def create(self, request: Request) -> Template | Redirect:
        return await _save(request, None)

    @get("/events/{slug:str}/edit", opt=acts(None, cohosts=False))
    async def edit_form(self, request: Request, forum: Forum) -> Template:
        out = await service.event_out(forum, request.user.id, organizer=True)
        return await _form_page(
            forum_form.filled_form(out),
            forum_form.question_rows(out.questions),
            forum,
            lecturers=forum_form.lecturer_rows(out.lecturers),
        )

    @post("/events/{slug:str}/edit", opt=acts("forum.edit", cohosts=False))
    async def edit(self, request: Request, forum: Forum) -> Template | Redirect:
        return await _save(request, forum)

    @post("/events/{slug:str}/cancel", opt=acts("forum.cancel", cohosts=False))
    async def cancel(self, forum: Forum) -> Redirect:
        """Call the forum off: everyone holding a place is mailed (service.update_event)."""
        await service.update_event(forum["slug"], EventPatch(status="cancelled"))
        return Redirect(path=f"/organizer/events/{forum['slug']}", status_code=303)

    @post("/events/{slug:str}/publish", opt=acts("forum.publish", cohosts=False))
    async def publish(self, request: Request, forum: Forum) -> Template | Redirect:
        """Publish a draft: it appears in the list and on its page, and registration opens."""
        return await _publish(request, forum, published=True)

    @post("/events/{slug:str}/unpublish", opt=acts("forum.unpublish", cohosts=False))
    async def unpublish(self, request: Request, forum: Forum) -> Template | Redirect:
        """Back to draft: hidden from everyone but organizers; registrations are kept."""
        return await _publish(request, forum, published=False)

    @get("/events/{slug:str}", opt=acts(None))
    async def manage(self, request: Request, forum: Forum) -> Template:
        return await _manage_page(request, forum)

    @post("/events/{slug:str}/registrations/{reg_id:int}/approve", opt=acts("registration.approve"))
    async def approve(self, request: Request, forum: Forum, reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(request, forum, reg_id, registration.approve)

    @post("/events/{slug:str}/registrations/{reg_id:int}/reject", opt=acts("registration.reject"))
    async def reject(self, request: Request, forum: Forum, reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(request, forum, reg_id, registration.reject)

    @post("/events/{slug:str}/registrations/{reg_id:int}/check-in", opt=acts("registration.check_in"))
    async def check_in(self, request: Request, forum: Forum, reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(
            request, forum, reg_id, lambda event, rid: registration.check_in(event, reg_id=rid), arrival=True
        )

    @post("/events/{slug:str}/registrations/{reg_id:int}/undo-check-in", opt=acts("registration.undo_check_in"))
    async def undo_check_in(self, request: Request, forum: Forum, reg_id: FromPath[int]) -> Template | Redirect:
        return await _act(
            request, forum, reg_id, lambda event, rid: registration.check_in(event, reg_id=rid, undo=True)
        )

    @post("/events/{slug:str}/lottery/preview", opt=acts(None))
    async def lottery_preview(self, request: Request, forum: Forum) -> Template:
        return await _lottery(request, forum, draw=False)

    @post("/events/{slug:str}/lottery", opt=acts("lottery.draw"))
    async def lottery_draw(self, request: Request, forum: Forum) -> Template:
        return await _lottery(request, forum, draw=True)

    @get("/events/{slug:str}/check-in", opt=acts(None))
    async def desk(
        self, forum: Forum, q: FromQuery[str | None] = None, arrived: FromQuery[int | None] = None
    ) -> Template:
        """The desk; `q` finds confirmed registrants by name (kanji, kana or romaji), `arrived`
        greets the person just checked in from that list."""
        return await _desk_page(forum, q=_text(q).strip()[:100], arrived=arrived)

    @post("/events/{slug:str}/check-in", opt=acts("registration.check_in"))
    async def desk_check_in(self, request: Request, forum: Forum) -> Template:
        """A typed or scanned ticket code; a second scan of the same ticket says when it came in."""
        code = _text((await request.form()).get("code")).strip()[:200]
        if not code:
            return await _desk_page(forum, error=_("Enter or scan a ticket code."), status_code=400)
        started = utcnow()
        try:
            row = await registration.check_in(forum, code=code)
        except DomainError as exc:
            return await _desk_page(forum, error=exc.detail, code=code, status_code=exc.status_code)
        # A scanner may fire twice within a moment: only an older check-in counts as "again".
        again = row["checked_in_at"] < started - timedelta(seconds=5)
        return await _desk_page(forum, arrived=row["id"], again=again)

    @post("/events/{slug:str}/cohosts", opt=acts("cohost.invite", cohosts=False))
    async def invite_cohost(self, request: Request, forum: Forum) -> Template | Redirect:
        """Invite a co-host by e-mail: the invitation is mailed; the address is shown back only to
        the organizer who typed it."""
        email = _text((await request.form()).get("email")).strip()[:254]
        try:
            email = await cohosts.invite(forum, email, request.user, settings.current().base_url)
        except DomainError as exc:
            invite = {"email": email, "error": exc.detail}
            return await _manage_page(request, forum, invite=invite, status_code=exc.status_code)
        return Redirect(
            path=f"/organizer/events/{forum['slug']}?{urlencode({'invited': email})}#cohosts", status_code=303
        )

    @post("/events/{slug:str}/cohosts/{user_id:int}/remove", opt=acts("cohost.remove", cohosts=False))
    async def remove_cohost(self, request: Request, forum: Forum, user_id: FromPath[int]) -> Template | Redirect:
        try:
            if not 0 < user_id <= _MAX_ID:
                raise NotFound(_("This person is not a co-host of this forum."))
            await cohosts.remove(forum["id"], user_id)
        except DomainError as exc:
            return await _manage_page(request, forum, error=exc.detail, status_code=exc.status_code)
        return Redirect(path=f"/organizer/events/{forum['slug']}#cohosts", status_code=303)
