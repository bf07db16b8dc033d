"""Copy a forum (複製): a new draft with the forum's settings and questions, its survey's
questions and its rooms plan (names, topics, sizes; never their chat), and nothing of its
people (no registrations, attendance, co-hosts or audit log).

The dates are copied as they are: the copy is a draft nobody else sees, and the organizer is
taken to its form to set the new date before publishing. It sits on the wiring floor because a
forum's copy reaches up to rooms and surveys, which the events floor may not import.
"""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED

from meetup.events import audit
from meetup.events import service as events
from meetup.events.audit import acts
from meetup.events.dependencies import Forum, staff_required
from meetup.events.schemas import Cloned
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from meetup.surveys import service as surveys
from meetup.surveys.schemas import SurveyIn


async def clone_forum(forum: dict, by: int | None) -> str:
    """The copy's slug (see the module's notes)."""
    slug = await events.clone_event(forum, by)
    copy = await events.event_row(slug, organizer=True)
    questions = surveys.questions_of(await surveys.survey_row(forum["id"]))
    if questions:
        await surveys.save_survey(copy, SurveyIn(questions=questions))
    planned = set()
    for room in await rooms.list_rooms(forum["id"]):
        if (room.name, room.topic) not in planned:
            planned.add((room.name, room.topic))
            await rooms.create_room(copy["id"], RoomIn(name=room.name, topic=room.topic, capacity=room.capacity))
    await audit.record(copy["id"], by, "forum.cloned")
    return slug


class CloneApi(Controller):
    path = "/api/v1/events/{slug:str}/clone"
    tags = ["forums: organizers"]
    guards = [staff_required]

    @post(
        "/",
        opt=acts("forum.clone", cohosts=False),
        status_code=HTTP_201_CREATED,
        summary="Copy the forum to a new draft (organizers)",
        description="The settings, questions, survey questions and rooms plan; no registrations or attendance. "
        "The dates are copied for the organizer to change before publishing. Answers `{slug}` of the draft.",
    )
    async def clone(self, request: Request, forum: Forum) -> Cloned:
        return Cloned(slug=await clone_forum(forum, request.user.id))


class ClonePages(Controller):
    path = "/organizer/events/{slug:str}/clone"
    guards = [staff_required]
    include_in_schema = False

    @post("/", opt=acts("forum.clone", cohosts=False))
    async def clone(self, request: Request, forum: Forum) -> Redirect:
        """The 複製 button: the copy opens in its form, to set its date."""
        slug = await clone_forum(forum, request.user.id)
        return Redirect(path=f"/organizer/events/{slug}/edit?cloned=1", status_code=303)
