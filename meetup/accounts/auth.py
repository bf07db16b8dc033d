"""Who is asking: server-side sessions, the current account on every connection, and guards."""

from __future__ import annotations

import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty

from meetup import revocation
from meetup.accounts import service
from meetup.accounts.schemas import UserOut

SESSION_KEY = "uid"
INTENT_KEY = "intent"  # what a magic link asked to do once signed in
_NEW_SESSION_ID = "meetup_new_session_id"
_LOADED = "meetup_session_loaded"


class _RotatingBackend(ServerSideSessionBackend):
    """Server-side sessions that (1) get a fresh id at sign-in, so a planted cookie is worthless,
    and (2) touch the store only when the session changed, so anonymous visitors cost nothing."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        fresh = connection.state.get(_NEW_SESSION_ID)
        return fresh or super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.state[_LOADED] = dict(data)
        return data

    async def store_in_message(self, scope_session: Any, message: Any, connection: ASGIConnection) -> None:
        unchanged = scope_session == connection.state.get(_LOADED) and not connection.state.get(_NEW_SESSION_ID)
        if scope_session is not Empty and (not scope_session or unchanged):
            return
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    _backend_class = _RotatingBackend


async def log_in(connection: ASGIConnection, user: UserOut, store: Any) -> None:
    old = connection.cookies.get("session")
    if old:
        await store.delete(old)
    connection.state[_NEW_SESSION_ID] = secrets.token_hex(32)
    connection.set_session({SESSION_KEY: user.id})


async def log_out(connection: ASGIConnection, store: Any) -> None:
    """End this session: its cookie, its stored data, and whatever is still open on it."""
    old = connection.cookies.get("session")
    if old:
        await store.delete(old)
        await revocation.session_ended(old)  # e.g. its room sockets close with 4401
    connection.clear_session()


class AccountMiddleware(AbstractAuthenticationMiddleware):
    """Puts the signed-in account (or None) on every request and websocket as `.user`."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        session = connection.scope.get("session") or {}
        user_id = session.get(SESSION_KEY) if isinstance(session, dict) else None
        user = await service.get_user(user_id) if isinstance(user_id, int) else None
        return AuthenticationResult(user=user, auth=None)


def current_user(connection: ASGIConnection) -> UserOut | None:
    return connection.scope.get("user")


# Guards are coroutines: Litestar runs a plain-function guard in a worker thread, a thread hop
# per request for a check of one attribute.
async def login_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if current_user(connection) is None:
        raise NotAuthorizedException("Not logged in")


async def organizer_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Not logged in")
    if not user.is_organizer:
        raise PermissionDeniedException("Organizers only")


async def admin_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Not logged in")
    if user.role != "admin":
        raise PermissionDeniedException("Administrators only")


def client_address(connection: ASGIConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def pop_intent(connection: ASGIConnection) -> dict | None:
    """The intent a magic link carried (e.g. register for a forum), handed over once."""
    session = connection.scope.get("session")
    if isinstance(session, dict) and INTENT_KEY in session:
        return session.pop(INTENT_KEY)
    return None
