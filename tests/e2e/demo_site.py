"""The demo data (`meetup/demo.py`) with one breakout room, and the pages a visitor, a participant
and an organizer open on it: what the whole-site browser checks walk through."""

from __future__ import annotations

import re
from dataclasses import dataclass

from meetup import demo
from meetup.accounts import service as accounts
from meetup.cases import challenges
from meetup.cases import service as cases
from meetup.coordinators import organization_invitations, organizations
from meetup.events import cohosts
from meetup.events import service as events
from meetup.followups import campaigns
from meetup.mail.tables import OutboxMail
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn

FORUM = "coordinator-forum-next"  # upcoming, sample participants confirmed, a draft campaign
PARTICIPANT = demo.SAMPLE_PARTICIPANTS[2][0]  # 宮城 美咲（サンプル）


@dataclass
class DemoSite:
    visitor: dict[str, str]  # what each page is called in a failure → its path
    participant: dict[str, str]
    organizer: dict[str, str]
    admin: dict[str, str]  # demo.DEMO_ADMIN's pages
    cohost: dict[str, str]  # demo.DEMO_COHOST's person's pages (signs in with demo.DEMO_PASSWORD)


async def demo_site() -> DemoSite:
    await demo.load_demo()
    forum = await events.event_row(FORUM)
    room = await rooms.create_room(forum["id"], RoomIn(name="関係人口の部屋", topic="移住と関わりしろ"))
    miyagi = await accounts.find_user_by_email(PARTICIPANT)
    organization = (await organizations.list_organizations())[0]
    campaign = (await campaigns.campaigns_of(forum["id"]))[0]
    invitation = (await campaigns.campaigns_of(None))[0]
    # the participant is invited to co-host another forum: the page the mailed link opens
    organizer = await accounts.find_user_by_email(demo.DEMO_ORGANIZER[0])
    other = await events.event_row("kankei-jinko-ishinomaki")
    await cohosts.invite(other, PARTICIPANT, organizer, "http://testserver.local")
    mail = (
        await OutboxMail.select(OutboxMail.body_text)
        .where(OutboxMail.to_addr == PARTICIPANT)
        .order_by(OutboxMail.id, ascending=False)
        .first()
    )
    [case, *_more] = await cases.list_cases(q="インターン")
    [challenge] = [c for c in await challenges.list_challenges() if c.interest_count]
    token = re.search(r"/cohosts/accept/([A-Za-z0-9_-]{43})", mail["body_text"]).group(1)
    # and to join another organisation as a colleague: the page that mail's link opens
    elsewhere = next(o for o in await organizations.list_organizations() if o.name == "ISHINOMAKI2.0")
    await organization_invitations.invite(elsewhere.id, [PARTICIPANT], False, organizer, "http://testserver.local")
    mail = (
        await OutboxMail.select(OutboxMail.body_text)
        .where(OutboxMail.to_addr == PARTICIPANT)
        .order_by(OutboxMail.id, ascending=False)
        .first()
    )
    joining = re.search(r"/organizations/invitations/([A-Za-z0-9_-]{43})", mail["body_text"]).group(1)
    return DemoSite(
        visitor={
            "home": "/",
            "forums": "/events",
            "a forum": f"/events/{FORUM}",
            "a series": f"/series/{demo.MIGITE}",
            "coordinators": "/coordinators",
            "a profile": f"/coordinators/{miyagi.id}",
            "an organisation": f"/organizations/{organization.id}",
            "organisations": "/organizations?q=miyagi&kind=gateway",
            "forums in a prefecture": "/events?prefecture=宮城県",
            "network": "/network",
            "the directory's programme filter": f"/coordinators?alumni={demo.MIGITE}",
            "an alumni-only forum": f"/events/{demo.RIPS_OB_FORUM}",
            "login": "/login",
            "signup": "/signup",
            "a forum report": "/events/coordinator-forum-2021/report",
            "forum reports": "/reports",
            "case library": "/cases?kind=external_talent",
            "a case": f"/cases/{case.id}",
            "challenge board": "/challenges?prefecture=宮城県",
            "a challenge": f"/challenges/{challenge.id}",
        },
        participant={
            "my registrations": "/me/registrations",
            "my ticket": f"/events/{FORUM}/ticket",
            "a room": f"/rooms/{room.id}",
            "a programme I am enrolled in": f"/series/{demo.MIGITE}",
            "my certificate of completion": f"/series/{demo.MIGITE}/certificates/{miyagi.id}",
            "a programme's alumni": f"/series/{demo.RIPS}/alumni",
            "what I follow": "/me/follows",
            "my account and calendar": "/me",
            "a co-host invitation": f"/cohosts/accept/{token}",
            "who is interested in my challenge": f"/challenges/{challenge.id}/interests",
            "an invitation to join an organisation": f"/organizations/invitations/{joining}",
        },
        organizer={
            "manage a forum": f"/organizer/events/{FORUM}",
            "check-in desk": f"/organizer/events/{FORUM}/check-in",
            "rooms console": f"/organizer/events/{FORUM}/rooms",
            "a campaign": f"/organizer/campaigns/{campaign.id}",
            "mail to the network": "/organizer/campaigns",
            "a network-wide invitation": f"/organizer/campaigns/{invitation.id}",
            "a programme's cohort": f"/organizer/series/{demo.MIGITE}",
            "a programme's completion": f"/organizer/series/{demo.MIGITE}/completion",
            "graduates import": f"/organizer/series/{demo.RIPS}/alumni-import",
            "series and a new programme": "/organizer/series",
            "an organisation's form": f"/organizations/{organization.id}/edit",
            "a new organisation": "/organizer/organizations/new",
            "organisation import": "/organizer/organizations/import",
            "write a forum report": "/organizer/events/coordinator-forum-2021/report",
            "a case form": f"/organizer/cases/new?challenge={challenge.id}",
            "proposed organisations": "/organizer/organizations/proposals",
        },
        admin={"roles": "/admin/accounts"},
        cohost={"a forum I co-host": f"/organizer/events/{demo.DEMO_COHOST[1]}"},
    )


async def sign_in(context, base_url: str, email: str, password: str) -> None:
    """Through the real login page, in this browser context."""
    page = await context.new_page()
    await page.goto(f"{base_url}/login")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード", exact=True).fill(password)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(f"{base_url}/")
    await page.close()
