"""The network for researchers (organizers only): GraphML (networkx's writer) and CSV of the
people an organizer may see and the ties between them.

Rules:
- people carry their prefecture, organisation and the kinds of tie they have; never an e-mail;
- one tie per pair: its kind (the strongest), every kind, when it was first seen, and its weight
  (how many sources tie the pair);
- CSV is UTF-8 with a BOM and CRLF, so Excel opens the Japanese text as written; `part=ties` (the
  default) is the edge list with both people's names and prefectures, `part=nodes` the people.
"""

from __future__ import annotations

import csv
import io

import networkx as nx

from meetup.coordinators.network_measure import Measured, PairTies
from meetup.coordinators.ties import tie_strength
from meetup.events.exports import excel_cell

NODE_COLUMNS = ("id", "name", "prefecture", "organization", "ties", "kinds")
TIE_COLUMNS = (
    "source", "source_name", "source_prefecture", "target", "target_name", "target_prefecture",
    "kind", "kinds", "first_seen", "weight",
)  # fmt: skip


def _kinds(kinds) -> str:
    return ";".join(sorted(set(kinds), key=lambda k: (-tie_strength(k), k)))


def _first_seen(pair: PairTies) -> str:
    return min(pair.first_seen.values()).isoformat()


def _people(measured: Measured) -> list[dict]:
    kinds: dict[int, set[str]] = {}
    degree: dict[int, int] = {}
    for (low, high), pair in measured.pairs.items():
        for person in (low, high):
            kinds.setdefault(person, set()).update(pair.sources)
            degree[person] = degree.get(person, 0) + 1
    return [
        {
            "id": n.id,
            "name": n.name,
            "prefecture": n.prefecture or "",
            "organization": n.organization,
            "ties": degree.get(n.id, 0),
            "kinds": _kinds(kinds.get(n.id, ())),
        }
        for n in measured.nodes
    ]


def _ties(measured: Measured) -> list[dict]:
    by_id = {n.id: n for n in measured.nodes}
    return [
        {
            "source": low,
            "source_name": by_id[low].name,
            "source_prefecture": by_id[low].prefecture or "",
            "target": high,
            "target_name": by_id[high].name,
            "target_prefecture": by_id[high].prefecture or "",
            "kind": pair.kind,
            "kinds": _kinds(pair.sources),
            "first_seen": _first_seen(pair),
            "weight": pair.weight,
        }
        for (low, high), pair in sorted(measured.pairs.items())
    ]


def graphml(measured: Measured) -> bytes:
    graph = nx.Graph()
    for person in _people(measured):
        graph.add_node(person.pop("id"), **person)
    for tie in _ties(measured):
        graph.add_edge(tie["source"], tie["target"], **{k: tie[k] for k in ("kind", "kinds", "first_seen", "weight")})
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def network_csv(measured: Measured, part: str = "ties") -> bytes:
    columns, rows = (NODE_COLUMNS, _people(measured)) if part == "nodes" else (TIE_COLUMNS, _ties(measured))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([excel_cell(row[c]) for c in columns] for row in rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
