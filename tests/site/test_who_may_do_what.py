"""Who may do what: every route of the app, walked as six people, against one table.

The people: anonymous; a participant (signed in, not registered); the confirmed registrant of
forum A; the confirmed registrant of another forum B; a co-host of forum A; an organizer. Each
route names its rule:

- public      everyone gets an answer (never 401/403);
- member      signed in (anonymous: 401, or the login page for pages);
- registrant  forum A's confirmed registrants and organizers (others: 401/403/404);
- seat        forum A's confirmed registrants only (the ticket: others are sent to the forum page;
              answering the survey);
- manager     those who run forum A: organizers and its co-hosts (anonymous: 401 or the login
              page; everyone else: 403);
- organizer   organizers only (anonymous: 401 or the login page; everyone else, co-hosts too: 403);
- admin       admins only: nobody in this world (organizers too get 403; tests/accounts/test_admin.py
              walks them as an admin);
- link        a signed link in a mail is the key: everyone who has it;
- dev         the dev mailbox: only with MEETUP_ENV=dev (organizers only there), so a 404 for
              everyone here, as the tests run with env "test".

Every route of the app must be in the table (a new route without a rule fails the test), and no
answer to anyone may be a 5xx. The README's "Who may do what" is this table.
"""

from __future__ import annotations

import asyncio
import json
import re

import msgspec
import pytest
import websockets

from meetup.accounts import calendar_feed
from meetup.accounts import follows as account_follows
from meetup.accounts import service as accounts
from meetup.app import create_app
from meetup.cases import challenges
from meetup.cases import service as cases
from meetup.cases.schemas import CaseIn, ChallengeIn, InterestIn
from meetup.coordinators import connections, organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import OrganizationProposal
from meetup.events import cohosts, enrolment, registration, series
from meetup.events import service as events
from meetup.events.schemas import EnrolmentRule, EventIn, RegistrationIn, SeriesPatch
from meetup.events.tables import Alumnus
from meetup.followups import campaigns, follows, preferences
from meetup.followups.introductions import stay_token
from meetup.followups.schemas import CampaignIn
from meetup.mail.tables import OutboxMail
from meetup.reports import quotes
from meetup.reports import service as reports
from meetup.reports.schemas import RecordingIn, ReportIn
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from meetup.surveys import service as surveys
from meetup.surveys.schemas import ResponseIn, SurveyIn, SurveyQuestion
from tests.conftest import Prepared, prepare
from tests.factories import forum, make_accounts, signed_in
from tests.reports.factories import line_row
from tests.rooms.conftest import live  # noqa: F401 (a fixture, found by its name)

ROLES = ("anonymous", "participant", "registrant", "other_registrant", "cohost", "organizer")

