"""The forum pages people use: list, forum page with register/cancel, ticket, my registrations."""

from __future__ import annotations

from urllib.parse import quote

import msgspec
import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from meetup import forum_links, i18n, settings
from meetup.accounts import follows, magic_link
from meetup.accounts.auth import client_address, current_user, login_required, pop_intent
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.routes import magic_sent
from meetup.accounts.schemas import MagicLinkIn
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, PREFECTURES, TOHOKU, prefecture_name
from meetup.db import utcnow
from meetup.errors import BadInput, DomainError
from meetup.events import alumni, enrolment, publication, registration, series, service, tickets
from meetup.events.calendar import calendar_links
from meetup.events.calendar_routes import series_feed, subscribe_links
from meetup.events.dependencies import FORUM_OR_CALENDAR, Forum, is_calendar, manages
from meetup.events.errors import EventNotFound
from meetup.events.routes import calendar_response
from meetup.events.schemas import EnrolmentIn, Question, RegistrationIn, clean_themes
from meetup.i18n import gettext as _

PREFECTURE_GROUPS = {"tohoku": TOHOKU, "others": OTHERS, "overseas": OVERSEAS}


def _answers_from_form(form, questions: list[Question]) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question in questions:
        key = f"q_{question.id}"
        if question.kind == "checkbox" and question.options:
            # nothing ticked: no such key at all (getall would raise KeyError)
            answers[question.id] = form.getall(key, []) if hasattr(form, "getall") else form.get(key, [])
        elif question.kind == "checkbox":
            answers[question.id] = form.get(key) == "on"
        elif form.get(key) not in (None, ""):
            answers[question.id] = form.get(key)
    return answers


async def _forum_context(request: Request, row: dict, **extra: object) -> dict:
    user = current_user(request)
    runs = await manages(user, row)  # an organizer, or a co-host of this forum
    event = await service.event_out(row, user.id if user else None, organizer=runs)
    mine = await registration.my_registration(row["id"], user.id) if user else None
    return {
        "programme": event.series if await series.takes_enrolment(row["series"]) else None,
        "audience": await alumni.audience_titles(row),
        "admitted": await alumni.admits(row, user.id if user else None),
        "event": event,
        "mine": await registration.to_out(mine, row["slug"]) if mine else None,
        "links": calendar_links(row, settings.current().base_url),
        "feature_links": await forum_links.links(row, user, "forum"),
        "follow_items": await _follow_items(row, event, user.id if user else None),
        "prefectures": PREFECTURE_GROUPS,
        "runs": runs,
        "error": None,
        "answers": {},
        "newcomer": {},
        "done": None,
        **extra,
    }


async def _follow_items(row: dict, event, account_id: int | None) -> list[dict]:
    """What a forum's page offers to follow: its series, host organisation, prefecture and themes,
    each with the visitor's follow of it (None: not followed). A draft offers nothing."""
    if row["status"] == "draft":
        return []
    wanted = []
    if event.series:
        wanted.append(("series", event.series.slug, str(row["series"]), event.series.title))
    if event.organization:
        name = event.organization.name
        wanted.append(("organization", str(event.organization.id), str(event.organization.id), name))
    if event.prefecture:
        label = prefecture_name(event.prefecture, i18n.current_locale())
        wanted.append(("prefecture", event.prefecture, event.prefecture, label))
    wanted += [("theme", theme, theme, f"#{theme}") for theme in event.themes]
    return [
        {"kind": kind, "value": value, "label": label, "id": await follows.following(account_id, kind, stored)}
        for kind, value, stored, label in wanted
    ]


