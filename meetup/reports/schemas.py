"""What the report API takes and gives (CONTRACT §5.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from meetup.text import one_line

Visibility = Literal["public", "registrants"]
VISIBILITIES: tuple[str, ...] = ("public", "registrants")
BODY_LIMIT = 100_000  # characters of a report's Markdown


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, Meta(max_length=BODY_LIMIT)]
    published: bool = False


class MaterialOut(msgspec.Struct):
    id: int
    kind: str  # file | recording
    title: str
    visibility: str
    url: str  # a file: /materials/<token> on this site; a recording: its address
    content_type: str = ""
    size: int = 0
    name: str = ""  # the file's display name (never the name it was stored under)


class QuoteOut(msgspec.Struct):
    """A chat line quoted in the report."""

    id: int
    body: str
    room: str
    sent_at: datetime | None
    author: str | None  # the name, once they agreed; None: shown as 「参加者」
    consent: str | None = None  # pending | agreed | declined: only for those who run the forum


class ReportOut(msgspec.Struct):
    slug: str
    title: str
    body: str
    published: bool
    published_at: datetime | None
    updated_at: datetime | None
    materials: list[MaterialOut]
    quotes: list[QuoteOut] = []


class MaterialCreated(msgspec.Struct):
    id: int
    url: str


class RecordingIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^https?://[^\s<>\"]+$")]
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    visibility: Visibility = "public"

    def __post_init__(self) -> None:
        self.title = one_line(self.title)
        if not self.title:
            raise ValueError("title: must not be blank")


class ReportCard(msgspec.Struct):
    """A published report in the /reports list."""

    slug: str
    title: str
    starts_at: datetime
    published_at: datetime | None
    excerpt: str
