"""Chooses the language of each request: ?lang= (remembered in a cookie), the cookie, the
account's choice, then Japanese."""

from __future__ import annotations

from urllib.parse import parse_qs

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from meetup import i18n
from meetup.accounts import service as accounts

COOKIE = "lang"


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == COOKIE:
                    return val
    return None


def _asked(scope: Scope) -> tuple[str | None, str | None]:
    """(the language ?lang= asks for, the one the cookie remembers), each None if absent or unknown."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return i18n.normalize(query.get("lang", [""])[0]), i18n.normalize(_cookie(scope))


def locale_of(scope: Scope) -> str:
    """The language of this request: ?lang=, the cookie, the account's choice, then Japanese."""
    chosen, remembered = _asked(scope)
    user = scope.get("user")
    return chosen or remembered or (user.locale if user else None) or i18n.DEFAULT_LOCALE


class LocaleMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        chosen, remembered = _asked(scope)
        user = scope.get("user")
        locale = locale_of(scope)
        if chosen and user is not None and user.locale != chosen:
            await accounts.set_locale(user.id, chosen)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["content-language"] = locale
                if chosen and chosen != remembered:
                    cookie = Cookie(key=COOKIE, value=chosen, max_age=365 * 86400, samesite="lax", path="/")
                    headers.add("set-cookie", cookie.to_header(header=""))
            await send(message)

        with i18n.use_locale(locale):
            await next_app(scope, receive, send_with_cookie if scope["type"] == ScopeType.HTTP else send)
