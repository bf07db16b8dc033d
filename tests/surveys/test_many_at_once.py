"""Many responses at once: every one stored, each once; the same person answering twice at the
same moment keeps one response; pairs who name each other at the same moment are tied."""

from __future__ import annotations

import asyncio

from meetup.coordinators.tables import Tie
from meetup.surveys.tables import SurveyPick, SurveyResponse
from tests.factories import signed_in
from tests.surveys.factories import forum_with_people, with_survey

PEOPLE = 120


async def test_many_responses_at_once(client, make_client):
    slug, uids = await forum_with_people(client, people=PEOPLE)
    await with_survey(client, slug, open=True)
    people = [await signed_in(make_client, uid) for uid in uids]
    url = f"/api/v1/events/{slug}/survey/response"

    def answers(index: int) -> dict:
        partner = uids[index ^ 1]  # 0 and 1 name each other, 2 and 3, …
        return {"answers": {"satisfaction": index % 5 + 1, "comment": f"感想 {index}", "met": [partner]}}

    twice = list(range(10))  # the first ten send theirs twice at the same moment
    sends = [people[i].post(url, json=answers(i)) for i in range(PEOPLE)] + [
        people[i].post(url, json=answers(i)) for i in twice
    ]
    replies = await asyncio.gather(*sends)
    statuses = [r.status_code for r in replies]
    assert statuses.count(201) == PEOPLE, sorted(set(statuses))
    assert statuses.count(200) == len(twice)
    assert await SurveyResponse.count() == PEOPLE
    rows = await SurveyResponse.select(SurveyResponse.account).where(SurveyResponse.account.is_in(uids))
    assert sorted(r["account"] for r in rows) == sorted(uids)
    assert await SurveyPick.count() == PEOPLE
    assert await Tie.count().where(Tie.kind == "survey") == PEOPLE // 2
