"""One place that turns errors into answers: JSON (Litestar's shape) for the API, a page for people."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from asyncpg.exceptions import DataError
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from meetup import i18n
from meetup.errors import SERVICE_DOWN, DomainError, TooManyRequests
from meetup.i18n import gettext as _
from meetup.site.locale import locale_of
from meetup.templating import site_path

log = logging.getLogger("meetup")


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/schema", "/healthz")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please log in"),
        403: _("You may not do that"),
        404: _("Page not found"),
        405: _("That is not allowed here"),
        409: _("That conflicts with what is already there"),
        410: _("This link is no longer valid"),
        413: _("That is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("The service is briefly unavailable"),
    }


class _ErrorPage(Template):
    """An error page rendered in the request's language: a path that matches no route never
    passes the locale middleware, so the page sets the language itself."""

    def __init__(self, *args: Any, locale: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.locale = locale
        self.headers["content-language"] = locale

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        with i18n.use_locale(self.locale):
            return super().to_asgi_response(*args, **kwargs)


def _answer(
    request: Request, status: int, detail: str, extra: object = None, headers: dict[str, str] | None = None
) -> Response:
    if wants_json(request):
        body: dict[str, object] = {"status_code": status, "detail": detail}
        if extra:
            body["extra"] = extra
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    if status == 401 and request.method == "GET":
        return Redirect(path=f"/login?next={quote(site_path(request.url.path))}")
    locale = locale_of(request.scope)
    with i18n.use_locale(locale):
        title = _titles().get(status, _titles()[400 if status < 500 else 500])
    # Litestar's own "Not Found" says nothing the title does not, and in English only
    shown = detail if status < 500 and detail != _phrase(status) else ""
    return _ErrorPage(
        template_name="errors/error.html",
        context={"status": status, "title": title, "detail": shown},
        status_code=status,
        headers=headers,
        locale=locale,
    )


def _phrase(status: int) -> str | None:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


def domain_error(request: Request, exc: DomainError) -> Response:
    extra = [{"key": exc.field, "message": exc.detail, "source": "body"}] if exc.field else None
    headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return _answer(request, exc.status_code, exc.detail, extra, headers)


def http_error(request: Request, exc: HTTPException) -> Response:
    extra = exc.extra if isinstance(exc, ValidationException) or exc.extra else None
    return _answer(request, exc.status_code, exc.detail, extra, exc.headers)


def unstorable_input(request: Request, exc: Exception) -> Response:
    """Input the database cannot hold (a NUL byte in text, a number past 64 bits): the person's
    mistake, not ours, so a 400 and nothing stored (the transaction has rolled back)."""
    return _answer(request, 400, "The input contains a value that cannot be stored (e.g. a NUL byte or a huge number).")


def unavailable(request: Request, exc: Exception) -> Response:
    """PostgreSQL or Redis cannot be reached (restarting, overloaded): a clean 503 to retry, and
    the app recovers by itself when they are back (the pools reconnect)."""
    log.warning("backing service unavailable on %s %s: %s: %s", request.method, request.url.path,
                type(exc).__name__, exc)  # fmt: skip
    detail = _("The service is briefly unavailable. Please try again in a moment.")
    return _answer(request, 503, detail, headers={"retry-after": "5"})


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error")


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    HTTPException: http_error,
    DataError: unstorable_input,
    OverflowError: unstorable_input,
    **dict.fromkeys(SERVICE_DOWN, unavailable),
    Exception: server_error,
}