# "METHOD path" -> rule. Paths as the app declares them.
TABLE: dict[str, str] = {
    # site and accounts
    "GET /": "public",
    "GET /favicon.ico": "public",
    "GET /healthz": "public",
    "POST /api/v1/auth/login": "public",
    "POST /api/v1/auth/logout": "public",
    "POST /api/v1/auth/magic-link": "public",
    "POST /api/v1/auth/signup": "public",
    "GET /api/v1/me": "member",
    "PATCH /api/v1/me": "member",
    "GET /login": "public",
    "POST /login": "public",
    "POST /logout": "public",
    "GET /magic-link": "public",
    "POST /magic-link": "public",
    "GET /auth/magic/{token:str}": "link",
    "POST /auth/magic/{token:str}": "link",
    "GET /me": "member",
    "POST /me": "member",
    "GET /signup": "public",
    "POST /signup": "public",
    # forums and registration
    "GET /api/v1/events": "public",
    "POST /api/v1/events": "organizer",
    "GET /api/v1/events/{slug:str}": "public",
    "PATCH /api/v1/events/{slug:str}": "organizer",
    "GET /api/v1/events/{slug:str}/registration": "member",
    "POST /api/v1/events/{slug:str}/registration": "member",
    "DELETE /api/v1/events/{slug:str}/registration": "member",
    "GET /api/v1/events/{slug:str}/registrations": "manager",
    "GET /api/v1/events/{slug:str}/registrations.csv": "manager",
    "POST /api/v1/events/{slug:str}/registrations/{reg_id:int}/approve": "manager",
    "POST /api/v1/events/{slug:str}/registrations/{reg_id:int}/reject": "manager",
    "POST /api/v1/events/{slug:str}/registrations/{reg_id:int}/check-in": "manager",
    "DELETE /api/v1/events/{slug:str}/registrations/{reg_id:int}/check-in": "manager",
    "POST /api/v1/events/{slug:str}/check-in": "manager",
    "POST /api/v1/events/{slug:str}/lottery": "manager",
    "POST /api/v1/events/{slug:str}/lottery/preview": "manager",
    "GET /events": "public",
    "GET /events/{slug:str}": "public",
    "POST /events/{slug:str}/register": "public",  # a newcomer gives an e-mail address here
    "GET /events/{slug:str}/register/continue": "member",
    "POST /events/{slug:str}/cancel": "member",
    "GET /events/{slug:str}/ticket": "seat",
    "GET /me/registrations": "member",
    "GET /series/{slug:str}": "public",
    "POST /series/{slug:str}/enrol": "member",
    "POST /series/{slug:str}/cancel-enrolment": "member",
    "POST /api/v1/series": "organizer",
    "GET /api/v1/series/{slug:str}": "public",
    "PATCH /api/v1/series/{slug:str}": "organizer",
    "GET /api/v1/series/{slug:str}/enrolment": "member",
    "POST /api/v1/series/{slug:str}/enrolment": "member",
    "DELETE /api/v1/series/{slug:str}/enrolment": "member",
    "GET /api/v1/series/{slug:str}/enrolments": "organizer",
    "GET /api/v1/series/{slug:str}/enrolments.csv": "organizer",
    "POST /api/v1/series/{slug:str}/enrolments/{enrolment_id:int}/approve": "organizer",
    "POST /api/v1/series/{slug:str}/enrolments/{enrolment_id:int}/reject": "organizer",
    "POST /api/v1/series/{slug:str}/lottery": "organizer",
    "POST /api/v1/series/{slug:str}/lottery/preview": "organizer",
    "POST /organizer/series/{slug:str}/enrolments/{enrolment_id:int}/approve": "organizer",
    "POST /organizer/series/{slug:str}/enrolments/{enrolment_id:int}/reject": "organizer",
    "GET /organizer/series/{slug:str}/enrolments.csv": "organizer",
    "POST /organizer/series/{slug:str}/lottery": "organizer",
    "GET /organizer": "organizer",
    "GET /organizer/events/new": "organizer",
    "POST /organizer/events/new": "organizer",
    "GET /organizer/events/{slug:str}": "manager",
    "GET /organizer/events/{slug:str}/edit": "organizer",
    "POST /organizer/events/{slug:str}/edit": "organizer",
    "POST /organizer/events/{slug:str}/cancel": "organizer",
    "POST /organizer/events/{slug:str}/publish": "organizer",
    "POST /organizer/events/{slug:str}/unpublish": "organizer",
    "GET /organizer/series": "organizer",
    "POST /organizer/series": "organizer",
    "GET /organizer/series/{slug:str}": "organizer",
    # completion and alumni (the world's registrant is an alumnus of the series: their certificate
    # is theirs and the organizers' to see, a 404 to anyone else)
    "POST /api/v1/series/{slug:str}/completions": "organizer",
    "POST /api/v1/series/{slug:str}/alumni.csv": "organizer",
    "GET /organizer/series/{slug:str}/completion": "organizer",
    "POST /organizer/series/{slug:str}/completions": "organizer",
    "GET /organizer/series/{slug:str}/alumni-import": "organizer",
    "POST /organizer/series/{slug:str}/alumni-import": "organizer",
    "GET /series/{slug:str}/alumni": "member",
    "GET /series/{slug:str}/certificates/{user_id:int}": "own",  # the person's own, and organizers
    "POST /organizer/series/{slug:str}": "organizer",
    "GET /organizer/events/{slug:str}/check-in": "manager",
    "POST /organizer/events/{slug:str}/check-in": "manager",
    "POST /organizer/events/{slug:str}/lottery": "manager",
    "POST /organizer/events/{slug:str}/lottery/preview": "manager",
    "POST /organizer/events/{slug:str}/registrations/{reg_id:int}/approve": "manager",
    "POST /organizer/events/{slug:str}/registrations/{reg_id:int}/reject": "manager",
    "POST /organizer/events/{slug:str}/registrations/{reg_id:int}/check-in": "manager",
    "POST /organizer/events/{slug:str}/registrations/{reg_id:int}/undo-check-in": "manager",
    # coordinators and the network
    "GET /api/v1/coordinators": "public",
    "GET /api/v1/coordinators/{user_id:int}": "public",
    "GET /api/v1/me/profile": "member",
    "PUT /api/v1/me/profile": "member",
    "GET /api/v1/organizations": "public",
    "GET /api/v1/organizations/{organization_id:int}": "public",
    "POST /api/v1/organizations": "organizer",
    "POST /api/v1/organizations/import": "organizer",
    # organisation admins may too (tests/coordinators/test_organizations_api.py); none in this world
    "PATCH /api/v1/organizations/{organization_id:int}": "organizer",
    "POST /api/v1/organizations/{organization_id:int}/admins": "organizer",
    "GET /api/v1/organizations/{organization_id:int}/invitations": "organizer",
    "POST /api/v1/organizations/{organization_id:int}/invitations": "organizer",
    "GET /api/v1/organizations/proposals": "organizer",
    "POST /api/v1/organizations/proposals/{proposal_id:int}/approve": "organizer",
    "POST /api/v1/organizations/proposals/{proposal_id:int}/merge": "organizer",
    "POST /api/v1/organizations/proposals/{proposal_id:int}/reject": "organizer",
    "GET /api/v1/connections": "member",
    "POST /api/v1/connections": "member",
    "POST /api/v1/connections/{request_id:int}/accept": "member",
    "POST /api/v1/connections/{request_id:int}/decline": "member",
    "DELETE /api/v1/connections/with/{user_id:int}": "member",
    "DELETE /api/v1/connections/{request_id:int}": "member",
    "GET /api/v1/network": "public",
    "GET /api/v1/network/compare": "public",
    "GET /api/v1/network.graphml": "organizer",
    "GET /api/v1/network.csv": "organizer",
    "GET /api/v1/events/{slug:str}/network-growth": "organizer",
    "GET /coordinators": "public",
    "GET /coordinators/{user_id:int}": "public",
    "POST /coordinators/{user_id:int}/connect": "member",
    "POST /coordinators/{user_id:int}/disconnect": "member",
    "GET /me/profile": "member",
    "POST /me/profile": "member",
    "GET /me/connections": "member",
    "POST /me/connections/{request_id:int}/accept": "member",
    "POST /me/connections/{request_id:int}/decline": "member",
    "POST /me/connections/{request_id:int}/withdraw": "member",
    "GET /organizations": "public",
    "GET /organizations/{organization_id:int}": "public",
    "GET /organizations/{organization_id:int}/edit": "organizer",
    "POST /organizations/{organization_id:int}/edit": "organizer",
    "GET /organizer/organizations/new": "organizer",
    "POST /organizer/organizations/new": "organizer",
    "GET /organizer/organizations/import": "organizer",
    "POST /organizer/organizations/import": "organizer",
    "POST /organizations/{organization_id:int}/invitations": "organizer",
    "GET /organizations/invitations/{token:str}": "link",
    "POST /organizations/invitations/{token:str}": "link",
    "GET /organizer/organizations/proposals": "organizer",
    "POST /organizer/organizations/proposals/{proposal_id:int}/approve": "organizer",
    "POST /organizer/organizations/proposals/{proposal_id:int}/merge": "organizer",
    "POST /organizer/organizations/proposals/{proposal_id:int}/reject": "organizer",
    "GET /network": "public",
    "GET /organizer/events/{slug:str}/network": "organizer",
    # breakout rooms
    "GET /api/v1/events/{slug:str}/rooms": "public",
    "POST /api/v1/events/{slug:str}/rooms": "manager",
    "POST /api/v1/events/{slug:str}/rooms/assign": "manager",
    "POST /api/v1/events/{slug:str}/rooms/broadcast": "manager",
    "POST /api/v1/rooms/{room_id:int}/close": "manager",
    "POST /api/v1/rooms/{room_id:int}/members": "manager",
    "GET /api/v1/rooms/{room_id:int}/messages": "registrant",
    "DELETE /api/v1/rooms/{room_id:int}/messages/{message_id:int}": "manager",
    "GET /events/{slug:str}/rooms": "registrant",
    "GET /rooms/{room_id:int}": "registrant",
    "WS /ws/rooms/{room_id:int}": "registrant",
    "GET /organizer/events/{slug:str}/rooms": "manager",
    "POST /organizer/events/{slug:str}/rooms": "manager",
    "POST /organizer/events/{slug:str}/rooms/assign": "manager",
    "POST /organizer/events/{slug:str}/rooms/broadcast": "manager",
    "POST /organizer/events/{slug:str}/rooms/move": "manager",
    "POST /organizer/events/{slug:str}/rooms/timer": "manager",
    "POST /organizer/events/{slug:str}/rooms/{room_id:int}/close": "manager",
    "POST /organizer/events/{slug:str}/rooms/{room_id:int}/timer": "manager",
    # mail to attendees
    "GET /api/v1/events/{slug:str}/campaigns": "manager",
    "POST /api/v1/events/{slug:str}/campaigns": "manager",
    "POST /api/v1/campaigns": "organizer",  # to the whole network
    "GET /api/v1/campaigns": "organizer",
    "GET /api/v1/campaigns/{campaign_id:int}": "manager",
    "PATCH /api/v1/campaigns/{campaign_id:int}": "manager",
    "GET /api/v1/campaigns/{campaign_id:int}/preview": "manager",
    "POST /api/v1/campaigns/{campaign_id:int}/test": "manager",
    "POST /api/v1/campaigns/{campaign_id:int}/send": "manager",
    "GET /api/v1/campaigns/{campaign_id:int}/deliveries": "manager",
    "POST /api/v1/campaigns/{campaign_id:int}/retry": "manager",
    "GET /api/v1/me/mail-preferences": "member",
    "PUT /api/v1/me/mail-preferences": "member",
    "POST /api/v1/stay-in-touch/{token:str}": "link",
    "GET /organizer/events/{slug:str}/campaigns": "manager",
    "POST /organizer/events/{slug:str}/campaigns": "manager",
    "GET /organizer/campaigns": "organizer",
    "POST /organizer/campaigns": "organizer",
    "GET /organizer/campaigns/{campaign_id:int}": "manager",
    "POST /organizer/campaigns/{campaign_id:int}": "manager",
    "POST /organizer/campaigns/{campaign_id:int}/test": "manager",
    "POST /organizer/campaigns/{campaign_id:int}/send": "manager",
    "POST /organizer/campaigns/{campaign_id:int}/retry": "manager",
    "GET /unsubscribe/{token:str}": "link",
    "POST /unsubscribe/{token:str}": "link",
    "POST /unsubscribe/{token:str}/resubscribe": "link",
    "GET /me/mail": "member",
    "POST /me/mail": "member",
    "GET /stay-in-touch/{token:str}": "link",
    "POST /stay-in-touch/{token:str}": "link",
    # the forum survey
    "PUT /api/v1/events/{slug:str}/survey": "manager",
    "GET /api/v1/events/{slug:str}/survey": "registrant",
    "POST /api/v1/events/{slug:str}/survey/response": "seat",
    "GET /api/v1/events/{slug:str}/survey/response": "seat",
    "GET /api/v1/events/{slug:str}/survey/results": "manager",
    "GET /api/v1/events/{slug:str}/survey/results.csv": "manager",
    "GET /events/{slug:str}/survey": "registrant",
    "POST /events/{slug:str}/survey": "seat",
    "GET /organizer/events/{slug:str}/survey": "manager",
    "POST /organizer/events/{slug:str}/survey": "manager",
    "POST /organizer/events/{slug:str}/survey/open": "manager",
    "GET /organizer/events/{slug:str}/survey/results": "manager",
    # co-hosts, the forum's log, its copy, and roles (issue 16)
    "GET /api/v1/events/{slug:str}/cohosts": "manager",
    "POST /api/v1/events/{slug:str}/cohosts": "organizer",
    "DELETE /api/v1/events/{slug:str}/cohosts/{user_id:int}": "organizer",
    "POST /organizer/events/{slug:str}/cohosts": "organizer",
    "POST /organizer/events/{slug:str}/cohosts/{user_id:int}/remove": "organizer",
    "GET /cohosts/accept/{token:str}": "link",
    "POST /cohosts/accept/{token:str}": "link",
    "GET /api/v1/events/{slug:str}/audit": "manager",
    "POST /api/v1/events/{slug:str}/clone": "organizer",
    "POST /organizer/events/{slug:str}/clone": "organizer",
    "PUT /api/v1/accounts/{user_id:int}/role": "admin",
    "GET /admin/accounts": "admin",
    "POST /admin/accounts/{user_id:int}/role": "admin",
    # follows and calendars (CONTRACT §5.4); someone else's follow is a 404, as a missing one
    "POST /api/v1/follows": "member",
    "GET /api/v1/me/follows": "member",
    "DELETE /api/v1/follows/{follow_id:int}": "member",
    "GET /me/follows": "member",
    "POST /me/follows": "member",
    "POST /me/follows/{follow_id:int}/delete": "member",
    "GET /follows/unsubscribe/{token:str}": "link",
    "POST /follows/unsubscribe/{token:str}": "link",
    "POST /follows/unsubscribe/{token:str}/resubscribe": "link",
    "GET /events.ics": "public",
    "GET /api/v1/events.ics": "public",
    "GET /calendars/{token:str}": "link",  # the secret address is the key
    "POST /api/v1/me/calendar/reset": "member",
    "POST /me/calendar/reset": "member",
    # the forum report, its materials and recordings (CONTRACT §5.5)
    "PUT /api/v1/events/{slug:str}/report": "manager",
    "GET /api/v1/events/{slug:str}/report": "public",  # once published; before, its managers only
    "POST /api/v1/events/{slug:str}/materials": "manager",
    "GET /api/v1/events/{slug:str}/materials": "public",  # registrants-only ones for registrants
    "DELETE /api/v1/events/{slug:str}/materials/{material_id:int}": "manager",
    "POST /api/v1/events/{slug:str}/recordings": "manager",
    "GET /materials/{token:str}": "public",  # a registrants-only file: 404 to others
    "GET /events/{slug:str}/report": "public",
    "GET /reports": "public",
    "GET /organizer/events/{slug:str}/report": "manager",
    "POST /organizer/events/{slug:str}/report": "manager",
    "POST /organizer/events/{slug:str}/report/materials": "manager",
    "POST /organizer/events/{slug:str}/report/recordings": "manager",
    "POST /organizer/events/{slug:str}/report/materials/{material_id:int}/delete": "manager",
    "GET /api/v1/events/{slug:str}/report/chat": "manager",
    "POST /api/v1/events/{slug:str}/report/quotes": "manager",
    "DELETE /api/v1/events/{slug:str}/report/quotes/{quote_id:int}": "manager",
    "POST /organizer/events/{slug:str}/report/quotes": "manager",
    "POST /organizer/events/{slug:str}/report/quotes/{quote_id:int}/delete": "manager",
    # consents (CONTRACT §5.5): the mailed link opens the page; only its own person may answer
    "GET /consents/{token:str}": "link",
    "POST /consents/{token:str}": "link",
    "POST /api/v1/consents/{token:str}": "member",
    # the case library and the challenge board (CONTRACT §5.5); a challenge's interests, introductions
    # and status: its poster (the world's organizer), its organisation's admins (none here) and organizers
    "GET /api/v1/cases": "public",
    "POST /api/v1/cases": "organizer",
    "GET /api/v1/cases.atom": "public",
    "GET /api/v1/cases/{case_id:int}": "public",
    "PATCH /api/v1/cases/{case_id:int}": "organizer",
    "DELETE /api/v1/cases/{case_id:int}": "organizer",
    "GET /cases": "public",
    "GET /cases.atom": "public",
    "GET /cases/{case_id:int}": "public",
    "GET /organizer/cases/new": "organizer",
    "POST /organizer/cases/new": "organizer",
    "GET /organizer/cases/{case_id:int}/edit": "organizer",
    "POST /organizer/cases/{case_id:int}/edit": "organizer",
    "POST /organizer/cases/{case_id:int}/delete": "organizer",
    "GET /api/v1/challenges": "public",
    "POST /api/v1/challenges": "member",  # then organizers and the organisation's admins only (403)
    "GET /api/v1/challenges/{challenge_id:int}": "public",
    "POST /api/v1/challenges/{challenge_id:int}/interest": "member",
    "GET /api/v1/challenges/{challenge_id:int}/interests": "organizer",
    "POST /api/v1/challenges/{challenge_id:int}/interests/{interest_id:int}/introduce": "organizer",
    "POST /api/v1/challenges/{challenge_id:int}/status": "organizer",
    "GET /challenges": "public",
    "GET /challenges/new": "member",
    "POST /challenges/new": "member",
    "GET /challenges/{challenge_id:int}": "public",
    "POST /challenges/{challenge_id:int}/interest": "member",
    "GET /challenges/{challenge_id:int}/interests": "organizer",
    "POST /challenges/{challenge_id:int}/interests/{interest_id:int}/introduce": "organizer",
    "POST /challenges/{challenge_id:int}/status": "organizer",
    "GET /dev/mailbox": "dev",
    "GET /dev/mailbox/{mail_id:int}": "dev",
}
NOT_WALKED = ("/schema", "/static/")  # the OpenAPI document and files: public, outside the table

