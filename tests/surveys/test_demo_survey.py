"""The demo's 2021 coordinator forum has a survey with answers and mutual picks (survey ties)."""

from meetup import demo
from meetup.coordinators.tables import Tie
from meetup.events import service as events
from meetup.surveys import results, service


async def test_the_2021_forum_has_a_survey_with_answers(database):
    await demo.load_demo()
    await demo.load_demo()  # safe to load twice
    forum = await events.event_row("coordinator-forum-2021")
    found = await results.results(forum)
    assert found.responses == len(demo.SURVEY_2021_ANSWERS)
    assert found.mutual_pairs == 4
    assert await Tie.count().where((Tie.kind == "survey") & (Tie.source == service.tie_source(forum["id"]))) == 4
    scale = found.questions[0]
    assert scale.kind == "scale" and scale.average is not None
    assert len(await events.confirmed_people(forum["id"])) == 14
