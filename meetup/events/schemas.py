"""What comes in and goes out of the forums and registration API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import UNSET, Meta, UnsetType

from meetup.coordinators.prefectures import PREFECTURES, TOHOKU
from meetup.links import check_url
from meetup.text import multi_line, one_line

Format = Literal["online", "in_person", "hybrid"]
Mode = Literal["first_come", "lottery", "approval"]
EventStatus = Literal["draft", "published", "cancelled"]
RegistrationStatus = Literal["confirmed", "waitlisted", "pending", "rejected", "cancelled"]
QuestionKind = Literal["text", "choice", "checkbox"]

ACTIVE = ("confirmed", "waitlisted", "pending")

Title = Annotated[str, Meta(min_length=1, max_length=200)]
Summary = Annotated[str, Meta(max_length=500)]
Description = Annotated[str, Meta(max_length=20000, description="Markdown")]
Venue = Annotated[str, Meta(max_length=300)]
Url = Annotated[str, Meta(max_length=500, description="http(s) URL")]
Capacity = Annotated[int, Meta(ge=1, le=100_000)]
AwareTime = Annotated[datetime, Meta(tz=True, description="ISO 8601 with offset")]
DrawDate = Annotated[
    datetime,
    Meta(tz=True, description="lottery forums: when the draw is made (after registration closes, before the start)"),
]
SeriesSlug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
Answer = Annotated[str, Meta(max_length=2000)] | list[Annotated[str, Meta(max_length=100)]] | bool


class Audience(msgspec.Struct, forbid_unknown_fields=True):
    """Who may register for a forum: everyone, or only the alumni of these series (CONTRACT §5.3)."""

    alumni_of: Annotated[list[SeriesSlug], Meta(max_length=20)] = []

    def __post_init__(self) -> None:
        self.alumni_of = list(dict.fromkeys(self.alumni_of))


class Question(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: QuestionKind = "text"
    required: bool = False
    options: Annotated[list[Annotated[str, Meta(min_length=1, max_length=100)]], Meta(max_length=30)] = []

    def __post_init__(self) -> None:
        self.label = one_line(self.label)
        self.options = [option for option in map(one_line, self.options) if option]
        if not self.label:
            raise ValueError("label: must not be blank")
        if self.kind == "choice" and not self.options:
            raise ValueError("questions: a choice question needs options")


Questions = Annotated[list[Question], Meta(max_length=30)]
Theme = Annotated[str, Meta(min_length=1, max_length=30)]
Themes = Annotated[list[Theme], Meta(max_length=10, description="tags, as on profiles (at most 10)")]
Prefecture = Annotated[str, Meta(max_length=10, description="where it takes place: 宮城県, 東京都 … or 海外")]
OrganizationId = Annotated[
    int,
    Meta(
        ge=1, le=2**31 - 1, description="the hosting organisation's id (GET /organizations): its followers hear of it"
    ),
]


def clean_themes(themes: list[str]) -> list[str]:
    """Tags as profiles keep them: one line, no leading #, each once."""
    cleaned: list[str] = []
    for theme in themes:
        theme = one_line(theme).lstrip("#").strip()
        if theme and theme not in cleaned:
            cleaned.append(theme)
    return cleaned


def _check_prefecture(prefecture: str | None) -> None:
    if prefecture is not None and prefecture not in PREFECTURES:
        raise ValueError("prefecture: write it as in 宮城県, 東京都, 北海道, or 海外")


