"""Calendar files (.ics) and add-to-calendar links for a forum."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlencode, urlsplit

import icalendar

from meetup.db import utcnow


def _where(event: dict, include_online_url: bool) -> str:
    parts = [event["venue"]] if event["venue"] else []
    if event["format"] in ("online", "hybrid"):
        parts.append(event["online_url"] if include_online_url and event["online_url"] else "オンライン / Online")
    return " / ".join(parts)


def event_ics(event: dict, base_url: str, *, include_online_url: bool = False) -> bytes:
    """One VEVENT with a stable UID; SEQUENCE follows the forum's revision so calendars update."""
    domain = urlsplit(base_url).hostname or "localhost"
    page = f"{base_url.rstrip('/')}/events/{event['slug']}"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//NEXT TOHOKU MEETUP//meetup//JA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    vevent = icalendar.Event()
    vevent.add("uid", f"event-{event['id']}@{domain}")
    vevent.add("dtstamp", utcnow())
    vevent.add("dtstart", event["starts_at"])
    vevent.add("dtend", event["ends_at"])
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
    calendar.add_component(vevent)
    return calendar.to_ical()


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
