"""The case library as an Atom feed (RFC 4287): the newest cases, each linking to its page. Written
by a Jinja template (templates/cases/feed.xml, escaped as XML); tests parse it."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Response

from meetup import settings
from meetup.cases import service as cases
from meetup.templating import render

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 50


async def atom() -> str:
    base = settings.current().base_url.rstrip("/")
    entries = await cases.list_cases(limit=ENTRIES)
    updated = max((entry.created_at for entry in entries), default=datetime(2021, 3, 1, tzinfo=UTC))
    return render("cases/feed.xml", base=base, entries=entries, updated=updated)


async def atom_response() -> Response[str]:
    return Response(await atom(), media_type=MEDIA_TYPE)
