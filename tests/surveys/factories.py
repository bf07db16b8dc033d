"""A forum with confirmed people, organizer and participant clients, and a survey, made through
the API and the services."""

from __future__ import annotations

from datetime import timedelta

from meetup.db import utcnow
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import RegistrationIn
from meetup.events.tables import Event
from tests.factories import create_forum, make_accounts, organizer, signed_in

QUESTIONS = [
    {"id": "satisfaction", "label": "満足度", "kind": "scale", "required": True},
    {"id": "format", "label": "よかった形式", "kind": "choice", "options": ["基調講演", "ブレイクアウト", "全体共有"]},
    {"id": "comment", "label": "感想", "kind": "text"},
    {"id": "met", "label": "相談したい人", "kind": "people"},
]


async def forum_with_people(client, people: int = 3, **forum) -> tuple[str, list[int]]:
    """`client` signed in as an organizer; a published forum with `people` confirmed registrants."""
    await organizer(client)
    slug = await create_forum(client, capacity=max(10, people), **forum)
    event = await events.event_row(slug)
    uids = await make_accounts(people)
    for uid in uids:
        await registration.register(event, uid, RegistrationIn(), [])
    return slug, uids


async def with_survey(client, slug: str, questions=QUESTIONS, **extra) -> dict:
    response = await client.put(f"/api/v1/events/{slug}/survey", json={"questions": questions, **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def started(slug: str, hours_ago: int = 1) -> None:
    """The forum began `hours_ago` hours ago (and ends two hours after that)."""
    start = utcnow() - timedelta(hours=hours_ago)
    await Event.update({Event.starts_at: start, Event.ends_at: start + timedelta(hours=2)}).where(Event.slug == slug)


async def answer(make_client, slug: str, uid: int, answers: dict):
    person = await signed_in(make_client, uid)
    return await person.post(f"/api/v1/events/{slug}/survey/response", json={"answers": answers})
