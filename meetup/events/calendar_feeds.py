"""The calendars people subscribe to (CONTRACT §5.4): every forum, one series, and my forums.

Rules:
- the public feeds (`/events.ics`, `/series/{slug}.ics`) hold forums once published — called-off
  ones too, marked cancelled — from a month back on; never a draft, never an online URL;
- the personal feed, behind its secret address (accounts/calendar_feed.py), holds the forums
  where the person has a confirmed seat (registered, or enrolled in the series), with the online
  URL, since they may see it;
- each answer carries an ETag and Last-Modified; a client that has the same file gets a 304.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from meetup.accounts import calendar_feed
from meetup.db import utcnow
from meetup.errors import NotFound
from meetup.events import calendar, series
from meetup.events.tables import Event, Registration
from meetup.i18n import gettext as _

PAST = timedelta(days=31)  # how far back the feeds reach: last month's forums stay in view
SHOWN = ("published", "cancelled")


class Feed:
    """A calendar file ready to send: its bytes, ETag and Last-Modified."""

    def __init__(self, body: bytes, last_modified: datetime | None, filename: str):
        self.body = body
        self.etag = calendar.etag(body)
        self.last_modified = last_modified
        self.filename = filename


def _public(query):
    return query.where(
        Event.status.is_in(list(SHOWN)) & Event.published_at.is_not_null() & (Event.ends_at >= utcnow() - PAST)
    ).order_by(Event.starts_at)


async def all_forums(base_url: str) -> Feed:
    rows = await _public(Event.select())
    body = calendar.feed_ics("NEXT TOHOKU MEETUP フォーラム", rows, base_url)
    return Feed(body, calendar.last_modified(rows), "next-tohoku-meetup.ics")


async def series_forums(slug: str, base_url: str) -> Feed:
    row = await series.series_row(slug)
    rows = await _public(Event.select().where(Event.series == row["id"]))
    body = calendar.feed_ics(f"{row['title']}（NEXT TOHOKU MEETUP）", rows, base_url)
    return Feed(body, calendar.last_modified(rows), f"{slug}.ics")


async def my_forums(token: str, base_url: str) -> Feed:
    """The personal feed of the account whose current secret address holds `token` (else 404)."""
    account_id = await calendar_feed.account_for(token)
    if account_id is None:
        raise NotFound(_("No such calendar."))
    seats = await Registration.select(Registration.event).where(
        (Registration.account == account_id) & (Registration.status == "confirmed")
    )
    ids = [seat["event"] for seat in seats]
    rows = (
        await Event.select()
        .where(Event.id.is_in(ids) & Event.status.is_in(list(SHOWN)) & (Event.ends_at >= utcnow() - PAST))
        .order_by(Event.starts_at)
        if ids
        else []
    )
    body = calendar.feed_ics("NEXT TOHOKU MEETUP 参加予定", rows, base_url, include_online_url=True)
    return Feed(body, calendar.last_modified(rows), "my-forums.ics")
