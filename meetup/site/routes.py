"""The front door: home page, the site icon and health check."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.response import File, Template
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from redis.asyncio import Redis

from meetup import ROOT, db
from meetup.events import service as events

ICON = ROOT / "meetup" / "static" / "favicon.ico"


class Health(msgspec.Struct):
    status: str
    database: str
    redis: str


class SitePages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self) -> Template:
        return Template("site/home.html", context={"forums": await events.upcoming_events(limit=6)})

    @get("/favicon.ico", cache_control=CacheControlHeader(max_age=86400, public=True))
    async def favicon(self) -> File:
        """Browsers ask for /favicon.ico whatever the page says: the same icon as a real .ico."""
        return File(ICON, media_type="image/x-icon", content_disposition_type="inline")


class HealthApi(Controller):
    tags = ["operations"]

    @get("/healthz", summary="Liveness and dependencies", cache=False)
    async def healthz(self, redis: NamedDependency[Redis | None]) -> Response[Health]:
        database = "ok" if await db.ping() else "error"
        redis_state = "disabled"
        if redis is not None:
            try:
                redis_state = "ok" if await redis.ping() else "error"
            except Exception:  # Redis down degrades the service; it does not stop it
                redis_state = "error"
        healthy = database == "ok"
        status = "ok" if healthy and redis_state != "error" else ("degraded" if healthy else "error")
        return Response(
            Health(status=status, database=database, redis=redis_state),
            status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE,
        )
