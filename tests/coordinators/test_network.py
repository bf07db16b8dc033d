"""The network map: who sees whom, how ties add up, the hubs."""

from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta

from meetup.coordinators import connections, network, service
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import Profile, Tie
from meetup.db import utcnow
from tests.factories import make_accounts, organizer, signed_in

DAY = timedelta(days=1)


async def people(*specs: tuple[str, str] | tuple[str, str, str]) -> list[int]:
    """People with profiles: (name, prefecture[, visibility]); public unless said otherwise."""
    ids = await make_accounts(len(specs))
    for uid, (name, prefecture, *rest) in zip(ids, specs, strict=True):
        visibility = rest[0] if rest else "public"
        await service.save_profile(
            uid, ProfileIn(name=name, prefecture=prefecture, organization=f"{name}の会", visibility=visibility)
        )
    return ids


async def tie(a: int, b: int, kind: str = "connection", *, event_id: int | None = None, at=None) -> None:
    await connections.record_ties([a, b], kind=kind, source=f"{kind}:{a}-{b}", event_id=event_id, at=at)


def embedded(html: str) -> dict:
    """The graph JSON the page hands to the map script."""
    found = re.search(r'<script type="application/json" id="network-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found[1])


def pairs(body: dict) -> set[tuple[int, int]]:
    return {(e["source"], e["target"]) for e in body["edges"]}


async def test_the_map_matches_the_contract(client):
    a, b, c = await people(("佐藤 一", "宮城県"), ("鈴木 二", "岩手県"), ("高橋 三", "東京都"))
    await tie(a, b)
    await tie(b, c, "introduction")
    response = await client.get("/api/v1/network")
    assert response.status_code == 200
    body = response.json()
    assert {n["id"] for n in body["nodes"]} == {a, b, c}
    assert all(set(n) == {"id", "name", "prefecture", "organization"} for n in body["nodes"])
    assert {n["id"]: (n["name"], n["prefecture"], n["organization"]) for n in body["nodes"]}[a] == (
        "佐藤 一",
        "宮城県",
        "佐藤 一の会",
    )
    assert all(set(e) == {"source", "target", "kind", "weight"} for e in body["edges"])
    assert pairs(body) == {(a, b), (b, c)}
    metrics = body["metrics"]
    for key in (
        "people", "ties", "density", "components", "largest_component", "cross_prefecture_ties",
        "cross_prefecture_share", "tohoku_outside_share", "hubs", "hubs_sampled", "connected_people", "isolated",
    ):  # fmt: skip
        assert key in metrics
    assert (metrics["people"], metrics["ties"], metrics["components"], metrics["largest_component"]) == (3, 2, 1, 3)
    assert metrics["density"] == round(2 / 3, 6)
    assert metrics["hubs"][0]["id"] == b  # the middle of a chain bridges the ends
    assert metrics["hubs_sampled"] is False
    assert (body["ties"], body["at"]) == ("relationships", None)


async def test_private_profiles_never_leak_and_members_only_ones_need_a_login(client, make_client):
    staff = await make_client()
    await organizer(staff)
    a, hidden, b, c = await people(
        ("公開 あ", "宮城県"),
        ("隠岐 秘匿子", "福島県", "private"),
        ("会員 び", "岩手県", "members"),
        ("公開 し", "秋田県"),
    )
    # a — hidden — b — c: the private person bridges a and b, and named a in a survey.
    await tie(a, hidden)
    await tie(hidden, b)
    await tie(b, c)
    await tie(a, hidden, "survey", event_id=1)

    anonymous = (await client.get("/api/v1/network")).json()
    assert {n["id"] for n in anonymous["nodes"]} == {a, c}
    assert anonymous["edges"] == []
    assert (anonymous["metrics"]["people"], anonymous["metrics"]["ties"]) == (2, 0)

    [viewer] = await make_accounts(1)
    member = await signed_in(make_client, viewer)
    seen = (await member.get("/api/v1/network")).json()
    assert {n["id"] for n in seen["nodes"]} == {a, b, c}
    assert pairs(seen) == {(b, c)}
    assert (seen["metrics"]["people"], seen["metrics"]["ties"], seen["metrics"]["components"]) == (3, 1, 1)
    assert seen["metrics"]["hubs"] == []
    drawn = embedded((await member.get("/network")).text)["maps"]["network"]
    assert {n["id"] for n in drawn["nodes"]} == {b, c}
    assert "隠岐 秘匿子" not in json.dumps(drawn, ensure_ascii=False)

    everyone = (await staff.get("/api/v1/network")).json()
    assert {n["id"] for n in everyone["nodes"]} == {a, hidden, b, c}
    assert (everyone["metrics"]["people"], everyone["metrics"]["ties"]) == (4, 3)
    assert everyone["metrics"]["hubs"][0]["id"] in {hidden, b}
    assert hidden in {n["id"] for n in embedded((await staff.get("/network")).text)["maps"]["network"]["nodes"]}


async def test_one_edge_per_pair_with_the_strongest_kind_and_a_weight_per_source(client):
    a, b, c, d = await people(("一", "宮城県"), ("二", "宮城県"), ("三", "宮城県"), ("四", "宮城県"))
    await tie(a, b, "survey", event_id=1)
    await tie(a, b, "room")
    await tie(b, a, "connection")
    await tie(b, c, "survey", event_id=1)
    await tie(b, c, "room")
    await tie(c, d, "room", event_id=1)
    edges = {
        (e["source"], e["target"]): (e["kind"], e["weight"])
        for e in (await client.get("/api/v1/network?ties=contact")).json()["edges"]
    }
    assert edges == {(a, b): ("connection", 3), (b, c): ("survey", 2), (c, d): ("room", 1)}


async def test_ties_across_prefectures_are_counted(client):
    a, b, c, d = await people(("一", "宮城県"), ("二", "宮城県"), ("三", "岩手県"), ("四", "海外"))
    await tie(a, b)
    await tie(b, c)
    await tie(c, d)
    metrics = (await client.get("/api/v1/network")).json()["metrics"]
    assert metrics["cross_prefecture_ties"] == 2
    assert metrics["cross_prefecture_share"] == round(2 / 3, 4)


async def test_the_bridge_between_two_groups_is_the_first_hub(client):
    miyagi = await people(*[(f"宮城 {i}", "宮城県") for i in range(4)])
    iwate = await people(*[(f"岩手 {i}", "岩手県") for i in range(4)])
    [bridge] = await people(("橋渡し 役", "東京都"))
    await connections.record_ties(miyagi, kind="room", source="room:1")
    await connections.record_ties(iwate, kind="room", source="room:2")
    await tie(bridge, miyagi[0])
    await tie(bridge, iwate[0])
    hubs = (await client.get("/api/v1/network?ties=contact")).json()["metrics"]["hubs"]
    assert hubs[0]["id"] == bridge
    assert (hubs[0]["name"], hubs[0]["prefecture"], hubs[0]["ties"]) == ("橋渡し 役", "東京都", 2)
    assert {h["id"] for h in hubs[1:3]} == {miyagi[0], iwate[0]}
    assert len(hubs) == 3  # people who bridge no one are not hubs


async def test_a_large_network_estimates_its_hubs_from_a_sample(database):
    ids = await make_accounts(520)
    await Profile.insert(
        *[Profile(account=uid, name=f"人 {i}", prefecture="宮城県", visibility="public") for i, uid in enumerate(ids)]
    )
    # one long chain: the middle bridges the most
    await Tie.insert(
        *[
            Tie(person_low=low, person_high=high, kind="connection", source=f"request:{low}")
            for low, high in itertools.pairwise(ids)
        ]
    )
    out = await network.network(None)
    assert out.metrics.hubs_sampled is True
    assert out.metrics.betweenness_sample == 300  # 520 people, one chain: the most sources allowed
    assert out.metrics.people == 520 and out.metrics.ties == 519
    assert len(out.metrics.hubs) == 10
    middle = set(ids[200:320])
    assert all(h.id in middle for h in out.metrics.hubs[:3])


async def test_ties_made_after_a_time_are_left_out_with_at(client):
    a, b, c = await people(("一", "宮城県"), ("二", "宮城県"), ("三", "宮城県"))
    await tie(a, b, at=utcnow() - 10 * DAY)
    await tie(b, c, at=utcnow() - DAY)
    at = (utcnow() - 5 * DAY).date().isoformat()
    body = (await client.get("/api/v1/network", params={"at": at})).json()
    assert pairs(body) == {(a, b)}


async def test_the_page_shows_the_numbers_and_embeds_names_safely(client):
    evil = "</script><script>alert(1)</script>"
    a, b, c = await people((evil, "宮城県"), ("岩手 花子", "岩手県"), ("O'Brien & <Co>", "海外"))
    await tie(a, b)
    await tie(b, c, "project")
    response = await client.get("/network?lang=en")
    assert response.status_code == 200
    html = response.text
    assert "<script>alert(1)</script>" not in html
    assert html.count("</script>") == html.count("<script")  # no script closed early or opened
    data = embedded(html)
    assert {n["name"] for n in data["maps"]["network"]["nodes"]} == {evil, "岩手 花子", "O'Brien & <Co>"}
    assert data["palette"]["宮城県"] != data["palette"]["岩手県"]
    for text in ("At a glance", "People", "Density", "Ties across prefectures", "Hubs (betweenness centrality)"):
        assert text in html
    assert f'href="/coordinators/{b}"' in html  # the hub, linked to the profile
    assert "66.67%" in html  # density of three people with two ties
    assert "/static/vendor/cytoscape/cytoscape.min.js" in html
