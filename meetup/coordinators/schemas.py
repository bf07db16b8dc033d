"""What comes in and goes out of the coordinators API: profiles, organisations, connections,
the network."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, get_args

import msgspec
from msgspec import Meta

from meetup.coordinators.prefectures import PREFECTURES
from meetup.events.schemas import AlumnusOut
from meetup.links import check_url
from meetup.text import multi_line, one_line

Visibility = Literal["public", "members", "private"]
Theme = Annotated[str, Meta(min_length=1, max_length=30)]
Link = Annotated[str, Meta(max_length=500)]

# The curated themes offered first; any other tag is allowed too.
THEMES = (
    "移住", "関係人口", "インターン", "創業支援", "事業承継", "DX", "観光", "農業", "水産",
    "林業", "ものづくり", "教育", "福祉", "医療", "まちづくり", "防災", "環境・エネルギー",
    "地域金融", "子育て", "文化・芸術", "スポーツ", "国際交流", "復興", "ワーケーション",
)  # fmt: skip

CONSENT_TEXT = (
    "私は、このプロフィール（氏名、ふりがな、所属、地域、テーマ、自己紹介、リンク）が NEXT TOHOKU MEETUP の"
    "ウェブサイト上で誰でも閲覧できる状態で公開されることに同意します。公開範囲はいつでも変更できます。"
)


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    prefecture: Annotated[str, Meta(max_length=10, description="e.g. 宮城県, 東京都, 北海道 or 海外")]
    name_kana: Annotated[str, Meta(max_length=100)] = ""
    organization: Annotated[str, Meta(max_length=200)] = ""
    municipality: Annotated[str, Meta(max_length=100)] = ""
    themes: Annotated[list[Theme], Meta(max_length=20)] = []
    bio: Annotated[str, Meta(max_length=10_000, description="Markdown")] = ""
    links: Annotated[list[Link], Meta(max_length=10)] = []
    can_help_with: Annotated[str, Meta(max_length=1000)] = ""
    looking_for: Annotated[str, Meta(max_length=1000)] = ""
    visibility: Visibility = "members"

    def __post_init__(self) -> None:
        for field in ("name", "name_kana", "organization", "municipality"):
            setattr(self, field, one_line(getattr(self, field)))
        for field in ("bio", "can_help_with", "looking_for"):  # textareas: their line breaks stay
            setattr(self, field, multi_line(getattr(self, field)).strip())
        if not self.name:
            raise ValueError("name: must not be blank")
        if self.prefecture not in PREFECTURES:
            raise ValueError("prefecture: write it as in 宮城県, 東京都, 北海道, or 海外")
        themes: list[str] = []
        for theme in self.themes:
            theme = one_line(theme).lstrip("#")
            if theme and theme not in themes:
                themes.append(theme)
        self.themes = themes
        self.links = [check_url("links", link) for link in map(one_line, self.links) if link]


class OrganizationRef(msgspec.Struct):
    id: int
    name: str


class ProfileOut(msgspec.Struct):
    id: int  # the account's id
    name: str
    name_kana: str
    reading: str
    organization: str
    organization_ref: OrganizationRef | None
    prefecture: str | None
    municipality: str
    themes: list[str]
    bio: str
    links: list[str]
    can_help_with: str
    looking_for: str
    visibility: Visibility
    updated_at: datetime
    alumni: list[AlumnusOut] = []  # the programmes completed (CONTRACT §5.3), for good


class DirectoryPage(msgspec.Struct):
    total: int
    items: list[ProfileOut]


OrganizationKind = Literal[
    "gateway", "support", "finance", "university", "company", "incubator", "municipality", "other"
]  # fmt: skip
ORGANIZATION_KINDS: tuple[str, ...] = get_args(OrganizationKind)
ORGANIZATION_FIELDS = ("name", "name_kana", "kind", "prefecture", "website", "summary")


class OrganizationIn(msgspec.Struct, forbid_unknown_fields=True):
    """An organisation as the API, the form and each line of an import give it."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: OrganizationKind
    prefecture: Annotated[str, Meta(max_length=10, description="e.g. 宮城県, 東京都, 北海道 or 海外")]
    name_kana: Annotated[str, Meta(max_length=200, description="the reading (かな)")] = ""
    website: Annotated[str, Meta(max_length=500, description="http:// or https://")] = ""
    summary: Annotated[str, Meta(max_length=5000, description="what it does as a gateway, plain text")] = ""

    def __post_init__(self) -> None:
        self.name, self.name_kana = one_line(self.name), one_line(self.name_kana)
        self.prefecture = one_line(self.prefecture)
        self.summary = multi_line(self.summary).strip()
        if not self.name:
            raise ValueError("name: must not be blank")
        if self.prefecture not in PREFECTURES:
            raise ValueError("prefecture: write it as in 宮城県, 東京都, 北海道, or 海外")
        self.website = check_url("website", one_line(self.website))


class OrganizationPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; each is checked as in `OrganizationIn`."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    kind: str | msgspec.UnsetType = msgspec.UNSET
    prefecture: str | msgspec.UnsetType = msgspec.UNSET
    name_kana: str | msgspec.UnsetType = msgspec.UNSET
    website: str | msgspec.UnsetType = msgspec.UNSET
    summary: str | msgspec.UnsetType = msgspec.UNSET


class AdminIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]


class AdminOut(msgspec.Struct):
    id: int
    display_name: str


class OrganizationOut(msgspec.Struct):
    id: int
    name: str
    name_kana: str
    legal_form: str
    prefecture: str | None
    kind: str
    summary: str
    website: str
    member_count: int = 0
    aliases: list[str] = []  # other spellings that find it (proposals merged into it)


class RejectedLine(msgspec.Struct):
    line: int  # the line of the file, the header being line 1
    reason: str


class ImportResult(msgspec.Struct):
    """`updated` counts every line naming an organisation that already exists, changed or not:
    re-importing the same file gives created 0, updated N, and changes nothing."""

    created: int
    updated: int
    rejected: list[RejectedLine]
    unchanged: int = 0  # of `updated`, the lines that found the organisation exactly as given


class ForumAttended(msgspec.Struct):
    slug: str
    title: str
    starts_at: datetime
    people: int


class OrganizationDetail(msgspec.Struct):
    organization: OrganizationOut
    members: list[ProfileOut]
    forums: list[ForumAttended]
    admins: list[AdminOut] = []


ProposalStatus = Literal["pending", "approved", "merged", "rejected"]


class ProposerOut(msgspec.Struct):
    id: int  # the account's id
    display_name: str


class ProposalOut(msgspec.Struct):
    """A name typed on profiles that matched no organisation (organization_proposals.py)."""

    id: int
    name: str
    status: ProposalStatus
    proposers: list[ProposerOut]
    organization: OrganizationRef | None  # the organisation it was approved as or merged into
    created_at: datetime
    decided_at: datetime | None = None


class ProposalApproveIn(msgspec.Struct, forbid_unknown_fields=True):
    """Checked as an organisation's input: an unknown kind or prefecture is a 400 naming it."""

    kind: Annotated[str, Meta(max_length=20, description="as `POST /organizations`")]
    prefecture: Annotated[str, Meta(max_length=10, description="e.g. 宮城県, 東京都, 北海道 or 海外")]
    name: Annotated[str, Meta(max_length=200, description="the name to create, if not as proposed")] = ""


class ProposalMergeIn(msgspec.Struct, forbid_unknown_fields=True):
    organization: Annotated[int, Meta(ge=1, le=2**31 - 1, description="the organisation's id")]


class InvitationsIn(msgspec.Struct, forbid_unknown_fields=True):
    emails: Annotated[list[Annotated[str, Meta(max_length=254)]], Meta(min_length=1, max_length=20)]
    as_admin: bool = False


