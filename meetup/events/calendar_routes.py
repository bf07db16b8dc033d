"""The subscribed calendars over HTTP: `/events.ics`, `/series/{slug}.ics` (also under
`/api/v1`) and the personal feed `/calendars/{token}.ics` (calendar_feeds.py holds the rules)."""

from __future__ import annotations

from email.utils import format_datetime

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from meetup import settings
from meetup.errors import NotFound
from meetup.events import calendar_feeds
from meetup.i18n import gettext as _

CALENDAR_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types


def feed_response(request: Request, feed: calendar_feeds.Feed, *, private: bool = False) -> Response:
    """The feed, or a 304 when the client already holds these bytes (If-None-Match)."""
    headers = {
        "etag": feed.etag,
        # Calendars poll: let them revalidate each time; a private feed is for nobody's cache.
        "cache-control": "private, no-cache" if private else "public, no-cache",
        "content-disposition": f'inline; filename="{feed.filename}"',
    }
    if feed.last_modified is not None:
        headers["last-modified"] = format_datetime(feed.last_modified, usegmt=True)
    wanted = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if feed.etag in wanted or "*" in wanted:
        return Response(b"", status_code=304, headers=headers, media_type=CALENDAR_TYPE)
    return Response(feed.body, headers=headers, media_type=CALENDAR_TYPE)


async def series_feed(request: Request, slug: str) -> Response:
    return feed_response(request, await calendar_feeds.series_forums(slug, settings.current().base_url))


class CalendarFeeds(Controller):
    tags = ["calendars"]

    @get(
        ["/events.ics", "/api/v1/events.ics"],
        summary="Every published forum as a calendar to subscribe to (iCalendar)",
        description="`text/calendar`: forums from a month back on; called-off ones carry STATUS:CANCELLED. "
        "Never holds an online URL. Answers 304 to a matching `If-None-Match`.",
    )
    async def all_forums(self, request: Request) -> Response:
        return feed_response(request, await calendar_feeds.all_forums(settings.current().base_url))

    @get(
        "/calendars/{token:str}",
        summary="My forums as a calendar (the secret `calendar_url` of GET /api/v1/me)",
        description="The forums where I hold a confirmed seat, with their online URL. A reset address is a 404.",
    )
    async def my_forums(self, request: Request, token: FromPath[str]) -> Response:
        if not token.endswith(".ics"):
            raise NotFound(_("No such calendar."))
        feed = await calendar_feeds.my_forums(token.removesuffix(".ics"), settings.current().base_url)
        return feed_response(request, feed, private=True)


def subscribe_links(path: str) -> dict[str, str]:
    """The webcal:// link calendars subscribe with, and the plain https one, of a feed at `path`."""
    url = f"{settings.current().base_url.rstrip('/')}{path}"
    return {"webcal": "webcal://" + url.split("://", 1)[1], "https": url}
