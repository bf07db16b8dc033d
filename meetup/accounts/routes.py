"""Accounts over HTTP: the JSON API (`/api/v1/auth/*`, `/api/v1/me`) and the pages people use."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from meetup.accounts import calendar_feed, magic_link, service
from meetup.accounts.auth import INTENT_KEY, client_address, log_in, log_out, login_required
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import Accepted, LoginIn, MagicLinkIn, MeOut, NameIn, SignupIn, UserOut
from meetup.errors import DomainError
from meetup.i18n import gettext as _
from meetup.settings import Settings
from meetup.site.forms import parse_form


def safe_next(path: str | None) -> str:
    """Only a path on this site: '//evil.example' and 'https://…' would be open redirects."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _store(request: Request) -> Any:
    return request.app.stores.get("sessions")


class AccountsApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/signup", status_code=201, summary="Create an account and sign in")
    async def signup(
        self, request: Request, data: JSONBody[SignupIn], limiter: NamedDependency[RateLimiter]
    ) -> UserOut:
        user = await service.signup(data, limiter=limiter, client=client_address(request))
        await log_in(request, user, _store(request))
        return user

    @post("/auth/login", status_code=200, summary="Sign in with e-mail and password")
    async def login(self, request: Request, data: JSONBody[LoginIn], limiter: NamedDependency[RateLimiter]) -> UserOut:
        user = await service.login(data, limiter=limiter, client=client_address(request))
        await log_in(request, user, _store(request))
        return user

    @post("/auth/logout", status_code=HTTP_204_NO_CONTENT, summary="Sign out")
    async def logout(self, request: Request) -> None:
        await log_out(request, _store(request))

    @post("/auth/magic-link", status_code=HTTP_202_ACCEPTED, summary="Mail a one-time sign-in link")
    async def magic_link(
        self,
        request: Request,
        data: JSONBody[MagicLinkIn],
        limiter: NamedDependency[RateLimiter],
        settings: NamedDependency[Settings],
    ) -> Accepted:
        data.next = safe_next(data.next)
        await magic_link.request_magic_link(
            data, limiter=limiter, client=client_address(request), base_url=settings.base_url
        )
        return Accepted(detail="If the address can receive mail, a sign-in link is on its way.")

    @get(
        "/me",
        guards=[login_required],
        summary="The signed-in account",
        description="`calendar_url` is the secret address of my personal calendar feed (the forums I hold a "
        "confirmed seat at, with their online URL): keep it to yourself; `POST /me/calendar/reset` replaces it.",
    )
    async def me(self, request: Request) -> MeOut:
        return await _me_out(request.user)

    @post(
        "/me/calendar/reset",
        guards=[login_required],
        status_code=HTTP_200_OK,
        summary="A new secret address for my calendar feed (the old one answers 404 from now on)",
    )
    async def reset_calendar(self, request: Request) -> MeOut:
        await calendar_feed.reset(request.user.id)
        return await _me_out(request.user)

    @patch("/me", guards=[login_required], summary="Change my display name (the name others see)")
    async def rename(self, request: Request, data: JSONBody[NameIn]) -> UserOut:
        return await service.set_display_name(request.user.id, data.display_name)


async def _me_out(user: UserOut) -> MeOut:
    return MeOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        locale=user.locale,
        calendar_url=await calendar_feed.calendar_url(user.id),
    )


