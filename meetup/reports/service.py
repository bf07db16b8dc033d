"""The forum's report (開催レポート), its materials and recordings (CONTRACT §5.5).

Rules:
- the forum's organizers and co-hosts write the report and attach files and recordings; a
  report is seen by others only once published, and never on a draft forum;
- every material is `public` or `registrants`: a registrants-only one exists (in lists, and at
  its URL) only for the forum's confirmed registrants and those who run the forum; to anyone
  else it answers 404, the same as a URL nobody was given. File URLs carry a random token as
  well, so an address cannot be guessed from another;
- an upload is judged by its content (files.py) in a work process of its own, stored under a generated
  key, and only then written as a row: a refused file leaves neither a row nor a stored file,
  and a row never points at a file that is not there.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import anyio.to_thread

from meetup.accounts.schemas import UserOut
from meetup.db import insert, single_write, utcnow, write_transaction
from meetup.errors import BadInput, NotFound
from meetup.events import cohosts
from meetup.events import service as events
from meetup.events.tables import Event
from meetup.i18n import gettext as _
from meetup.markdown import render_plain
from meetup.reports import files, quotes
from meetup.reports.receive import Received
from meetup.reports.schemas import (
    VISIBILITIES,
    MaterialCreated,
    MaterialOut,
    RecordingIn,
    ReportCard,
    ReportIn,
    ReportOut,
)
from meetup.reports.tables import ForumReport, Material
from meetup.site.storage import Storage

MATERIALS_PER_FORUM = 100
EXCERPT = 120


class ReportNotFound(NotFound):
    pass


def storage_key(token: str) -> str:
    return f"materials/{token}"


def material_url(row: dict) -> str:
    return row["url"] if row["kind"] == "recording" else f"/materials/{row['token']}"


def material_out(row: dict) -> MaterialOut:
    return MaterialOut(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        visibility=row["visibility"],
        url=material_url(row),
        content_type=row["content_type"],
        size=row["size"],
        name=row["display_name"],
    )


async def may_see_registrants_only(forum: dict, user: UserOut | None) -> bool:
    """Those who run the forum and its confirmed registrants."""
    if user is None:
        return False
    return await cohosts.runs(user, forum["id"]) or await events.is_confirmed_registrant(forum["id"], user.id)


async def materials_for(forum: dict, user: UserOut | None) -> list[MaterialOut]:
    """The forum's materials `user` may see, oldest first; a draft forum's are its staff's only."""
    if forum["status"] == "draft" and not await cohosts.runs(user, forum["id"]):
        raise NotFound(_("No such forum."))
    query = (
        Material.select()
        .where((Material.event == forum["id"]) & (Material.removed == False))  # noqa: E712
        .order_by(Material.id)
    )
    if not await may_see_registrants_only(forum, user):
        query = query.where(Material.visibility == "public")
    return [material_out(row) for row in await query]


async def report_row(event_id: int) -> dict | None:
    return await ForumReport.select().where(ForumReport.event == event_id).first()


async def save_report(forum: dict, user: UserOut, data: ReportIn) -> ReportOut:
    """Write the report; publishing stamps `published_at` (kept while it stays published)."""
    now = utcnow()
    async with write_transaction():
        row = await report_row(forum["id"])
        published_at = (row["published_at"] if row and row["published"] else now) if data.published else None
        if row is None:
            await insert(
                ForumReport(
                    event=forum["id"],
                    body=data.body,
                    published=data.published,
                    published_at=published_at,
                    updated_by=user.id,
                    updated_at=now,
                )
            )
        else:
            await ForumReport.update(
                {
                    ForumReport.body: data.body,
                    ForumReport.published: data.published,
                    ForumReport.published_at: published_at,
                    ForumReport.updated_by: user.id,
                    ForumReport.updated_at: now,
                }
            ).where(ForumReport.id == row["id"])
    return await report_for(forum, user)


async def report_for(forum: dict, user: UserOut | None) -> ReportOut:
    """The report as `user` may read it: those who run the forum always (an empty one before
    anything is written); others once it is published on a forum that is not a draft."""
    runs = await cohosts.runs(user, forum["id"])
    row = await report_row(forum["id"])
    if not runs and (row is None or not row["published"] or forum["status"] == "draft"):
        raise ReportNotFound(_("This forum has no report yet."))
    return ReportOut(
        slug=forum["slug"],
        title=forum["title"],
        body=row["body"] if row else "",
        published=bool(row and row["published"]),
        published_at=row["published_at"] if row else None,
        updated_at=row["updated_at"] if row else None,
        materials=await materials_for(forum, user),
        quotes=await quotes.quotes_for(forum, managers=runs),
    )


async def has_published_report(event_id: int) -> bool:
    return await ForumReport.exists().where((ForumReport.event == event_id) & (ForumReport.published == True))  # noqa: E712