ALLOWED = {
    "public": set(ROLES),
    "link": set(ROLES),
    "member": {"participant", "registrant", "other_registrant", "cohost", "organizer"},
    "registrant": {"registrant", "cohost", "organizer"},
    "seat": {"registrant"},
    "own": {"registrant", "organizer"},  # the person it is about (the world's registrant), and organizers
    "manager": {"cohost", "organizer"},
    "organizer": {"organizer"},
    "admin": set(),
    "dev": set(),
}


class World(msgspec.Struct):
    ids: dict[str, object]
    users: dict[str, int | None]


async def build_world() -> World:
    """Forum A with its confirmed registrant, forum B with another, a participant, an organizer,
    a room with a line, a campaign, a connection request and the links mail would carry."""
    organizer, _ = await accounts.make_organizer("table-organizer@example.jp", "table-organizer-pw", "主催 花子")
    slug_a = await events.create_event(msgspec.convert(forum(title="フォーラムA"), EventIn), organizer.id)
    slug_b = await events.create_event(msgspec.convert(forum(title="フォーラムB"), EventIn), organizer.id)
    event_a, event_b = await events.event_row(slug_a), await events.event_row(slug_b)
    participant, registrant, other, cohost = await make_accounts(4)
    await cohosts.add(event_a["id"], cohost, organizer.id)
    reg, _ = await registration.register(event_a, registrant, RegistrationIn(), [])
    await registration.register(event_b, other, RegistrationIn(), [])
    await coordinators.save_profile(registrant, ProfileIn(name="宮城 美咲", prefecture="宮城県", visibility="public"))
    room = await rooms.create_room(event_a["id"], RoomIn(name="宮城の部屋"))
    author = await accounts.get_user(registrant)
    message, _ = await rooms.post_message(room.id, author, "こんにちは", None)
    campaign = await campaigns.create_campaign(event_a, CampaignIn(subject="お礼", body="ありがとう"), organizer.id)
    request = await connections.request_connection(participant, registrant)
    organization = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    proposal = await OrganizationProposal.insert(
        OrganizationProposal(name="石巻の新しい会", normalized="石巻の新しい会")
    ).returning(OrganizationProposal.id)
    mail = await OutboxMail.select(OutboxMail.id).first()
    await events.ensure_series("migiude-2021", "右腕人材育成プログラム")
    await series.update_series("migiude-2021", SeriesPatch(enrolment=EnrolmentRule(capacity=30, mode="approval")))
    applied, _ = await enrolment.enrol(await enrolment.open_series("migiude-2021"), participant)
    programme = await series.series_row("migiude-2021")
    await Alumnus.insert(Alumnus(account=registrant, series=programme["id"], year=2021, source="completed"))
    followed, _ = await account_follows.add(registrant, "prefecture", "宮城県")
    poster = await accounts.get_user(organizer.id)
    case = await cases.create_case(
        CaseIn(title="事例", summary="", body="", kind="other", organizations=[organization]), poster
    )
    challenge = await challenges.post_challenge(
        ChallengeIn(title="余白", body="", organization=organization, kind="project", prefecture="宮城県"), poster
    )
    interest = await challenges.say_interested(challenge.id, await accounts.get_user(participant), InterestIn())
    survey = SurveyIn(questions=[SurveyQuestion(id="satisfaction", label="満足度", kind="scale")], open=True)
    await surveys.save_survey(event_a, survey)
    await surveys.respond(event_a, author, ResponseIn(answers={"satisfaction": 4}))
    boss = await accounts.get_user(organizer.id)
    await reports.save_report(event_a, boss, ReportIn(body="## 当日の様子", published=True))
    recording = await reports.add_recording(event_a, boss, RecordingIn(url="https://video.example/1", title="録画"))
    material_token = await public_file(event_a, boss)
    (quoted,) = await quotes.quote(event_a, quotes.QuotesIn(message_ids=[await line_row(room.id, message.id)]))
    return World(
        ids={
            "slug": slug_a,
            "reg_id": reg["id"],
            "enrolment_id": applied["id"],
            "user_id": registrant,
            "organization_id": organization,
            "proposal_id": proposal[0]["id"],
            "request_id": request.id,
            "room_id": room.id,
            "message_id": message.id,
            "campaign_id": campaign.id,
            "mail_id": mail["id"],
            "follow_id": followed.id,
            "material_id": recording.id,
            "material_token": material_token,
            "quote_id": quoted.id,
            "case_id": case.id,
            "challenge_id": challenge.id,
            "interest_id": interest.id,
            "token": None,  # per route, below
        },
        users={
            "anonymous": None,
            "participant": participant,
            "registrant": registrant,
            "other_registrant": other,
            "cohost": cohost,
            "organizer": organizer.id,
        },
    )


