"""What comes in and goes out of the case library and the challenge board (CONTRACT §5.5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

import msgspec
from msgspec import Meta

from meetup.coordinators.prefectures import PREFECTURES
from meetup.text import multi_line, one_line

CaseKind = Literal["co_creation", "external_talent", "dx", "other"]
ChallengeKind = Literal["internship", "side_job", "project", "advice"]
ChallengeStatus = Literal["open", "matched", "closed"]
CASE_KINDS: tuple[str, ...] = get_args(CaseKind)
CHALLENGE_KINDS: tuple[str, ...] = get_args(ChallengeKind)
CHALLENGE_STATUSES: tuple[str, ...] = get_args(ChallengeStatus)

Theme = Annotated[str, Meta(min_length=1, max_length=30)]
Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Slug = Annotated[str, Meta(min_length=1, max_length=120)]
BODY_LIMIT = 100_000  # characters of Markdown: a long story, never a megabyte


def _themes(values: list[str]) -> list[str]:
    themes: list[str] = []
    for theme in values:
        theme = one_line(theme).lstrip("#")
        if theme and theme not in themes:
            themes.append(theme)
    return themes


def _prefecture(value: str | None, *, required: bool) -> str | None:
    value = one_line(value or "")
    if not value and not required:
        return None
    if value not in PREFECTURES:
        raise ValueError("prefecture: write it as in 宮城県, 東京都, 北海道, or 海外")
    return value


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A case as the organizer writes it: `people` are user ids (each is asked by mail before they
    are named), `organizations` organisation ids, `events` forum slugs."""

    title: Annotated[str, Meta(min_length=1, max_length=200)]
    summary: Annotated[str, Meta(max_length=2000)]
    body: Annotated[str, Meta(max_length=BODY_LIMIT, description="Markdown")]
    kind: CaseKind
    themes: Annotated[list[Theme], Meta(max_length=20)] = []
    prefecture: Annotated[str | None, Meta(description="e.g. 岩手県, or 海外")] = None
    organizations: Annotated[list[Id], Meta(max_length=50)] = []
    people: Annotated[list[Id], Meta(max_length=50)] = []
    events: Annotated[list[Slug], Meta(max_length=50)] = []

    def __post_init__(self) -> None:
        self.title = one_line(self.title)
        self.summary = multi_line(self.summary).strip()
        self.body = multi_line(self.body).strip()
        if not self.title:
            raise ValueError("title: must not be blank")
        if self.prefecture is not None and len(self.prefecture) > 10:
            raise ValueError("prefecture: write it as in 宮城県, 東京都, 北海道, or 海外")
        self.prefecture = _prefecture(self.prefecture, required=False)
        self.themes = _themes(self.themes)
        self.organizations = list(dict.fromkeys(self.organizations))
        self.people = list(dict.fromkeys(self.people))
        self.events = list(dict.fromkeys(one_line(slug) for slug in self.events))


class CasePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; each is checked as in `CaseIn`."""

    title: str | msgspec.UnsetType = msgspec.UNSET
    summary: str | msgspec.UnsetType = msgspec.UNSET
    body: str | msgspec.UnsetType = msgspec.UNSET
    kind: str | msgspec.UnsetType = msgspec.UNSET
    themes: list[str] | msgspec.UnsetType = msgspec.UNSET
    prefecture: str | None | msgspec.UnsetType = msgspec.UNSET
    organizations: list[int] | msgspec.UnsetType = msgspec.UNSET
    people: list[int] | msgspec.UnsetType = msgspec.UNSET
    events: list[str] | msgspec.UnsetType = msgspec.UNSET


class NamedRef(msgspec.Struct):
    id: int
    name: str


class ForumRef(msgspec.Struct):
    slug: str
    title: str


class CaseOut(msgspec.Struct):
    """A case as anyone sees it: only the people who agreed are named (`people`); `pending_people`
    counts the others, and the organizer's view (`consents`) says who answered what."""

    id: int
    title: str
    summary: str
    body: str
    kind: str
    themes: list[str]
    prefecture: str | None
    organizations: list[NamedRef]
    people: list[NamedRef]
    events: list[ForumRef]
    created_at: datetime
    updated_at: datetime
    url: str
    consents: dict[str, str] | None = None  # organizers only: {user id: pending | agreed | declined}


class CaseSummary(msgspec.Struct):
    """One case in a list."""

    id: int
    title: str
    summary: str
    kind: str
    themes: list[str]
    prefecture: str | None
    organizations: list[NamedRef]
    created_at: datetime
    url: str


class ChallengeIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    body: Annotated[str, Meta(max_length=BODY_LIMIT, description="Markdown: what help is wanted, the period")]
    organization: Id
    kind: ChallengeKind
    prefecture: Annotated[str, Meta(max_length=10, description="e.g. 岩手県, or 海外")]
    closes_at: Annotated[datetime | None, Meta(description="ISO 8601 with offset, in the future")] = None

    def __post_init__(self) -> None:
        self.title = one_line(self.title)
        self.body = multi_line(self.body).strip()
        if not self.title:
            raise ValueError("title: must not be blank")
        self.prefecture = _prefecture(self.prefecture, required=True) or ""
        if self.closes_at is not None:
            if self.closes_at.tzinfo is None:
                raise ValueError("closes_at: give the time with its offset, e.g. 2027-03-01T18:00:00+09:00")
            if self.closes_at <= datetime.now(UTC):
                raise ValueError("closes_at: must be in the future")


class ChallengeStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: ChallengeStatus


class ChallengeOut(msgspec.Struct):
    id: int
    title: str
    body: str
    organization: NamedRef
    kind: str
    prefecture: str
    closes_at: datetime | None
    status: str  # open | matched | closed (closed too once closes_at has passed)
    interest_count: int
    created_at: datetime
    url: str
    case: dict | None = None  # "write it up as a case": the case form's values


class InterestIn(msgspec.Struct, forbid_unknown_fields=True):
    message: Annotated[str, Meta(max_length=1000)] = ""

    def __post_init__(self) -> None:
        self.message = multi_line(self.message).strip()


class InterestOut(msgspec.Struct):
    """An interest as the poster sees it: the person by their profile's name (never their address)."""

    id: int
    challenge: int
    person: NamedRef
    message: str
    created_at: datetime
    status: str  # interested | introduced (the introduction mails went out) | matched (both accepted)