class EventPages(Controller):
    include_in_schema = False

    @get("/events")
    async def index(
        self,
        request: Request,
        q: FromQuery[str | None] = None,
        prefecture: FromQuery[str | None] = None,
        theme: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        query = q.strip()[:200] if q else ""
        prefecture = prefecture if prefecture in PREFECTURES else None
        theme = (clean_themes([theme[:60]]) or [None])[0] if theme else None
        filters = {"q": query or None, "prefecture": prefecture, "theme": theme}
        upcoming = await service.list_events(**filters, starts_from=utcnow())
        past = await service.list_events(**filters, starts_to=utcnow(), statuses=("published",))
        past = [e for e in reversed(past) if e.slug not in {u.slug for u in upcoming}][:30]
        viewer = current_user(request)
        followed = None
        if prefecture or theme:  # the prefecture's or theme's view: it can be followed
            kind, value = ("prefecture", prefecture) if prefecture else ("theme", theme)
            followed = {
                "kind": kind,
                "value": value,
                "id": await follows.following(viewer.id if viewer else None, kind, value),
                "next": f"/events?{kind}={quote(value)}",
            }
        context = {
            "upcoming": upcoming,
            "past": past,
            "q": query,
            "prefecture": prefecture,
            "theme": theme,
            "prefectures": PREFECTURE_GROUPS,
            "themes": await publication.forum_themes(),
            "followed": followed,
            "done": done,
            "calendar": subscribe_links("/events.ics"),
        }
        return Template("events/list.html", context=context)

    @get("/events/{slug:str}", dependencies=FORUM_OR_CALENDAR)
    async def detail(
        self, request: Request, slug: FromPath[str], forum: Forum, done: FromQuery[str | None] = None
    ) -> Response:
        if is_calendar(slug):
            return calendar_response(forum)
        return Template("events/detail.html", context=await _forum_context(request, forum, done=done))

    @post("/events/{slug:str}/register")
    async def register(
        self, request: Request, slug: FromPath[str], public_forum: Forum, limiter: NamedDependency[RateLimiter]
    ) -> Template | Redirect:
        questions = service.questions_of(public_forum)
        form = await request.form()
        answers = _answers_from_form(form, questions)
        prefecture = form.get("prefecture") or None
        user = current_user(request)
        try:
            data = msgspec.convert({"answers": answers, "prefecture": prefecture}, RegistrationIn, strict=False)
            await registration.refuse_in_programme(public_forum)
            if user is None:
                return await self._register_by_mail(request, public_forum, form, data, limiter)
            await registration.register(public_forum, user.id, data, questions)
        except (DomainError, msgspec.ValidationError) as exc:
            detail = exc.detail if isinstance(exc, DomainError) else _("Please check your answers.")
            status = exc.status_code if isinstance(exc, DomainError) else 400
            newcomer = {"email": form.get("email") or "", "display_name": form.get("display_name") or ""}
            context = await _forum_context(request, public_forum, error=detail, answers=answers, newcomer=newcomer)
            return Template("events/detail.html", context=context, status_code=status)
        return Redirect(path=f"/events/{slug}?done=registered", status_code=303)

    async def _register_by_mail(
        self, request: Request, row: dict, form, data: RegistrationIn, limiter: RateLimiter
    ) -> Template:
        """A newcomer registers in one step with a name and an e-mail address: the magic link
        (its button) signs them in, creates their account under that name and completes it."""
        name = " ".join(str(form.get("display_name") or "").split())
        if not name:
            raise BadInput(_("Enter the name people will see (up to 100 characters)."), field="display_name")
        try:
            magic = msgspec.convert(
                {
                    "email": form.get("email") or "",
                    "display_name": name,
                    "next": f"/events/{row['slug']}/register/continue",
                },
                MagicLinkIn,
            )
        except msgspec.ValidationError as exc:
            field = "display_name" if "display_name" in str(exc) else "email"
            hint = {
                "display_name": _("Enter the name people will see (up to 100 characters)."),
                "email": _("Enter a valid e-mail address."),
            }[field]
            raise BadInput(hint, field=field) from None
        intent = {"register": {"event": row["slug"], "answers": data.answers, "prefecture": data.prefecture}}
        current = settings.current()
        await magic_link.request_magic_link(
            magic,
            limiter=limiter,
            client=client_address(request),
            base_url=current.base_url,
            intent=intent,
            forum_title=row["title"],
        )
        return magic_sent(magic.email, current, forum_title=row["title"])

    @get("/events/{slug:str}/register/continue", guards=[login_required])
    async def register_continue(
        self, request: Request, slug: FromPath[str], public_forum: Forum
    ) -> Template | Redirect:
        intent = pop_intent(request) or {}
        wanted = intent.get("register") if isinstance(intent, dict) else None
        if not wanted or wanted.get("event") != slug:
            return Redirect(path=f"/events/{slug}", status_code=303)
        try:
            data = msgspec.convert(
                {"answers": wanted.get("answers") or {}, "prefecture": wanted.get("prefecture")}, RegistrationIn
            )
            await registration.register(public_forum, request.user.id, data, service.questions_of(public_forum))
        except (DomainError, msgspec.ValidationError) as exc:
            detail = exc.detail if isinstance(exc, DomainError) else _("Please check your answers.")
            context = await _forum_context(request, public_forum, error=detail)
            return Template("events/detail.html", context=context, status_code=getattr(exc, "status_code", 400))
        return Redirect(path=f"/events/{slug}?done=registered", status_code=303)

    @post("/events/{slug:str}/cancel", guards=[login_required])
    async def cancel(self, request: Request, slug: FromPath[str], public_forum: Forum) -> Redirect:
        await registration.cancel(public_forum, request.user.id)
        return Redirect(path=f"/events/{slug}?done=cancelled", status_code=303)

    @get("/events/{slug:str}/ticket", guards=[login_required])
    async def ticket(self, request: Request, slug: FromPath[str], public_forum: Forum) -> Template | Redirect:
        mine = await registration.my_registration(public_forum["id"], request.user.id)
        if mine is None or mine["status"] != "confirmed":
            return Redirect(path=f"/events/{slug}", status_code=303)
        event = await service.event_out(public_forum, request.user.id)
        code = tickets.shown(mine["ticket_code"])
        qr = segno.make_qr(code, error="m")  # never a Micro QR, which phones and jsQR cannot read
        return Template(
            "events/ticket.html",
            context={
                "event": event,
                "code": code,
                "checked_in_at": mine["checked_in_at"],
                # segno writes the SVG from our own ticket code: nothing a person typed.
                "qr_svg": Markup(qr.svg_inline(scale=8, dark="#1d2a35", omitsize=True)),  # noqa: S704
            },
        )

    @get("/me/registrations", guards=[login_required])
    async def my_registrations(self, request: Request) -> Template:
        items = await registration.registrations_of(request.user.id)
        return Template("events/my_registrations.html", context={"items": items})

    @get("/series/{slug:str}")
    async def series_page(
        self, request: Request, slug: FromPath[str], done: FromQuery[str | None] = None
    ) -> Template | Response:
        if slug.endswith(".ics"):  # the series' calendar to subscribe to
            return await series_feed(request, slug.removesuffix(".ics"))
        return await _series_page(request, slug, done=done)

    @post("/series/{slug:str}/enrol", guards=[login_required])
    async def enrol(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        row = await enrolment.open_series(slug)
        form = await request.form()
        answers = _answers_from_form(form, series.questions_of(row))
        prefecture = str(form.get("prefecture") or "")[:10] or None
        try:
            data = msgspec.convert({"answers": answers, "prefecture": prefecture}, EnrolmentIn, strict=False)
            await enrolment.enrol(row, request.user.id, data)
        except (DomainError, msgspec.ValidationError) as exc:
            detail = exc.detail if isinstance(exc, DomainError) else _("Please check your answers.")
            status = exc.status_code if isinstance(exc, DomainError) else 400
            return await _series_page(request, slug, error=detail, answers=answers, status_code=status)
        return Redirect(path=f"/series/{slug}?done=enrolled#enrol", status_code=303)

    @post("/series/{slug:str}/cancel-enrolment", guards=[login_required])
    async def cancel_enrolment(self, request: Request, slug: FromPath[str]) -> Redirect:
        await enrolment.cancel(await enrolment.open_series(slug), request.user.id)
        return Redirect(path=f"/series/{slug}?done=cancelled#enrol", status_code=303)


async def _series_page(
    request: Request,
    slug: str,
    *,
    done: str | None = None,
    error: str | None = None,
    answers: dict | None = None,
    status_code: int = 200,
) -> Template:
    found = await series.get_series(slug)
    if found is None:
        raise EventNotFound(_("No such series."))
    sessions = await service.list_events(series_slug=slug, statuses=("published", "cancelled"))
    viewer = current_user(request)
    row = await series.series_row(slug)
    follow_id = await follows.following(viewer.id if viewer else None, "series", str(row["id"]))
    context = {
        "series": found,
        "sessions": sessions,
        "done": done,
        "error": error,
        "answers": answers or {},
        "follow_id": follow_id,
        "calendar": subscribe_links(f"/series/{slug}.ics"),
        "feature_links": await forum_links.series_links(row),
    }
    return Template(
        "events/series.html", context=context | await _enrolment_context(request, slug), status_code=status_code
    )


async def _enrolment_context(request: Request, slug: str) -> dict:
    """The series' enrolment and the visitor's place in it, for its page."""
    row = await series.series_row(slug)
    user = current_user(request)
    mine = await enrolment.mine(row["id"], user.id) if user else None
    return {
        "enrolment": series.enrolment_out(row),
        "mine": await enrolment.to_out(mine, slug) if mine else None,
        "prefectures": PREFECTURE_GROUPS,
    }
