"""The lottery (抽選): pending applicants are drawn at random for the seats.

The draw may hold seats per prefecture ("at least 3 seats for each Tohoku prefecture"): those
are filled first from each prefecture's applicants, then the rest of the seats from everyone
left. Everyone not drawn goes to the waitlist in a random order, so later cancellations
promote them fairly.
"""

from __future__ import annotations

import random

from meetup.coordinators.prefectures import TOHOKU
from meetup.db import utcnow, write_transaction
from meetup.events import notifications
from meetup.events.errors import RegistrationClosed
from meetup.events.registration import lock_event
from meetup.events.schemas import LotteryIn, LotteryResult, PrefectureDraw
from meetup.events.tables import Event, Registration
from meetup.i18n import gettext as _

_random = random.SystemRandom()


def _free_seats(locked: dict, asked: int | None) -> int:
    """Seats the draw may give: the free seats, or fewer when the organizer asks for fewer."""
    free = 10**9 if locked["capacity"] is None else max(locked["capacity"] - locked["confirmed_count"], 0)
    return min(asked, free) if asked is not None else free


def draw(applicants: list[dict], seats: int, min_per_prefecture: int) -> tuple[list[dict], list[dict]]:
    """(winners, the rest in waitlist order). Pure: the caller decides what to do with it."""
    pool = applicants[:]
    _random.shuffle(pool)
    winners: list[dict] = []
    if min_per_prefecture:
        for prefecture in TOHOKU:
            local = [a for a in pool if a["prefecture"] == prefecture][:min_per_prefecture]
            for applicant in local[: max(seats - len(winners), 0)]:
                winners.append(applicant)
                pool.remove(applicant)
    take = max(seats - len(winners), 0)
    winners.extend(pool[:take])
    return winners, pool[take:]


def _summary(applicants: list[dict], seats: int, min_per_prefecture: int) -> list[PrefectureDraw]:
    """Applicants and held seats per Tohoku prefecture; held seats never add up past `seats`."""
    summary, left = [], seats
    for prefecture in TOHOKU:
        count = sum(1 for a in applicants if a["prefecture"] == prefecture)
        held = min(count, min_per_prefecture, left)
        left -= held
        summary.append(PrefectureDraw(prefecture=prefecture, applicants=count, reserved=held))
    return summary


async def _pending(event_id: int) -> list[dict]:
    return await Registration.select().where((Registration.event == event_id) & (Registration.status == "pending"))


def _lottery_only(event: dict) -> None:
    if event["registration_mode"] != "lottery":
        raise RegistrationClosed(_("This forum does not use a lottery."))


async def preview(event: dict, data: LotteryIn) -> LotteryResult:
    """What a draw would do now: how many seats, applicants and reserved seats per prefecture."""
    _lottery_only(event)
    applicants = await _pending(event["id"])
    row = await Event.select(Event.capacity, Event.confirmed_count).where(Event.id == event["id"]).first()
    seats = min(_free_seats(row, data.seats), len(applicants))
    return LotteryResult(
        applicants=len(applicants),
        seats=seats,
        winners=seats,
        waitlisted=len(applicants) - seats,
        per_prefecture=_summary(applicants, seats, data.min_per_prefecture),
        drawn=False,
    )


async def run(event: dict, data: LotteryIn) -> LotteryResult:
    """Draw now: winners are confirmed, the rest waitlisted in random order; everyone is mailed."""
    _lottery_only(event)
    async with write_transaction():
        locked = await lock_event(event["id"])
        applicants = await _pending(event["id"])
        seats = min(_free_seats(locked, data.seats), len(applicants))
        winners, rest = draw(applicants, seats, data.min_per_prefecture)
        now = utcnow()
        for winner in winners:
            await Registration.update(
                {Registration.status: "confirmed", Registration.confirmed_at: now, Registration.updated_at: now}
            ).where(Registration.id == winner["id"])
        for offset, loser in enumerate(rest, start=1):
            await Registration.update(
                {
                    Registration.status: "waitlisted",
                    Registration.queue_order: locked["waitlist_seq"] + offset,
                    Registration.updated_at: now,
                }
            ).where(Registration.id == loser["id"])
        await Event.update(
            {
                Event.confirmed_count: Event.confirmed_count + len(winners),
                Event.waitlist_seq: Event.waitlist_seq + len(rest),
                Event.waitlisted_count: Event.waitlisted_count + len(rest),
                Event.drawn_at: now,  # the forum's page and card say "drawn" from now on
            }
        ).where(Event.id == event["id"])
        for drawn in [*winners, *rest]:
            row = await Registration.select().where(Registration.id == drawn["id"]).first()
            await notifications.status_changed(row, event, lottery=True)
    return LotteryResult(
        applicants=len(applicants),
        seats=seats,
        winners=len(winners),
        waitlisted=len(rest),
        per_prefecture=_summary(applicants, seats, data.min_per_prefecture),
        drawn=True,
    )
