"""Domain errors: services raise these; one exception handler maps them to HTTP (see site/errors.py)."""

from __future__ import annotations

from asyncpg import exceptions as pg
from redis import exceptions as redis_errors


class DomainError(Exception):
    """A rule said no. `status_code` is the HTTP answer; `field` names the input at fault."""

    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class BadInput(DomainError):
    status_code = 400


class NotAuthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class PayloadTooLarge(DomainError):
    status_code = 413


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int = 60):
        super().__init__(detail)
        self.retry_after = retry_after


# The database or Redis went away: connection refused, reset, closed, shutting down, too busy.
# Requests answer 503 with Retry-After; a room's socket says so and stays open.
SERVICE_DOWN: tuple[type[BaseException], ...] = (
    ConnectionError,
    pg.PostgresConnectionError,
    pg.InterfaceError,
    pg.OperatorInterventionError,
    pg.TooManyConnectionsError,
    pg.InternalClientError,  # a pooled connection the server dropped mid-restart
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
)