class Lecturer(msgspec.Struct, forbid_unknown_fields=True):
    """Someone who speaks at a session (講師): shown on the session page and in its series' list.
    `photo_url` is an https address of a picture (shown lazily, with the name as its text)."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]
    affiliation: Annotated[str, Meta(max_length=200)] = ""
    bio: Annotated[str, Meta(max_length=1000)] = ""
    photo_url: Annotated[str, Meta(max_length=500, description="https URL of a photo")] = ""

    def __post_init__(self) -> None:
        self.name, self.affiliation = one_line(self.name), one_line(self.affiliation)
        self.bio = multi_line(self.bio)
        if not self.name:
            raise ValueError("lecturers: a lecturer needs a name")
        self.photo_url = check_photo_url(self.photo_url)


def check_photo_url(value: str) -> str:
    """A lecturer's photo: an https address, or a path on this site ("/static/…"). Pages show
    the picture itself only from this site (the Content-Security-Policy allows no other image
    source); a photo elsewhere is linked instead."""
    value = value.strip()
    if not value:
        return value
    if any(c in value for c in " \\\"'<>") or any(ord(c) < 32 for c in value):
        raise ValueError("photo_url: must be an https:// address")
    if value.startswith("/") and not value.startswith("//"):
        return value
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("photo_url: must be an https:// address")
    return value


Lecturers = Annotated[list[Lecturer], Meta(max_length=10)]


def _check_times(starts_at, ends_at, opens_at, closes_at, draws_at=None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at: must be after starts_at")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValueError("registration_closes_at: must be after registration_opens_at")
    check_draw_date(starts_at, closes_at, draws_at)


def check_draw_date(starts_at, closes_at, draws_at) -> None:
    """A lottery is drawn once registration has closed, and before the forum starts."""
    if draws_at is None:
        return
    if closes_at and draws_at < closes_at:
        raise ValueError("draws_at: must not be before registration_closes_at")
    if starts_at is not None and draws_at >= starts_at:
        raise ValueError("draws_at: must be before starts_at")


def _check_questions(questions) -> None:
    if questions:
        ids = [q.id for q in questions]
        if len(ids) != len(set(ids)):
            raise ValueError("questions: each question needs its own id")


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    starts_at: AwareTime
    ends_at: AwareTime
    summary: Summary = ""
    description: Description = ""
    format: Format = "online"
    venue: Venue = ""
    online_url: Url = ""
    capacity: Capacity | None = None
    registration_mode: Mode = "first_come"
    registration_opens_at: AwareTime | None = None
    registration_closes_at: AwareTime | None = None
    status: Literal["draft", "published"] = "draft"
    series: SeriesSlug | None = None
    questions: Questions = []
    draws_at: DrawDate | None = None
    audience: Audience | None = None
    lecturers: Lecturers = []
    organization: OrganizationId | None = None
    prefecture: Prefecture | None = None
    themes: Themes = []

    def __post_init__(self) -> None:
        self.title, self.summary, self.venue = one_line(self.title), one_line(self.summary), one_line(self.venue)
        _check_prefecture(self.prefecture)
        self.themes = clean_themes(self.themes)
        self.description = multi_line(self.description)
        if not self.title:
            raise ValueError("title: must not be blank")
        self.online_url = check_url("online_url", self.online_url)
        _check_times(
            self.starts_at, self.ends_at, self.registration_opens_at, self.registration_closes_at, self.draws_at
        )
        _check_questions(self.questions)


class EventPatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    starts_at: AwareTime | UnsetType = UNSET
    ends_at: AwareTime | UnsetType = UNSET
    summary: Summary | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    format: Format | UnsetType = UNSET
    venue: Venue | UnsetType = UNSET
    online_url: Url | UnsetType = UNSET
    capacity: Capacity | None | UnsetType = UNSET
    registration_mode: Mode | UnsetType = UNSET
    registration_opens_at: AwareTime | None | UnsetType = UNSET
    registration_closes_at: AwareTime | None | UnsetType = UNSET
    status: EventStatus | UnsetType = UNSET
    series: SeriesSlug | None | UnsetType = UNSET
    questions: Questions | UnsetType = UNSET
    draws_at: DrawDate | None | UnsetType = UNSET
    audience: Audience | None | UnsetType = UNSET
    lecturers: Lecturers | UnsetType = UNSET
    organization: OrganizationId | None | UnsetType = UNSET
    prefecture: Prefecture | None | UnsetType = UNSET
    themes: Themes | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.prefecture is not UNSET:
            _check_prefecture(self.prefecture)
        if self.themes is not UNSET:
            self.themes = clean_themes(self.themes)
        for field in ("title", "summary", "venue"):
            if (value := getattr(self, field)) is not UNSET:
                setattr(self, field, one_line(value))
        if self.description is not UNSET:
            self.description = multi_line(self.description)
        if self.online_url is not UNSET:
            self.online_url = check_url("online_url", self.online_url)
        if self.title is not UNSET and not self.title:
            raise ValueError("title: must not be blank")
        if self.questions is not UNSET:
            _check_questions(self.questions)

    def changes(self) -> dict[str, object]:
        return {f: v for f in self.__struct_fields__ if (v := getattr(self, f)) is not UNSET}


class SeriesRef(msgspec.Struct):
    slug: str
    title: str


class OrganizationRef(msgspec.Struct):
    id: int
    name: str


SeriesTitle = Annotated[str, Meta(min_length=1, max_length=200)]
SeriesSummary = Annotated[str, Meta(max_length=20000, description="Markdown")]


class EnrolmentRule(msgspec.Struct, forbid_unknown_fields=True):
    """One application for every session: `capacity` places, given first come, on approval or by
    lottery (with the forums' held seats per prefecture); completing takes at least
    `min_sessions` sessions (and the last one when `final_required`)."""

    capacity: Capacity
    mode: Mode = "first_come"
    min_sessions: Annotated[int, Meta(ge=1, le=1000)] = 1
    final_required: bool = False
    closes_at: Annotated[datetime, Meta(tz=True, description="no enrolment from then on (409)")] | None = None
    questions: Annotated[list[Question], Meta(max_length=30, description="application questions, as a forum's")] = []
    held: Annotated[
        dict[str, Annotated[int, Meta(ge=0, le=100_000)]],
        Meta(
            max_length=6,
            description="lottery: seats held per Tohoku prefecture (keys 青森県…福島県), the draw's default",
        ),
    ] = {}

    def __post_init__(self) -> None:
        _check_questions(self.questions)
        unknown = sorted(set(self.held) - set(TOHOKU))
        if unknown:
            raise ValueError(f"held: {unknown[0]} is not one of the six Tohoku prefectures")
        if sum(self.held.values()) > self.capacity:
            raise ValueError("held: more seats held for prefectures than the capacity")


class SeriesIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new series; the slug is made from the title when not given (CONTRACT §5.3)."""

    title: SeriesTitle
    slug: SeriesSlug | None = None
    summary: SeriesSummary = ""
    enrolment: EnrolmentRule | None = None

    def __post_init__(self) -> None:
        self.title, self.summary = one_line(self.title), multi_line(self.summary)
        if not self.title:
            raise ValueError("title: must not be blank")


class SeriesPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A series' title and description change; its slug (its address) never does."""

    title: SeriesTitle | UnsetType = UNSET
    summary: SeriesSummary | UnsetType = UNSET
    enrolment: EnrolmentRule | None | UnsetType = UNSET  # null: no enrolment (refused once people enrolled)

    def __post_init__(self) -> None:
        if self.summary is not UNSET:
            self.summary = multi_line(self.summary)
        if self.title is not UNSET:
            self.title = one_line(self.title)
            if not self.title:
                raise ValueError("title: must not be blank")


class SeriesOut(msgspec.Struct):
    slug: str
    title: str
    summary: str  # Markdown
    session_count: int = 0


class EnrolmentOut(msgspec.Struct):
    """The series' enrolment as anyone sees it."""

    capacity: int
    mode: str
    min_sessions: int
    final_required: bool
    confirmed_count: int
    waitlist_count: int
    closes_at: datetime | None = None
    questions: list[Question] = []
    held: dict[str, int] = {}
    open: bool = True  # enrolment is taken now (closes_at not passed)


class EnrolmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """An application; the prefecture counts for seats a lottery holds per prefecture; answers
    go to the series' application questions (as a forum registration's)."""

    prefecture: Annotated[str, Meta(max_length=10)] | None = None
    answers: Annotated[dict[Annotated[str, Meta(max_length=40)], Answer], Meta(max_length=30)] = {}

    def __post_init__(self) -> None:
        for key, value in self.answers.items():
            if isinstance(value, str):
                self.answers[key] = multi_line(value)


class MyEnrolment(msgspec.Struct, omit_defaults=True):
    id: int
    status: RegistrationStatus
    series: str
    waitlist_position: int | UnsetType = UNSET


class EnrolmentRow(msgspec.Struct):
    """One enrolment as the organizer sees it: sessions attended (checked in or seen in a
    breakout room) by slug."""

    id: int
    user: Person
    status: RegistrationStatus
    attended: list[str]
    completed: bool = False
    answers: dict[str, object] = {}
    prefecture: str | None = None


class EventSummary(msgspec.Struct):
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    format: Format
    capacity: int | None
    confirmed_count: int
    waitlist_count: int
    status: EventStatus
    registration_mode: Mode
    summary: str = ""
    venue: str = ""
    seats_left: int | None = None
    series: SeriesRef | None = None
    draws_at: datetime | None = None
    drawn_at: datetime | None = None  # lottery forums: when the organizer drew
    lecturers: list[Lecturer] = []
    prefecture: str | None = None
    themes: list[str] = []


class EventOut(msgspec.Struct, omit_defaults=True):
    slug: str
    title: str
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    format: Format
    venue: str
    capacity: int | None
    confirmed_count: int
    waitlist_count: int
    pending_count: int
    seats_left: int | None
    status: EventStatus
    registration_mode: Mode
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    registration_open: bool
    questions: list[Question]
    series: SeriesRef | None = None
    lecturers: list[Lecturer] = []
    online_url: str | UnsetType = UNSET  # only for confirmed registrants and organizers
    draws_at: datetime | None = None  # lottery forums: when the draw is planned
    drawn_at: datetime | None = None  # lottery forums: when the organizer drew
    audience: Audience | UnsetType = UNSET  # only when the forum is for some series' alumni
    organization: OrganizationRef | None = None  # the host: its followers hear of the forum
    prefecture: str | None = None
    themes: list[str] = []


class Created(msgspec.Struct):
    slug: str


class SeriesDetail(msgspec.Struct, omit_defaults=True):
    """A series with its sessions in date order (CONTRACT §5.3)."""

    slug: str
    title: str
    summary: str
    sessions: list[EventSummary]
    enrolment: EnrolmentOut | UnsetType = UNSET


class RegistrationIn(msgspec.Struct, forbid_unknown_fields=True):
    answers: Annotated[dict[Annotated[str, Meta(max_length=40)], Answer], Meta(max_length=30)] = {}
    prefecture: Annotated[str, Meta(max_length=10)] | None = None

    def __post_init__(self) -> None:
        for key, value in self.answers.items():
            if isinstance(value, str):
                self.answers[key] = multi_line(value)
            elif isinstance(value, list):
                self.answers[key] = [one_line(item) for item in value]


class RegistrationOut(msgspec.Struct, omit_defaults=True):
    id: int
    status: RegistrationStatus
    event: str
    created_at: datetime
    waitlist_position: int | UnsetType = UNSET
    checked_in_at: datetime | None = None
    answers: dict[str, object] = {}


class Person(msgspec.Struct):
    id: int
    display_name: str
    email: str


class RegistrationRow(msgspec.Struct):
    id: int
    user: Person
    status: RegistrationStatus
    answers: dict[str, object]
    prefecture: str | None
    created_at: datetime
    confirmed_at: datetime | None
    checked_in_at: datetime | None
    waitlist_position: int | None = None


DrawnSeats = Annotated[int, Meta(ge=0, le=100_000, description="seats to draw; default: every free seat")]
HeldSeats = Annotated[int, Meta(ge=0, le=100_000)]


class LotteryIn(msgspec.Struct, forbid_unknown_fields=True):
    seats: DrawnSeats | None = None
    held: Annotated[
        dict[str, HeldSeats],
        Meta(
            max_length=len(TOHOKU),
            description='seats held for a Tohoku prefecture\'s applicants, e.g. {"青森県": 2, "福島県": 1}'
            " (keys: 青森県, 岩手県, 宮城県, 秋田県, 山形県, 福島県; absent: 0). Held seats are drawn at random"
            " among that prefecture's applicants; seats a prefecture cannot fill go back to the open draw."
            " More held seats in all than `seats` is a 400.",
        ),
    ] = {}
    min_per_prefecture: Annotated[
        int, Meta(ge=0, le=1000, description="the same held number for each Tohoku prefecture `held` leaves out")
    ] = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.held) - set(TOHOKU))
        if unknown:
            raise ValueError(f"held: {unknown[0]} is not one of the six Tohoku prefectures ({'、'.join(TOHOKU)})")

    def held_seats(self) -> dict[str, int]:
        """Seats held per Tohoku prefecture, in the order TOHOKU lists them."""
        return {p: self.held.get(p, self.min_per_prefecture) for p in TOHOKU}


