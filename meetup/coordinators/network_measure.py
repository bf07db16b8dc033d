"""Measuring a network: the edges, the metrics, the bridges and what changed between two dates.
Plain CPU work on rows already loaded (network.py loads and caches), so it runs in a worker thread
and never holds up the event loop.

Rules:
- one edge per pair of people: its kind is the strongest of its sources (ties.TIE_STRENGTH), its
  weight the number of sources;
- shares of ties by place count only ties whose two people both gave a prefecture (or 海外): a tie
  with an unknown side is left out of the numerator and of the denominator;
- `tohoku_outside_share` is the gateway measure: of those ties, the share between someone in one of
  the six Tohoku prefectures and someone elsewhere (another prefecture of Japan, or abroad);
- a new bridging person (between two dates) is someone whose betweenness rose from about zero, or
  whose ties newly reach people of two or more prefectures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx

from meetup.coordinators.prefectures import TOHOKU
from meetup.coordinators.schemas import Bridge, Hub, NetworkEdge, NetworkMetrics, NetworkNode, NetworkSnapshot
from meetup.coordinators.ties import tie_strength

HUBS = 10
NEW_BRIDGES = 20
ABOUT_ZERO = 0.001  # betweenness below this bridges no one worth naming
# Exact betweenness is O(people × ties); past this many connected people it is estimated from
# a fixed sample of sources (seeded, so the same network always gives the same hubs): at most
# 300, fewer when the ties are so many that 300 searches would keep a page waiting.
EXACT_BETWEENNESS_UP_TO = 500
BETWEENNESS_SAMPLE = 300
BETWEENNESS_MIN_SAMPLE = 50
BETWEENNESS_BUDGET = 3_000_000  # sources × (people + ties), about a second or two in networkx
BETWEENNESS_SEED = 2011
_TOHOKU = frozenset(TOHOKU)

Pair = tuple[int, int]


@dataclass(slots=True)
class PairTies:
    """Every source tying one pair: per kind, how many sources and when the first was made."""

    sources: dict[str, int] = field(default_factory=dict)
    first_seen: dict[str, datetime] = field(default_factory=dict)

    def add(self, kind: str, at: datetime) -> None:
        self.sources[kind] = self.sources.get(kind, 0) + 1
        if kind not in self.first_seen or at < self.first_seen[kind]:
            self.first_seen[kind] = at

    @property
    def kind(self) -> str:
        return max(self.sources, key=lambda k: (tie_strength(k), k))

    @property
    def weight(self) -> int:
        return sum(self.sources.values())


@dataclass
class Measured:
    """A network measured once: what the API returns, and what comparisons and exports need."""

    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    metrics: NetworkMetrics
    pairs: dict[Pair, PairTies]
    betweenness: dict[int, float]


def measure(nodes: list[NetworkNode], ties: list[dict]) -> Measured:
    """`ties` are rows {'person_low', 'person_high', 'kind', 'created_at'}; those with an end
    outside `nodes` (a person the viewer may not see) are dropped here."""
    seen = {node.id for node in nodes}
    pairs: dict[Pair, PairTies] = {}
    for tie in ties:
        low, high = tie["person_low"], tie["person_high"]
        if low in seen and high in seen:
            pairs.setdefault((low, high), PairTies()).add(tie["kind"], tie["created_at"])
    edges = [
        NetworkEdge(source=low, target=high, kind=p.kind, weight=p.weight) for (low, high), p in sorted(pairs.items())
    ]
    graph = nx.Graph()
    graph.add_edges_from(pairs)
    scores, sampled = _betweenness(graph)
    metrics = NetworkMetrics(**_shape(nodes, edges, graph), hubs=_hubs(nodes, graph, scores), hubs_sampled=sampled)
    return Measured(nodes=nodes, edges=edges, metrics=metrics, pairs=pairs, betweenness=scores)


def _place_shares(nodes: list[NetworkNode], edges: list[NetworkEdge]) -> dict:
    prefecture = {n.id: n.prefecture for n in nodes}
    known = cross = gateway = 0
    for e in edges:
        one, other = prefecture[e.source], prefecture[e.target]
        if not one or not other:
            continue
        known += 1
        cross += one != other
        gateway += (one in _TOHOKU) != (other in _TOHOKU)
    return {
        "placed_ties": known,
        "cross_prefecture_ties": cross,
        "cross_prefecture_share": round(cross / known, 4) if known else 0.0,
        "tohoku_outside_ties": gateway,
        "tohoku_outside_share": round(gateway / known, 4) if known else 0.0,
    }


def _shape(nodes: list[NetworkNode], edges: list[NetworkEdge], graph: nx.Graph) -> dict:
    """The fields of NetworkSnapshot."""
    groups = [len(c) for c in nx.connected_components(graph)]
    people, ties = len(nodes), len(edges)
    return {
        "people": people,
        "connected_people": graph.number_of_nodes(),
        "isolated": people - graph.number_of_nodes(),
        "ties": ties,
        "density": round(2 * ties / (people * (people - 1)), 6) if people > 1 else 0.0,
        "components": len(groups),
        "largest_component": max(groups, default=0),
        **_place_shares(nodes, edges),
    }


def snapshot(measured: Measured) -> NetworkSnapshot:
    """The shape alone (no hubs), e.g. for a side of a comparison."""
    return NetworkSnapshot(**{name: getattr(measured.metrics, name) for name in NetworkSnapshot.__struct_fields__})


def _betweenness(graph: nx.Graph) -> tuple[dict[int, float], bool]:
    """Normalized betweenness of every tied person; estimated from a seeded sample on large networks."""
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    if n < 3:
        return dict.fromkeys(graph, 0.0), False
    sampled = n > EXACT_BETWEENNESS_UP_TO
    k = min(n, BETWEENNESS_SAMPLE, max(BETWEENNESS_MIN_SAMPLE, BETWEENNESS_BUDGET // (n + m))) if sampled else None
    return nx.betweenness_centrality(graph, k=k, normalized=True, seed=BETWEENNESS_SEED), sampled


def _hubs(nodes: list[NetworkNode], graph: nx.Graph, scores: dict[int, float]) -> list[Hub]:
    """The top people by betweenness centrality (the bridges between groups); nobody at zero."""
    by_id = {node.id: node for node in nodes}
    top = sorted((item for item in scores.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))[:HUBS]
    return [
        Hub(
            id=person,
            name=by_id[person].name,
            prefecture=by_id[person].prefecture,
            organization=by_id[person].organization,
            betweenness=round(score, 4),
            ties=graph.degree(person),
        )
        for person, score in top
    ]


# --- two dates -------------------------------------------------------------------------------


def new_ties_by_kind(later: Measured, since: datetime, kinds: tuple[str, ...]) -> dict[str, int]:
    """Per kind (each of `kinds`, strongest first), the pairs whose first tie of that kind was
    made after `since`."""
    counts = dict.fromkeys(sorted(kinds, key=tie_strength, reverse=True), 0)
    for pair in later.pairs.values():
        for kind, first in pair.first_seen.items():
            if first > since and kind in counts:
                counts[kind] += 1
    return counts


def _reach(measured: Measured) -> dict[int, set[str]]:
    """The prefectures each tied person's ties reach (their own not counted unless a tie does)."""
    prefecture = {n.id: n.prefecture for n in measured.nodes}
    reach: dict[int, set[str]] = {}
    for low, high in measured.pairs:
        if prefecture[high]:
            reach.setdefault(low, set()).add(prefecture[high])
        if prefecture[low]:
            reach.setdefault(high, set()).add(prefecture[low])
    return reach


def new_bridges(earlier: Measured, later: Measured) -> list[Bridge]:
    """People who bridge at the later date and did not at the earlier one, the strongest first."""
    reach_before, reach_after = _reach(earlier), _reach(later)
    by_id = {node.id: node for node in later.nodes}
    found = []
    for person, score in later.betweenness.items():
        before = earlier.betweenness.get(person, 0.0)
        rose = before < ABOUT_ZERO <= score
        links = len(reach_before.get(person, ())) < 2 <= len(reach_after.get(person, ()))
        if (rose or links) and person in by_id:
            node = by_id[person]
            found.append(
                Bridge(
                    id=person,
                    name=node.name,
                    prefecture=node.prefecture,
                    organization=node.organization,
                    betweenness_before=round(before, 4),
                    betweenness_after=round(score, 4),
                    prefectures_reached=len(reach_after.get(person, ())),
                )
            )
    found.sort(key=lambda b: (-b.betweenness_after, -b.prefectures_reached, b.id))
    return found[:NEW_BRIDGES]