@pytest.fixture(scope="module")
def prepared_world(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Prepared, World]:
    """The world, built once for the whole walk (building it for each of ~270 cases took 90 s)."""
    return prepare(migrated_database, tmp_path_factory.mktemp("world"), build_world)


@pytest.fixture
def database_url(prepared_world: tuple[Prepared, World], tmp_path) -> str:
    """Each case starts from its own copy of the world: a case that changes it changes only its copy."""
    return prepared_world[0].copy(tmp_path)


@pytest.fixture
def world(prepared_world: tuple[Prepared, World]) -> World:
    return prepared_world[1]


async def public_file(event: dict, boss) -> str:
    """A public PDF's row on forum A; its file is put where each test's app looks (`fill`)."""
    from meetup.reports.tables import Material

    token = "world-material-token-0123456789"
    await Material.insert(
        Material(
            event=event["id"], token=token, title="資料", content_type="application/pdf", size=5, created_by=boss.id
        )
    )
    return token


def _store_world_file(token: str) -> None:
    from pathlib import Path

    from meetup import settings as app_settings

    path = Path(app_settings.current().var_dir) / "uploads" / "materials" / token
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-")


def fill(path: str, world: World) -> str:
    ids = dict(world.ids)
    if path.startswith(("/series/", "/organizer/series/", "/api/v1/series/")):
        ids["slug"] = "migiude-2021"
    if path.startswith("/materials/") and "material_token" in ids:
        ids["token"] = ids["material_token"]
        _store_world_file(ids["token"])
    elif path.startswith("/unsubscribe/"):
        ids["token"] = preferences.unsubscribe_token(world.users["registrant"])
    elif path.startswith("/follows/unsubscribe/"):
        ids["token"] = follows.unsubscribe_url(world.users["registrant"]).rpartition("/")[2]
    elif path.startswith("/calendars/"):
        ids["token"] = calendar_feed.token_for(world.users["registrant"], 0) + ".ics"
    elif "stay-in-touch" in path:
        ids["token"] = stay_token(world.users["participant"], world.users["registrant"], 1)
    else:
        ids["token"] = "not-a-real-token"
    if "/cohosts/" in path and "cohost" in world.users:  # removing a co-host: the one forum A has
        ids["user_id"] = world.users["cohost"]
    for name, value in ids.items():
        for kind in ("str", "int"):
            path = path.replace("{" + f"{name}:{kind}" + "}", str(value))
    return path


