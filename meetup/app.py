"""The application: `create_app(settings)` wires plugins, middleware, routes and the lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send
from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.driver_info import DriverInfo
from redis.retry import Retry

from meetup import ROOT, attendance, cloning, composers, db, forum_links, scheduler
from meetup.accounts.admin import AdminApi, AdminPages
from meetup.accounts.auth import AccountMiddleware, SessionConfig
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.routes import AccountPages, AccountsApi
from meetup.cases.pages import CasePages, ChallengePages
from meetup.cases.routes import CasesApi
from meetup.coordinators import network_process
from meetup.coordinators import service as coordinators
from meetup.coordinators.alumni_pages import AlumniDirectoryPages
from meetup.coordinators.network_routes import NetworkApi, NetworkPages, NetworkResearchApi
from meetup.coordinators.organization_pages import OrganizationPages
from meetup.coordinators.organizations_routes import OrganizationsApi
from meetup.coordinators.pages import CoordinatorPages
from meetup.coordinators.routes import ConnectionsApi, CoordinatorsApi
from meetup.events import audit
from meetup.events import dependencies as forum_dependencies
from meetup.events.alumni_pages import AlumniPages
from meetup.events.alumni_routes import AlumniApi
from meetup.events.calendar_routes import CalendarFeeds
from meetup.events.cohost_pages import CohostPages
from meetup.events.organizer_pages import OrganizerPages
from meetup.events.pages import EventPages
from meetup.events.routes import EventsApi, OrganizerEventsApi
from meetup.events.series_pages import SeriesOrganizerPages
from meetup.events.series_routes import OrganizerSeriesApi, SeriesApi
from meetup.followups.consent_pages import ConsentPages, ConsentsApi
from meetup.followups.follow_pages import FollowPages
from meetup.followups.pages import CampaignPages, FollowUpPages
from meetup.followups.routes import CampaignsApi, FollowsApi, MailPreferencesApi
from meetup.mail.dev_mailbox import DevMailbox
from meetup.mail.worker import inprocess_worker
from meetup.reports import files as report_files
from meetup.reports.pages import ReportPages, series_links
from meetup.reports.pages import links_for as report_links
from meetup.reports.routes import MaterialFiles, ReportsApi
from meetup.rooms import dependencies as room_dependencies
from meetup.rooms import service as rooms_service
from meetup.rooms.connection import SERVER_SEND
from meetup.rooms.hub import Hub, Presence, relay_client
from meetup.rooms.limits import RoomSockets, SayLimiter
from meetup.rooms.pages import RoomPages
from meetup.rooms.routes import EventRoomsApi, RoomsApi
from meetup.rooms.socket import announce_presence, hear_revocations, room_socket
from meetup.settings import Settings, load_settings, use
from meetup.site.api_docs import SwaggerPage
from meetup.site.errors import EXCEPTION_HANDLERS
from meetup.site.header import count_for_header
from meetup.site.headers import security_headers
from meetup.site.locale import LocaleMiddleware
from meetup.site.routes import HealthApi, SitePages
from meetup.surveys.pages import SurveyPages, links_for
from meetup.surveys.routes import SurveyApi
from meetup.templating import environment

log = logging.getLogger("meetup")

SESSION_MAX_AGE = 14 * 24 * 3600
GC_YOUNG_THRESHOLD = 10_000  # objects made before a young collection (Python's default: 700); see `lifespan`


class SessionFiles(FileStore):
    """Litestar's FileStore, reading a session in place: a session file is a few hundred bytes in
    the page cache, read in microseconds, where the thread hop FileStore takes for it cost every
    request more than the read (and a turn of the GIL among the database's threads)."""

    @staticmethod
    async def _load_from_path(path) -> StorageObject | None:
        try:
            with open(path, "rb") as handle:  # noqa: ASYNC230 (a tiny local file, see above)
                return StorageObject.from_bytes(handle.read())
        except FileNotFoundError:
            return None


def make_session_store(settings: Settings, redis: Redis | None) -> Store:
    """Sessions live in Redis when there is one (every process sees them), else in var/sessions."""
    if redis is not None:
        return RedisStore(redis, namespace="meetup:session")
    path = Path(settings.var_dir) / "sessions"
    path.mkdir(parents=True, exist_ok=True)
    return SessionFiles(path)


def connect_redis(url: str) -> Redis:
    """A client whose pool makes a burst wait for a free connection (redis-py 8 caps a plain pool
    at 100 connections and raises past that, which turned a busy minute into 500s), and which
    gives up on a lost Redis within about half a second (redis-py's own default retries ten times,
    for seconds, while the person waits for a 503). Its connections share one DriverInfo: made
    per connection, it reads redis-py's package metadata from disk each time."""
    pool = BlockingConnectionPool.from_url(url, max_connections=200, timeout=10, driver_info=DriverInfo())
    client = Redis(connection_pool=pool, retry=Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.2), 3))
    client.auto_close_connection_pool = True  # as Redis.from_pool: closing the client closes the pool
    return client


