"""The network map: `GET /api/v1/network` (JSON) and the `/network` page, both from network.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from meetup.accounts.auth import current_user
from meetup.coordinators import network
from meetup.coordinators.network import NetworkOut
from meetup.coordinators.prefectures import ENGLISH, OVERSEAS, TOHOKU, prefecture_name
from meetup.events import service as events
from meetup.i18n import current_locale
from meetup.i18n import gettext as _

EventSlug = Annotated[
    str | None, Parameter(max_length=80, description="a forum's slug: adds its before/after comparison")
]
View = Annotated[
    str | None,
    Parameter(pattern="^(before|after)$", description="with `event`: the network before or after the forum"),
]
At = Annotated[
    datetime | None, Parameter(description="only ties made by this time (ISO 8601; Asia/Tokyo if no offset)")
]

# The six Tohoku prefectures in strong, distinct colours; the rest of Japan muted; overseas grey.
TOHOKU_COLOURS = dict(zip(TOHOKU, ("#d62728", "#1f5fbf", "#2ca02c", "#f28e1c", "#8e44ad", "#0f9fb4"), strict=True))
OTHER_COLOUR = "#b7c4d1"
OVERSEAS_COLOUR = "#8a8a8a"


async def _event_id(request: Request, slug: str | None) -> int | None:
    """The forum's id; an unknown slug (or a draft, for anyone but organizers) is a 404."""
    if not slug:
        return None
    user = current_user(request)
    return (await events.event_row(slug, organizer=bool(user and user.is_organizer)))["id"]


class NetworkApi(Controller):
    path = "/api/v1/network"
    tags = ["network"]

    @get(
        "/",
        summary="The network of coordinators and its metrics",
        description="People are the profiles the caller may see (public ones for everyone, members-only "
        "ones for signed-in people, all for organizers); `id`, `source` and `target` are user ids. One edge "
        "per pair: `kind` is the strongest source (connection > room > forum), `weight` the number of "
        "sources. `metrics.hubs` ranks people by betweenness centrality, estimated from a fixed sample "
        "of 300 sources when more than 500 people have ties (`hubs_sampled`). With `event`, `forum` "
        "holds the network's metrics before and after that forum, and `view` shows one side.",
    )
    async def get_network(
        self, request: Request, event: EventSlug = None, view: View = None, at: At = None
    ) -> NetworkOut:
        event_id = await _event_id(request, event)
        return await network.network(current_user(request), at=at, event_id=event_id, view=view)  # type: ignore[arg-type]


class NetworkPages(Controller):
    include_in_schema = False

    @get("/network")
    async def network_page(self, request: Request, event: EventSlug = None) -> Template:
        viewer = current_user(request)
        event_id = await _event_id(request, event)
        if event_id is None:
            out = await network.network(viewer)
            forum, maps = None, {"network": network.map_data(out)}
        else:
            pictures = await network.forum_pictures(viewer, event_id)
            out, forum, maps = pictures.after, pictures.forum, network.map_pair(pictures)
        palette = {**TOHOKU_COLOURS, OVERSEAS: OVERSEAS_COLOUR}
        locale = current_locale()
        legend = [
            *((prefecture_name(p, locale), colour) for p, colour in TOHOKU_COLOURS.items()),
            (_("Other prefectures"), OTHER_COLOUR),
            (prefecture_name(OVERSEAS, locale), OVERSEAS_COLOUR),
        ]
        return Template(
            "coordinators/network.html",
            context={
                "out": out,
                "metrics": out.metrics,
                "forum": forum,
                "legend": legend,
                "organizer": bool(viewer and viewer.is_organizer),
                "data": {
                    "maps": maps,
                    "palette": palette,
                    "other": OTHER_COLOUR,
                    # how the person panel names a prefecture (English pages; stored values are Japanese)
                    "prefecture_names": ENGLISH if locale == "en" else {},
                },
            },
        )
