"""How strong a tie is: one ranking of the tie kinds decides the network's edge kind, which ties
the drawn map keeps, and the order of "My network"; change it and all three follow."""

from __future__ import annotations

import re

import pytest

from meetup.coordinators import connections, network_map, service, ties
from meetup.coordinators.network_measure import Measured, measure
from meetup.coordinators.schemas import NetworkNode, ProfileIn
from meetup.db import utcnow
from tests.factories import make_accounts, signed_in

SURVEY_FIRST = {"survey": 3, "room": 2, "connection": 1}


async def people(n: int) -> list[int]:
    ids = await make_accounts(n)
    for i, uid in enumerate(ids):
        await service.save_profile(uid, ProfileIn(name=f"人 {i}", prefecture="宮城県", visibility="public"))
    return ids


async def tie(a: int, b: int, kind: str) -> None:
    await connections.record_ties([a, b], kind=kind, source=f"{kind}:{a}-{b}", event_id=1 if kind == "survey" else None)


def edge_kinds(body: dict) -> dict[tuple[int, int], str]:
    return {(e["source"], e["target"]): e["kind"] for e in body["edges"]}


def listed(html: str) -> list[int]:
    """The people on "My network", in the order shown."""
    return [int(found) for found in re.findall(r'class="tie" data-person="(\d+)"', html)]


def a_triangle() -> Measured:
    """Three people, tied by one connection, one room and one survey."""
    nodes = [NetworkNode(id=i, name=f"人 {i}", prefecture="宮城県", organization="") for i in (1, 2, 3)]
    rows = [
        {"person_low": low, "person_high": high, "kind": kind, "created_at": utcnow()}
        for low, high, kind in ((1, 2, "survey"), (1, 3, "room"), (2, 3, "connection"))
    ]
    return measure(nodes, rows)


def test_relationships_are_stronger_than_contact_and_connections_strongest():
    strongest_first = sorted(ties.TIE_STRENGTH, key=ties.tie_strength, reverse=True)
    assert strongest_first == ["connection", "introduction", "project", "survey", "room"]
    assert ties.tie_strength("something else") < ties.tie_strength("room")
    assert set(ties.TIE_CHOICES["contact"]) == set(ties.TIE_STRENGTH)
    assert "room" not in ties.TIE_CHOICES["relationships"]


@pytest.mark.parametrize(
    ("ranking", "drawn"), [(ties.TIE_STRENGTH, "connection"), (SURVEY_FIRST, "survey")], ids=["as-is", "survey-first"]
)
def test_a_crowded_map_keeps_the_strongest_ties(monkeypatch, ranking, drawn):
    monkeypatch.setattr(ties, "TIE_STRENGTH", ranking)
    monkeypatch.setattr(network_map, "MAP_EDGE_LIMIT", 1)
    drawn_map = network_map.map_data(a_triangle())
    assert [e["kind"] for e in drawn_map["edges"]] == [drawn]
    assert drawn_map["edges_between"] == 3


@pytest.mark.parametrize(
    ("ranking", "strongest"),
    [(ties.TIE_STRENGTH, "connection"), (SURVEY_FIRST, "survey")],
    ids=["as-is", "survey-first"],
)
async def test_the_network_and_my_network_rank_ties_by_the_same_table(
    client, make_client, monkeypatch, ranking, strongest
):
    me, connected, met_at_forum, met_twice = await people(4)
    await tie(me, connected, "connection")
    await tie(me, met_at_forum, "survey")
    await tie(me, met_twice, "room")
    await tie(me, met_twice, "connection")
    monkeypatch.setattr(ties, "TIE_STRENGTH", ranking)

    kinds = edge_kinds((await client.get("/api/v1/network?ties=contact")).json())
    assert kinds[(me, met_twice)] == ("connection" if strongest == "connection" else "room")

    page = await (await signed_in(make_client, me)).get("/me/connections")
    assert page.status_code == 200
    if strongest == "connection":
        assert listed(page.text) == [connected, met_twice, met_at_forum]
    else:
        assert listed(page.text) == [met_at_forum, met_twice, connected]