class Services:
    """What one run of the app holds, made from its settings: the Redis client, the rate and say
    limiters, the hub and presence of the rooms, the session store. `bind` gives an app new ones."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.redis = connect_redis(settings.redis_url) if settings.redis_url else None
        self.limiter = RateLimiter(self.redis)
        self.hub = Hub(self.redis, relay_client(settings.redis_url) if settings.redis_url else None)
        self.presence = Presence(self.redis)
        self.say_limiter = SayLimiter()
        self.room_sockets = RoomSockets()
        self.session_store = make_session_store(settings, self.redis)
        self.hub.on_reconnect.append(self.after_redis_outage)

    async def after_redis_outage(self) -> None:
        await self.presence.restore()
        for room_id in self.presence.rooms():
            announce_presence(self.hub, self.presence, room_id)


def shape(settings: Settings) -> tuple:
    """The settings an app is built from (its routes, cookies, CSRF secret and headers); the rest
    (database, Redis, var/, mail) is bound to it by `bind` and may change between runs."""
    return (settings.env, settings.secret_key, settings.base_url)


def bind(app: Litestar, settings: Settings) -> None:
    """Point `app` (not running) at `settings`' database, Redis and var/, with fresh services.
    The tests re-bind one app per test instead of building one (building costs 0.2–1 s)."""
    if shape(settings) != app.state.shape:
        raise ValueError("an app is bound only to settings of its own shape (env, secret key, base URL)")
    use(settings)
    db.configure(settings)
    app.state.services = Services(settings)
    app.stores.register("sessions", app.state.services.session_store, allow_override=True)


def service(name: str) -> Provide:
    """A dependency: the named service of the app's current run."""

    def provide(state: State) -> object:
        return getattr(state.services, name)

    return Provide(provide, sync_to_thread=False)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    services: Services = app.state.services
    composers.register_all()  # what the in-process worker and the dev mailbox write mail with
    await asyncio.to_thread(coordinators.warm_up)
    await db.open_database()
    app.state.hub = hub = services.hub
    await hub.start()
    stop_hearing_revocations = hear_revocations(hub)
    stop = asyncio.Event()
    tasks = []
    if services.settings.inprocess_worker:
        tasks.append(asyncio.create_task(scheduler.run(stop), name="scheduler"))
    if worker := inprocess_worker(services.settings):  # dev without SMTP: into the dev mailbox
        tasks.append(asyncio.create_task(worker.run(stop), name="mail-worker"))
    # What start-up made (modules, templates, pykakasi's dictionaries: some 400,000 objects) lives as
    # long as the process: kept out of the garbage collector's full passes, each of which would
    # otherwise hold the event loop (every room's chat) for a hundred milliseconds or more.
    gc.freeze()  # no collection first: a moment's garbage kept costs less than a full pass at every start
    # What is made after start-up is mostly long-lived too (a thousand room members are some
    # 300,000 objects): with Python's default thresholds a full pass over them ran every few
    # seconds while members joined and chatted, holding the loop 70–150 ms each time (measured in
    # tests/bench/soak.py: chat delivery p99 38–196 ms). Young collections every 10,000 objects
    # instead of 700 leave no full pass within a 30 s soak (p99 25–29 ms); young cycles are still
    # collected young, and a full pass still comes once the heap has grown by a quarter.
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()  # an app stopped in a longer-lived process (tests) can be collected again
        stop.set()
        for task in tasks:
            with suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=10)
        stop_hearing_revocations()
        network_process.stop()  # a measurement under way is abandoned, not awaited
        report_files.stop()  # the upload judging process
        await hub.stop()
        if services.redis is not None:
            await services.redis.aclose()
        await db.close_database()


