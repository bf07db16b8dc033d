"""Measuring a network: the edges, the metrics, the bridges and what changed between two dates.
The graph work (network_graph.py) runs in the measuring process on plain columns made here; this
module turns rows into those columns and the answer back into the API's shapes. network.py loads,
runs and keeps.

Rules:
- one edge per pair of people: its kind is the strongest of its sources (ties.TIE_STRENGTH, read
  at each measurement), its weight the number of sources;
- shares of ties by place count only ties whose two people both gave a prefecture (or 海外): a tie
  with an unknown side is left out of the numerator and of the denominator;
- `tohoku_outside_share` is the gateway measure: of those ties, the share between someone in one of
  the six Tohoku prefectures and someone elsewhere (another prefecture of Japan, or abroad);
- betweenness is exact on small networks and estimated from a fixed, seeded sample of sources on
  large ones (network_graph.sample_size); the metrics say how many (`betweenness_sample`);
- a new bridging person (between two dates) is someone whose betweenness rose from about zero, or
  whose ties newly reach people of two or more prefectures.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from meetup.coordinators import network_graph
from meetup.coordinators.network_graph import Columns
from meetup.coordinators.prefectures import TOHOKU
from meetup.coordinators.schemas import Bridge, Hub, NetworkEdge, NetworkMetrics, NetworkNode, NetworkSnapshot
from meetup.coordinators.ties import TIE_STRENGTH, tie_strength

NEW_BRIDGES = 20
ABOUT_ZERO = 0.001  # betweenness below this bridges no one worth naming

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
    betweenness: dict[int, float]
    ties: list[dict] = field(repr=False)  # the rows measured: `pairs` is made from them when asked

    @cached_property
    def pairs(self) -> dict[Pair, PairTies]:
        """Every pair of visible people with its sources: for comparisons and exports only (the
        API and the map need the edges alone), so made on first use, in a worker thread."""
        seen = {node.id for node in self.nodes}
        pairs: dict[Pair, PairTies] = {}
        for tie in self.ties:
            low, high = tie["person_low"], tie["person_high"]
            if low in seen and high in seen:
                pairs.setdefault((low, high), PairTies()).add(tie["kind"], tie["created_at"])
        return pairs


def measure(nodes: list[NetworkNode], ties: list[dict]) -> Measured:
    """Measured in this process (scripts, the benchmark's bare server); the app measures apart
    (network.py). `ties` are rows {'person_low', 'person_high', 'kind', 'created_at'}; those with
    an end outside `nodes` (a person the viewer may not see) are dropped."""
    graph_columns, kinds = columns(nodes, ties)
    return assemble(nodes, ties, network_graph.measure_graph(graph_columns), kinds)


def kind_order(ties: list[dict]) -> list[str]:
    """Every kind, weakest first: a kind's rank sent to the graph work is its place here."""
    return sorted(set(TIE_STRENGTH) | {t["kind"] for t in ties}, key=lambda k: (tie_strength(k), k))


def columns(nodes: list[NetworkNode], ties: list[dict]) -> tuple[Columns, list[str]]:
    """Nodes and ties as the plain columns network_graph.measure_graph takes, and the kinds by
    rank (to read its answer)."""
    kinds = kind_order(ties)
    places = {p: code for code, p in enumerate(sorted({n.prefecture for n in nodes if n.prefecture}), start=1)}
    rank = {kind: i for i, kind in enumerate(kinds)}
    graph_columns = (
        array("q", (n.id for n in nodes)),
        array("H", (places.get(n.prefecture, 0) for n in nodes)),
        frozenset(code for p, code in places.items() if p in TOHOKU),
        array("q", (t["person_low"] for t in ties)),
        array("q", (t["person_high"] for t in ties)),
        array("b", (rank[t["kind"]] for t in ties)),
    )
    return graph_columns, kinds


def assemble(nodes: list[NetworkNode], ties: list[dict], graph: dict, kinds: list[str]) -> Measured:
    """The measured network from the graph work's answer."""
    edges = [
        NetworkEdge(source=low, target=high, kind=kinds[rank], weight=weight)
        for low, high, rank, weight in zip(graph["low"], graph["high"], graph["kind"], graph["weight"], strict=True)
    ]
    by_id = {node.id: node for node in nodes}
    hubs = [
        Hub(
            id=person,
            name=by_id[person].name,
            prefecture=by_id[person].prefecture,
            organization=by_id[person].organization,
            betweenness=round(score, 4),
            ties=degree,
        )
        for person, score, degree in graph["hubs"]
    ]
    sample = graph["sample"]
    metrics = NetworkMetrics(**graph["shape"], hubs=hubs, hubs_sampled=sample is not None, betweenness_sample=sample)
    scores = dict(zip(graph["scored"], graph["scores"], strict=True))
    return Measured(nodes=nodes, edges=edges, metrics=metrics, betweenness=scores, ties=ties)


def snapshot(measured: Measured) -> NetworkSnapshot:
    """The shape alone (no hubs), e.g. for a side of a comparison."""
    return NetworkSnapshot(**{name: getattr(measured.metrics, name) for name in NetworkSnapshot.__struct_fields__})


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
