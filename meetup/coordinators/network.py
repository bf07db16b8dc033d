"""The network of coordinators: who is tied to whom, and what its shape says (networkx).

Rules:
- the map holds only the profiles the viewer may see (the directory's visibility rule, applied
  in the query), and only the ties between two of them: a hidden person is no node, no edge end,
  no count, and never a hub;
- one edge per pair of people: its kind is the strongest of its sources (connection > room >
  forum), its weight the number of sources;
- before/after a forum: "before" is every tie made before the forum started, except the forum's
  own; "after" is every tie made by the end of the forum, plus the forum's own ties.
"""

from __future__ import annotations

import asyncio
import hashlib
from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec
import networkx as nx

from meetup.accounts.schemas import UserOut
from meetup.coordinators.service import visible_to
from meetup.coordinators.tables import Profile, Tie
from meetup.errors import BadInput, NotFound
from meetup.events import service as events
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

View = Literal["before", "after"]

KIND_STRENGTH = {"connection": 3, "room": 2, "forum": 1}
HUBS = 10
# Exact betweenness is O(people × ties); past this many connected people it is estimated from
# a fixed sample of sources (seeded, so the same network always gives the same hubs): at most
# 300, fewer when the ties are so many that 300 searches would keep a page waiting.
EXACT_BETWEENNESS_UP_TO = 500
BETWEENNESS_SAMPLE = 300
BETWEENNESS_MIN_SAMPLE = 50
BETWEENNESS_BUDGET = 3_000_000  # sources × (people + ties), about a second or two in networkx
BETWEENNESS_SEED = 2011
# How many people the drawn map holds at most: a browser lays out a few hundred nodes quickly.
MAP_LIMIT = 250
MAP_EDGE_LIMIT = 1500  # the strongest ties among them (a forum's own first, on its page)


class NetworkNode(msgspec.Struct):
    id: int  # the person's user id
    name: str
    prefecture: str | None
    organization: str


class NetworkEdge(msgspec.Struct):
    source: int  # user ids, lower first
    target: int
    kind: str  # the strongest source: connection | room | forum
    weight: int  # how many sources tie the pair


class Hub(msgspec.Struct):
    """A person many shortest paths between others run through: the bridges between groups."""

    id: int
    name: str
    prefecture: str | None
    organization: str
    betweenness: float  # normalized betweenness centrality among connected people, 0..1
    ties: int  # how many people they are tied to


class ForumTies(msgspec.Struct):
    """What a forum added: pairs it tied (`ties`), of which `new_ties` were not tied before it."""

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    ties: int
    new_ties: int


class NetworkSnapshot(msgspec.Struct):
    """The network's shape. `components` counts groups of two or more people linked by ties;
    people without any tie are counted in `isolated`, not as groups of one."""

    people: int
    connected_people: int
    isolated: int
    ties: int
    density: float
    components: int
    largest_component: int
    cross_prefecture_ties: int  # ties between people of two different prefectures
    cross_prefecture_share: float  # of all ties, 0..1


class NetworkMetrics(NetworkSnapshot):
    hubs: list[Hub]
    hubs_sampled: bool  # betweenness estimated from a sample of sources (large networks)
    forums: list[ForumTies]  # every forum that tied people, in date order


class ForumComparison(msgspec.Struct):
    """One forum's before/after, like the bureau's 2011/2016 survey pictures."""

    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    view: View | None  # which of the two `nodes`/`edges` show; None: the whole network
    ties: int
    new_ties: int
    before: NetworkSnapshot
    after: NetworkSnapshot


class NetworkOut(msgspec.Struct):
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    metrics: NetworkMetrics
    forum: ForumComparison | None = None


class ForumPictures(msgspec.Struct):
    """Both sides of a forum's before/after, for the page that draws them side by side."""

    forum: ForumComparison
    before: NetworkOut
    after: NetworkOut


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TieRow:
    low: int
    high: int
    kind: str
    event_id: int | None
    created_at: datetime


@dataclass
class _Loaded:
    nodes: list[NetworkNode]
    ties: list[_TieRow]
    forums: dict[int, dict]  # event id → {'id', 'slug', 'title', 'starts_at', 'ends_at'}


