"""What the /network page draws: which people and ties of a network go on the map (a browser
lays out a few hundred nodes quickly, not thousands), and the colours of the prefectures.

The network itself (who may be seen, the ties, the metrics) comes from network.py; the layout is
done in the browser (static/js/network.js). Two dates are drawn with the same people on both maps,
so that the pictures differ only in their ties.
"""

from __future__ import annotations

import msgspec

from meetup.coordinators.network_measure import Measured
from meetup.coordinators.prefectures import OVERSEAS, TOHOKU, prefecture_name
from meetup.coordinators.ties import tie_strength
from meetup.i18n import gettext as _

# How many people the drawn map holds at most: a browser lays out a few hundred nodes quickly.
MAP_LIMIT = 250
MAP_EDGE_LIMIT = 1500  # the strongest ties among them (the new ones first, comparing two dates)

# The six Tohoku prefectures in strong, distinct colours; the rest of Japan muted; overseas grey.
TOHOKU_COLOURS = dict(zip(TOHOKU, ("#d62728", "#1f5fbf", "#2ca02c", "#f28e1c", "#8e44ad", "#0f9fb4"), strict=True))
OTHER_COLOUR = "#b7c4d1"
OVERSEAS_COLOUR = "#8a8a8a"
PALETTE = {**TOHOKU_COLOURS, OVERSEAS: OVERSEAS_COLOUR}  # by stored prefecture; any other is OTHER_COLOUR


def legend(locale: str) -> list[tuple[str, str]]:
    """(name, colour) of each colour on the map, prefectures named in `locale`."""
    return [
        *((prefecture_name(p, locale), colour) for p, colour in TOHOKU_COLOURS.items()),
        (_("Other prefectures"), OTHER_COLOUR),
        (prefecture_name(OVERSEAS, locale), OVERSEAS_COLOUR),
    ]


def map_data(out: Measured, *, limit: int = MAP_LIMIT) -> dict:
    """The part of the network a browser draws: the most tied people, at most `limit`, and the
    strongest edges between them, as plain JSON-ready values."""
    return _drawn(out, _chosen(out, set(), limit))


def map_pair(before: Measured, after: Measured, *, limit: int = MAP_LIMIT) -> dict:
    """The same people on both maps (chosen from the later network, the people of new ties
    first), so that the two pictures differ only in their ties."""
    new = set(after.pairs) - set(before.pairs)
    chosen = _chosen(after, {p for pair in new for p in pair}, limit)
    return {"before": _drawn(before, chosen), "after": _drawn(after, chosen, new=new)}


def _chosen(out: Measured, focus: set[int], limit: int) -> list[int]:
    """People with ties: `focus` first, then by how many ties they have."""
    degree: dict[int, int] = {}
    for e in out.edges:
        degree[e.source] = degree.get(e.source, 0) + 1
        degree[e.target] = degree.get(e.target, 0) + 1
    ranked = sorted(degree, key=lambda person: (person not in focus, -degree[person], person))
    return ranked[:limit]


def _drawn(out: Measured, chosen: list[int], *, new: set[tuple[int, int]] | None = None) -> dict:
    """Nodes and edges as JSON-ready values; the pairs in `new` are marked and kept first."""
    keep = set(chosen)
    new = new or set()
    edges = [e for e in out.edges if e.source in keep and e.target in keep]
    between = len(edges)
    if between > MAP_EDGE_LIMIT:
        edges = sorted(
            edges,
            key=lambda e: (
                (e.source, e.target) not in new,
                -tie_strength(e.kind),
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