class InvitationRejected(msgspec.Struct):
    email: str
    reason: str


class InvitationsOut(msgspec.Struct):
    """Who was invited and who not, with why (addresses as the inviter typed them)."""

    invited: list[str]
    rejected: list[InvitationRejected]
    expires_in_days: int


class PendingInvitation(msgspec.Struct):
    id: int
    email: str | None  # shown only to organizers and the admin who invited
    as_admin: bool
    invited_by: str  # the inviter's name
    expires_at: datetime


MESSAGE_LIMIT = 300


class ConnectIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    message: Annotated[
        str, Meta(max_length=MESSAGE_LIMIT, description="A short note, plain text, shown only to the person asked")
    ] = ""


class ConnectionOut(msgspec.Struct):
    id: int
    requester: int
    recipient: int
    status: Literal["pending", "accepted", "declined"]
    created_at: datetime


# --- the network ----------------------------------------------------------------------------

TieChoice = Literal["relationships", "contact"]  # coordinators.ties.TIE_CHOICES


class NetworkNode(msgspec.Struct):
    id: int  # the person's user id
    name: str
    prefecture: str | None
    organization: str


class NetworkEdge(msgspec.Struct):
    source: int  # user ids, lower first
    target: int
    kind: str  # the strongest source: connection > introduction > project > survey > room
    weight: int  # how many sources tie the pair


class Hub(msgspec.Struct):
    """A person many shortest paths between others run through: the bridges between groups."""

    id: int
    name: str
    prefecture: str | None
    organization: str
    betweenness: float  # normalized betweenness centrality among connected people, 0..1
    ties: int  # how many people they are tied to


class NetworkSnapshot(msgspec.Struct):
    """The network's shape. `components` counts groups of two or more people linked by ties;
    people without any tie are counted in `isolated`, not as groups of one. Shares by place
    count only `placed_ties`: ties whose two people both gave a prefecture (or 海外)."""

    people: int
    connected_people: int
    isolated: int
    ties: int
    density: float
    components: int
    largest_component: int
    placed_ties: int  # ties whose two ends have a known prefecture: the denominator of the shares
    cross_prefecture_ties: int  # ties between people of two different prefectures
    cross_prefecture_share: float  # of placed_ties, 0..1
    tohoku_outside_ties: int  # ties between someone in the six Tohoku prefectures and someone elsewhere
    tohoku_outside_share: float  # of placed_ties, 0..1


class NetworkMetrics(NetworkSnapshot):
    hubs: list[Hub]
    hubs_sampled: bool  # betweenness estimated from a sample of sources (large networks)
    betweenness_sample: int | None = None  # how many sources it was estimated from; None: exact


class NetworkOut(msgspec.Struct):
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    metrics: NetworkMetrics
    ties: TieChoice  # which kinds of tie were counted
    at: date | None  # ties made by the end of this day (Asia/Tokyo); None: up to now


class Bridge(msgspec.Struct):
    """A person who bridges at the later date and did not at the earlier one."""

    id: int
    name: str
    prefecture: str | None
    organization: str
    betweenness_before: float
    betweenness_after: float
    prefectures_reached: int  # prefectures their ties reach at the later date


class NetworkComparison(msgspec.Struct):
    """The network at two dates side by side, as the bureau's 2011/2016 survey pictures."""

    ties: TieChoice
    a: date
    b: date
    before: NetworkSnapshot
    after: NetworkSnapshot
    new_ties: dict[str, int]  # per kind: pairs whose first tie of that kind came after `a`, by `b`
    new_bridges: list[Bridge]


class ForumGrowth(msgspec.Struct):
    """Relationships that began between a forum's attendees from its start until 30 and 90 days
    after it ended, per kind (pairs with no tie of that kind before the forum)."""

    slug: str
    title: str
    attendees: int
    within_30: dict[str, int]
    within_90: dict[str, int]