async def _load(viewer: UserOut | None, at: datetime | None, event_id: int | None) -> _Loaded:
    visible = visible_to(viewer)
    people = (
        await Profile.select(Profile.account, Profile.name, Profile.prefecture, Profile.organization_name)
        .where(visible)
        .order_by(Profile.account)
    )
    nodes = [
        NetworkNode(id=p["account"], name=p["name"], prefecture=p["prefecture"], organization=p["organization_name"])
        for p in people
    ]
    # One end is checked in the query, the other against the same visible people here: SQLite
    # plans two IN lists on the (low, high) index as their cross product, minutes on 10,000 people.
    query = Tie.select(Tie.person_low, Tie.person_high, Tie.kind, Tie.event_id, Tie.created_at).where(
        Tie.person_low.is_in(Profile.select(Profile.account).where(visible))
    )
    if at is not None:
        query = query.where(Tie.created_at <= at)
    seen = {node.id for node in nodes}
    ties = [
        _TieRow(t["person_low"], t["person_high"], t["kind"], t["event_id"], t["created_at"])
        for t in await query
        if t["person_high"] in seen
    ]
    wanted = {t.event_id for t in ties if t.event_id is not None}
    if event_id is not None:
        wanted.add(event_id)
    # organizers may look at a draft's before/after; everyone else never sees a draft's title
    forums = await events.forum_refs(sorted(wanted), drafts=bool(viewer and viewer.is_organizer))
    if event_id is not None and event_id not in forums:
        raise NotFound(_("No such forum."))
    return _Loaded(nodes=nodes, ties=ties, forums=forums)


# --- shaping ---------------------------------------------------------------------------------


def _view_of(ties: list[_TieRow], forum: dict, view: View) -> list[_TieRow]:
    if view == "before":
        return [t for t in ties if t.created_at < forum["starts_at"] and t.event_id != forum["id"]]
    return [t for t in ties if t.created_at <= forum["ends_at"] or t.event_id == forum["id"]]


def _edges(ties: list[_TieRow]) -> list[NetworkEdge]:
    pairs: dict[tuple[int, int], NetworkEdge] = {}
    for tie in ties:
        edge = pairs.get((tie.low, tie.high))
        if edge is None:
            pairs[(tie.low, tie.high)] = NetworkEdge(source=tie.low, target=tie.high, kind=tie.kind, weight=1)
            continue
        edge.weight += 1
        if KIND_STRENGTH.get(tie.kind, 0) > KIND_STRENGTH.get(edge.kind, 0):
            edge.kind = tie.kind
    return sorted(pairs.values(), key=lambda e: (e.source, e.target))


def _tied_graph(edges: list[NetworkEdge]) -> nx.Graph:
    """The graph of the people who have at least one tie."""
    graph = nx.Graph()
    graph.add_edges_from((e.source, e.target) for e in edges)
    return graph


def _snapshot(nodes: list[NetworkNode], edges: list[NetworkEdge]) -> NetworkSnapshot:
    prefecture = {n.id: n.prefecture for n in nodes}
    tied = _tied_graph(edges)
    groups = [len(c) for c in nx.connected_components(tied)]
    people, ties = len(nodes), len(edges)
    cross = sum(
        1
        for e in edges
        if prefecture[e.source] and prefecture[e.target] and prefecture[e.source] != prefecture[e.target]
    )
    return NetworkSnapshot(
        people=people,
        connected_people=tied.number_of_nodes(),
        isolated=people - tied.number_of_nodes(),
        ties=ties,
        density=round(2 * ties / (people * (people - 1)), 6) if people > 1 else 0.0,
        components=len(groups),
        largest_component=max(groups, default=0),
        cross_prefecture_ties=cross,
        cross_prefecture_share=round(cross / ties, 4) if ties else 0.0,
    )


async def _hubs(nodes: list[NetworkNode], edges: list[NetworkEdge]) -> tuple[list[Hub], bool]:
    """The top people by betweenness centrality (the bridges), estimated on large networks."""
    pairs = array("q", [p for e in edges for p in (e.source, e.target)])
    key = hashlib.blake2b(pairs.tobytes(), digest_size=16).digest()
    if key not in _bridges:
        # Seconds of CPU on a large network: in a thread, so the server keeps answering meanwhile.
        big = len(edges) > 5_000
        _bridges[key] = await asyncio.to_thread(_top_bridges, edges) if big else _top_bridges(edges)
        while len(_bridges) > 16:  # a few networks (viewers' scopes, forums' sides) at a time
            _bridges.pop(next(iter(_bridges)))
    top, sampled = _bridges[key]
    by_id = {node.id: node for node in nodes}
    hubs = [
        Hub(
            id=person,
            name=by_id[person].name,
            prefecture=by_id[person].prefecture,
            organization=by_id[person].organization,
            betweenness=score,
            ties=degree,
        )
        for person, score, degree in top
    ]
    return hubs, sampled


