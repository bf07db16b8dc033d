"""The network of coordinators as a viewer may see it, at a date, on a choice of ties; measured in
the measuring process (network_process.py: networkx never holds this process's event loop) and
kept until a tie or a profile changes.

Rules:
- the map holds only the profiles the viewer may see (the directory's visibility rule), and only
  the ties between two of them: a hidden person is no node, no edge end, no count, and never a hub;
- `ties` chooses the kinds counted (ties.TIE_CHOICES): relationships by default, contact adds room
  ties; every metric and the hubs are computed on the chosen ties only;
- `at` is a day: the ties made by its end (Asia/Tokyo); today or later is the network as it is;
- a measured network is kept per (who may be seen, ties, day) and reused while the database says
  nothing changed (ties: count and newest id; profiles: count and last change), so a tie recorded
  by another server process is seen at the next request; requests that find it stale at the same
  moment wait for one measurement, not one each;
- two dates: what changed from A to B is new ties by kind and new bridging people (see
  network_measure); per forum, the relationships that began between its attendees from its start
  until 30 and 90 days after it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
from piccolo.engine.sqlite import ADAPTERS as SQLITE_ADAPTERS

from meetup import db
from meetup.accounts.schemas import UserOut
from meetup.coordinators import network_build, network_measure, network_process
from meetup.coordinators import ties as tie_ranking
from meetup.coordinators.network_measure import Measured
from meetup.coordinators.schemas import ForumGrowth, NetworkComparison, NetworkMetrics, NetworkOut, TieChoice
from meetup.coordinators.tables import Profile, Tie
from meetup.coordinators.ties import DEFAULT_TIES, RELATIONSHIPS, TIE_CHOICES
from meetup.errors import BadInput
from meetup.events import service as events
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

CACHE_SIZE = 32  # measured networks kept: scopes × tie choices × a few dates
GROWTH_DAYS = (30, 90)

Scope = tuple[str, int | None]  # ("public" | "members" | "all", a member's own private profile)


@dataclass
class _Kept:
    """A measured network as the measuring process sent it: served as it is (the API's bytes, the
    page's map and metrics); the whole network is unpacked only when asked (`full`)."""

    version: tuple
    built: network_build.Built
    measured: Measured | None = None
    derived: dict[str, Any] = field(default_factory=dict)  # exports, made once each

    @property
    def json(self) -> bytes:
        return self.built.json

    @property
    def drawn(self) -> dict:
        return self.built.drawn

    @property
    def metrics(self) -> NetworkMetrics:
        return self.built.metrics


_kept: OrderedDict[tuple, _Kept] = OrderedDict()
_locks: dict[tuple, asyncio.Lock] = {}


# --- who and when ----------------------------------------------------------------------------


async def _scope(viewer: UserOut | None) -> Scope:
    """Whose profiles the viewer may see, as a key shared by everyone who sees the same."""
    if viewer is None:
        return ("public", None)
    if viewer.is_organizer:
        return ("all", None)
    own = await Profile.select(Profile.visibility).where(Profile.account == viewer.id).first()
    return ("members", viewer.id if own and own["visibility"] == "private" else None)


def _visible(scope: Scope):
    kind, own = scope
    if kind == "all":
        return Profile.visibility.is_in(["public", "members", "private"])
    if kind == "public":
        return Profile.visibility == "public"
    members = Profile.visibility.is_in(["public", "members"])
    return members | (Profile.account == own) if own is not None else members


def today() -> date:
    return db.utcnow().astimezone(TOKYO).date()


def _day(at: date | None) -> date | None:
    """None for "as it is now": today or a later day holds every tie there is."""
    return None if at is None or at >= today() else at


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TOKYO)


# --- loading ---------------------------------------------------------------------------------


async def _read_version() -> tuple:
    rows = await db.fetch(
        'SELECT (SELECT COUNT(*) FROM "tie") AS ties, (SELECT MAX("id") FROM "tie") AS last_tie,'
        ' (SELECT COUNT(*) FROM "profile") AS profiles, (SELECT MAX("updated_at") FROM "profile") AS changed'
    )
    row = rows[0]
    return (row["ties"], row["last_tie"], row["profiles"], str(row["changed"]))


