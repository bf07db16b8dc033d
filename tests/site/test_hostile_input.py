"""Script in every text a person can write, shown on every page that shows it: always as text.

One world where every name, title, description, answer, room, chat line, campaign, survey and
profile field carries markup meant to run; then every HTML page of the app (the GET pages of the access
table) is fetched as the people who see the most (the organizer and the registrant), and none may
contain the markup unescaped or a `javascript:` link."""

from __future__ import annotations

from html.parser import HTMLParser

import msgspec
import pytest

from meetup.accounts.tables import Account
from meetup.coordinators import connections, organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import EventIn, RegistrationIn
from meetup.followups import campaigns
from meetup.followups.schemas import CampaignIn
from meetup.mail.tables import OutboxMail
from meetup.reports import quotes
from meetup.reports import service as reports
from meetup.reports.schemas import RecordingIn, ReportIn
from meetup.rooms import service as rooms
from meetup.rooms.schemas import RoomIn
from meetup.surveys import service as surveys
from meetup.surveys.schemas import ResponseIn, SurveyIn
from tests.factories import forum, make_accounts, signed_in
from tests.reports.factories import line_row
from tests.site.test_who_may_do_what import TABLE, World, fill

SCRIPT = '<script>alert("xss")</script>'
IMAGE = "<img src=x onerror=alert(1)>"
ATTRIBUTE = '"><svg onload=alert(2)>'
HOSTILE = f"{SCRIPT}{IMAGE}{ATTRIBUTE}"
MARKDOWN = f'{HOSTILE}\n\n[見る](javascript:alert(3)) <a href="javascript:alert(4)">x</a>\n\n![](javascript:alert(5))'