# Betweenness depends on the ties alone, and the seeded sample makes it repeatable: so it is kept
# per set of ties (their digest) and a network that has not changed is not measured again.
_bridges: dict[bytes, tuple[list[tuple[int, float, int]], bool]] = {}


def _top_bridges(edges: list[NetworkEdge]) -> tuple[list[tuple[int, float, int]], bool]:
    tied = _tied_graph(edges)
    n, m = tied.number_of_nodes(), tied.number_of_edges()
    if n < 3:
        return [], False
    sampled = n > EXACT_BETWEENNESS_UP_TO
    k = min(n, BETWEENNESS_SAMPLE, max(BETWEENNESS_MIN_SAMPLE, BETWEENNESS_BUDGET // (n + m))) if sampled else None
    scores = nx.betweenness_centrality(tied, k=k, normalized=True, seed=BETWEENNESS_SEED)
    top = sorted((item for item in scores.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))[:HUBS]
    return [(person, round(score, 4), tied.degree(person)) for person, score in top], sampled


def _forum_ties(ties: list[_TieRow], forums: dict[int, dict]) -> dict[int, ForumTies]:
    """Per forum: the pairs it tied, and how many of them had no tie before it started."""
    by_pair: dict[tuple[int, int], list[_TieRow]] = {}
    for tie in ties:
        by_pair.setdefault((tie.low, tie.high), []).append(tie)
    tied: dict[int, set[tuple[int, int]]] = {}
    for tie in ties:
        if tie.event_id in forums:
            tied.setdefault(tie.event_id, set()).add((tie.low, tie.high))
    out: dict[int, ForumTies] = {}
    for event_id, pairs in tied.items():
        forum = forums[event_id]
        new = sum(
            1
            for pair in pairs
            if not any(t.created_at < forum["starts_at"] and t.event_id != event_id for t in by_pair[pair])
        )
        out[event_id] = ForumTies(
            slug=forum["slug"],
            title=forum["title"],
            starts_at=events.tokyo(forum["starts_at"]),
            ends_at=events.tokyo(forum["ends_at"]),
            ties=len(pairs),
            new_ties=new,
        )
    return out


async def _network_out(
    nodes: list[NetworkNode], ties: list[_TieRow], forums: list[ForumTies], *, hubs: bool = True
) -> NetworkOut:
    edges = _edges(ties)
    snapshot = _snapshot(nodes, edges)
    top, sampled = await _hubs(nodes, edges) if hubs else ([], False)
    metrics = NetworkMetrics(**msgspec.structs.asdict(snapshot), hubs=top, hubs_sampled=sampled, forums=forums)
    return NetworkOut(nodes=nodes, edges=edges, metrics=metrics)


def _comparison(
    loaded: _Loaded,
    event_id: int,
    view: View | None,
    added: dict[int, ForumTies],
    before: NetworkSnapshot | None = None,
    after: NetworkSnapshot | None = None,
) -> ForumComparison:
    forum = loaded.forums[event_id]
    own = added.get(event_id)
    return ForumComparison(
        slug=forum["slug"],
        title=forum["title"],
        starts_at=events.tokyo(forum["starts_at"]),
        ends_at=events.tokyo(forum["ends_at"]),
        view=view,
        ties=own.ties if own else 0,
        new_ties=own.new_ties if own else 0,
        before=before or _snapshot(loaded.nodes, _edges(_view_of(loaded.ties, forum, "before"))),
        after=after or _snapshot(loaded.nodes, _edges(_view_of(loaded.ties, forum, "after"))),
    )


def _shape(metrics: NetworkMetrics) -> NetworkSnapshot:
    return NetworkSnapshot(**{name: getattr(metrics, name) for name in NetworkSnapshot.__struct_fields__})


def _forum_list(added: dict[int, ForumTies]) -> list[ForumTies]:
    return sorted(added.values(), key=lambda f: (f.starts_at, f.slug))


def _aware(at: datetime | None) -> datetime | None:
    """A time without an offset is read as Tokyo time, as people here write it."""
    return at.replace(tzinfo=TOKYO) if at is not None and at.tzinfo is None else at


# --- the service -----------------------------------------------------------------------------


async def network(
    viewer: UserOut | None,
    *,
    at: datetime | None = None,
    event_id: int | None = None,
    view: View | None = None,
) -> NetworkOut:
    """The network `viewer` may see: visible people, the ties between them (made by `at`, when
    given) and its metrics. With a forum, `forum` holds its before/after metrics, and `view`
    picks which side the nodes, edges and metrics show."""
    if view is not None and event_id is None:
        raise BadInput(_("Choose a forum to see the network before or after it."), field="view")
    loaded = await _load(viewer, _aware(at), event_id)
    added = _forum_ties(loaded.ties, loaded.forums)
    ties = loaded.ties
    if event_id is not None and view is not None:
        ties = _view_of(ties, loaded.forums[event_id], view)
    out = await _network_out(loaded.nodes, ties, _forum_list(added))
    if event_id is not None:
        out.forum = _comparison(loaded, event_id, view, added)
    return out


async def forum_pictures(viewer: UserOut | None, event_id: int, *, at: datetime | None = None) -> ForumPictures:
    """The network before and after one forum, both as `viewer` may see them; the hubs are
    those of the network after it."""
    loaded = await _load(viewer, _aware(at), event_id)
    added = _forum_ties(loaded.ties, loaded.forums)
    forum = loaded.forums[event_id]
    forums = _forum_list(added)
    before = await _network_out(loaded.nodes, _view_of(loaded.ties, forum, "before"), forums, hubs=False)
    after = await _network_out(loaded.nodes, _view_of(loaded.ties, forum, "after"), forums)
    comparison = _comparison(loaded, event_id, None, added, _shape(before.metrics), _shape(after.metrics))
    return ForumPictures(forum=comparison, before=before, after=after)


# --- what the map draws ----------------------------------------------------------------------


def map_data(out: NetworkOut, *, limit: int = MAP_LIMIT) -> dict:
    """The part of the network a browser draws: the most tied people, at most `limit`, and the
    strongest edges between them, as plain JSON-ready values."""
    return _drawn(out, _chosen(out, set(), limit))


def map_pair(pictures: ForumPictures, *, limit: int = MAP_LIMIT) -> dict:
    """The same people on both maps (chosen from the network after the forum), so that the two
    pictures differ only in their ties."""
    before = {(e.source, e.target) for e in pictures.before.edges}
    new = {(e.source, e.target) for e in pictures.after.edges} - before
    chosen = _chosen(pictures.after, {p for pair in new for p in pair}, limit)
    return {"before": _drawn(pictures.before, chosen), "after": _drawn(pictures.after, chosen, new=new)}


def _chosen(out: NetworkOut, focus: set[int], limit: int) -> list[int]:
    """People with ties: `focus` first, then by how many ties they have."""
    degree: dict[int, int] = {}
    for e in out.edges:
        degree[e.source] = degree.get(e.source, 0) + 1
        degree[e.target] = degree.get(e.target, 0) + 1
    ranked = sorted(degree, key=lambda person: (person not in focus, -degree[person], person))
    return ranked[:limit]


def _drawn(out: NetworkOut, chosen: list[int], *, new: set[tuple[int, int]] | None = None) -> dict:
    """Nodes and edges as JSON-ready values; the pairs in `new` (a forum's) are marked and kept first."""
    keep = set(chosen)
    new = new or set()
    edges = [e for e in out.edges if e.source in keep and e.target in keep]
    between = len(edges)
    if between > MAP_EDGE_LIMIT:
        edges = sorted(
            edges,
            key=lambda e: (
                (e.source, e.target) not in new,
                -KIND_STRENGTH.get(e.kind, 0),
                -e.weight,
                e.source,
                e.target,
            ),
        )[:MAP_EDGE_LIMIT]
    return {
        "nodes": [msgspec.structs.asdict(n) for n in out.nodes if n.id in keep],
        "edges": [{**msgspec.structs.asdict(e), "added": (e.source, e.target) in new} for e in edges],
        "drawn": len(keep),
        "connected": out.metrics.connected_people,
        "edges_between": between,
    }