class AccountPages(Controller):
    tags = ["pages"]
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request, next: FromQuery[str | None] = None) -> Template:
        return Template("accounts/login.html", context={"next": safe_next(next), "form": {}, "error": None})

    @post("/login")
    async def login_submit(self, request: Request, limiter: NamedDependency[RateLimiter]) -> Template | Redirect:
        form = await request.form()
        next_path = safe_next(form.get("next"))
        data, raw, field = await parse_form(request, LoginIn, ("email", "password"))
        error = _("Enter your e-mail address and password.") if data is None else None
        if data is not None:
            try:
                user = await service.login(data, limiter=limiter, client=client_address(request))
            except DomainError as exc:
                error, status = exc.detail, exc.status_code
            else:
                await log_in(request, user, _store(request))
                return Redirect(path=next_path)
        else:
            status = 400
        raw.pop("password", None)
        return Template(
            "accounts/login.html", context={"next": next_path, "form": raw, "error": error}, status_code=status
        )

    @get("/signup")
    async def signup_form(self, next: FromQuery[str | None] = None) -> Template:
        return Template("accounts/signup.html", context={"next": safe_next(next), "form": {}, "errors": {}})

    @post("/signup")
    async def signup_submit(self, request: Request, limiter: NamedDependency[RateLimiter]) -> Template | Redirect:
        form = await request.form()
        next_path = safe_next(form.get("next"))
        data, raw, field = await parse_form(request, SignupIn, ("email", "password", "display_name", "locale"))
        hints = {
            "email": _("Enter a valid e-mail address."),
            "password": _("Use at least 10 characters."),
            "display_name": _("Enter the name people will see (up to 100 characters)."),
            "locale": _("Choose Japanese or English."),
        }
        status = 400
        errors: dict[str, str] = {field: hints.get(field, _("Please check this field."))} if field else {}
        if data is not None:
            try:
                user = await service.signup(data, limiter=limiter, client=client_address(request))
            except DomainError as exc:
                errors, status = {exc.field or "email": exc.detail}, exc.status_code
            else:
                await log_in(request, user, _store(request))
                return Redirect(path=next_path)
        raw.pop("password", None)
        return Template(
            "accounts/signup.html",
            context={"next": next_path, "form": raw, "errors": errors},
            status_code=status,
        )

    @get("/magic-link")
    async def magic_form(self, next: FromQuery[str | None] = None) -> Template:
        return Template("accounts/magic_link.html", context={"next": safe_next(next), "form": {}, "error": None})

    @post("/magic-link")
    async def magic_submit(
        self, request: Request, limiter: NamedDependency[RateLimiter], settings: NamedDependency[Settings]
    ) -> Template:
        form = await request.form()
        next_path = safe_next(form.get("next"))
        data, raw, _field = await parse_form(request, MagicLinkIn, ("email",))
        if data is None:
            return Template(
                "accounts/magic_link.html",
                context={"next": next_path, "form": raw, "error": _("Enter a valid e-mail address.")},
                status_code=400,
            )
        data.next = next_path
        await magic_link.request_magic_link(
            data, limiter=limiter, client=client_address(request), base_url=settings.base_url
        )
        return magic_sent(data.email, settings)

    @get("/auth/magic/{token:str}")
    async def magic_open(self, token: FromPath[str]) -> Template:
        """Mail scanners open links: this page only looks at the link and offers one button."""
        return await _magic_page(token)

    @post("/auth/magic/{token:str}")
    async def magic_press(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """The button: signs in (once), creating the account of a new address."""
        form = await request.form()
        name = " ".join(str(form.get("display_name") or "").split())
        if name:
            try:
                name = msgspec.convert({"display_name": name}, NameIn).display_name
            except msgspec.ValidationError:
                return await _magic_page(
                    token, error=_("Enter the name people will see (up to 100 characters)."), name=name
                )
        try:
            user, next_path, intent = await magic_link.sign_in_with_magic_link(token, name or None)
        except (magic_link.LinkNotValid, magic_link.LinkExpired) as exc:
            return _magic_problem(exc)
        await log_in(request, user, _store(request))
        if intent:
            request.session[INTENT_KEY] = intent  # picked up by the page `next` leads to
        return Redirect(path=safe_next(next_path), status_code=303)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        await log_out(request, _store(request))
        return Redirect(path="/")

    @get("/me", guards=[login_required])
    async def me(self, request: Request, done: FromQuery[str | None] = None) -> Template:
        return Template("accounts/me.html", context=await _me_context(request, done=done))

    @post("/me/calendar/reset", guards=[login_required])
    async def me_reset_calendar(self, request: Request) -> Redirect:
        await calendar_feed.reset(request.user.id)
        return Redirect(path="/me?done=calendar#calendar", status_code=303)

    @post("/me", guards=[login_required])
    async def me_rename(self, request: Request) -> Template | Redirect:
        data, raw, _field = await parse_form(request, NameIn, ("display_name",))
        if data is None:
            return Template(
                "accounts/me.html",
                context=await _me_context(
                    request,
                    error=_("Enter the name people will see (up to 100 characters)."),
                    name=raw.get("display_name", ""),
                ),
                status_code=400,
            )
        await service.set_display_name(request.user.id, data.display_name)
        return Redirect(path="/me?done=name", status_code=303)


async def _me_context(request: Request, *, done=None, error=None, name=None) -> dict:
    url = await calendar_feed.calendar_url(request.user.id)
    return {
        "error": error,
        "done": done,
        "name": name,
        "calendar_url": url,
        "calendar_webcal": "webcal://" + url.split("://", 1)[1],
    }


def magic_sent(email: str, settings: Settings, forum_title: str | None = None) -> Template:
    """The page after a link was asked for: where it went, and (for a forum) that the
    registration is not finished until the link's button is pressed."""
    return Template(
        "accounts/magic_sent.html",
        context={
            "email": email,
            "forum_title": forum_title,
            "dev_mailbox": not settings.smtp_url and settings.env == "dev",
        },
        status_code=HTTP_202_ACCEPTED,
    )


def _magic_problem(exc: magic_link.LinkNotValid | magic_link.LinkExpired) -> Template:
    return Template(
        "accounts/magic_open.html",
        context={"link": None, "problem": exc.detail, "error": None, "name": ""},
        status_code=exc.status_code,
    )


async def _magic_page(token: str, error: str | None = None, name: str | None = None) -> Template:
    try:
        link = await magic_link.pending_link(token)
    except (magic_link.LinkNotValid, magic_link.LinkExpired) as exc:
        return _magic_problem(exc)
    return Template(
        "accounts/magic_open.html",
        context={
            "link": link,
            "problem": None,
            "error": error,
            "name": link.display_name if name is None else name,
        },
        status_code=400 if error else 200,
    )