class PrefectureDraw(msgspec.Struct):
    prefecture: str
    applicants: int
    held: int  # seats the organizer held for this prefecture
    reserved: int  # of those, the seats this prefecture's applicants fill
    returned: int  # the rest, back in the open draw


class LotteryResult(msgspec.Struct):
    applicants: int
    seats: int
    winners: int
    waitlisted: int
    per_prefecture: list[PrefectureDraw]
    drawn: bool
    held: int = 0  # seats held in all
    open_seats: int = 0  # seats drawn among everyone not drawn for a held seat


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=200)]


class AlumnusOut(msgspec.Struct):
    """A series someone completed (or graduated from before the site): for good."""

    series: str  # the series' slug
    title: str
    year: int


class CompletionResult(msgspec.Struct):
    completed: int  # people newly marked as having completed


class BadLine(msgspec.Struct):
    line: int  # the header is line 1
    reason: str


class AlumniImportResult(msgspec.Struct):
    created: int  # graduates newly recorded
    invited: int  # of them, those mailed to claim the account made for them
    skipped: int  # lines already recorded (importing a file again skips every line)


class CohostIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(max_length=254, description="The address to mail the invitation to")]


class CohostInvited(msgspec.Struct):
    email: str
    expires_in_days: int


class Cloned(msgspec.Struct):
    slug: str
