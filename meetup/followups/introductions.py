"""Introductions: "people you met" in a follow-up, and double opt-in "stay in touch".

Rules:
- people you met are those who shared a breakout room with the recipient, then those at the forum
  who share themes with them (most shared first); never someone already connected, never a private
  profile, at most six;
- pressing "stay in touch" records the wish and tells nobody; when the other person presses it too,
  both get an introduction mail and become connected, once: a `connection` tie and an
  `introduction` tie (the forum's follow-up brought them together) on the network map;
- the same double opt-in introduces the poster of a challenge (余白) and a person who wants to take
  part: its links carry the challenge (`challenge_stay_token`), its wishes are kept apart from the
  forum's (`StayInTouch.occasion`), and when both accept, the tie is a `project` tie. What the
  mail says about the challenge comes from the describer registered for "challenge"
  (`register_occasion`, at start-up: this module knows no challenge).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from meetup import i18n, settings
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.coordinators import connections
from meetup.coordinators import service as coordinators
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, NotFound
from meetup.events import service as events
from meetup.followups.preferences import sign, verify
from meetup.followups.schemas import StayInTouchOut
from meetup.followups.tables import StayInTouch
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.rooms import service as rooms
from meetup.templating import render_mail

MAX_PEOPLE = 6


@dataclass(frozen=True)
class Met:
    """One person in a recipient's "people you met"."""

    id: int
    name: str
    organization: str
    prefecture: str | None
    shared_room: bool
    shared_themes: tuple[str, ...]
    profile_url: str
    stay_url: str


@dataclass
class ForumCircle:
    """What the follow-up of one forum needs to know about who met whom, read once per campaign."""

    event_id: int
    roommates: dict[int, set[int]] = field(default_factory=dict)
    themes: dict[int, set[str]] = field(default_factory=dict)
    profiles: dict = field(default_factory=dict)
    connected: set[tuple[int, int]] = field(default_factory=set)

    def people_for(self, person: int) -> list[Met]:
        base = settings.current().base_url.rstrip("/")
        mine = self.themes.get(person, set())
        mates = self.roommates.get(person, set())
        candidates = []
        for other, profile in self.profiles.items():
            if other == person or (min(person, other), max(person, other)) in self.connected:
                continue
            shared = tuple(sorted(mine & self.themes.get(other, set())))
            if other not in mates and not shared:
                continue
            candidates.append((other not in mates, -len(shared), profile.reading or profile.name, other, shared))
        people = []
        for _not_mate, _n, _key, other, shared in sorted(candidates)[:MAX_PEOPLE]:
            profile = self.profiles[other]
            people.append(
                Met(
                    id=other,
                    name=profile.name,
                    organization=profile.organization,
                    prefecture=profile.prefecture,
                    shared_room=other in mates,
                    shared_themes=shared,
                    profile_url=f"{base}/coordinators/{other}",
                    stay_url=f"{base}/stay-in-touch/{stay_token(person, other, self.event_id)}",
                )
            )
        return people


async def forum_circle(event_id: int) -> ForumCircle:
    mates = await rooms.roommates(event_id)
    people = set(await events.confirmed_people(event_id)) | set(mates)
    ids = sorted(people)
    return ForumCircle(
        event_id=event_id,
        roommates=mates,
        themes=await coordinators.themes_of(ids),
        profiles=await coordinators.profiles_of(ids),
        connected=await connections.connected_pairs(ids),
    )


def stay_token(person: int, other: int, event_id: int) -> str:
    return sign("stay", f"{person}-{other}-{event_id}")


def challenge_stay_token(person: int, other: int, challenge_id: int) -> str:
    """The "stay in touch" link of a challenge's introduction (its poster and one who is interested)."""
    return sign("stay", f"{person}-{other}-c{challenge_id}")


@dataclass(frozen=True)
class Occasion:
    """What brought two people together: a forum's follow-up, or a challenge."""

    event_id: int | None = None
    challenge_id: int | None = None

    @property
    def key(self) -> str:  # StayInTouch.occasion: "" for a forum's follow-up
        return f"challenge:{self.challenge_id}" if self.challenge_id is not None else ""

    @property
    def tie(self) -> tuple[str, str]:  # (kind, source) of the tie it makes
        if self.challenge_id is not None:
            return "project", f"challenge:{self.challenge_id}"
        return "introduction", f"introduction:{self.event_id}"


