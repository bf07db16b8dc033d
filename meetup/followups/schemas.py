"""What comes in and goes out of the mail API: campaigns, preferences, stay-in-touch."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from meetup.accounts.schemas import EmailText, normalize_email
from meetup.coordinators.prefectures import PREFECTURES
from meetup.coordinators.schemas import Theme
from meetup.events.schemas import SeriesSlug
from meetup.text import multi_line, one_line

Audience = Literal["confirmed", "waitlisted", "pending", "attended", "no_show"]
AUDIENCES: tuple[str, ...] = ("confirmed", "waitlisted", "pending", "attended", "no_show")

Subject = Annotated[str, Meta(min_length=1, max_length=200, description="May use placeholders")]
Body = Annotated[str, Meta(min_length=1, max_length=50_000, description="Markdown with placeholders")]
AudienceList = Annotated[list[Audience], Meta(min_length=1, max_length=5)]


def _clean_subject(value: str) -> str:
    value = " ".join(one_line(value).split())  # a subject is one line: no header injection
    if not value:
        raise ValueError("subject: must not be blank")
    return value


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True):
    subject: Subject
    body: Body
    audience: AudienceList = msgspec.field(default_factory=lambda: ["confirmed"])
    introductions: bool = False  # add "people you met" (roommates, shared themes) to each mail

    def __post_init__(self) -> None:
        self.subject = _clean_subject(self.subject)
        self.body = multi_line(self.body)
        if not self.body.strip():
            raise ValueError("body: must not be blank")
        self.audience = list(dict.fromkeys(self.audience))


class NetworkAudience(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Who a campaign to the whole network goes to: everyone who matches ANY of the criteria,
    each person once. Profiles give the organisation, prefecture and themes."""

    attended_since: date | None = None  # came to a forum (checked in, or in its breakout rooms) since
    organizations: Annotated[list[Annotated[int, Meta(ge=1, lt=2**31)]], Meta(max_length=200)] = []
    prefectures: Annotated[list[str], Meta(max_length=len(PREFECTURES))] = []
    themes: Annotated[list[Theme], Meta(max_length=50)] = []
    alumni_of: Annotated[list[SeriesSlug], Meta(max_length=20)] = []  # alumni of these programmes, every cohort
    followers_of: Annotated[list[FollowIn], Meta(max_length=20)] = []  # who follows any of these

    def __post_init__(self) -> None:
        self.alumni_of = list(dict.fromkeys(self.alumni_of))
        self.organizations = list(dict.fromkeys(self.organizations))
        self.prefectures = list(dict.fromkeys(self.prefectures))
        self.themes = list(dict.fromkeys(" ".join(t.split()) for t in self.themes))
        unknown = [p for p in self.prefectures if p not in PREFECTURES]
        if unknown:
            raise ValueError(f"audience.prefectures: not a prefecture: {unknown[0]}")
        if not all(self.themes):
            raise ValueError("audience.themes: a theme must not be blank")
        chosen = (
            self.attended_since,
            self.organizations,
            self.prefectures,
            self.themes,
            self.alumni_of,
            self.followers_of,
        )
        if not any(chosen):
            raise ValueError("audience: choose at least one group of people")


class NetworkCampaignIn(msgspec.Struct, forbid_unknown_fields=True):
    """A campaign to people across the network, not to one forum's registrants."""

    subject: Subject
    body: Body
    audience: NetworkAudience

    def __post_init__(self) -> None:
        self.subject = _clean_subject(self.subject)
        self.body = multi_line(self.body)
        if not self.body.strip():
            raise ValueError("body: must not be blank")


class CampaignPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    subject: Subject | None = None
    body: Body | None = None
    audience: AudienceList | NetworkAudience | None = None  # a list for a forum's campaign
    introductions: bool | None = None

    def __post_init__(self) -> None:
        if self.subject is not None:
            self.subject = _clean_subject(self.subject)
        if self.body is not None:
            self.body = multi_line(self.body)
        if self.body is not None and not self.body.strip():
            raise ValueError("body: must not be blank")
        if isinstance(self.audience, list):
            self.audience = list(dict.fromkeys(self.audience))


class CampaignCreated(msgspec.Struct):
    id: int
    recipient_count: int


class Counts(msgspec.Struct):
    queued: int = 0
    sent: int = 0
    failed: int = 0


class CampaignOut(msgspec.Struct):
    id: int
    event_slug: str | None  # None: a campaign to the whole network
    subject: str
    body: str
    audience: list[str] | NetworkAudience
    introductions: bool
    status: Literal["draft", "sending", "sent"]
    recipient_count: int
    counts: Counts
    created_at: datetime
    sent_at: datetime | None


class Delivery(msgspec.Struct):
    """One recipient's line in the campaign's delivery log."""

    account_id: int | None
    name: str
    email: str
    status: Literal["queued", "sent", "failed"]
    attempts: int
    error: str
    sent_at: datetime | None


class Preview(msgspec.Struct):
    to: str
    subject: str
    text: str
    html: str
    warnings: list[str] = []  # advice for the organizer (a doubled salutation); sending is not blocked


class TestIn(msgspec.Struct, forbid_unknown_fields=True):
    to: EmailText | None = None  # default: the organizer's own address

    def __post_init__(self) -> None:
        if self.to is not None:
            try:
                self.to = normalize_email(self.to)
            except ValueError as exc:
                raise ValueError(str(exc).replace("email:", "to:", 1)) from None


class Retried(msgspec.Struct):
    retried: int


class PreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    """Each choice left out stays as it is."""

    followups: bool | None = None
    connection_requests: bool | None = None
    follows: bool | None = None  # mail about newly published forums one follows


class StayInTouchOut(msgspec.Struct):
    status: Literal["waiting", "connected"]
    other: int


class FollowIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of: a series (its slug), an organisation (its id), a prefecture (as written,
    宮城県) or a theme (a tag, as on profiles and forums)."""

    series: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    organization: int | None = None
    prefecture: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    theme: Annotated[str, msgspec.Meta(max_length=60)] | None = None

    def __post_init__(self) -> None:
        for name in ("series", "prefecture", "theme"):
            if (value := getattr(self, name)) is not None:
                setattr(self, name, one_line(value))
        given = [name for name in ("series", "organization", "prefecture", "theme") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of series, organization, prefecture or theme")


class FollowOut(msgspec.Struct, omit_defaults=True):
    """A follow: `kind` says which of series, organization, prefecture, theme is given."""

    id: int
    kind: Literal["series", "organization", "prefecture", "theme"]
    label: str  # what it is called on a page: the series' title, the organisation's name…
    url: str  # the page of what is followed (a path on this site)
    created_at: datetime
    series: str | None = None  # the series' slug
    organization: int | None = None
    prefecture: str | None = None
    theme: str | None = None
