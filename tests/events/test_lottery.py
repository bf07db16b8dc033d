"""抽選: applicants wait until the organizer draws; seats can be held for each Tohoku prefecture."""

import random
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
    """Without held seats every applicant has the same chance of a seat and of the head of the
    waitlist, whatever their place in the list of applications (2,000 seeded draws, so the test
    passes or fails the same way every time: 20 applicants, 5 seats)."""
    applicants = [{"id": i, "prefecture": "東京都"} for i in range(20)]
    orders = {tuple(a["id"] for a in draw(applicants, 5, {})[0]) for _ in range(20)}
    assert len(orders) > 1  # not the same winners every time

    rng = random.Random(1995)
    won: Counter = Counter()
    first_in_line: Counter = Counter()
    for _ in range(2000):
        winners, rest = draw(applicants, 5, {}, rng)
        assert len(winners) == 5 and len(rest) == 15
        assert sorted(a["id"] for a in winners + rest) == list(range(20))  # everyone once, nobody twice
        won.update(a["id"] for a in winners)
        first_in_line[rest[0]["id"]] += 1
    # each applicant expects 500 seats (1/4 a draw) and 100 places at the head of the line (1/20)
    assert all(420 <= won[i] <= 580 for i in range(20)), won
    assert all(60 <= first_in_line[i] <= 140 for i in range(20)), first_in_line


async def test_held_seats_beyond_the_seats_drawn_are_refused_saying_so(client, make_client):
    """The reported case: one seat held for each of the six prefectures, four seats drawn."""
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=10)
    await apply(make_client, slug, [p for p in TOHOKU for _ in range(2)])
    held = dict.fromkeys(TOHOKU, 1)
    for path in ("lottery/preview", "lottery"):
        refused = await client.post(f"/api/v1/events/{slug}/{path}", json={"seats": 4, "held": held})
        assert refused.status_code == 400
        assert "確保枠が合計6席ありますが、今回の当選枠は4席しかありません" in refused.json()["detail"]
    # the shorthand for "the same number for each" is refused alike
    shorthand = {"seats": 4, "min_per_prefecture": 1}
    assert (await client.post(f"/api/v1/events/{slug}/lottery", json=shorthand)).status_code == 400
    # on the page, in Japanese, with the numbers kept in the form
    page = await client.post(
        f"/organizer/events/{slug}/lottery",
        data={"_csrf_token": client.cookies["csrftoken"], "seats": "4", **{f"held-{p}": "1" for p in TOHOKU}},
    )
    assert page.status_code == 400
    assert "確保枠が合計6席ありますが、今回の当選枠は4席しかありません" in page.text
    assert 'name="held-福島県" min="0" inputmode="numeric" value="1"' in page.text
    assert await Registration.count().where(Registration.status == "pending") == 12  # nothing drawn
    assert await OutboxMail.count() == 12  # only the "application received" mails

    # six seats fit: every prefecture gets exactly its one held seat
    result = (await client.post(f"/api/v1/events/{slug}/lottery", json={"seats": 6, "held": held})).json()
    assert (result["winners"], result["held"], result["open_seats"]) == (6, 6, 0)
    winners = await Registration.select(Registration.prefecture).where(Registration.status == "confirmed")
    assert Counter(w["prefecture"] for w in winners) == dict.fromkeys(TOHOKU, 1)


async def test_held_seats_a_prefecture_cannot_fill_go_back_to_the_open_draw(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=50)
    await apply(make_client, slug, ["青森県"] + ["宮城県"] * 4 + ["東京都"] * 7)
    body = {"seats": 6, "held": {"青森県": 3, "宮城県": 2}}

    preview = (await client.post(f"/api/v1/events/{slug}/lottery/preview", json=body)).json()
    lines = {p["prefecture"]: p for p in preview["per_prefecture"]}
    assert (lines["青森県"]["held"], lines["青森県"]["reserved"], lines["青森県"]["returned"]) == (3, 1, 2)
    assert (lines["宮城県"]["held"], lines["宮城県"]["reserved"], lines["宮城県"]["returned"]) == (2, 2, 0)
    assert (preview["seats"], preview["held"], preview["open_seats"]) == (6, 5, 3)

    result = (await client.post(f"/api/v1/events/{slug}/lottery", json=body)).json()
    assert (result["winners"], result["waitlisted"]) == (6, 6)  # Aomori's two unused seats were drawn openly
    winners = Counter(
        w["prefecture"]
        for w in await Registration.select(Registration.prefecture).where(Registration.status == "confirmed")
    )
    assert winners["青森県"] == 1 and winners["宮城県"] >= 2 and sum(winners.values()) == 6


