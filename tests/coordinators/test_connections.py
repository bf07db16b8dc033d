"""Connections (ask, accept, remove), each tie with its source."""

from meetup.coordinators import connections, service
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import Tie
from tests.factories import make_accounts, signed_in


async def with_profiles(*people: int) -> None:
    """Members-only profiles: a person can be asked to connect only through a profile."""
    for uid in people:
        await service.save_profile(uid, ProfileIn(name=f"東北 {uid}", prefecture="宮城県"))


async def test_ask_accept_and_remove(client, make_client):
    a, b = await make_accounts(2)
    await with_profiles(a, b)
    alice, bob = await signed_in(make_client, a), await signed_in(make_client, b)
    asked = await alice.post("/api/v1/connections", json={"user_id": b})
    assert asked.status_code == 201
    assert asked.json()["status"] == "pending"
    assert await connections.connection_state(a, b) == "requested"
    assert await connections.connection_state(b, a) == "incoming"
    incoming = (await bob.get("/api/v1/connections")).json()["incoming"]
    assert [r["requester"] for r in incoming] == [a]
    # only the person asked may accept
    assert (await alice.post(f"/api/v1/connections/{asked.json()['id']}/accept")).status_code == 404
    accepted = await bob.post(f"/api/v1/connections/{asked.json()['id']}/accept")
    assert accepted.json()["status"] == "accepted"
    [tie] = await Tie.select()
    assert (tie["kind"], tie["source"]) == ("connection", f"request:{asked.json()['id']}")
    assert await connections.connection_state(a, b) == "connected"
    assert (await alice.delete(f"/api/v1/connections/with/{b}")).status_code == 204
    assert await Tie.count() == 0
    assert await connections.connection_state(a, b) == "none"


async def test_asking_back_accepts_and_asking_twice_is_one_request(make_client):
    a, b = await make_accounts(2)
    await with_profiles(a, b)
    alice, bob = await signed_in(make_client, a), await signed_in(make_client, b)
    first = await alice.post("/api/v1/connections", json={"user_id": b})
    again = await alice.post("/api/v1/connections", json={"user_id": b})
    assert again.json()["id"] == first.json()["id"]
    back = await bob.post("/api/v1/connections", json={"user_id": a})
    assert back.status_code == 200
    assert back.json()["status"] == "accepted"
    assert await Tie.count() == 1


async def test_bad_connection_requests(make_client):
    [a] = await make_accounts(1)
    alice = await signed_in(make_client, a)
    assert (await alice.post("/api/v1/connections", json={"user_id": a})).status_code == 400
    assert (await alice.post("/api/v1/connections", json={"user_id": 2_000_000})).status_code == 404
    assert (await alice.post("/api/v1/connections", json={"user_id": "x"})).status_code == 400
    assert (await alice.post("/api/v1/connections/99999/accept")).status_code == 404
    anonymous = await make_client()
    assert (await anonymous.post("/api/v1/connections", json={"user_id": a})).status_code == 401


async def test_a_hidden_profile_cannot_be_asked(make_client):
    a, hidden = await make_accounts(2)
    await service.save_profile(hidden, ProfileIn(name="非公開 さん", prefecture="宮城県", visibility="private"))
    alice = await signed_in(make_client, a)
    assert (await alice.post("/api/v1/connections", json={"user_id": hidden})).status_code == 404
