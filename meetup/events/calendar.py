"""Calendar files (.ics) and add-to-calendar links: one forum's file (mail attachments,
`/events/{slug}.ics`) and the subscribed feeds (every forum, a series, my forums) are built from
the same VEVENT.

Rules (what Google Calendar and Outlook need to follow a subscription):
- times in UTC; a stable UID per forum; SEQUENCE is the forum's revision and DTSTAMP its last
  change, so the same forum gives the same bytes until it changes (hence a stable ETag);
- a called-off forum stays in the feeds with STATUS:CANCELLED, so subscribed calendars drop it;
- the online meeting URL is written only into a confirmed registrant's own calendar
  (`include_online_url`), never into a public file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import icalendar

from meetup.db import utcnow

PRODID = "-//NEXT TOHOKU MEETUP//meetup//JA"


def _where(event: dict, include_online_url: bool) -> str:
    parts = [event["venue"]] if event["venue"] else []
    if event["format"] in ("online", "hybrid"):
        parts.append(event["online_url"] if include_online_url and event["online_url"] else "オンライン / Online")
    return " / ".join(parts)


def _calendar(name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    return calendar


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def event_ics(event: dict, base_url: str, *, include_online_url: bool = False) -> bytes:
    """One forum's calendar file: one VEVENT with a stable UID; SEQUENCE follows the forum's
    revision so calendars update."""
    calendar = _calendar()
    calendar.add_component(_vevent(event, base_url, include_online_url))
    return calendar.to_ical()


def feed_ics(name: str, events: Iterable[dict], base_url: str, *, include_online_url: bool = False) -> bytes:
    """A subscribed calendar named `name` holding `events` (the same VEVENTs as single files)."""
    calendar = _calendar(name)
    for event in events:
        calendar.add_component(_vevent(event, base_url, include_online_url))
    return calendar.to_ical()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def last_modified(events: Iterable[dict]) -> datetime | None:
    stamps = [_utc(event.get("updated_at") or event["starts_at"]) for event in events]
    return max(stamps) if stamps else None


def _vevent(event: dict, base_url: str, include_online_url: bool) -> icalendar.Event:
    domain = urlsplit(base_url).hostname or "localhost"
    page = f"{base_url.rstrip('/')}/events/{event['slug']}"
    vevent = icalendar.Event()
    vevent.add("uid", f"event-{event['id']}@{domain}")
    vevent.add("dtstamp", _utc(event.get("updated_at") or utcnow()))
    vevent.add("dtstart", _utc(event["starts_at"]))
    vevent.add("dtend", _utc(event["ends_at"]))
    vevent.add("summary", event["title"])
    description = event["summary"] or ""
    if include_online_url and event["online_url"]:
        description = f"{description}\n\n{event['online_url']}".strip()
    vevent.add("description", f"{description}\n\n{page}".strip())
    location = _where(event, include_online_url)
    if location:
        vevent.add("location", location)
    vevent.add("url", page)
    vevent.add("sequence", event["revision"])
    vevent.add("status", "CANCELLED" if event["status"] == "cancelled" else "CONFIRMED")
    return vevent


def calendar_links(event: dict, base_url: str) -> dict[str, str]:
    """Google and Outlook 'add to calendar' links (public details only: no online URL)."""
    start, end = event["starts_at"].astimezone(UTC), event["ends_at"].astimezone(UTC)
    page = f"{base_url.rstrip('/')}/events/{event['slug']}"
    details = f"{event['summary']}\n\n{page}".strip()
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": event["title"],
            "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}",
            "details": details,
            "location": _where(event, False),
            "ctz": "Asia/Tokyo",
        }
    )
    outlook = "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "subject": event["title"],
            "startdt": start.isoformat().replace("+00:00", "Z"),
            "enddt": end.isoformat().replace("+00:00", "Z"),
            "body": details,
            "location": _where(event, False),
            "path": "/calendar/action/compose",
            "rru": "addevent",
        }
    )
    return {"google": google, "outlook": outlook}