def _visibility(value: str | None) -> str:
    value = (value or "public").strip()
    if value not in VISIBILITIES:
        raise BadInput(_("Visibility is public or registrants."), field="visibility")
    return value


def _title(value: str | None) -> str:
    title = " ".join((value or "").split())
    if not title:
        raise BadInput(_("Give the material a title."), field="title")
    if len(title) > 200:
        raise BadInput(_("The title is too long (at most 200 characters)."), field="title")
    return title


async def _room_for_one_more(forum: dict) -> None:
    live = (Material.event == forum["id"]) & (Material.removed == False)  # noqa: E712
    if await Material.count().where(live) >= MATERIALS_PER_FORUM:
        raise BadInput(_("A forum holds at most %(n)s materials.") % {"n": MATERIALS_PER_FORUM}, field="file")


async def add_material(forum: dict, user: UserOut, received: Received, storage: Storage) -> MaterialCreated:
    """Check the received file by content, store it under a new token, then record it."""
    title = _title(received.fields.get("title"))
    visibility = _visibility(received.fields.get("visibility"))
    if received.path is None:
        raise BadInput(_("Send the file as the multipart field `file`."), field="file")
    await _room_for_one_more(forum)
    upload = received.path
    checked = await files.judge(upload)
    token = secrets.token_urlsafe(24)
    try:
        await storage.save(storage_key(token), checked.path, checked.content_type)
    finally:
        if checked.path != upload:
            await anyio.to_thread.run_sync(lambda: Path(checked.path).unlink(missing_ok=True))
    try:
        async with single_write():
            rows = await insert(
                Material(
                    event=forum["id"],
                    kind="file",
                    token=token,
                    title=title,
                    visibility=visibility,
                    content_type=checked.content_type,
                    size=checked.size,
                    display_name=files.display_name(received.filename, checked.kind),
                    created_by=user.id,
                )
            )
    except BaseException:
        await storage.delete(storage_key(token))
        raise
    return MaterialCreated(id=rows[0]["id"], url=material_url(rows[0]))


async def add_recording(forum: dict, user: UserOut, data: RecordingIn) -> MaterialCreated:
    await _room_for_one_more(forum)
    async with single_write():
        rows = await insert(
            Material(
                event=forum["id"],
                kind="recording",
                token=secrets.token_urlsafe(24),
                title=data.title,
                visibility=data.visibility,
                url=data.url,
                created_by=user.id,
            )
        )
    return MaterialCreated(id=rows[0]["id"], url=material_url(rows[0]))


async def delete_material(forum: dict, material_id: int, storage: Storage) -> None:
    """Mark the material removed, then delete its file (a file left by a crash between is only
    unseen: nothing serves a removed material). Removing it again changes nothing."""
    row = await Material.select().where((Material.id == material_id) & (Material.event == forum["id"])).first()
    if row is None:
        raise NotFound(_("No such material."))
    async with single_write():
        await Material.update({Material.removed: True}).where(Material.id == row["id"])
    if row["kind"] == "file":
        await storage.delete(storage_key(row["token"]))


async def material_to_serve(token: str, user: UserOut | None) -> dict | None:
    """The file at `/materials/<token>` if `user` may have it, else None (answered as 404)."""
    if not 16 <= len(token) <= 40:
        return None
    row = (
        await Material.select()
        .where((Material.token == token) & (Material.kind == "file") & (Material.removed == False))  # noqa: E712
        .first()
    )
    if row is None:
        return None
    forum = await Event.select(Event.id, Event.status).where(Event.id == row["event"]).first()
    runs = await cohosts.runs(user, forum["id"])
    if forum["status"] == "draft" and not runs:
        return None
    if row["visibility"] != "public" and not (runs or await may_see_registrants_only(forum, user)):
        return None
    return row


def excerpt(body: str) -> str:
    text = " ".join(render_plain(body).split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


async def published_reports(*, series_id: int | None = None, limit: int = 50, offset: int = 0) -> list[ReportCard]:
    """Published reports of published (or called-off) forums, newest publication first."""
    query = (
        ForumReport.select(
            ForumReport.body,
            ForumReport.published_at,
            ForumReport.event.slug,
            ForumReport.event.title,
            ForumReport.event.starts_at,
        )
        .where((ForumReport.published == True) & (ForumReport.event.status != "draft"))  # noqa: E712
        .order_by(ForumReport.published_at, ascending=False)
        .order_by(ForumReport.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    if series_id is not None:
        query = query.where(ForumReport.event.series == series_id)
    return [
        ReportCard(
            slug=row["event.slug"],
            title=row["event.title"],
            starts_at=row["event.starts_at"],
            published_at=row["published_at"],
            excerpt=excerpt(row["body"]),
        )
        for row in await query
    ]