class _Versions:
    """The version is read by one query at a time, shared by every request that asked before it
    began: a request always gets a reading begun after it asked (so it sees every change made
    before), and many requests at once cost two queries, not one each."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiting: asyncio.Future | None = None  # the next reading: for those who asked since the last began
        self.reader: asyncio.Task | None = None

    async def get(self) -> tuple:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (tests): nothing carries over
            self.loop, self.waiting, self.reader = loop, None, None
        if self.waiting is None:
            self.waiting = loop.create_future()
        reading = self.waiting
        if self.reader is None:
            self.reader = loop.create_task(self._read())
        return await asyncio.shield(reading)

    async def _read(self) -> None:
        try:
            while self.waiting is not None:
                reading, self.waiting = self.waiting, None
                try:
                    reading.set_result(await _read_version())
                except Exception as error:  # noqa: BLE001 - handed to everyone waiting for this reading
                    reading.set_exception(error)
                    reading.exception()  # retrieved here too: no warning when nobody waits any more
        finally:
            self.reader = None


_versions = _Versions()


async def _version() -> tuple:
    """What changes whenever a tie or a profile does; cheap, and the same in every process."""
    return await _versions.get()


def _statement(query: Any) -> network_build.Statement:
    """A Piccolo query as SQL and plain arguments, for the measuring process's own connection."""
    engine_type = query.engine_type
    sql, args = query.querystrings[0].compile_string(engine_type=engine_type)
    if engine_type == "sqlite":  # what Piccolo's sqlite3 adapters would store (datetimes as UTC text)
        args = [SQLITE_ADAPTERS[type(a)](a) if type(a) in SQLITE_ADAPTERS else a for a in args]
    return sql, list(args)


def _database() -> network_build.Database:
    engine = db.engine()
    if engine.engine_type == "sqlite":
        return ("sqlite", engine.path)
    return ("postgres", engine.config["dsn"])


def _queries(scope: Scope, kinds: tuple[str, ...], day: date | None) -> tuple[Any, Any]:
    """Who is on the map and which ties count: the visibility rule and the day, as two queries."""
    people = (
        Profile.select(Profile.account, Profile.name, Profile.prefecture, Profile.organization_name)
        .where(_visible(scope))
        .order_by(Profile.account)
    )
    made = Tie.kind.is_in(list(kinds))
    if day is not None:
        made &= Tie.created_at < end_of(day)
    ties = Tie.select(Tie.person_low, Tie.person_high, Tie.kind, Tie.created_at).where(made).order_by(Tie.id)
    return people, ties


async def _build(scope: Scope, ties: TieChoice, day: date | None) -> network_build.Built:
    """Read, measured and encoded in the measuring process: this process only waits."""
    people, tie_rows = _queries(scope, TIE_CHOICES[ties], day)
    return await network_process.run(
        network_build.build,
        _database(),
        _statement(people),
        _statement(tie_rows),
        ties,
        day,
        dict(tie_ranking.TIE_STRENGTH),
    )


async def _measured(viewer: UserOut | None, ties: TieChoice, at: date | None) -> tuple[_Kept, date | None]:
    """The network measured for this viewer, choice and day: kept, or measured now (once, however
    many ask at the same moment)."""
    day = _day(at)
    key = (await _scope(viewer), ties, day)
    version = await _version()
    kept = _kept.get(key)
    if kept is None or kept.version != version:
        async with _locks.setdefault(key, asyncio.Lock()):
            kept = _kept.get(key)
            if kept is None or kept.version != version:
                kept = _Kept(version, await _build(key[0], ties, day))
                _kept[key] = kept
                while len(_kept) > CACHE_SIZE:
                    _kept.popitem(last=False)
    _kept.move_to_end(key)
    return kept, day


async def full(kept: _Kept) -> Measured:
    """The whole measured network (for comparisons and exports), unpacked once, in a worker thread."""
    if kept.measured is None:
        kept.measured = await asyncio.to_thread(network_build.unpack, kept.built.whole)
    return kept.measured


async def derived(kept: _Kept, name: str, make: Callable[[Measured], Any]) -> Any:
    """Something made from the whole measured network (an export), made once, in a worker thread."""
    if name not in kept.derived:
        measured = await full(kept)
        kept.derived[name] = await asyncio.to_thread(make, measured)
    return kept.derived[name]


# --- the service -----------------------------------------------------------------------------