def denied(status: int, location: str) -> bool:
    return status in (401, 403) or (status in (302, 303) and location.startswith("/login"))


def app_routes(app) -> set[str]:
    found = set()
    for route in app.routes:
        if route.path.startswith(NOT_WALKED):
            continue
        methods = getattr(route, "methods", None)
        if route.__class__.__name__ == "WebSocketRoute":
            found.add(f"WS {route.path}")
            continue
        for method in methods or ():
            if method not in ("OPTIONS", "HEAD"):
                found.add(f"{method} {route.path}")
    return found


def test_every_route_has_a_rule(settings):
    assert app_routes(create_app(msgspec.structs.replace(settings, env="dev"))) == set(TABLE)  # dev has the most


@pytest.mark.parametrize("route", sorted(k for k in TABLE if not k.startswith("WS ")))
async def test_who_may_use_each_route(route, world, client, make_client):
    method, path = route.split(" ", 1)
    url = fill(path, world)
    rule = TABLE[route]
    for role in ROLES:
        uid = world.users[role]
        person = await signed_in(make_client, uid) if uid is not None else await make_client()
        response = await person.request(
            method,
            url,
            json={} if path.startswith("/api/") and method in ("POST", "PUT", "PATCH") else None,
            data={} if not path.startswith("/api/") and method == "POST" else None,
        )
        status, location = response.status_code, response.headers.get("location", "")
        assert status < 500, f"{route} as {role}: {status} {response.text[:300]}"
        if role in ALLOWED[rule]:
            assert not denied(status, location), f"{route} as {role} ({rule}): {status} {location}"
            # a member's own objects (a request sent to someone else) and signed links may be a 404
            if rule not in ("member", "link"):
                assert status != 404, f"{route} as {role} ({rule}): 404"
        else:
            # refused: 401/403, the login page, a 404 that reveals nothing, or (the ticket of someone
            # who holds no seat) back to the forum page
            refused = denied(status, location) or status == 404 or location == f"/events/{world.ids['slug']}"
            assert refused, f"{route} as {role} ({rule}): {status} {location}"


