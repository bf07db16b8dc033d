"""The registrations table for organizers: JSON rows and the CSV that Excel opens in Japanese."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import msgspec
from piccolo.query.functions.aggregate import Count

from meetup.events.schemas import EnrolmentRow, Person, Question, RegistrationRow
from meetup.events.seats import waitlist_position
from meetup.events.tables import Registration
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _


async def registration_rows(
    event_id: int, *, status: str | None = None, checked_in: bool | None = None, q: str | None = None
) -> list[RegistrationRow]:
    query = (
        Registration.select(
            Registration.all_columns(),
            Registration.account.display_name.as_alias("display_name"),
            Registration.account.email.as_alias("email"),
        )
        .where(Registration.event == event_id)
        .order_by(Registration.created_at)
        .order_by(Registration.id)
    )
    if status:
        query = query.where(Registration.status == status)
    if checked_in is True:
        query = query.where(Registration.checked_in_at.is_not_null())
    elif checked_in is False:
        query = query.where(Registration.checked_in_at.is_null())
    if q and q.strip():
        like = "%" + q.strip().replace("%", "").replace("_", "") + "%"
        query = query.where(Registration.account.display_name.ilike(like) | Registration.account.email.ilike(like))
    rows = await query
    waiting = sorted((r for r in rows if r["status"] == "waitlisted"), key=lambda r: r["queue_order"])
    if q or checked_in is not None:  # some waitlisted rows are filtered out: ask for true ranks
        positions = {r["id"]: await waitlist_position(event_id, r["queue_order"]) for r in waiting}
    else:
        positions = {r["id"]: i for i, r in enumerate(waiting, start=1)}
    return [
        RegistrationRow(
            id=r["id"],
            user=Person(id=r["account"], display_name=r["display_name"], email=r["email"]),
            status=r["status"],
            answers=msgspec.json.decode(r["answers_json"]),
            prefecture=r["prefecture"],
            created_at=r["created_at"].astimezone(TOKYO),
            confirmed_at=r["confirmed_at"].astimezone(TOKYO) if r["confirmed_at"] else None,
            checked_in_at=r["checked_in_at"].astimezone(TOKYO) if r["checked_in_at"] else None,
            waitlist_position=positions.get(r["id"]),
        )
        for r in rows
    ]


async def status_counts(event_id: int) -> dict[str, int]:
    rows = (
        await Registration.select(Registration.status, Count(alias="n"))
        .where(Registration.event == event_id)
        .group_by(Registration.status)
    )
    counts = {row["status"]: row["n"] for row in rows}
    counts["checked_in"] = await Registration.count().where(
        (Registration.event == event_id)
        & (Registration.status == "confirmed")
        & Registration.checked_in_at.is_not_null()
    )
    return counts


async def daily_registrations(event_id: int) -> list[tuple[str, int]]:
    """(day in Tokyo, registrations that day), for the organizer's curve."""
    rows = await Registration.select(Registration.created_at).where(Registration.event == event_id)
    days: dict[str, int] = {}
    for row in rows:
        day = f"{row['created_at'].astimezone(TOKYO):%Y-%m-%d}"
        days[day] = days.get(day, 0) + 1
    return sorted(days.items())


def excel_cell(value: object) -> str:
    """A value as a spreadsheet cell: text that Excel shows as written, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " / ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "✓" if value else ""
    text = str(value)
    # A cell starting with = + - @ would run as a formula in Excel.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def spreadsheet(header: list, rows: Iterable[list]) -> bytes:
    """A CSV in UTF-8 with BOM and CRLF, so Excel on Windows opens the Japanese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def registrations_csv(rows: list[RegistrationRow], questions: list[Question]) -> bytes:
    """A forum's registrations as a spreadsheet (see `spreadsheet`)."""
    status_names = {
        "confirmed": _("Confirmed"),
        "waitlisted": _("Waitlisted"),
        "pending": _("Pending"),
        "rejected": _("Rejected"),
        "cancelled": _("Cancelled"),
    }
    header = [
        "ID",
        _("Name"),
        _("E-mail address"),
        _("Status"),
        _("Waitlist position"),
        _("Prefecture"),
        _("Registered at"),
        _("Confirmed at"),
        _("Checked in at"),
        *[q.label for q in questions],
    ]
    return spreadsheet(
        header,
        (
            [
                row.id,
                excel_cell(row.user.display_name),
                excel_cell(row.user.email),
                status_names.get(row.status, row.status),
                row.waitlist_position or "",
                row.prefecture or "",
                f"{row.created_at:%Y-%m-%d %H:%M}",
                f"{row.confirmed_at:%Y-%m-%d %H:%M}" if row.confirmed_at else "",
                f"{row.checked_in_at:%Y-%m-%d %H:%M}" if row.checked_in_at else "",
                *[excel_cell(row.answers.get(q.id)) for q in questions],
            ]
            for row in rows
        ),
    )


def enrolments_csv(rows: list[EnrolmentRow], questions: list[Question], sessions: int) -> bytes:
    """A series' cohort as a spreadsheet (UTF-8 with BOM, CRLF, as registrations_csv): each
    person's status, sessions attended and answers to the application questions."""
    status_names = {
        "confirmed": _("Enrolled"),
        "waitlisted": _("Waitlisted"),
        "pending": _("Pending"),
        "rejected": _("Rejected"),
        "cancelled": _("Cancelled"),
    }
    header = [
        "ID",
        _("Name"),
        _("E-mail address"),
        _("Status"),
        _("Prefecture"),
        _("Sessions attended"),
        *[q.label for q in questions],
    ]
    return spreadsheet(
        header,
        (
            [
                row.id,
                excel_cell(row.user.display_name),
                excel_cell(row.user.email),
                status_names.get(row.status, row.status),
                row.prefecture or "",
                f"{len(row.attended)}/{sessions}",
                *[excel_cell(row.answers.get(q.id)) for q in questions],
            ]
            for row in rows
        ),
    )