class Tags(HTMLParser):
    """The real tags and attributes of a page (escaped text is not a tag)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") and "alert" in value:
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and value.startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value}>")


async def hostile_world() -> World:
    from meetup.accounts import service as accounts

    organizer, _ = await accounts.make_organizer("hostile-organizer@example.jp", "hostile-organizer-pw", "主催")
    await Account.update({Account.display_name: f"主催{HOSTILE}"[:100]}).where(Account.id == organizer.id)
    questions = [
        {"id": "org", "label": f"所属{HOSTILE}"[:200], "kind": "text"},
        {"id": "pick", "label": f"選択{SCRIPT}", "kind": "choice", "options": [f"A{IMAGE}", "B"]},
    ]
    data = forum(
        title=f"フォーラム{SCRIPT}",
        summary=f"概要{HOSTILE}",
        description=MARKDOWN,
        venue=f"会場{ATTRIBUTE}",
        format="hybrid",
        questions=questions,
    )
    slug = await events.create_event(msgspec.convert(data, EventIn), organizer.id)
    event = await events.event_row(slug)
    participant, registrant = await make_accounts(2)
    for uid in (participant, registrant):
        await Account.update({Account.display_name: f"参加者{HOSTILE}"[:100]}).where(Account.id == uid)
    answers = RegistrationIn(answers={"org": f"回答{HOSTILE}", "pick": f"A{IMAGE}"})
    reg, _ = await registration.register(event, registrant, answers, events.questions_of(event))
    profile = ProfileIn(
        name=f"宮城{SCRIPT}"[:100],
        prefecture="宮城県",
        name_kana=f"みやぎ{IMAGE}"[:100],
        organization=f"団体{ATTRIBUTE}",
        municipality=f"石巻{SCRIPT}"[:100],
        themes=[f"テーマ{IMAGE}"[:30]],
        bio=MARKDOWN,
        links=['https://example.jp/"><script>alert(6)</script>'],
        can_help_with=f"手伝える{HOSTILE}",
        looking_for=f"探している{HOSTILE}",
        visibility="public",
    )
    await coordinators.save_profile(registrant, profile)
    room = await rooms.create_room(event["id"], RoomIn(name=f"部屋{SCRIPT}"[:100], topic=f"話題{HOSTILE}"))
    author = await accounts.get_user(registrant)
    message, _ = await rooms.post_message(room.id, author, f"発言{HOSTILE}", None)
    await rooms.record_visit(await rooms.room_row(room.id), registrant)
    campaign = await campaigns.create_campaign(
        event, CampaignIn(subject=f"お礼{SCRIPT}", body=f"{{{{ name }}}} {MARKDOWN}"), organizer.id
    )
    request = await connections.request_connection(participant, registrant)
    organization = await organizations.upsert_organization(
        name=f"ワカツク{SCRIPT}", prefecture="宮城県", summary=f"説明{HOSTILE}"
    )
    await events.ensure_series("migiude-2021", f"右腕{SCRIPT}")
    survey = [
        {"id": "s", "label": f"満足度{HOSTILE}"[:200], "kind": "scale"},
        {"id": "c", "label": f"形式{SCRIPT}", "kind": "choice", "options": [f"A{IMAGE}", "B"]},
        {"id": "t", "label": f"感想{ATTRIBUTE}", "kind": "text"},
        {"id": "p", "label": f"人{SCRIPT}", "kind": "people"},
    ]
    await surveys.save_survey(event, msgspec.convert({"questions": survey, "open": True}, SurveyIn))
    await surveys.respond(event, author, ResponseIn(answers={"s": 3, "c": f"A{IMAGE}", "t": f"感想{MARKDOWN}"}))
    boss = await accounts.get_user(organizer.id)
    await reports.save_report(event, boss, ReportIn(body=f"レポート{MARKDOWN}", published=True))
    recording = await reports.add_recording(
        event, boss, RecordingIn(url="https://video.example/1?a=<b>", title=f"録画{HOSTILE}"[:200])
    )
    await quotes.quote(event, quotes.QuotesIn(message_ids=[await line_row(room.id, message.id)]))
    mail = await OutboxMail.select(OutboxMail.id).first()
    return World(
        ids={
            "slug": slug,
            "reg_id": reg["id"],
            "user_id": registrant,
            "organization_id": organization,
            "request_id": request.id,
            "room_id": room.id,
            "message_id": message.id,
            "campaign_id": campaign.id,
            "mail_id": mail["id"],
            "material_id": recording.id,
            "token": None,
        },
        users={"participant": participant, "registrant": registrant, "organizer": organizer.id},
    )


PAGES = sorted(
    route.split(" ", 1)[1]
    for route in TABLE
    if route.startswith("GET ") and not route.startswith("GET /api/") and route != "GET /healthz"
)


def assert_harmless(html: str, where: str) -> None:
    for markup in (SCRIPT, IMAGE, "<svg onload", "<script>alert(6)"):
        assert markup not in html, f"{where}: {markup!r} reached the page unescaped"
    tags = Tags()
    tags.feed(html)
    assert tags.problems == [], f"{where}: {tags.problems}"


@pytest.mark.parametrize("who", ["organizer", "registrant", "participant"])
async def test_every_page_shows_what_people_wrote_as_text(make_client, who):
    world = await hostile_world()
    person = await signed_in(make_client, world.users[who])
    checked = 0
    for path in PAGES:
        url = fill(path, world)
        if path == "/series/{slug:str}":
            url = "/series/migiude-2021"
        response = await person.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if "text/html" in response.headers.get("content-type", ""):
            assert_harmless(response.text, f"{url} as {who}")
            checked += 1
    network = await person.get("/network")
    assert_harmless(network.text, "/network")
    assert checked >= 25
    # the campaign's HTML part as the organizer previews it (only organizers may)
    boss = person if who == "organizer" else await signed_in(make_client, world.users["organizer"])
    preview = await boss.get(f"/api/v1/campaigns/{world.ids['campaign_id']}/preview")
    assert preview.status_code == 200, preview.text
    html = preview.json()["html"]
    assert "&lt;script&gt;" in html  # what was written is in the mail, as text
    assert_harmless(html, "campaign preview")