# "challenge" -> async (challenge id) -> {"title", "url"} or None: what an introduction mail says.
Describer = Callable[[int], Awaitable[dict | None]]
_DESCRIBERS: dict[str, Describer] = {}


def register_occasion(name: str, describe: Describer) -> None:
    _DESCRIBERS[name] = describe


def _parse(token: str) -> tuple[int, int, Occasion]:
    payload = verify("stay", token)
    parts = payload.split("-") if payload else []
    challenge = len(parts) == 3 and parts[2].startswith("c")
    if challenge:
        parts[2] = parts[2][1:]
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 10 for p in parts):
        raise NotFound(_("This link is not valid."))
    person, other, about = (int(p) for p in parts)
    return person, other, Occasion(challenge_id=about) if challenge else Occasion(event_id=about)


async def invitation(token: str) -> tuple[UserOut, object, bool]:
    """(the person who got the mail, the other's profile, already pressed?) behind a link."""
    person, other, occasion = _parse(token)
    user = await accounts.get_user(person)
    profile = (await coordinators.profiles_of([other])).get(other)
    if user is None or profile is None:
        raise NotFound(_("This link is not valid."))
    pressed = await StayInTouch.exists().where(
        (StayInTouch.person == person) & (StayInTouch.other == other) & (StayInTouch.occasion == occasion.key)
    )
    return user, profile, pressed


async def press(token: str) -> StayInTouchOut:
    """Record "I'd like to stay in touch"; introduce both when the other side wished it too."""
    person, other, occasion = _parse(token)
    if person == other:
        raise BadInput(_("You cannot connect with yourself."))
    users = await accounts.get_users([person, other])
    if len(users) != 2 or not await coordinators.profiles_of([other]):
        raise NotFound(_("This link is not valid."))
    event_id = occasion.event_id
    async with write_transaction():
        await StayInTouch.insert(
            StayInTouch(person=person, other=other, event_id=event_id, occasion=occasion.key)
        ).on_conflict(action="DO NOTHING")
    # Committed before looking for the other side's wish: of two people pressing at the same
    # moment, the later one always sees both wishes. The introduction is claimed on one row (the
    # lower id's), so it happens once.
    if not await StayInTouch.exists().where(
        (StayInTouch.person == other) & (StayInTouch.other == person) & (StayInTouch.occasion == occasion.key)
    ):
        return StayInTouchOut(status="waiting", other=other)
    low, high = min(person, other), max(person, other)
    kind, source = occasion.tie
    async with write_transaction():
        claimed = (
            await StayInTouch.update({StayInTouch.introduced_at: utcnow()})
            .where(
                (StayInTouch.person == low)
                & (StayInTouch.other == high)
                & (StayInTouch.occasion == occasion.key)
                & StayInTouch.introduced_at.is_null()
            )
            .returning(StayInTouch.id)
        )
        if claimed:
            await connections.connect_both(low, high)
            await connections.record_ties([low, high], kind=kind, source=source, event_id=event_id)
            await _introduce(users[low], users[high], occasion)
            await _introduce(users[high], users[low], occasion)
    return StayInTouchOut(status="connected", other=other)


async def _introduce(to: UserOut, other: UserOut, occasion: Occasion) -> None:
    base = settings.current().base_url.rstrip("/")
    profile = (await coordinators.profiles_of([other.id])).get(other.id)
    forum = (await events.forum_refs([occasion.event_id])).get(occasion.event_id) if occasion.event_id else None
    describe = _DESCRIBERS.get("challenge")
    challenge = await describe(occasion.challenge_id) if occasion.challenge_id and describe else None
    text, html = render_mail(
        "followups/mail/introduction",
        to.locale,
        name=to.display_name,
        other=other,
        profile=profile,
        forum=forum,
        challenge=challenge,
        profile_url=f"{base}/coordinators/{other.id}",
        connections_url=f"{base}/me/connections",
    )
    with i18n.use_locale(to.locale):
        subject = _("[Introduction] %(name)s") % {"name": other.display_name}
    await enqueue(
        to_addr=to.email,
        to_name=to.display_name,
        subject=subject,
        body_text=text,
        body_html=html,
        dedupe_key=f"intro:{to.id}:{other.id}" + (f":{occasion.key}" if occasion.key else ""),
        headers={"Reply-To": other.email},
    )
