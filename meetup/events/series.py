"""Series: the programmes and recurring forums that group sessions (右腕人材育成プログラム,
東北コーディネーター・フォーラム).

Rules:
- a series has a title people read, a Markdown description (`summary`, as CONTRACT §5.3 names
  it) and a slug its address uses; the slug never changes once made, so links keep working;
- a slug is made from the title's latin words when none is given, and never takes another
  series' slug.
"""

from __future__ import annotations

import re

from msgspec import UNSET
from piccolo.query.functions.aggregate import Count

from meetup.db import unique_violation, write_transaction
from meetup.errors import Conflict, NotFound
from meetup.events.schemas import SeriesIn, SeriesOut, SeriesPatch
from meetup.events.tables import Event, Series
from meetup.i18n import gettext as _


def _stem(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:60].strip("-") or "series"


async def _free_slug(stem: str) -> str:
    slug, number = stem, 1
    while await Series.exists().where(Series.slug == slug):
        number += 1
        slug = f"{stem}-{number}"
    return slug


async def create_series(data: SeriesIn) -> str:
    """A new series; returns its slug. A slug asked for that another series has is a 409."""
    async with write_transaction():
        if data.slug and await Series.exists().where(Series.slug == data.slug):
            raise Conflict(_("Another series already uses this address."), field="slug")
        slug = data.slug or await _free_slug(_stem(data.title))
        try:
            await Series.insert(Series(slug=slug, title=data.title, summary=data.summary))
        except Exception as exc:  # two organizers creating the same slug at the same moment
            if unique_violation(exc):
                raise Conflict(_("Another series already uses this address."), field="slug") from None
            raise
    return slug


async def update_series(slug: str, patch: SeriesPatch) -> None:
    """Change a series' title or description (its slug stays)."""
    values = {
        getattr(Series, name): value for name in ("title", "summary") if (value := getattr(patch, name)) is not UNSET
    }
    async with write_transaction():
        if not await Series.exists().where(Series.slug == slug):
            raise NotFound(_("No such series."))
        if values:
            await Series.update(values).where(Series.slug == slug)


async def get_series(slug: str) -> SeriesOut | None:
    row = await Series.select(Series.slug, Series.title, Series.summary).where(Series.slug == slug).first()
    return SeriesOut(**row) if row else None


async def list_series() -> list[SeriesOut]:
    """Every series, newest first, with how many forums (drafts included) it holds."""
    rows = await Series.select(Series.id, Series.slug, Series.title, Series.summary).order_by(
        Series.id, ascending=False
    )
    counts = await Event.select(Event.series, Count(alias="n")).where(Event.series.is_not_null()).group_by(Event.series)
    sessions = {row["series"]: row["n"] for row in counts}
    return [
        SeriesOut(slug=r["slug"], title=r["title"], summary=r["summary"], session_count=sessions.get(r["id"], 0))
        for r in rows
    ]