SWITCH_INTERVAL = 0.0005


class Meetup(Litestar):
    """Litestar, with the server's own `send` kept in a websocket's scope (SERVER_SEND): a room
    hands each line to each member straight to it (meetup.rooms.connection), not through the hooks
    and wrappers that judge a response (security headers, the forum's log, the session, error
    pages), which have nothing to do with a frame once the socket is accepted. A line to a room of
    200 is 200 sends (issue 18)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send  # type: ignore[literal-required]
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    forum_links.offer(links_for)
    forum_links.offer(report_links)  # the forum's report, once published
    forum_links.offer_on_series(series_links)
    # Worker threads (asyncio.to_thread: a comparison's network unpacked, an export written) hold the
    # GIL for 5 ms slices by default; a short slice gives the event loop (chat frames, requests) the
    # interpreter back within half a ms.
    sys.setswitchinterval(SWITCH_INTERVAL)
    attendance.offer(rooms_service.present_in_rooms)  # presence in a breakout room counts as having come
    sessions = SessionConfig(
        store="sessions",
        max_age=SESSION_MAX_AGE,
        secure=settings.is_prod,
        httponly=True,
        samesite="lax",
    )

    route_handlers: list = [
        SitePages,
        HealthApi,
        AccountsApi,
        AccountPages,
        EventsApi,
        OrganizerEventsApi,
        CalendarFeeds,
        SeriesApi,
        OrganizerSeriesApi,
        AlumniApi,
        EventPages,
        OrganizerPages,
        SeriesOrganizerPages,
        AlumniPages,
        CoordinatorsApi,
        OrganizationsApi,
        ConnectionsApi,
        CoordinatorPages,
        AlumniDirectoryPages,
        OrganizationPages,
        NetworkApi,
        NetworkPages,
        NetworkResearchApi,
        EventRoomsApi,
        RoomsApi,
        RoomPages,
        room_socket,
        CampaignsApi,
        MailPreferencesApi,
        CampaignPages,
        FollowUpPages,
        FollowsApi,
        FollowPages,
        ConsentPages,
        ConsentsApi,
        CasesApi,
        CasePages,
        ChallengePages,
        SurveyApi,
        SurveyPages,
        ReportsApi,
        ReportPages,
        MaterialFiles,
        AdminApi,
        AdminPages,
        CohostPages,
        cloning.CloneApi,
        cloning.ClonePages,
    ]
    if settings.env == "dev":  # it shows every mail, sign-in links too: never outside development
        route_handlers.append(DevMailbox)
    route_handlers.append(create_static_files_router(path="/static", directories=[ROOT / "meetup" / "static"]))

    app = Meetup(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        before_request=count_for_header,
        dependencies={
            "settings": service("settings"),
            "limiter": service("limiter"),
            "redis": service("redis"),
            "channels": service("hub"),
            "presence": service("presence"),
            "say_limiter": service("say_limiter"),
            "room_sockets": service("room_sockets"),
            **forum_dependencies.PROVIDERS,  # `{slug}` in a path: the forum (404 otherwise)
            **room_dependencies.PROVIDERS,  # `{slug}/rooms/{room_id}`: a room of that forum
        },
        middleware=[
            sessions.middleware,
            DefineMiddleware(AccountMiddleware, exclude=["^/static/", "^/favicon.ico$"]),
            LocaleMiddleware(),
        ],
        csrf_config=CSRFConfig(
            secret=settings.key_for("csrf").hex(),
            cookie_secure=settings.is_prod,
            cookie_samesite="lax",
        ),
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment())),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers(settings), audit.record_response],  # the forum's log: events/audit.py
        openapi_config=OpenAPIConfig(
            title="NEXT TOHOKU MEETUP API",
            version="1.0.0",
            description="Forums, registration, coordinators, breakout rooms and follow-up mail.",
            path="/schema",
            render_plugins=[SwaggerPage()],
        ),
        # Large enough that a 1 MB Japanese field (3 MB of UTF-8) reaches validation and gets a
        # 400 naming the field; larger bodies are refused with 413 before they are read.
        request_max_body_size=8 * 1024 * 1024,
        debug=False,
        state=State({"shape": shape(settings)}),
    )
    bind(app, settings)
    return app
