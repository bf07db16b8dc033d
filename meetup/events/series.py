"""Series: the programmes and recurring forums that group sessions (右腕人材育成プログラム,
東北コーディネーター・フォーラム).

Rules:
- a series has a title people read, a Markdown description (`summary`, as CONTRACT §5.3 names
  it) and a slug its address uses; the slug never changes once made, so links keep working;
- a slug is made from the title's latin words when none is given, and never takes another
  series' slug;
- a series may take enrolment (one application for every session, enrolment.py): its capacity is
  at least 1 and cannot go below the people already enrolled, and its completion rule asks for
  between 1 and as many sessions as the series has (once it has any); enrolment is switched off
  only while nobody holds or waits for a place.
"""

from __future__ import annotations

import re
from datetime import datetime

import msgspec
from msgspec import UNSET
from piccolo.query.functions.aggregate import Count

from meetup.db import unique_violation, utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound
from meetup.events import enrolment_mail, seats, tickets
from meetup.events.schemas import EnrolmentOut, EnrolmentRule, Question, SeriesIn, SeriesOut, SeriesPatch
from meetup.events.tables import Enrolment, Event, Series
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _


def _stem(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:60].strip("-") or "series"


async def _free_slug(stem: str) -> str:
    slug, number = stem, 1
    while await Series.exists().where(Series.slug == slug):
        number += 1
        slug = f"{stem}-{number}"
    return slug


def _rule_values(rule: EnrolmentRule | None) -> dict:
    if rule is None:
        return {"enrol_capacity": None}
    return {
        "enrol_capacity": rule.capacity,
        "enrol_mode": rule.mode,
        "min_sessions": rule.min_sessions,
        "final_required": rule.final_required,
        "enrol_closes_at": rule.closes_at,
        "questions_json": msgspec.json.encode(rule.questions).decode(),
        "held_json": msgspec.json.encode(rule.held).decode(),
    }


def questions_of(row: dict) -> list[Question]:
    """The series' application questions (as a forum's registration questions)."""
    return msgspec.json.decode(row.get("questions_json") or "[]", type=list[Question])


def held_of(row: dict) -> dict[str, int]:
    """Lottery: seats held per Tohoku prefecture, the draw's default."""
    return msgspec.json.decode(row.get("held_json") or "{}", type=dict[str, int])


def enrolment_open(row: dict, now: datetime | None = None) -> bool:
    """Enrolment is taken until its closing time (none: always, while the series takes it)."""
    closes = row.get("enrol_closes_at")
    return closes is None or (now or utcnow()) < closes


async def session_count(series_id: int | None) -> int:
    """Sessions the series holds, drafts included, cancelled ones not."""
    if series_id is None:
        return 0
    return await Event.count().where((Event.series == series_id) & (Event.status != "cancelled"))


def check_rule(rule: EnrolmentRule, sessions: int) -> None:
    """A completion rule asks for no more sessions than the series has (once it has any)."""
    if sessions and rule.min_sessions > sessions:
        raise BadInput(
            _("The completion rule asks for %(asked)s sessions; the series has %(count)s.")
            % {"asked": rule.min_sessions, "count": sessions},
            field="enrolment.min_sessions",
        )


async def _check_rule_change(row: dict, rule: EnrolmentRule | None) -> None:
    """With the series locked: the new rule fits the sessions and the people already enrolled."""
    if rule is None:
        if row["confirmed_count"] or row["waitlisted_count"] or await _pending(row["id"]):
            raise Conflict(_("People have enrolled: enrolment cannot be switched off."), field="enrolment")
        return
    check_rule(rule, await session_count(row["id"]))
    if rule.capacity < row["confirmed_count"]:
        raise Conflict(
            _("Capacity cannot go below the %(count)s people already enrolled.") % {"count": row["confirmed_count"]},
            field="enrolment.capacity",
        )


async def _pending(series_id: int) -> bool:
    return await Enrolment.exists().where((Enrolment.series == series_id) & (Enrolment.status == "pending"))


async def create_series(data: SeriesIn) -> str:
    """A new series; returns its slug. A slug asked for that another series has is a 409."""
    async with write_transaction():
        if data.slug and await Series.exists().where(Series.slug == data.slug):
            raise Conflict(_("Another series already uses this address."), field="slug")
        slug = data.slug or await _free_slug(_stem(data.title))
        try:
            await Series.insert(
                Series(slug=slug, title=data.title, summary=data.summary, **_rule_values(data.enrolment))
            )
        except Exception as exc:  # two organizers creating the same slug at the same moment
            if unique_violation(exc):
                raise Conflict(_("Another series already uses this address."), field="slug") from None
            raise
    return slug


async def update_series(slug: str, patch: SeriesPatch) -> None:
    """Change a series' title, description or enrolment (its slug stays); places a raised
    capacity frees go to the waitlist, first in line first."""
    values = {
        getattr(Series, name): value for name in ("title", "summary") if (value := getattr(patch, name)) is not UNSET
    }
    async with write_transaction():
        row = await Series.select(Series.id).where(Series.slug == slug).first()
        if row is None:
            raise NotFound(_("No such series."))
        await seats.lock_series(row["id"])
        row = await Series.select().where(Series.id == row["id"]).first()
        if patch.enrolment is not UNSET:
            await _check_rule_change(row, patch.enrolment)
            values.update({getattr(Series, k): v for k, v in _rule_values(patch.enrolment).items()})
        if values:
            await Series.update(values).where(Series.slug == slug)
        if patch.enrolment:
            for promoted in await seats.promote_enrolments(row["id"], tickets.new_code):
                await enrolment_mail.changed(promoted, patch.enrolment.mode, promoted=True)


def enrolment_out(row: dict) -> EnrolmentOut | None:
    """The series' enrolment (None: it takes none) from its row."""
    if row["enrol_capacity"] is None:
        return None
    return EnrolmentOut(
        capacity=row["enrol_capacity"],
        mode=row["enrol_mode"],
        min_sessions=row["min_sessions"],
        final_required=row["final_required"],
        confirmed_count=row["confirmed_count"],
        waitlist_count=row["waitlisted_count"],
        closes_at=row["enrol_closes_at"].astimezone(TOKYO) if row["enrol_closes_at"] else None,
        questions=questions_of(row),
        held=held_of(row),
        open=enrolment_open(row),
    )


async def series_row(slug: str) -> dict:
    """The series' row, or a 404."""
    row = await Series.select().where(Series.slug == slug).first() if len(slug) <= 80 else None
    if row is None:
        raise NotFound(_("No such series."))
    return row


async def takes_enrolment(series_id: int | None) -> bool:
    """The series (of a forum) gives its sessions' seats by enrolment only."""
    if series_id is None:
        return False
    return await Series.exists().where((Series.id == series_id) & Series.enrol_capacity.is_not_null())


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


async def refs_by_id(series_ids: list[int]) -> dict[int, dict]:
    """{series id: {'id', 'slug', 'title'}} of those that exist."""
    if not series_ids:
        return {}
    rows = await Series.select(Series.id, Series.slug, Series.title).where(Series.id.is_in(list(series_ids)))
    return {row["id"]: row for row in rows}
