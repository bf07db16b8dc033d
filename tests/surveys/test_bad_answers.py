"""Bad answers are a 400 naming the question (`extra[0].key` is `answers.<id>`), and nothing is
stored: not the response, not a pick, not a tie."""

from __future__ import annotations

import pytest

from meetup.coordinators.tables import Tie
from meetup.surveys.tables import SurveyPick, SurveyResponse
from tests.factories import make_accounts
from tests.surveys.factories import answer, forum_with_people, with_survey

MEGABYTE = "あ" * 1_000_000


def cases(me: int, other: int, stranger: int) -> list[tuple[dict, str]]:
    fine = {"satisfaction": 3}
    return [
        ({"satisfaction": 0}, "satisfaction"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"satisfaction": 3.5}, "satisfaction"),
        ({"satisfaction": True}, "satisfaction"),
        ({"satisfaction": "とても良い"}, "satisfaction"),
        ({**fine, "format": "懇親会"}, "format"),
        ({**fine, "format": ["基調講演"]}, "format"),
        ({**fine, "comment": MEGABYTE}, "comment"),
        ({**fine, "comment": 42}, "comment"),
        ({**fine, "met": [stranger]}, "met"),
        ({**fine, "met": [me]}, "met"),
        ({**fine, "met": [other, other]}, "met"),
        ({**fine, "met": other}, "met"),
        ({**fine, "met": ["名前"]}, "met"),
        ({**fine, "met": [2**70]}, "met"),
        ({**fine, "nonexistent": 1}, "nonexistent"),
        ({"comment": "満足度なし"}, "satisfaction"),  # required
        ({"satisfaction": None}, "satisfaction"),
    ]


async def test_each_bad_answer_names_its_question(client, make_client):
    slug, (me, other, _third) = await forum_with_people(client)
    (stranger,) = await make_accounts(1)
    await with_survey(client, slug, open=True)
    for answers, question in cases(me, other, stranger):
        response = await answer(make_client, slug, me, {**answers, "met": answers.get("met", [other])})
        assert response.status_code == 400, (answers, response.text)
        body = response.json()
        assert body["extra"][0]["key"] == f"answers.{question}", answers
        assert question in body["detail"]
    assert await SurveyResponse.count() == 0
    assert await SurveyPick.count() == 0
    assert await Tie.count().where(Tie.kind == "survey") == 0


async def test_a_bad_edit_leaves_the_earlier_answers(client, make_client):
    slug, (me, other, _third) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    assert (await answer(make_client, slug, me, {"satisfaction": 4, "met": [other]})).status_code == 201
    assert (await answer(make_client, slug, me, {"satisfaction": 9, "met": []})).status_code == 400
    stored = await SurveyResponse.select(SurveyResponse.answers_json).first()
    assert stored["answers_json"] == f'{{"satisfaction":4,"met":[{other}]}}'
    assert await SurveyPick.count() == 1


@pytest.mark.parametrize("body", [{"answers": []}, {"answers": {"x" * 41: 1}}, {"other": 1}, []])
async def test_a_malformed_body_is_400(client, make_client, body):
    slug, (me, *_rest) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    from tests.factories import signed_in

    person = await signed_in(make_client, me)
    assert (await person.post(f"/api/v1/events/{slug}/survey/response", json=body)).status_code == 400
