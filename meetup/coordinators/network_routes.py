"""The network map: `GET /api/v1/network` (JSON) and the `/network` page, both from network.py; the
page draws what network_map.py chooses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from meetup.accounts.auth import current_user
from meetup.coordinators import network, network_map
from meetup.coordinators.prefectures import ENGLISH
from meetup.coordinators.schemas import NetworkOut
from meetup.coordinators.ties import STRONGEST_FIRST
from meetup.events.dependencies import forum_for
from meetup.i18n import current_locale

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


async def _event_id(request: Request, slug: str | None) -> int | None:
    """The forum's id; an unknown slug (or a draft, for anyone but organizers) is a 404."""
    if not slug:
        return None
    return (await forum_for(current_user(request), slug))["id"]


class NetworkApi(Controller):
    path = "/api/v1/network"
    tags = ["network"]

    @get(
        "/",
        summary="The network of coordinators and its metrics",
        description="People are the profiles the caller may see (public ones for everyone, members-only "
        "ones for signed-in people, all for organizers); `id`, `source` and `target` are user ids. One edge "
        f"per pair: `kind` is the strongest source ({STRONGEST_FIRST}), `weight` the number of "
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
            forum, maps = None, {"network": network_map.map_data(out)}
        else:
            pictures = await network.forum_pictures(viewer, event_id)
            out, forum, maps = pictures.after, pictures.forum, network_map.map_pair(pictures)
        locale = current_locale()
        return Template(
            "coordinators/network.html",
            context={
                "out": out,
                "metrics": out.metrics,
                "forum": forum,
                "legend": network_map.legend(locale),
                "organizer": bool(viewer and viewer.is_organizer),
                "data": {
                    "maps": maps,
                    "palette": network_map.PALETTE,
                    "other": network_map.OTHER_COLOUR,
                    # how the person panel names a prefecture (English pages; stored values are Japanese)
                    "prefecture_names": ENGLISH if locale == "en" else {},
                },
            },
        )
