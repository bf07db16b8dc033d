"""Alumni of a series (CONTRACT §5.3): who completed a programme, or graduated before the site.

Rules:
- an alumni record is for good: one per person and series (a unique index), with the cohort's
  year and where it came from ("completed": marked by completion.py; "imported": a past
  graduate recorded by alumni_import.py); nothing removes it but the account's deletion;
- a forum may be for the alumni of some series only (`audience.alumni_of`): those series must
  exist (else a 400 naming `audience.alumni_of`), and anyone else who registers gets a 403 saying
  whom the forum is for (organizers manage it, they do not register);
- what others see of alumni is decided above (coordinators: visible profiles only); this module
  never hands out an e-mail address.
"""

from __future__ import annotations

import msgspec

from meetup.errors import BadInput, Forbidden
from meetup.events.schemas import AlumnusOut, Audience
from meetup.events.tables import Alumnus, Series
from meetup.i18n import gettext as _


async def alumni_of(user_ids: list[int]) -> dict[int, list[AlumnusOut]]:
    """{account: the series each completed, oldest cohort first}."""
    if not user_ids:
        return {}
    rows = (
        await Alumnus.select(
            Alumnus.account,
            Alumnus.year,
            Alumnus.series.slug.as_alias("slug"),
            Alumnus.series.title.as_alias("title"),
        )
        .where(Alumnus.account.is_in(user_ids))
        .order_by(Alumnus.year)
        .order_by(Alumnus.id)
    )
    found: dict[int, list[AlumnusOut]] = {}
    for row in rows:
        found.setdefault(row["account"], []).append(
            AlumnusOut(series=row["slug"], title=row["title"], year=row["year"])
        )
    return found


def accounts_of_series(slug: str, year: int | None = None):
    """A sub-query: the accounts of the alumni of the series at `slug`, of the cohort of `year`
    when given (for a directory filter)."""
    where = Alumnus.series.slug == slug
    if year is not None:
        where &= Alumnus.year == year
    return Alumnus.select(Alumnus.account).where(where)


async def accounts_of(slugs: list[str]) -> set[int]:
    """Everyone who is an alumnus of any of the series at `slugs`, across cohorts."""
    rows = await Alumnus.select(Alumnus.account).where(Alumnus.series.slug.is_in(slugs)) if slugs else []
    return {row["account"] for row in rows}


async def programmes() -> list[tuple[str, str]]:
    """(slug, title) of every series that has alumni, by title (the directory's programme filter)."""
    rows = await Series.select(Series.slug, Series.title).where(Series.id.is_in(Alumnus.select(Alumnus.series)))
    return sorted(((r["slug"], r["title"]) for r in rows), key=lambda pair: pair[1])


async def completed_accounts(series_id: int) -> set[int]:
    rows = await Alumnus.select(Alumnus.account).where(Alumnus.series == series_id)
    return {row["account"] for row in rows}


async def is_alumnus(user_id: int, series_id: int) -> bool:
    return await Alumnus.exists().where((Alumnus.account == user_id) & (Alumnus.series == series_id))


async def alumni_list(series_id: int) -> list[dict]:
    """The series' alumni, every cohort: {account, year, source}, newest cohort first."""
    return (
        await Alumnus.select(Alumnus.account, Alumnus.year, Alumnus.source)
        .where(Alumnus.series == series_id)
        .order_by(Alumnus.year, ascending=False)
        .order_by(Alumnus.id)
    )


async def record_of(series_id: int, user_id: int) -> dict | None:
    """The person's alumni record of the series with the name they go by, or None."""
    return (
        await Alumnus.select(
            Alumnus.id,
            Alumnus.year,
            Alumnus.source,
            Alumnus.created_at,
            Alumnus.account.display_name.as_alias("name"),
        )
        .where((Alumnus.series == series_id) & (Alumnus.account == user_id))
        .first()
    )


async def completed_people(series_id: int) -> list[dict]:
    """Everyone recorded as an alumnus of the series: {account, name, year, source}, for organizers."""
    return (
        await Alumnus.select(
            Alumnus.account, Alumnus.year, Alumnus.source, Alumnus.account.display_name.as_alias("name")
        )
        .where(Alumnus.series == series_id)
        .order_by(Alumnus.year, ascending=False)
        .order_by(Alumnus.id)
    )


# --- forums for alumni only --------------------------------------------------------------------


async def checked_audience(audience: Audience | None) -> str:
    """The audience as stored on the forum ("[]": everyone); a series that does not exist is a 400."""
    slugs = audience.alumni_of if audience else []
    if slugs:
        found = {row["slug"] for row in await Series.select(Series.slug).where(Series.slug.is_in(slugs))}
        if missing := [slug for slug in slugs if slug not in found]:
            raise BadInput(
                _("No series has the address %(slugs)s.") % {"slugs": ", ".join(missing)}, field="audience.alumni_of"
            )
    return msgspec.json.encode(slugs).decode()


def audience_slugs(event: dict) -> list[str]:
    return msgspec.json.decode(event.get("alumni_of_json") or "[]")


async def audience_titles(event: dict) -> list[str]:
    """The titles of the series whose alumni the forum is for (none: it is for everyone)."""
    slugs = audience_slugs(event)
    if not slugs:
        return []
    titles = {
        r["slug"]: r["title"] for r in await Series.select(Series.slug, Series.title).where(Series.slug.is_in(slugs))
    }
    return [titles[slug] for slug in slugs if slug in titles]


async def admits(event: dict, user_id: int | None) -> bool:
    """Whether `user_id` may register: everyone may, unless the forum is for some series' alumni."""
    slugs = audience_slugs(event)
    if not slugs:
        return True
    if user_id is None:
        return False
    return await Alumnus.exists().where((Alumnus.account == user_id) & Alumnus.series.slug.is_in(slugs))


async def check_admitted(event: dict, user_id: int) -> None:
    """A 403 naming whom the forum is for, when `user_id` is not among them."""
    if not await admits(event, user_id):
        raise Forbidden(
            _("This forum is for the alumni of %(programmes)s only.")
            % {"programmes": "、".join(await audience_titles(event))},
            field="audience",
        )