async def test_who_may_join_a_room_over_the_websocket(world, live):  # noqa: F811 (the fixture)
    store = live.app.stores.get("sessions")
    for role in ROLES:
        headers = {}
        if world.users[role] is not None:
            await store.set(f"s-{role}", msgspec.json.encode({"uid": world.users[role]}), expires_in=600)
            headers["Cookie"] = f"session=s-{role}"
        url = f"{live.ws_url}/ws/rooms/{world.ids['room_id']}"
        async with websockets.connect(url, additional_headers=headers, origin=live.origin) as ws:
            try:
                first = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            except websockets.ConnectionClosed as closed:
                first = {"closed": closed.rcvd.code}
        if role in ALLOWED["registrant"]:
            assert first.get("type") == "hello", (role, first)
        else:
            assert first == {"closed": 4401 if role == "anonymous" else 4403}, (role, first)


# RFC 8058 one-click (campaigns, and the follows mail): mailbox providers send no token
CSRF_EXEMPT = {"POST /unsubscribe/{token:str}", "POST /follows/unsubscribe/{token:str}"}


@pytest.mark.parametrize(
    "route",
    sorted(k for k in TABLE if k.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE") and k not in CSRF_EXEMPT),
)
async def test_every_unsafe_request_without_the_csrf_token_is_refused(route, world, client, make_client):
    method, path = route.split(" ", 1)
    organizer = await signed_in(make_client, world.users["organizer"])
    del organizer.headers["x-csrftoken"]  # signed in as the most powerful person, but no token
    before = await OutboxMail.count()
    response = await organizer.request(
        method,
        fill(path, world),
        json={} if path.startswith("/api/") and method in ("POST", "PUT", "PATCH") else None,
        data={} if not path.startswith("/api/") and method == "POST" else None,
    )
    assert response.status_code == 403, f"{route}: {response.status_code}"
    assert await OutboxMail.count() == before  # nothing happened


@pytest.mark.parametrize("attempt", [1, 2])
async def test_a_case_that_changes_the_world_changes_only_its_copy(attempt, world, client):
    """Both attempts find the world as built, whichever ran first and added a person to it."""
    from meetup.accounts.tables import Account

    assert await Account.count() == len([uid for uid in world.users.values() if uid is not None])
    await make_accounts(1)
    assert await Account.count() == len(world.users)


def readme_table() -> str:
    """The README's "Who may do what" table, written from TABLE (`python -m tests.site.test_who_may_do_what`)."""
    columns = ("anonymous", "participant", "registrant", "other_registrant", "cohost", "organizer")
    shown = {"dev": "✓ (dev only)"}
    lines = [
        f"<details><summary>The table ({len(TABLE)} routes)</summary>",
        "",
        "| route | rule | anonymous | participant | registrant of the forum | registrant of another forum "
        "| co-host of the forum | organizer |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for route, rule in TABLE.items():
        name = re.sub(r"\{(\w+):\w+\}", r"{\1}", route)
        cells = [
            shown[rule] if rule in shown and who == "organizer" else "✓" if who in ALLOWED[rule] else "✗"
            for who in columns
        ]
        its_admins = (
            rule == "organizer"
            and "{organization_id" in route
            and (not route.startswith("GET /api") or route.endswith("/invitations"))
        )
        label = (
            "organizer (and its admins)" if its_admins and route != "GET /organizations/{organization_id:int}" else rule
        )
        lines.append(f"| `{name}` | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
