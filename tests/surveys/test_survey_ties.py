"""Mutual picks make `survey` ties; a one-sided pick makes none and is never shown to the
person named; withdrawing a pick takes back that survey's tie only."""

from __future__ import annotations

from meetup.coordinators import connections
from meetup.coordinators.tables import Tie
from meetup.events.tables import Event
from tests.factories import signed_in
from tests.surveys.factories import answer, forum_with_people, with_survey


async def survey_ties() -> set[tuple[int, int, str]]:
    rows = await Tie.select(Tie.person_low, Tie.person_high, Tie.source).where(Tie.kind == "survey")
    return {(r["person_low"], r["person_high"], r["source"]) for r in rows}


async def test_two_people_who_name_each_other_are_tied(client, make_client):
    slug, (amy, ben, cy) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    event_id = (await Event.select(Event.id).where(Event.slug == slug).first())["id"]
    await answer(make_client, slug, amy, {"satisfaction": 4, "met": [ben, cy]})
    assert await survey_ties() == set()  # one-sided so far
    await answer(make_client, slug, ben, {"satisfaction": 4, "met": [amy]})
    low, high = sorted((amy, ben))
    assert await survey_ties() == {(low, high, f"survey:{event_id}")}
    tie = await Tie.select(Tie.event_id).where(Tie.kind == "survey").first()
    assert tie["event_id"] == event_id


async def test_a_withdrawn_pick_takes_back_only_this_surveys_tie(client, make_client):
    slug, (amy, ben, _cy) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    await connections.record_ties([amy, ben], kind="connection", source="request:1")
    await connections.record_ties([amy, ben], kind="survey", source="survey:999999")  # another forum's
    await answer(make_client, slug, amy, {"satisfaction": 4, "met": [ben]})
    await answer(make_client, slug, ben, {"satisfaction": 4, "met": [amy]})
    assert len(await survey_ties()) == 2
    await answer(make_client, slug, ben, {"satisfaction": 4, "met": []})
    assert {source for *_pair, source in await survey_ties()} == {"survey:999999"}
    assert await Tie.count().where(Tie.kind == "connection") == 1
    await answer(make_client, slug, ben, {"satisfaction": 5, "met": [amy]})  # named again: tied again
    assert len(await survey_ties()) == 2


async def test_a_one_sided_pick_is_never_shown_to_the_person_named(client, make_client):
    slug, (amy, ben, _cy) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    await answer(make_client, slug, amy, {"satisfaction": 4, "comment": "秘密の感想", "met": [ben]})
    named = await signed_in(make_client, ben)
    for path in (
        f"/api/v1/events/{slug}/survey",
        f"/api/v1/events/{slug}/survey/response",
        f"/events/{slug}/survey",
        f"/events/{slug}",
        "/network",
        f"/coordinators/{ben}",
        "/me/connections",
        "/api/v1/network",
    ):
        response = await named.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert "秘密の感想" not in response.text, path
        assert f'"source":{amy}' not in response.text and f'"target":{amy}' not in response.text, path
    assert (await named.get(f"/api/v1/events/{slug}/survey/results")).status_code == 403
    assert (await named.get(f"/api/v1/events/{slug}/survey/results.csv")).status_code == 403