async def test_held_seats_are_only_for_the_six_tohoku_prefectures(client, make_client):
    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery", capacity=10)
    for held in ({"東京都": 1}, {"宮城県": -1}, {"宮城県": "多め"}):
        response = await client.post(f"/api/v1/events/{slug}/lottery", json={"held": held})
        assert response.status_code == 400, held
    page = await client.post(
        f"/organizer/events/{slug}/lottery/preview",
        data={"_csrf_token": client.cookies["csrftoken"], "held-宮城県": "-2"},
    )
    assert page.status_code == 400 and "確保枠は0以上の整数" in page.text


def _frequencies(applicants: list[dict], seats: int, held: dict, rng: random.Random, runs: int = 600) -> Counter:
    """How many seats each prefecture won over `runs` draws."""
    won: Counter = Counter()
    for _ in range(runs):
        winners, rest = draw(applicants, seats, held, rng)
        assert len(winners) == seats and len(winners) + len(rest) == len(applicants)
        won.update(w["prefecture"] for w in winners)
    return won


def test_no_prefecture_is_favoured_by_its_place_in_the_list():
    """600 seeded draws (so the test passes or fails the same way every time): prefectures in
    the same situation win equally often, whether first or last in the list."""
    applicants = [{"id": i, "prefecture": p} for i, p in enumerate(p for p in TOHOKU for _ in range(2))]

    # An open draw of 3 seats among 12: every prefecture expects 0.5 seats a draw, 300 in all.
    won = _frequencies(applicants, 3, {}, random.Random(2021))
    assert all(240 <= won[p] <= 360 for p in TOHOKU), won

    # One seat held for 青森 (first), 秋田 and 山形 (fourth and fifth), five seats drawn: each of
    # them wins its held seat every time, plus 2/9 of a seat from the two open seats (733 in
    # all); 岩手, 宮城 and 福島 (second, third, last) share the open seats alike, 4/9 (267).
    held = {"青森県": 1, "秋田県": 1, "山形県": 1}
    for order, rng in ((applicants, random.Random(311)), (applicants[::-1], random.Random(2011))):
        for reversed_held in (False, True):
            asked = dict(reversed(held.items())) if reversed_held else held
            won = _frequencies(order, 5, asked, rng)
            assert all(660 <= won[p] <= 810 for p in held), won
            assert all(200 <= won[p] <= 335 for p in ("岩手県", "宮城県", "福島県")), won


def test_an_applicant_passed_over_for_a_held_seat_has_a_fair_chance_in_the_open_draw():
    """Three prefectures with one seat held and two applicants each, six from Tokyo, five
    seats: the two open seats go among the nine left, so the three passed over for a held seat
    expect 2/3 of a seat a draw between them (400 in 600 draws) and Tokyo 4/3 (800). A draw
    that kept its first shuffle for the open seats gave Tokyo about 1,050."""
    prefectures = ["青森県"] * 2 + ["秋田県"] * 2 + ["山形県"] * 2 + ["東京都"] * 6
    applicants = [{"id": i, "prefecture": p} for i, p in enumerate(prefectures)]
    rng = random.Random(2016)
    won: Counter = Counter()
    for _ in range(600):
        winners, _rest = draw(applicants, 5, {"青森県": 1, "秋田県": 1, "山形県": 1}, rng)
        won.update(w["id"] for w in winners)
    tokyo = sum(won[i] for i in range(6, 12))
    assert 720 <= tokyo <= 880, won
    assert all(300 <= won[i] <= 430 for i in range(6)), won  # each Tohoku applicant: 11/18 of a seat
    assert all(83 <= won[i] <= 183 for i in range(6, 12)), won  # each from Tokyo: 2/9


def test_every_held_prefecture_gets_its_seats_whatever_the_order():
    applicants = [{"id": i, "prefecture": p} for i, p in enumerate(p for p in TOHOKU for _ in range(2))]
    rng = random.Random(7)
    for _ in range(200):
        winners, _rest = draw(applicants, 6, dict.fromkeys(reversed(TOHOKU), 1), rng)
        assert Counter(w["prefecture"] for w in winners) == dict.fromkeys(TOHOKU, 1)
