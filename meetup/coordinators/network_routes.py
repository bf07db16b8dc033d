"""The network: `GET /api/v1/network` (JSON), the comparison of two dates, the organizers' exports
and per-forum growth, and the `/network` page; all from network.py. The page draws what
network_map.py chooses."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import Template

from meetup.accounts.auth import current_user, organizer_required
from meetup.coordinators import network, network_exports, network_map
from meetup.coordinators.prefectures import ENGLISH
from meetup.coordinators.schemas import ForumGrowth, NetworkComparison, NetworkOut, TieChoice
from meetup.coordinators.ties import DEFAULT_TIES, STRONGEST_FIRST, TIE_CHOICES
from meetup.events.dependencies import Forum
from meetup.i18n import current_locale

Ties = Annotated[
    TieChoice,
    Parameter(
        description="`relationships` (connection, introduction, survey, project) or `contact` "
        "(relationships and shared breakout rooms); every metric and the hubs use these ties only"
    ),
]
At = Annotated[date | None, Parameter(description="only ties made by the end of this day (YYYY-MM-DD, Asia/Tokyo)")]
DateA = Annotated[date | None, Parameter(description="the earlier date (YYYY-MM-DD); default: before the first forum")]
DateB = Annotated[date | None, Parameter(description="the later date (YYYY-MM-DD); default: today")]
Part = Annotated[Literal["ties", "nodes"], Parameter(description="`ties` (the edge list) or `nodes` (the people)")]

JSON = "application/json"
METRICS = (
    "`metrics` holds `people`, `ties`, `density`, `components` (groups of two or more linked people), "
    "`cross_prefecture_share` and `tohoku_outside_share` (of the ties whose two people both gave a "
    "prefecture: the share between someone in 青森県, 岩手県, 宮城県, 秋田県, 山形県 or 福島県 and someone "
    "in another prefecture or abroad; ties with an unknown side are left out of both counts, see "
    "`placed_ties`), and `hubs` `[{id, betweenness, ...}]`."
)


async def _dates(a: date | None, b: date | None) -> tuple[date, date]:
    default_a, default_b = await network.default_dates()
    return a or default_a, b or default_b


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named (or `*` when gzip is not), not with q=0."""
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    weight = float(param[2:])
                except ValueError:
                    weight = 0.0
        weights[coding] = weight
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def _download(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


class NetworkApi(Controller):
    path = "/api/v1/network"
    tags = ["network"]

    @get(
        "/",
        summary="The network of coordinators and its metrics",
        description="People are the profiles the caller may see (public ones for everyone, members-only "
        "ones for signed-in people, all for organizers); `id`, `source` and `target` are user ids. One edge "
        f"per pair: `kind` is the strongest source ({STRONGEST_FIRST}), `weight` the number of sources. "
        f"{METRICS} Betweenness is estimated from a fixed, seeded sample of sources when more than 500 "
        "people have ties (`hubs_sampled`; `betweenness_sample` is the number of sources, null when exact). "
        "Results are kept until a tie or a profile changes.",
        responses={200: ResponseSpec(data_container=NetworkOut, description="the network")},
    )
    async def get_network(self, request: Request, ties: Ties = DEFAULT_TIES, at: At = None) -> Response[bytes]:
        gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
        body = await network.network_json(current_user(request), ties=ties, at=at, gzipped=gzipped)
        # compressed once per measurement, not per request: a megabyte of JSON becomes a sixth of it
        headers = {"vary": "Accept-Encoding"} | ({"content-encoding": "gzip"} if gzipped else {})
        return Response(body, media_type=JSON, headers=headers)

    @get(
        "/compare",
        summary="The network at two dates side by side, and what changed",
        description="`before` and `after` are the metrics at the end of day `a` and of day `b`; `new_ties` "
        "counts, per kind, the pairs whose first tie of that kind came after `a`; `new_bridges` are people "
        "whose betweenness rose from about zero, or whose ties newly reach two or more prefectures.",
    )
    async def compare(
        self, request: Request, ties: Ties = DEFAULT_TIES, a: DateA = None, b: DateB = None
    ) -> NetworkComparison:
        first, second = await _dates(a, b)
        return (await network.compare(current_user(request), a=first, b=second, ties=ties))[0]


class NetworkResearchApi(Controller):
    """For organizers: the network as files, and what each forum grew."""

    path = "/api/v1"
    tags = ["network"]
    guards = [organizer_required]

    @get("/network.graphml", summary="The network as GraphML (organizers)")
    async def graphml(self, request: Request, ties: Ties = DEFAULT_TIES, at: At = None) -> Response[bytes]:
        kept = await network.kept_network(current_user(request), ties=ties, at=at)
        body = await network.derived(kept, "graphml", network_exports.graphml)
        return _download(body, "application/graphml+xml", f"network-{ties}.graphml")

    @get(
        "/network.csv",
        summary="The network as CSV, UTF-8 with BOM (organizers)",
        description="`part=ties` (default): one row per pair with both people's names and prefectures, "
        "`kind`, every kind, `first_seen` and `weight`; `part=nodes`: the people, their prefecture, "
        "organisation, number of ties and kinds of tie. Never an e-mail address.",
    )
    async def csv(
        self, request: Request, ties: Ties = DEFAULT_TIES, at: At = None, part: Part = "ties"
    ) -> Response[bytes]:
        kept = await network.kept_network(current_user(request), ties=ties, at=at)
        body = await network.derived(kept, f"csv:{part}", lambda m: network_exports.network_csv(m, part))
        return _download(body, "text/csv; charset=utf-8", f"network-{ties}-{part}.csv")

    @get(
        "/events/{slug:str}/network-growth",
        summary="Relationships that began after a forum (organizers)",
        description="Between the forum's attendees (checked in, or confirmed where nobody was checked in): "
        "per kind (connection, introduction, survey, project), the pairs whose first tie of that kind was "
        "made from the forum's start until 30 (`within_30`) and 90 (`within_90`) days after it ended.",
    )
    async def growth(self, forum: Forum) -> ForumGrowth:
        return await network.forum_growth(forum)


def _page_data(maps: dict) -> dict:
    return {
        "maps": maps,
        "palette": network_map.PALETTE,
        "other": network_map.OTHER_COLOUR,
        # how the person panel names a prefecture (English pages; stored values are Japanese)
        "prefecture_names": ENGLISH if current_locale() == "en" else {},
    }


class NetworkPages(Controller):
    include_in_schema = False

    @get("/network")
    async def network_page(
        self, request: Request, ties: Ties = DEFAULT_TIES, at: At = None, a: DateA = None, b: DateB = None
    ) -> Template:
        viewer = current_user(request)
        organizer = bool(viewer and viewer.is_organizer)
        context = {
            "ties": ties,
            "choices": list(TIE_CHOICES),
            "organizer": organizer,
            "legend": network_map.legend(current_locale()),
            "without_profile": await network.registrants_without_profile() if organizer else None,
            "defaults": await network.default_dates(),
        }
        if a is None and b is None:
            kept = await network.kept_network(viewer, ties=ties, at=at)
            context |= {"metrics": kept.metrics, "at": at, "comparison": None}
            context["data"] = _page_data({"network": kept.drawn})
        else:
            first, second = await _dates(a, b)
            comparison, before, after = await network.compare(viewer, a=first, b=second, ties=ties)
            context |= {"metrics": after.metrics, "at": None, "comparison": comparison}
            context["data"] = _page_data(network_map.map_pair(before, after))
        return Template("coordinators/network.html", context=context)

    @get("/organizer/events/{slug:str}/network", guards=[organizer_required])
    async def growth_page(self, forum: Forum) -> Template:
        growth = await network.forum_growth(forum)
        return Template("coordinators/forum_growth.html", context={"growth": growth, "slug": forum["slug"]})
