"""抽選: applicants wait until the organizer draws; seats can be held for each Tohoku prefecture."""

from collections import Counter

from meetup.coordinators.prefectures import TOHOKU
from meetup.events.lottery import draw
from meetup.events.tables import Registration
from meetup.mail.tables import OutboxMail
from tests.factories import create_forum, make_accounts, organizer, signed_in


async def apply(make_client, slug: str, prefectures: list[str]) -> list[dict]:
    results = []
    for uid, prefecture in zip(await make_accounts(len(prefectures)), prefectures, strict=True):
        person = await signed_in(make_client, uid)
        response = await person.post(f"/api/v1/events/{slug}/registration", json={"prefecture": prefecture})
        assert response.json()["status"] == "pending"
        results.append(response.json())
    return results


async def test_preview_then_draw_with_seats_held_per_prefecture(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=20)
    # Tokyo floods the lottery; each Tohoku prefecture has a few applicants.
    prefectures = ["東京都"] * 40 + [p for p in TOHOKU for _ in range(4)]
    await apply(make_client, slug, prefectures)

    preview = (await client.post(f"/api/v1/events/{slug}/lottery/preview", json={"min_per_prefecture": 3})).json()
    assert (preview["applicants"], preview["seats"], preview["drawn"]) == (64, 20, False)
    assert {p["prefecture"]: p["reserved"] for p in preview["per_prefecture"]} == dict.fromkeys(TOHOKU, 3)
    assert await Registration.count().where(Registration.status == "pending") == 64  # preview changed nothing

    result = (await client.post(f"/api/v1/events/{slug}/lottery", json={"min_per_prefecture": 3})).json()
    assert (result["winners"], result["waitlisted"], result["drawn"]) == (20, 44, True)
    winners = await Registration.select(Registration.prefecture).where(Registration.status == "confirmed")
    counts = Counter(w["prefecture"] for w in winners)
    assert all(counts[p] >= 3 for p in TOHOKU)
    waiting = await Registration.select(Registration.queue_order).where(Registration.status == "waitlisted")
    assert sorted(w["queue_order"] for w in waiting) == list(range(1, 45))
    assert await OutboxMail.count() == 64 * 2  # "application received", then the result
    summary = (await client.get(f"/api/v1/events/{slug}")).json()
    assert (summary["confirmed_count"], summary["waitlist_count"], summary["pending_count"]) == (20, 44, 0)


async def test_a_lottery_loser_is_promoted_when_a_winner_cancels(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=1)
    uids = await make_accounts(3)
    clients = [await signed_in(make_client, uid) for uid in uids]
    for person in clients:
        await person.post(f"/api/v1/events/{slug}/registration", json={})
    await client.post(f"/api/v1/events/{slug}/lottery", json={})
    statuses = [(await c.get(f"/api/v1/events/{slug}/registration")).json() for c in clients]
    winner = next(c for c, s in zip(clients, statuses, strict=True) if s["status"] == "confirmed")
    first_in_line = next(c for c, s in zip(clients, statuses, strict=True) if s.get("waitlist_position") == 1)
    await winner.delete(f"/api/v1/events/{slug}/registration")
    assert (await first_in_line.get(f"/api/v1/events/{slug}/registration")).json()["status"] == "confirmed"


async def test_fewer_seats_than_capacity_and_only_for_lottery_forums(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=10)
    await apply(make_client, slug, ["宮城県"] * 5)
    result = (await client.post(f"/api/v1/events/{slug}/lottery", json={"seats": 2})).json()
    assert (result["winners"], result["waitlisted"]) == (2, 3)
    first_come = await create_forum(client)
    assert (await client.post(f"/api/v1/events/{first_come}/lottery", json={})).status_code == 409


def test_the_draw_is_random_but_fair():
    applicants = [{"id": i, "prefecture": "東京都"} for i in range(100)]
    orders = {tuple(a["id"] for a in draw(applicants, 10, 0)[0]) for _ in range(20)}
    assert len(orders) > 1  # not the same winners every time
    winners, rest = draw(applicants, 10, 0)
    assert len(winners) == 10 and len(rest) == 90
    assert {a["id"] for a in winners} | {a["id"] for a in rest} == set(range(100))
