"""The network of coordinators: who is tied to whom, and what its shape says (networkx).
What a browser draws of it is chosen in network_map.py.

Rules:
- the map holds only the profiles the viewer may see (the directory's visibility rule, applied
  in the query), and only the ties between two of them: a hidden person is no node, no edge end,
  no count, and never a hub;
- one edge per pair of people: its kind is the strongest of its sources (ties.TIE_STRENGTH:
  connection > room > forum), its weight the number of sources;
- before/after a forum: "before" is every tie made before the forum started, except the forum's
  own; "after" is every tie made by the end of the forum, plus the forum's own ties.
"""

from __future__ import annotations

import asyncio
import hashlib
from array import array
from dataclasses import dataclass
from datetime import datetime

import msgspec
import networkx as nx

from meetup.accounts.schemas import UserOut
from meetup.coordinators.schemas import (
    ForumComparison,
    ForumPictures,
    ForumTies,
    Hub,
    NetworkEdge,
    NetworkMetrics,
    NetworkNode,
    NetworkOut,
    NetworkSnapshot,
    NetworkView,
)
from meetup.coordinators.service import visible_to
from meetup.coordinators.tables import Profile, Tie
from meetup.coordinators.ties import tie_strength
from meetup.errors import BadInput, NotFound
from meetup.events import service as events
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

HUBS = 10
# Exact betweenness is O(people × ties); past this many connected people it is estimated from
# a fixed sample of sources (seeded, so the same network always gives the same hubs): at most
# 300, fewer when the ties are so many that 300 searches would keep a page waiting.
EXACT_BETWEENNESS_UP_TO = 500
BETWEENNESS_SAMPLE = 300
BETWEENNESS_MIN_SAMPLE = 50
BETWEENNESS_BUDGET = 3_000_000  # sources × (people + ties), about a second or two in networkx
BETWEENNESS_SEED = 2011


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


def _view_of(ties: list[_TieRow], forum: dict, view: NetworkView) -> list[_TieRow]:
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
        if tie_strength(tie.kind) > tie_strength(edge.kind):
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
    view: NetworkView | None,
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
    view: NetworkView | None = None,
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
