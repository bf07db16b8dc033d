"""Forums and series: create, edit, publish, cancel, list and read.

Rules:
- only organizers see drafts; the public list holds published forums, soonest first;
- the online URL is shown only to the forum's confirmed registrants and to organizers;
- raising capacity hands the new seats to the waitlist in order (seats.py);
- a lottery's draw date falls after registration closes and before the forum starts;
- a called-off forum is never published again (series live in series.py).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import msgspec
from piccolo.query.functions.aggregate import Count

from meetup import revocation
from meetup.db import fetch, fetch_by_key, utcnow, write_transaction
from meetup.errors import BadInput, Conflict
from meetup.events import alumni, enrolment, registration, seats
from meetup.events.errors import EventNotFound, SeatsConflict
from meetup.events.schemas import (
    Audience,
    EventIn,
    EventOut,
    EventPatch,
    EventSummary,
    Lecturer,
    OrganizationRef,
    Question,
    SeriesRef,
    check_draw_date,
)
from meetup.events.tables import Event, Registration, Series
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

# A change to any of these makes calendars update (SEQUENCE) and registrants hear of it.
_CALENDAR_FIELDS = ("title", "starts_at", "ends_at", "venue", "online_url", "format")


def tokyo(value: datetime | None) -> datetime | None:
    return value.astimezone(TOKYO) if value else None


async def _new_slug(title: str, starts_at: datetime) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    stem = "-".join(words)[:40].strip("-") or "forum"
    slug = f"{stem}-{starts_at.astimezone(TOKYO):%Y%m%d}"
    while await Event.exists().where(Event.slug == slug):
        slug = f"{stem}-{starts_at.astimezone(TOKYO):%Y%m%d}-{secrets.token_hex(2)}"
    return slug


async def ensure_series(slug: str, title: str | None = None, summary: str = "") -> int:
    """The series with this slug, created (titled after its slug unless given) when new."""
    async with write_transaction():
        row = await Series.select(Series.id).where(Series.slug == slug).first()
        if row:
            if title:
                await Series.update({Series.title: title, Series.summary: summary}).where(Series.id == row["id"])
            return row["id"]
        rows = await Series.insert(Series(slug=slug, title=title or slug, summary=summary)).returning(Series.id)
    return rows[0]["id"]


async def _hosts(organization_ids: set[int]) -> dict[int, OrganizationRef]:
    """The hosting organisations by id. Organisations live a floor above forums
    (coordinators), so their table is read here by name, never imported."""
    if not organization_ids:
        return {}
    ids = sorted(organization_ids)
    marks = ", ".join("{}" for _ in ids)
    rows = await fetch(f'SELECT "id", "name" FROM "organization" WHERE "id" IN ({marks})', *ids)  # noqa: S608
    return {r["id"]: OrganizationRef(id=r["id"], name=r["name"]) for r in rows}


async def host_choices() -> list[OrganizationRef]:
    """Every organisation that may host a forum, by name (the forum form's list)."""
    rows = await fetch('SELECT "id", "name" FROM "organization" ORDER BY "name"')
    return [OrganizationRef(id=r["id"], name=r["name"]) for r in rows]


async def _check_host(organization_id: int | None) -> None:
    if organization_id is not None and not await _hosts({organization_id}):
        raise BadInput(_("No such organisation."), field="organization")


def themes_of(row: dict) -> list[str]:
    return msgspec.json.decode(row.get("themes_json") or "[]", type=list[str])


async def create_event(data: EventIn, created_by: int | None, *, slug: str | None = None) -> str:
    """A new forum (draft or published); returns its slug. A forum published now is recorded
    as such (`published_at`): its followers hear of it from the follows' digest job."""
    audience = await alumni.checked_audience(data.audience)
    await _check_host(data.organization)
    series_id = await ensure_series(data.series) if data.series else None
    async with write_transaction():
        slug = slug or await _new_slug(data.title, data.starts_at)
        await Event.insert(
            Event(
                slug=slug,
                title=data.title,
                summary=data.summary,
                description=data.description,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                format=data.format,
                venue=data.venue,
                online_url=data.online_url,
                capacity=data.capacity,
                registration_mode=data.registration_mode,
                registration_opens_at=data.registration_opens_at,
                registration_closes_at=data.registration_closes_at,
                status=data.status,
                series=series_id,
                questions_json=msgspec.json.encode(data.questions).decode(),
                lecturers_json=msgspec.json.encode(data.lecturers).decode(),
                draws_at=data.draws_at,
                created_by=created_by,
                alumni_of_json=audience,
                organization=data.organization,
                prefecture=data.prefecture,
                themes_json=msgspec.json.encode(data.themes).decode(),
                published_at=utcnow() if data.status == "published" else None,
            )
        )
    if series_id is not None:
        await enrolment.seat_cohort_at((await event_row(slug, organizer=True))["id"])
    return slug


async def forum_exists(slug: str) -> bool:
    return await Event.exists().where(Event.slug == slug)


async def event_row(slug: str, *, organizer: bool = False) -> dict:
    """The forum's row; drafts exist only for organizers."""
    rows = await fetch_by_key('SELECT * FROM "event" WHERE "slug" = {}', slug)  # every forum request asks
    row = rows[0] if rows else None
    if row is None or (row["status"] == "draft" and not organizer):
        raise EventNotFound(_("No such forum."))
    return row


async def update_event(slug: str, patch: EventPatch) -> None:
    """Change a forum. Raising capacity promotes the waitlist; lowering it below the confirmed
    seats is refused; changing time or place bumps the calendar revision."""
    changes = patch.changes()
    row = await event_row(slug, organizer=True)
    starts_at = changes.get("starts_at", row["starts_at"])
    ends_at = changes.get("ends_at", row["ends_at"])
    if ends_at <= starts_at:
        raise SeatsConflict(_("The end must be after the start."), field="ends_at")
    try:
        check_draw_date(
            starts_at,
            changes.get("registration_closes_at", row["registration_closes_at"]),
            changes.get("draws_at", row["draws_at"]),
        )
    except ValueError:
        raise BadInput(
            _("The draw comes after registration closes and before the forum starts."), field="draws_at"
        ) from None
    if "organization" in changes:
        await _check_host(changes["organization"])
    values: dict = {}
    for name, value in changes.items():
        if name in ("questions", "themes", "lecturers"):
            values[getattr(Event, f"{name}_json")] = msgspec.json.encode(value).decode()
        elif name == "series":
            values[Event.series] = await ensure_series(value) if value else None
        elif name == "audience":
            values[Event.alumni_of_json] = await alumni.checked_audience(value)
        else:
            values[getattr(Event, name)] = value
    if any(name in changes and changes[name] != row[name] for name in _CALENDAR_FIELDS):
        values[Event.revision] = row["revision"] + 1
    values[Event.updated_at] = utcnow()
    if changes.get("status") == "published" and row["published_at"] is None:
        values[Event.published_at] = values[Event.updated_at]  # the follows' digest job announces it
    async with write_transaction():
        locked = await seats.lock_event(row["id"])
        if "capacity" in changes:
            capacity = changes["capacity"]
            if capacity is not None and capacity < locked["confirmed_count"]:
                raise SeatsConflict(
                    _("Capacity cannot go below the %(count)s seats already confirmed.")
                    % {"count": locked["confirmed_count"]},
                    field="capacity",
                )
        await Event.update(values).where(Event.id == row["id"])
        if changes.get("status") == "cancelled" and row["status"] != "cancelled":
            await registration.notify_event_cancelled(row["id"])
        elif "capacity" in changes or "status" in changes:
            await registration.promote_waitlist(row)
    if changes.get("status") == "cancelled" and row["status"] != "cancelled":
        await revocation.forum_ended(row["id"])
    if changes.get("series"):
        await enrolment.seat_cohort_at(row["id"])


def _like(q: str) -> str:
    return "%" + q.replace("\\", "").replace("%", "").replace("_", "") + "%"


async def _series_refs(series_ids: set[int]) -> dict[int, SeriesRef]:
    if not series_ids:
        return {}
    rows = await Series.select(Series.id, Series.slug, Series.title).where(Series.id.is_in(list(series_ids)))
    return {r["id"]: SeriesRef(slug=r["slug"], title=r["title"]) for r in rows}


async def list_events(
    *,
    q: str | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    statuses: tuple[str, ...] = ("published",),
    series_slug: str | None = None,
    prefecture: str | None = None,
    theme: str | None = None,
    organization: int | None = None,
    limit: int = 200,
) -> list[EventSummary]:
    """Forums soonest first; `q` matches title, summary, venue and description; `prefecture`
    and `theme` keep the forums held there, or tagged so."""
    query = Event.select().where(Event.status.is_in(list(statuses))).order_by(Event.starts_at).limit(limit)
    if q and q.strip():
        like = _like(q.strip())
        query = query.where(
            Event.title.ilike(like)
            | Event.summary.ilike(like)
            | Event.venue.ilike(like)
            | Event.description.ilike(like)
        )
    if starts_from:
        query = query.where(Event.starts_at >= starts_from)
    if starts_to:
        query = query.where(Event.starts_at <= starts_to)
    if prefecture:
        query = query.where(Event.prefecture == prefecture)
    if organization is not None:
        query = query.where(Event.organization == organization)
    if theme:
        # themes_json holds the tags as JSON strings: the quoted tag is found whole
        quoted = msgspec.json.encode(theme).decode()
        query = query.where(Event.themes_json.like(f"%{quoted}%"))  # % or _ in a tag only widen it…
    if series_slug:
        series = await Series.select(Series.id).where(Series.slug == series_slug).first()
        if series is None:
            return []
        query = query.where(Event.series == series["id"])
    rows = await query
    if theme:
        rows = [r for r in rows if theme in themes_of(r)]  # …and the exact tag decides
    series = await _series_refs({r["series"] for r in rows if r["series"]})
    return [
        EventSummary(
            slug=r["slug"],
            title=r["title"],
            starts_at=tokyo(r["starts_at"]),
            ends_at=tokyo(r["ends_at"]),
            format=r["format"],
            capacity=r["capacity"],
            confirmed_count=r["confirmed_count"],
            waitlist_count=r["waitlisted_count"],
            status=r["status"],
            registration_mode=r["registration_mode"],
            summary=r["summary"],
            venue=r["venue"],
            seats_left=seats.free_seats(r),
            series=series.get(r["series"]),
            draws_at=tokyo(r["draws_at"]),
            drawn_at=tokyo(r["drawn_at"]),
            lecturers=lecturers_of(r),
            prefecture=r["prefecture"],
            themes=themes_of(r),
        )
        for r in rows
    ]


async def forum_choices(limit: int = 300) -> list[dict]:
    """Published forums as a form offers them, newest first: {'slug', 'title', 'starts_at'}."""
    return (
        await Event.select(Event.slug, Event.title, Event.starts_at)
        .where(Event.status == "published")
        .order_by(Event.starts_at, ascending=False)
        .limit(limit)
    )


async def upcoming_events(limit: int = 20) -> list[EventSummary]:
    return await list_events(starts_from=utcnow(), limit=limit)


def lecturers_of(row: dict) -> list[Lecturer]:
    """The session's lecturers (講師), in the order the organizer gave them."""
    return msgspec.json.decode(row.get("lecturers_json") or "[]", type=list[Lecturer])


def questions_of(row: dict) -> list[Question]:
    return msgspec.json.decode(row["questions_json"], type=list[Question])


async def get_event(slug: str, viewer_id: int | None, *, organizer: bool = False) -> EventOut:
    return await event_out(await event_row(slug, organizer=organizer), viewer_id, organizer=organizer)


async def event_out(row: dict, viewer_id: int | None, *, organizer: bool = False) -> EventOut:
    """The forum as `viewer_id` may see it: the online URL only for its confirmed registrants
    and organizers."""
    series = (await _series_refs({row["series"]} if row["series"] else set())).get(row["series"])
    out = EventOut(
        slug=row["slug"],
        title=row["title"],
        summary=row["summary"],
        description=row["description"],
        starts_at=tokyo(row["starts_at"]),
        ends_at=tokyo(row["ends_at"]),
        format=row["format"],
        venue=row["venue"],
        capacity=row["capacity"],
        confirmed_count=row["confirmed_count"],
        waitlist_count=row["waitlisted_count"],
        pending_count=await Registration.count().where(
            (Registration.event == row["id"]) & (Registration.status == "pending")
        ),
        seats_left=seats.free_seats(row),
        status=row["status"],
        registration_mode=row["registration_mode"],
        registration_opens_at=tokyo(row["registration_opens_at"]),
        registration_closes_at=tokyo(row["registration_closes_at"]),
        registration_open=registration.window_open(row),
        questions=questions_of(row),
        lecturers=lecturers_of(row),
        series=series,
        draws_at=tokyo(row["draws_at"]),
        drawn_at=tokyo(row["drawn_at"]),
        organization=(await _hosts({row["organization"]})).get(row["organization"]) if row["organization"] else None,
        prefecture=row["prefecture"],
        themes=themes_of(row),
    )
    if row["online_url"] and (organizer or await registration.is_confirmed(row["id"], viewer_id)):
        out.online_url = row["online_url"]
    if slugs := alumni.audience_slugs(row):
        out.audience = Audience(alumni_of=slugs)
    return out


async def set_published(slug: str, published: bool) -> None:
    """Publish a draft, or take a published forum back to draft (its registrations stay, and
    only organizers see it until it is published again). A called-off forum stays called off."""
    row = await event_row(slug, organizer=True)
    if row["status"] == "cancelled":
        raise Conflict(_("This forum has been called off; it cannot be published again."))
    wanted = "published" if published else "draft"
    if row["status"] != wanted:
        await update_event(slug, EventPatch(status=wanted))


async def answer_ids(event_id: int) -> set[str]:
    """Every question id a registrant of this forum has answered: a new question never takes one,
    so old answers are never read as answers to it."""
    rows = await Registration.select(Registration.answers_json).where(Registration.event == event_id)
    return {key for row in rows for key in msgspec.json.decode(row["answers_json"])}


async def attendees(event_id: int) -> list[int]:
    """Who attended a forum: those checked in, or every confirmed registrant when the forum
    used no check-in (an online forum)."""
    rows = await Registration.select(Registration.account, Registration.checked_in_at).where(
        (Registration.event == event_id) & (Registration.status == "confirmed")
    )
    checked_in = [r["account"] for r in rows if r["checked_in_at"] is not None]
    return checked_in or [r["account"] for r in rows]


async def registrants(event_id: int) -> list[dict]:
    """Everyone who registered, in registration order: {'account', 'status', 'checked_in_at'}."""
    return (
        await Registration.select(Registration.account, Registration.status, Registration.checked_in_at)
        .where(Registration.event == event_id)
        .order_by(Registration.id)
    )


async def ended_forums(since: datetime | None = None) -> list[dict]:
    """Published forums that have ended (since `since`): {'id', 'slug', 'title', 'ends_at'}."""
    query = Event.select(Event.id, Event.slug, Event.title, Event.starts_at, Event.ends_at).where(
        (Event.status == "published") & (Event.ends_at <= utcnow())
    )
    if since is not None:
        query = query.where(Event.ends_at >= since)
    return await query.order_by(Event.ends_at)


async def forums_attended(user_ids: list[int]) -> list[dict]:
    """Published forums any of these people hold a confirmed seat at, newest first: {'slug',
    'title', 'starts_at', 'people'}. A forum switched back to draft, or cancelled, is not listed:
    this is shown in public (organisation pages)."""
    if not user_ids:
        return []
    rows = (
        await Registration.select(
            Registration.event.slug.as_alias("slug"),
            Registration.event.title.as_alias("title"),
            Registration.event.starts_at.as_alias("starts_at"),
            Count(alias="people"),
        )
        .where(
            Registration.account.is_in(user_ids)
            & (Registration.status == "confirmed")
            & (Registration.event.status == "published")
        )
        .group_by(Registration.event.slug, Registration.event.title, Registration.event.starts_at)
    )
    return sorted(rows, key=lambda r: r["starts_at"], reverse=True)


async def count_registrants(*, excluding=None) -> int:
    """How many people hold a registration that stands (confirmed, waitlisted or pending) at any
    forum; `excluding`, a query of account ids, leaves those people out."""
    standing = Registration.status.is_in(["confirmed", "waitlisted", "pending"])
    if excluding is not None:
        standing &= Registration.account.not_in(excluding)
    return await Registration.count(distinct=[Registration.account]).where(standing)


async def attended_by(user_id: int) -> list[dict]:
    """The ended published forums the person attended, newest first: {'slug', 'title',
    'starts_at'}. Attended as `attendees` says: checked in, or a confirmed seat at a forum where
    nobody was checked in (an online forum)."""
    rows = await Registration.select(
        Registration.event.id.as_alias("id"),
        Registration.event.slug.as_alias("slug"),
        Registration.event.title.as_alias("title"),
        Registration.event.starts_at.as_alias("starts_at"),
        Registration.checked_in_at,
    ).where(
        (Registration.account == user_id)
        & (Registration.status == "confirmed")
        & (Registration.event.status == "published")
        & (Registration.event.ends_at <= utcnow())
    )
    attended = [row for row in rows if row["checked_in_at"] is not None or not await _has_check_in(row["id"])]
    return sorted(
        ({"slug": r["slug"], "title": r["title"], "starts_at": r["starts_at"]} for r in attended),
        key=lambda r: r["starts_at"],
        reverse=True,
    )


async def _has_check_in(event_id: int) -> bool:
    return await Registration.exists().where(
        (Registration.event == event_id) & Registration.checked_in_at.is_not_null()
    )


async def forum_refs(event_ids: list[int], *, drafts: bool = True) -> dict[int, dict]:
    """{event id: {'slug', 'title', 'starts_at', 'ends_at', 'status'}} for the network's per-forum view;
    `drafts=False` where the public sees them (a draft's title appears nowhere public)."""
    if not event_ids:
        return {}
    query = Event.select(Event.id, Event.slug, Event.title, Event.starts_at, Event.ends_at, Event.status).where(
        Event.id.is_in(event_ids)
    )
    if not drafts:
        query = query.where(Event.status != "draft")
    rows = await query
    return {row["id"]: row for row in rows}


async def is_confirmed_registrant(event_id: int, user_id: int) -> bool:
    return await registration.is_confirmed(event_id, user_id)


async def confirmed_people(event_id: int) -> list[int]:
    """Account ids of the forum's confirmed registrants, in registration order."""
    rows = (
        await Registration.select(Registration.account)
        .where((Registration.event == event_id) & (Registration.status == "confirmed"))
        .order_by(Registration.id)
    )
    return [row["account"] for row in rows]


async def answers_of(event_id: int) -> dict[int, dict]:
    """{account id: registration answers} of the confirmed registrants (for grouping by theme)."""
    rows = await Registration.select(Registration.account, Registration.answers_json).where(
        (Registration.event == event_id) & (Registration.status == "confirmed")
    )
    return {row["account"]: msgspec.json.decode(row["answers_json"]) for row in rows}


async def confirmed_among(event_id: int, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` who hold a confirmed seat at the forum."""
    ids = [uid for uid in user_ids if 0 < uid < 2**31]  # an id past the column's range is nobody
    if not ids:
        return set()
    rows = await Registration.select(Registration.account).where(
        (Registration.event == event_id) & (Registration.status == "confirmed") & Registration.account.is_in(ids)
    )
    return {row["account"] for row in rows}


CLONED_FIELDS = (
    "title",
    "summary",
    "description",
    "starts_at",
    "ends_at",
    "format",
    "venue",
    "online_url",
    "capacity",
    "registration_mode",
    "registration_opens_at",
    "registration_closes_at",
    "series",
    "questions_json",
    "draws_at",
)


async def clone_event(row: dict, created_by: int | None) -> str:
    """A new draft with the forum's settings and questions (its dates too, for the organizer to
    change before publishing), a new slug, and none of its registrations; returns the slug."""
    async with write_transaction():
        slug = await _new_slug(row["title"], row["starts_at"])
        values = {name: row[name] for name in CLONED_FIELDS}
        await Event.insert(Event(slug=slug, status="draft", created_by=created_by, **values))
    if row["series"] is not None:  # a new session of the series, as a new forum would be
        await enrolment.seat_cohort_at((await event_row(slug, organizer=True))["id"])
    return slug
