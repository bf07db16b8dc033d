"""Picking or proposing an organisation on a profile (issue 16): a name that names an organisation
links the profile to it; a name that names none stays on the profile and is proposed once, listing
who proposed it; an organizer approves, merges (the spelling kept as an alias that search finds) or
rejects it, once, and bad input changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from meetup.coordinators import organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import (
    Organization,
    OrganizationAlias,
    OrganizationProposal,
    OrganizationProposer,
    Profile,
)
from tests.factories import make_accounts, organizer, signed_in

PROFILE = {"name": "宮城 美咲", "prefecture": "宮城県", "visibility": "members"}


async def profile_naming(make_client, organization: str, name: str = "宮城 美咲"):
    """A signed-in person whose profile (saved over the JSON API) names `organization`."""
    (uid,) = await make_accounts(1)
    person = await signed_in(make_client, uid)
    response = await person.put("/api/v1/me/profile", json=PROFILE | {"name": name, "organization": organization})
    assert response.status_code in (200, 201), response.text
    return uid, person


async def organization_of(uid: int) -> int | None:
    return (await Profile.select(Profile.organization).where(Profile.account == uid).first())["organization"]


async def test_a_listed_name_links_the_profile_in_any_width_or_case_and_proposes_nothing(make_client):
    wakatsuku = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県", name_kana="わかつく")
    ishinomaki = await organizations.upsert_organization(name="ISHINOMAKI2.0", prefecture="宮城県")
    uid, _ = await profile_naming(make_client, "ワカツク")
    other, _ = await profile_naming(make_client, "ｉｓｈｉｎｏｍａｋｉ２．０")  # full-width, lower case
    assert await organization_of(uid) == wakatsuku
    assert await organization_of(other) == ishinomaki
    assert await OrganizationProposal.count() == 0


async def test_an_unlisted_name_is_kept_and_proposed_once_per_name_listing_who_proposed_it(client, make_client):
    first, _ = await profile_naming(make_client, "石巻ローカルラボ", name="石巻 一")
    second, _ = await profile_naming(make_client, " 石巻ローカルラボ ", name="石巻 二")
    third, third_client = await profile_naming(make_client, "石巻ﾛｰｶﾙﾗﾎﾞ", name="石巻 三")  # half-width kana
    assert await OrganizationProposal.count() == 1
    assert await Organization.count() == 0  # never an organisation before an organizer decides
    shown = (await third_client.get("/api/v1/me/profile")).json()
    assert shown["organization"] == "石巻ﾛｰｶﾙﾗﾎﾞ" and shown["organization_ref"] is None  # kept as typed

    await organizer(client)
    listed = (await client.get("/api/v1/organizations/proposals")).json()
    assert [p["name"] for p in listed] == ["石巻ローカルラボ"]
    assert sorted(p["id"] for p in listed[0]["proposers"]) == sorted([first, second, third])
    assert listed[0]["status"] == "pending" and listed[0]["organization"] is None

    # saving again changes nothing; naming another organisation leaves the list
    await third_client.put("/api/v1/me/profile", json=PROFILE | {"organization": "石巻ﾛｰｶﾙﾗﾎﾞ"})
    assert await OrganizationProposer.count() == 3
    await third_client.put("/api/v1/me/profile", json=PROFILE | {"organization": ""})
    assert await OrganizationProposer.count() == 2


async def test_a_proposal_nobody_names_any_more_is_dropped(make_client):
    _, person = await profile_naming(make_client, "仮の会社")
    assert await OrganizationProposal.count() == 1
    await person.put("/api/v1/me/profile", json=PROFILE | {"organization": "別の会社"})
    assert [r["name"] for r in await OrganizationProposal.select(OrganizationProposal.name)] == ["別の会社"]


async def test_the_profile_form_says_the_name_is_proposed(make_client):
    await organizations.upsert_organization(name="ワカツク", prefecture="宮城県", name_kana="わかつく")
    (uid,) = await make_accounts(1)
    person = await signed_in(make_client, uid)
    form = await person.get("/me/profile")
    assert 'list="organization-suggestions"' in form.text and "organization-picker.js" in form.text
    fields = {"name": "宮城 美咲", "prefecture": "宮城県", "visibility": "members", "organization": "新しい団体"}
    saved = await person.post("/me/profile", data=fields)
    assert saved.status_code == 303 and saved.headers["location"] == f"/coordinators/{uid}?done=proposed"
    page = await person.get(saved.headers["location"])
    assert "提案" in page.text
    # without script: the form shows the matches of what was typed, found as GET /organizations?q= finds them
    saved = await person.post("/me/profile", data=fields | {"organization": "わかつく"})
    form = await person.get("/me/profile")
    assert '<option value="ワカツク">' in form.text
    saved = await person.post("/me/profile", data=fields | {"organization": "ワカツク"})
    assert saved.headers["location"] == f"/coordinators/{uid}?done=saved"
    assert await organization_of(uid) is not None


async def test_approving_creates_the_organisation_with_the_kind_and_prefecture_chosen_and_links_profiles(
    client, make_client
):
    first, _ = await profile_naming(make_client, "いしのまきラボ")
    second, _ = await profile_naming(make_client, "いしのまきラボ")
    await organizer(client)
    (proposal,) = (await client.get("/api/v1/organizations/proposals")).json()
    response = await client.post(
        f"/api/v1/organizations/proposals/{proposal['id']}/approve",
        json={"kind": "incubator", "prefecture": "宮城県", "name": "石巻ラボ"},
    )
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["status"] == "approved" and decided["organization"]["name"] == "石巻ラボ"
    created = await Organization.select().where(Organization.name == "石巻ラボ").first()
    assert created["kind"] == "incubator" and created["prefecture"] == "宮城県"
    assert await organization_of(first) == created["id"] and await organization_of(second) == created["id"]
    # the spelling proposed still finds it
    found = (await client.get("/api/v1/organizations", params={"q": "いしのまきラボ"})).json()
    assert [o["name"] for o in found] == ["石巻ラボ"]
    assert (await client.get("/api/v1/organizations/proposals")).json() == []
    # deciding twice: 409, nothing changed
    again = await client.post(f"/api/v1/organizations/proposals/{proposal['id']}/reject")
    assert again.status_code == 409
    assert (await OrganizationProposal.select().first())["status"] == "approved"


async def test_merging_keeps_the_spelling_as_an_alias_that_search_and_later_profiles_find(client, make_client):
    target = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県", name_kana="わかつく")
    proposer, _ = await profile_naming(make_client, "一般社団法人ワカツク")
    await organizer(client)
    (proposal,) = (await client.get("/api/v1/organizations/proposals")).json()
    assert (await client.get("/api/v1/organizations", params={"q": "一般社団法人"})).json() == []
    response = await client.post(
        f"/api/v1/organizations/proposals/{proposal['id']}/merge", json={"organization": target}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "merged" and response.json()["organization"]["id"] == target
    assert await organization_of(proposer) == target
    assert await Organization.count() == 1  # never a duplicate
    assert [a["name"] for a in await OrganizationAlias.select(OrganizationAlias.name)] == ["一般社団法人ワカツク"]
    found = (await client.get("/api/v1/organizations", params={"q": "一般社団法人"})).json()
    assert [(o["id"], o["aliases"]) for o in found] == [(target, ["一般社団法人ワカツク"])]
    assert "一般社団法人ワカツク" in (await client.get(f"/organizations/{target}")).text  # "also written as"
    # someone typing that spelling later is linked at once, and nothing is proposed
    later, _ = await profile_naming(make_client, "一般社団法人ワカツク")
    assert await organization_of(later) == target
    assert await OrganizationProposal.count() == 1


async def test_rejecting_keeps_the_name_on_profiles_unlinked(client, make_client):
    proposer, person = await profile_naming(make_client, "よくわからない会")
    await organizer(client)
    (proposal,) = (await client.get("/api/v1/organizations/proposals")).json()
    response = await client.post(f"/api/v1/organizations/proposals/{proposal['id']}/reject")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert await organization_of(proposer) is None
    assert (await person.get("/api/v1/me/profile")).json()["organization"] == "よくわからない会"
    assert await Organization.count() == 0
    everything = (await client.get("/api/v1/organizations/proposals", params={"status": "all"})).json()
    assert [p["status"] for p in everything] == ["rejected"]


@pytest.mark.parametrize(
    ("action", "body", "status", "field"),
    [
        ("approve", {"kind": "bank", "prefecture": "宮城県"}, 400, "kind"),
        ("approve", {"kind": "gateway", "prefecture": "東北県"}, 400, "prefecture"),
        ("approve", {"kind": "gateway"}, 400, "prefecture"),
        ("approve", {"kind": "gateway", "prefecture": "宮城県", "name": "ワカツク"}, 409, "name"),
        ("merge", {"organization": 999999}, 400, "organization"),
        ("merge", {"organization": "ワカツク"}, 400, "organization"),
    ],
)
async def test_bad_decisions_are_a_clear_4xx_and_change_nothing(client, make_client, action, body, status, field):
    await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    proposer, _ = await profile_naming(make_client, "まだない団体")
    await organizer(client)
    (proposal,) = (await client.get("/api/v1/organizations/proposals")).json()
    response = await client.post(f"/api/v1/organizations/proposals/{proposal['id']}/{action}", json=body)
    assert response.status_code == status, response.text
    assert field in response.text
    assert await Organization.count() == 1 and await OrganizationAlias.count() == 0
    assert (await OrganizationProposal.select().first())["status"] == "pending"
    assert await organization_of(proposer) is None


async def test_an_unknown_proposal_is_a_404(client):
    await organizer(client)
    assert (await client.post("/api/v1/organizations/proposals/424242/reject")).status_code == 404
    page = await client.post("/organizer/organizations/proposals/424242/reject", data={})
    assert page.status_code == 404


async def test_only_organizers_review_proposals(client, make_client):
    proposer, person = await profile_naming(make_client, "まだない団体")
    (proposal,) = await OrganizationProposal.select(OrganizationProposal.id)
    anonymous = await make_client()
    for who, denied in ((person, 403), (anonymous, 401)):
        assert (await who.get("/api/v1/organizations/proposals")).status_code == denied
        body = {"kind": "gateway", "prefecture": "宮城県"}
        approve = await who.post(f"/api/v1/organizations/proposals/{proposal['id']}/approve", json=body)
        assert approve.status_code == denied
        assert (await who.post(f"/api/v1/organizations/proposals/{proposal['id']}/reject")).status_code == denied
        page = await who.get("/organizer/organizations/proposals", follow_redirects=False)
        if who is person:
            assert page.status_code == 403
        else:
            assert page.status_code in (302, 303, 401) and "/login" in page.headers.get("location", "/login")
    assert (await OrganizationProposal.select().first())["status"] == "pending"


async def test_the_review_page_approves_merges_and_rejects_with_plain_forms(client, make_client):
    target = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県", name_kana="わかつく")
    await profile_naming(make_client, "新しいラボ")
    await profile_naming(make_client, "わかつく（仙台）")
    await profile_naming(make_client, "謎の会")
    await organizer(client)
    page = await client.get("/organizer/organizations/proposals")
    assert page.status_code == 200
    for name in ("新しいラボ", "わかつく（仙台）", "謎の会"):
        assert name in page.text
    assert "/organizer/organizations/proposals" in (await client.get("/organizations")).text
    ids = {r["name"]: r["id"] for r in await OrganizationProposal.select()}

    bad = await client.post(
        f"/organizer/organizations/proposals/{ids['新しいラボ']}/approve", data={"kind": "gateway", "prefecture": ""}
    )
    assert bad.status_code == 400 and "prefecture" in bad.text
    done = await client.post(
        f"/organizer/organizations/proposals/{ids['新しいラボ']}/approve",
        data={"kind": "gateway", "prefecture": "岩手県", "name": "新しいラボ"},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=approved")
    done = await client.post(
        f"/organizer/organizations/proposals/{ids['わかつく（仙台）']}/merge", data={"organization": str(target)}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=merged")
    done = await client.post(f"/organizer/organizations/proposals/{ids['謎の会']}/reject", data={})
    assert done.status_code == 303
    twice = await client.post(f"/organizer/organizations/proposals/{ids['謎の会']}/reject", data={})
    assert twice.status_code == 409
    statuses = {r["name"]: r["status"] for r in await OrganizationProposal.select()}
    assert statuses == {"新しいラボ": "approved", "わかつく（仙台）": "merged", "謎の会": "rejected"}
    assert await Organization.exists().where(
        (Organization.name == "新しいラボ") & (Organization.prefecture == "岩手県")
    )


async def test_a_profile_saved_by_the_service_counts_as_one_typed_on_the_page(database):
    (uid,) = await make_accounts(1)
    await coordinators.save_profile(uid, ProfileIn(name="山形 花", prefecture="山形県", organization="山形の会"))
    assert await OrganizationProposal.count() == 1


async def test_people_proposing_the_same_name_at_once_make_one_proposal(database):
    people = await make_accounts(6)
    await asyncio.gather(
        *(
            coordinators.save_profile(uid, ProfileIn(name=f"同時 {i}", prefecture="宮城県", organization="同時の会"))
            for i, uid in enumerate(people)
        )
    )
    assert await OrganizationProposal.count() == 1
    assert await OrganizationProposer.count() == len(people)