async def measured(
    viewer: UserOut | None, *, ties: TieChoice = DEFAULT_TIES, at: date | None = None
) -> tuple[Measured, date | None]:
    """The measured network `viewer` may see, on `ties`, by the end of `at` (None: now)."""
    kept, day = await _measured(viewer, ties, at)
    return await full(kept), day


async def network(viewer: UserOut | None, *, ties: TieChoice = DEFAULT_TIES, at: date | None = None) -> NetworkOut:
    """The network `viewer` may see: visible people, the chosen ties between them (made by the end
    of `at`, when given) and its metrics."""
    kept, _day = await _measured(viewer, ties, at)
    return await asyncio.to_thread(msgspec.json.decode, kept.json, type=NetworkOut)


async def network_json(
    viewer: UserOut | None, *, ties: TieChoice = DEFAULT_TIES, at: date | None = None, gzipped: bool = False
) -> bytes:
    """`network` as JSON bytes (gzip-compressed when `gzipped`), encoded once per measured network."""
    kept, _day = await _measured(viewer, ties, at)
    return kept.built.json_gzip if gzipped else kept.json


async def kept_network(viewer: UserOut | None, *, ties: TieChoice = DEFAULT_TIES, at: date | None = None) -> _Kept:
    """The kept network itself: its drawn map and metrics for the page, `derived` for exports."""
    return (await _measured(viewer, ties, at))[0]


async def compare(
    viewer: UserOut | None, *, a: date, b: date, ties: TieChoice = DEFAULT_TIES
) -> tuple[NetworkComparison, Measured, Measured]:
    """The network at the end of day `a` and of day `b` side by side, and what changed between."""
    if a > b:
        raise BadInput(_("The first date must not be after the second."), field="a")
    earlier, _day_a = await measured(viewer, ties=ties, at=a)
    later, _day_b = await measured(viewer, ties=ties, at=b)
    comparison = NetworkComparison(
        ties=ties,
        a=a,
        b=b,
        before=network_measure.snapshot(earlier),
        after=network_measure.snapshot(later),
        new_ties=await asyncio.to_thread(network_measure.new_ties_by_kind, later, end_of(a), TIE_CHOICES[ties]),
        new_bridges=await asyncio.to_thread(network_measure.new_bridges, earlier, later),
    )
    return comparison, earlier, later


async def default_dates() -> tuple[date, date]:
    """Two dates worth comparing: the day before the first forum held, and today (a year ago and
    today before any forum). Read from the few forums, not the many ties: every page view asks."""
    forums = await events.ended_forums()
    b = today()
    if not forums:
        return b - timedelta(days=365), b
    return min(forums[0]["starts_at"].astimezone(TOKYO).date() - timedelta(days=1), b), b


async def forum_growth(forum: dict) -> ForumGrowth:
    """Relationships (connection, introduction, survey, project) that began between the forum's
    attendees from its start until 30 and 90 days after it ended: per kind, the pairs whose first
    tie of that kind falls in the window (a pair tied so before the forum is not new)."""
    people = await events.attendees(forum["id"])
    windows = {days: forum["ends_at"] + timedelta(days=days) for days in GROWTH_DAYS}
    first: dict[tuple[int, int, str], datetime] = {}
    if len(people) > 1:
        rows = await Tie.select(Tie.person_low, Tie.person_high, Tie.kind, Tie.created_at).where(
            Tie.kind.is_in(list(RELATIONSHIPS))
            & Tie.person_low.is_in(people)
            & Tie.person_high.is_in(people)
            & (Tie.created_at <= windows[max(GROWTH_DAYS)])
        )
        for row in rows:
            key = (row["person_low"], row["person_high"], row["kind"])
            first[key] = min(first.get(key, row["created_at"]), row["created_at"])

    def began(days: int) -> dict[str, int]:
        counts = dict.fromkeys(RELATIONSHIPS, 0)
        for (_low, _high, kind), at in first.items():
            if forum["starts_at"] <= at <= windows[days]:
                counts[kind] += 1
        return counts

    return ForumGrowth(
        slug=forum["slug"], title=forum["title"], attendees=len(people), within_30=began(30), within_90=began(90)
    )


async def registrants_without_profile() -> int:
    """How many people registered for a forum (and did not cancel) but have no profile, so are on
    no map: a count for organizers, never names."""
    return await events.count_registrants(excluding=Profile.select(Profile.account))
