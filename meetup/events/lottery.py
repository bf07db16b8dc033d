"""The lottery (抽選): pending applicants are drawn at random for the seats (of a forum, or the
places of a series with enrolment: the same draw, `draw_series`).

The organizer may hold a number of seats for each Tohoku prefecture ("2 for 福島県, 1 for
青森県"). A prefecture's held seats are drawn at random among the applicants who gave that
prefecture when applying; seats a prefecture cannot fill (too few applicants) go back to the
open draw, which gives the rest of the seats at random among everyone not yet drawn. Held seats
never add up to more than the seats drawn (that is refused, saying so), so every prefecture gets
all its held seats it can fill, whatever its place in the list. Everyone not drawn goes to the
waitlist in a random order, so later cancellations promote them fairly.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import msgspec

from meetup.coordinators.prefectures import TOHOKU
from meetup.db import utcnow, write_transaction
from meetup.events import enrolment_mail, notifications, tickets
from meetup.events.errors import RegistrationClosed, TooManyHeldSeats
from meetup.events.schemas import LotteryIn, LotteryResult, PrefectureDraw
from meetup.events.seats import free_seats, lock_event, lock_series, place_drawn, place_enrolments_drawn
from meetup.events.tables import Enrolment, Event, Registration
from meetup.i18n import gettext as _

_random = random.SystemRandom()


def _free_seats(locked: dict, asked: int | None) -> int:
    """Seats the draw may give: the free seats, or fewer when the organizer asks for fewer."""
    free = free_seats(locked)
    free = 10**9 if free is None else free
    return min(asked, free) if asked is not None else free


def check_held(held: Mapping[str, int], seats: int) -> None:
    """Held seats may not add up to more than the seats drawn: which prefecture would lose out
    is no choice for the list's order to make."""
    total = sum(held.values())
    if total > seats:
        raise TooManyHeldSeats(
            _(
                "%(held)s seats are held for prefectures, but only %(seats)s seats are drawn. "
                "Hold fewer seats, or draw more."
            )
            % {"held": total, "seats": seats},
            field="held",
        )


def draw(
    applicants: list[dict], seats: int, held: Mapping[str, int], rng: random.Random = _random
) -> tuple[list[dict], list[dict]]:
    """(winners, the rest in waitlist order). Pure: the caller decides what to do with it.

    Each prefecture's held seats go to its applicants at random, the remaining seats to
    everyone else at random; `held` must fit in `seats` (check_held)."""
    pool = applicants[:]
    rng.shuffle(pool)
    winners: list[dict] = []
    for prefecture, count in held.items():
        winners.extend([a for a in pool if a["prefecture"] == prefecture][:count])
    if len(winners) > seats:
        raise ValueError("held seats exceed the seats drawn")
    chosen = {id(a) for a in winners}
    rest = [a for a in pool if id(a) not in chosen]
    # Shuffle again: the applicant a held seat passed over stands, by that very choice, later
    # in the first shuffle than the one it took, and would be drawn less often in the open draw.
    rng.shuffle(rest)
    take = seats - len(winners)
    return winners + rest[:take], rest[take:]


def plan(applicants: list[dict], held: Mapping[str, int]) -> list[PrefectureDraw]:
    """Per Tohoku prefecture: applicants, seats held, how many of them its applicants fill and
    how many go back to the open draw."""
    lines = []
    for prefecture in TOHOKU:
        count = sum(1 for a in applicants if a["prefecture"] == prefecture)
        asked = held.get(prefecture, 0)
        filled = min(count, asked)
        lines.append(
            PrefectureDraw(
                prefecture=prefecture, applicants=count, held=asked, reserved=filled, returned=asked - filled
            )
        )
    return lines


def _result(applicants: list[dict], seats: int, held: Mapping[str, int], winners: int, drawn: bool) -> LotteryResult:
    lines = plan(applicants, held)
    return LotteryResult(
        applicants=len(applicants),
        seats=seats,
        winners=winners,
        waitlisted=len(applicants) - winners,
        per_prefecture=lines,
        drawn=drawn,
        held=sum(held.values()),
        open_seats=seats - sum(line.reserved for line in lines),
    )


async def _pending(event_id: int) -> list[dict]:
    return await Registration.select().where((Registration.event == event_id) & (Registration.status == "pending"))


def _lottery_only(event: dict) -> None:
    if event["registration_mode"] != "lottery":
        raise RegistrationClosed(_("This forum does not use a lottery."))


async def preview(event: dict, data: LotteryIn) -> LotteryResult:
    """What a draw would do now: seats, applicants, and held seats per prefecture (filled or
    returned to the open draw). Refused like the draw when held seats exceed the seats."""
    _lottery_only(event)
    held = data.held_seats()
    applicants = await _pending(event["id"])
    row = await Event.select(Event.capacity, Event.confirmed_count).where(Event.id == event["id"]).first()
    available = _free_seats(row, data.seats)
    check_held(held, available)
    seats = min(available, len(applicants))
    return _result(applicants, seats, held, seats, drawn=False)


async def run(event: dict, data: LotteryIn) -> LotteryResult:
    """Draw now: winners are confirmed, the rest waitlisted in random order; everyone is mailed."""
    _lottery_only(event)
    held = data.held_seats()
    async with write_transaction():
        locked = await lock_event(event["id"])
        available = _free_seats(locked, data.seats)
        check_held(held, available)
        applicants = await _pending(event["id"])
        seats = min(available, len(applicants))
        winners, rest = draw(applicants, seats, held)
        for row in await place_drawn(locked, winners, rest, utcnow()):
            await notifications.status_changed(row, event, lottery=True)
    return _result(applicants, seats, held, len(winners), drawn=True)


def series_held(row: dict) -> dict[str, int]:
    """The seats a series holds per Tohoku prefecture (its enrolment settings), in TOHOKU order."""
    saved = msgspec.json.decode(row.get("held_json") or "{}", type=dict[str, int])
    return {p: saved.get(p, 0) for p in TOHOKU}


async def _series_draw(row: dict, data: LotteryIn, place: bool) -> LotteryResult:
    if row["enrol_mode"] != "lottery":
        raise RegistrationClosed(_("This series does not use a lottery."))
    held = data.held_seats() if data.held or data.min_per_prefecture else series_held(row)
    async with write_transaction():
        locked = await lock_series(row["id"])
        available = _free_seats(
            {"capacity": locked["enrol_capacity"], "confirmed_count": locked["confirmed_count"]}, data.seats
        )
        check_held(held, available)
        applicants = await Enrolment.select().where((Enrolment.series == row["id"]) & (Enrolment.status == "pending"))
        seats = min(available, len(applicants))
        if place:
            winners, rest = draw(applicants, seats, held)
            for placed in await place_enrolments_drawn(locked, winners, rest, tickets.new_code):
                await enrolment_mail.changed(placed, "lottery", lottery=True)
    return _result(applicants, seats, held, seats, drawn=place)


async def draw_series(row: dict, data: LotteryIn) -> LotteryResult:
    """Draw a series' applicants: winners are enrolled (a seat at every session), the rest wait
    in random order."""
    return await _series_draw(row, data, place=True)


async def preview_series(row: dict, data: LotteryIn) -> LotteryResult:
    """What a draw of the series would do now, changing nothing."""
    return await _series_draw(row, data, place=False)
