"""The challenge board (余白, CONTRACT §5.5): organizers and an organisation's own admins post
challenges; members say 関わりたい once; the poster introduces them by the follow-up's double
opt-in, and when both accept they get a `project` tie on the network; the challenge moves
open → matched → closed, and a passed closing date shows it closed."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from meetup.cases.tables import Challenge, ChallengeInterest
from meetup.coordinators import organizations
from meetup.coordinators.tables import Tie
from meetup.mail.tables import OutboxMail
from tests.factories import make_accounts, organizer, signed_in
from tests.followups.factories import profile


def later(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def an_organisation(name: str = "ワカツク", prefecture: str = "宮城県") -> int:
    return await organizations.upsert_organization(name=name, prefecture=prefecture)


def a_challenge(organization: int, **overrides) -> dict:
    body = {
        "title": "後継ぎ候補と考える新商品づくり",
        "body": "水産加工の新商品を一緒に考えてくれる方を募集します。期間は3か月。",
        "organization": organization,
        "kind": "internship",
        "prefecture": "宮城県",
        "closes_at": later(),
    }
    body.update(overrides)
    return body


async def test_an_organisation_admin_posts_for_their_own_organisation_only(client, make_client):
    await organizer(client)
    mine, other = await an_organisation(), await an_organisation("ISHINOMAKI2.0")
    admin, member = await make_accounts(2)
    assert (await client.post(f"/api/v1/organizations/{mine}/admins", json={"user_id": admin})).status_code == 201
    as_admin = await signed_in(make_client, admin)
    posted = await as_admin.post("/api/v1/challenges", json=a_challenge(mine))
    assert posted.status_code == 201, posted.text
    shape = posted.json()
    assert shape["status"] == "open" and shape["organization"] == {"id": mine, "name": "ワカツク"}
    assert shape["interest_count"] == 0 and shape["url"] == f"/challenges/{shape['id']}"
    assert (await as_admin.post("/api/v1/challenges", json=a_challenge(other))).status_code == 403
    as_member = await signed_in(make_client, member)
    assert (await as_member.post("/api/v1/challenges", json=a_challenge(mine))).status_code == 403
    assert (await (await make_client()).post("/api/v1/challenges", json=a_challenge(mine))).status_code == 401
    assert (await client.post("/api/v1/challenges", json=a_challenge(other))).status_code == 201  # organizers: any
    assert await Challenge.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "volunteer"}, "kind"),
        ({"body": "あ" * 1_000_000}, "body"),
        ({"closes_at": "2020-01-01T00:00:00+09:00"}, "closes_at"),
        ({"closes_at": "2099-01-01T00:00:00"}, "closes_at"),
        ({"closes_at": "someday"}, "closes_at"),
        ({"prefecture": "Miyagi"}, "prefecture"),
        ({"title": ""}, "title"),
        ({"organization": 999999}, "organization"),
        ({"organization": "ワカツク"}, "organization"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, change, field):
    await organizer(client)
    answer = await client.post("/api/v1/challenges", json=a_challenge(await an_organisation()) | change)
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert await Challenge.count() == 0


async def test_interest_is_said_once_and_seen_only_by_the_poster(client, make_client):
    await organizer(client)
    challenge = (await client.post("/api/v1/challenges", json=a_challenge(await an_organisation()))).json()
    keen, bystander = await make_accounts(2)
    person = await signed_in(make_client, keen)
    said = await person.post(
        f"/api/v1/challenges/{challenge['id']}/interest", json={"message": "水産業の経験があります"}
    )
    assert said.status_code == 201, said.text
    assert said.json()["status"] == "interested" and said.json()["person"]["id"] == keen
    again = await person.post(f"/api/v1/challenges/{challenge['id']}/interest", json={})
    assert again.status_code == 409
    assert await ChallengeInterest.count() == 1
    assert (
        await (await make_client()).post(f"/api/v1/challenges/{challenge['id']}/interest", json={})
    ).status_code == 401
    assert (await client.post(f"/api/v1/challenges/{challenge['id']}/interest", json={})).status_code == 409  # own
    long = await (await signed_in(make_client, bystander)).post(
        f"/api/v1/challenges/{challenge['id']}/interest", json={"message": "x" * 1001}
    )
    assert long.status_code == 400 and "message" in long.text

    seen = await client.get(f"/api/v1/challenges/{challenge['id']}/interests")
    assert seen.status_code == 200
    [interest] = seen.json()
    assert interest["message"] == "水産業の経験があります"
    assert "@" not in seen.text  # never an address
    assert (await person.get(f"/api/v1/challenges/{challenge['id']}/interests")).status_code == 403
    assert (await client.get("/api/v1/challenges/424242/interests")).status_code == 404
    assert (await client.get(f"/api/v1/challenges/{challenge['id']}")).json()["interest_count"] == 1


async def test_introduce_then_both_accept_makes_a_project_tie(client, make_client):
    me = await organizer(client)
    keen = (await make_accounts(1))[0]
    await profile(me["id"], "主催 花子", ["インターン"], visibility="public")
    await profile(keen, "石巻 みなと", ["水産"], visibility="public")
    challenge = (await client.post("/api/v1/challenges", json=a_challenge(await an_organisation()))).json()
    person = await signed_in(make_client, keen)
    interest = (await person.post(f"/api/v1/challenges/{challenge['id']}/interest", json={})).json()

    introduced = await client.post(f"/api/v1/challenges/{challenge['id']}/interests/{interest['id']}/introduce")
    assert introduced.status_code == 200, introduced.text
    assert introduced.json()["status"] == "introduced"
    again = await client.post(f"/api/v1/challenges/{challenge['id']}/interests/{interest['id']}/introduce")
    assert again.status_code == 200
    invitations = await OutboxMail.select().where(OutboxMail.dedupe_key.like("challenge-intro:%"))
    assert sorted(row["account_id"] for row in invitations) == sorted([me["id"], keen])  # one each, once
    links = {
        row["account_id"]: re.search(r"http://testserver.local(/stay-in-touch/\S+)", row["body_text"])[1]
        for row in invitations
    }
    assert await Tie.count().where(Tie.kind == "project") == 0
    first = await (await make_client()).post(f"/api/v1{links[keen]}")
    assert first.json()["status"] == "waiting"
    second = await (await make_client()).post(f"/api/v1{links[me['id']]}")
    assert second.json() == {"status": "connected", "other": keen}

    [tie] = await Tie.select().where(Tie.kind == "project")
    assert {tie["person_low"], tie["person_high"]} == {me["id"], keen}
    assert tie["source"] == f"challenge:{challenge['id']}"
    edges = (await person.get("/api/v1/network")).json()["edges"]
    assert any({e["source"], e["target"]} == {me["id"], keen} for e in edges)
    intros = await OutboxMail.select().where(OutboxMail.dedupe_key.like("intro:%"))
    assert len(intros) == 2 and all(challenge["title"] in row["body_text"] for row in intros)
    [seen] = (await client.get(f"/api/v1/challenges/{challenge['id']}/interests")).json()
    assert seen["status"] == "matched"

    # open → matched → closed, never back; then write it up as a case
    assert (await client.post(f"/api/v1/challenges/{challenge['id']}/status", json={"status": "matched"})).json()[
        "status"
    ] == "matched"
    back = await client.post(f"/api/v1/challenges/{challenge['id']}/status", json={"status": "open"})
    assert back.status_code == 409
    bad = await client.post(f"/api/v1/challenges/{challenge['id']}/status", json={"status": "done"})
    assert bad.status_code == 400 and "status" in bad.text
    form = await client.get(f"/organizer/cases/new?challenge={challenge['id']}")
    assert form.status_code == 200 and challenge["title"] in form.text and str(keen) in form.text
    closed = await client.post(f"/api/v1/challenges/{challenge['id']}/status", json={"status": "closed"})
    assert closed.json()["status"] == "closed"
    late = await (await signed_in(make_client, (await make_accounts(1))[0])).post(
        f"/api/v1/challenges/{challenge['id']}/interest", json={}
    )
    assert late.status_code == 409


async def test_search_filters_and_a_passed_closing_date(client):
    await organizer(client)
    org = await an_organisation("アスヘノキボウ", "宮城県")
    kept = (await client.post("/api/v1/challenges", json=a_challenge(org, title="石巻の事業承継の相談"))).json()
    other = (
        await client.post(
            "/api/v1/challenges",
            json=a_challenge(org, title="盛岡での副業プロジェクト", kind="side_job", prefecture="岩手県"),
        )
    ).json()

    async def ids(**params) -> list[int]:
        answer = await client.get("/api/v1/challenges", params=params)
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()]

    assert await ids(q="石巻") == [kept["id"]]
    assert await ids(q="いしのまき") == [kept["id"]]
    assert await ids(q="ishinomaki") == [kept["id"]]
    assert await ids(q="アスヘノキボウ") == [other["id"], kept["id"]]
    assert await ids(kind="side_job") == [other["id"]]
    assert await ids(prefecture="宮城県") == [kept["id"]]
    assert (await client.get("/api/v1/challenges", params={"kind": "gig"})).status_code == 400

    await Challenge.update({Challenge.closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Challenge.id == kept["id"]
    )
    assert (await client.get(f"/api/v1/challenges/{kept['id']}")).json()["status"] == "closed"
    assert await ids(status="open") == [other["id"]]
    assert await ids(status="closed") == [kept["id"]]
    assert await ids(status="matched") == []
    assert await ids() == [other["id"], kept["id"]]  # open ones first
