"""The graph work of measuring a network, on plain columns: run in the measuring process
(network_process.py), so it imports networkx and the standard library only, never the app.

Rules:
- in: the people (ids and a place code each: 0 unknown), which place codes are in Tohoku, and the
  ties as three columns (low id, high id, kind rank: higher is stronger); a tie with an end
  outside the people is dropped;
- one edge per pair: its kind is the highest rank of its ties, its weight the number of ties;
- shares by place count only edges whose two people have a known place;
- betweenness is exact up to EXACT_BETWEENNESS_UP_TO tied people; above, it is estimated from a
  seeded sample of source people (the same network always gives the same hubs), as many as
  BETWEENNESS_BUDGET allows, between BETWEENNESS_MIN_SAMPLE and BETWEENNESS_SAMPLE;
- out: arrays and dicts of numbers only, cheap to send back to the serving process.
"""

from __future__ import annotations

from array import array

import networkx as nx

HUBS = 10
EXACT_BETWEENNESS_UP_TO = 500
BETWEENNESS_SAMPLE = 300
BETWEENNESS_MIN_SAMPLE = 50
BETWEENNESS_BUDGET = 1_500_000  # sources × (people + ties): about a second or two of networkx
BETWEENNESS_SEED = 2011

Columns = tuple[array, array, frozenset, array, array, array]  # people, places, tohoku, low, high, kind


def measure_graph(columns: Columns) -> dict:
    """Edges, shape, shares, betweenness and the top hubs of a network given as columns."""
    people, places, tohoku, low, high, kind = columns
    place = dict(zip(people, places, strict=True))
    edges: dict[tuple[int, int], list[int]] = {}  # pair -> [strongest rank, weight]
    for one, other, rank in zip(low, high, kind, strict=True):
        if one in place and other in place:
            edge = edges.setdefault((one, other), [rank, 0])
            edge[0] = max(edge[0], rank)
            edge[1] += 1
    pairs = sorted(edges)
    graph = nx.Graph()
    graph.add_edges_from(pairs)
    scores, sample = _betweenness(graph)
    top = sorted((item for item in scores.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))[:HUBS]
    return {
        "low": array("q", (p[0] for p in pairs)),
        "high": array("q", (p[1] for p in pairs)),
        "kind": array("b", (edges[p][0] for p in pairs)),
        "weight": array("q", (edges[p][1] for p in pairs)),
        "shape": {**_shape(len(people), len(pairs), graph), **_place_shares(pairs, place, tohoku)},
        "scored": array("q", scores),
        "scores": array("d", scores.values()),
        "sample": sample,
        "hubs": [(person, score, graph.degree(person)) for person, score in top],
    }


def _shape(people: int, ties: int, graph: nx.Graph) -> dict:
    groups = [len(c) for c in nx.connected_components(graph)]
    return {
        "people": people,
        "connected_people": graph.number_of_nodes(),
        "isolated": people - graph.number_of_nodes(),
        "ties": ties,
        "density": round(2 * ties / (people * (people - 1)), 6) if people > 1 else 0.0,
        "components": len(groups),
        "largest_component": max(groups, default=0),
    }


def _place_shares(pairs: list[tuple[int, int]], place: dict[int, int], tohoku: frozenset) -> dict:
    known = cross = gateway = 0
    for one, other in pairs:
        a, b = place[one], place[other]
        if not a or not b:
            continue
        known += 1
        cross += a != b
        gateway += (a in tohoku) != (b in tohoku)
    return {
        "placed_ties": known,
        "cross_prefecture_ties": cross,
        "cross_prefecture_share": round(cross / known, 4) if known else 0.0,
        "tohoku_outside_ties": gateway,
        "tohoku_outside_share": round(gateway / known, 4) if known else 0.0,
    }


def sample_size(people: int, ties: int) -> int | None:
    """How many source people betweenness is estimated from; None: computed exactly."""
    if people <= EXACT_BETWEENNESS_UP_TO:
        return None
    return min(people, BETWEENNESS_SAMPLE, max(BETWEENNESS_MIN_SAMPLE, BETWEENNESS_BUDGET // (people + ties)))


def _betweenness(graph: nx.Graph) -> tuple[dict[int, float], int | None]:
    """Normalized betweenness of every tied person, and the sample size it was estimated from."""
    if graph.number_of_nodes() < 3:
        return dict.fromkeys(graph, 0.0), None
    k = sample_size(graph.number_of_nodes(), graph.number_of_edges())
    return nx.betweenness_centrality(graph, k=k, normalized=True, seed=BETWEENNESS_SEED), k
