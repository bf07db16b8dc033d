"""The demo data comes from the source document and is safe to load twice.

The demo is loaded once for the module (loading it takes a second or more); each test starts from
its own copy of that database, so a test that loads it again checks that nothing doubles."""

import shutil
from pathlib import Path

import pytest

from meetup import composers, demo
from meetup.accounts import service as accounts
from meetup.coordinators import organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.prefectures import TOHOKU
from meetup.events import audit, cohosts, enrolment
from meetup.events import service as events
from tests.conftest import Prepared, prepare


async def load_demo() -> dict:
    composers.register_all()  # as every process that writes mail does at start-up
    return await demo.load_demo()


@pytest.fixture(scope="module")
def prepared_demo(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Prepared, Path]:
    directory = tmp_path_factory.mktemp("demo")
    return prepare(migrated_database, directory, load_demo)[0], directory / "var"


@pytest.fixture
def database_url(prepared_demo: tuple[Prepared, Path], tmp_path: Path) -> str:
    """A copy of the database the demo was loaded into, and of the files it stored (the report's
    slides) in the test's var/."""
    prepared, var = prepared_demo
    shutil.copytree(var, tmp_path / "var")
    return prepared.copy(tmp_path)


async def test_demo_data_loads_twice_without_duplicates(database):
    again = await demo.load_demo()  # the second time: the first made the module's database
    assert again["participants_created"] == 0
    found = await organizations.list_organizations()
    names = {org.name for org in found}
    assert len(found) == len(demo.GATEWAY_ORGANIZATIONS) + len(demo.NAMED_ORGANIZATIONS)
    assert {"ワカツク", "ISHINOMAKI2.0", "アスヘノキボウ", "ドチャベンジャーズ", "tsumuqu"} <= names
    assert {org.prefecture for org in found} == set(TOHOKU)
    gateways = [org for org in found if org.kind == "gateway"]
    assert len(gateways) == 20
    assert {org.kind for org in found} >= {"gateway", "university", "support", "incubator"}
    wakatsuku = next(org for org in found if org.name == "ワカツク")
    assert [a.display_name for a in await organizations.admins_of(wakatsuku.id)] == ["宮城 美咲（サンプル）"]
    # the organizer, the admin, the sample coordinators, the graduates the RIPS import made
    assert await accounts.count_accounts() == 2 + len(demo.SAMPLE_COORDINATORS) + len(demo.RIPS_NEW_GRADUATES)


async def test_the_2021_programme_has_a_sample_cohort_with_attendance(database):
    await demo.load_migite_enrolment()  # again: nothing doubles
    programme = await enrolment.open_series(demo.MIGITE)
    cohort = await enrolment.cohort(programme)
    assert [row.status for row in cohort] == ["confirmed"] * len(demo.MIGITE_COHORT)
    sessions = [f"{demo.MIGITE}-{n}" for n in range(1, 8)]
    for missed, row in zip(demo.MIGITE_MISSED, cohort, strict=True):
        assert row.attended == [slug for n, slug in enumerate(sessions, start=1) if n not in missed]
    # the first three met the rule (5 sessions, the last included); the fourth missed the 終講式
    assert [row.completed for row in cohort] == [True, True, True, False]
    assert programme["confirmed_count"] == len(demo.MIGITE_COHORT) and programme["enrol_capacity"] == 20


async def test_sample_accounts_are_marked_and_the_organizer_can_log_in(database):
    for email, _name in demo.SAMPLE_PARTICIPANTS:
        user = await accounts.find_user_by_email(email)
        assert "サンプル" in user.display_name
        assert user.email.endswith("@example.jp")
    email, password, _name = demo.DEMO_ORGANIZER
    organizer = await accounts.find_user_by_email(email)
    assert organizer.role == "organizer"
    from meetup.accounts.ratelimit import RateLimiter
    from meetup.accounts.schemas import LoginIn

    logged_in = await accounts.login(LoginIn(email=email, password=password), limiter=RateLimiter(), client="t")
    assert logged_in.id == organizer.id


async def test_the_demo_has_an_admin_and_a_cohost_with_a_log(database):
    await demo.load_demo()  # again: no second co-host, no second line
    email, password, _name = demo.DEMO_ADMIN
    admin = await accounts.find_user_by_email(email)
    assert admin.role == "admin"
    cohost_email, slug = demo.DEMO_COHOST
    person = await accounts.find_user_by_email(cohost_email)
    forum = await events.event_row(slug)
    assert [c.name for c in await cohosts.cohosts_of(forum["id"])] == ["秋田 健（サンプル）"]
    assert person.role == "participant"  # a co-host of one forum, no organizer
    wakatsuku_or_dochabe = {
        a.display_name
        for org in await organizations.list_organizations()
        for a in await organizations.admins_of(org.id)
    }
    assert person.display_name in wakatsuku_or_dochabe  # a gateway organisation's person
    assert await audit.actions_of(forum["id"]) == ["campaign.create", "cohost.invite", "cohost.accept"]


async def test_demo_forums_hold_the_real_2021_programme_and_upcoming_forums(database):
    from meetup.events import service as events

    sessions = await events.list_events(series_slug=demo.MIGITE)
    assert len(sessions) == 7
    first, last = sessions[0], sessions[-1]
    assert (first.starts_at.isoformat(), first.format) == ("2021-01-16T10:30:00+09:00", "in_person")
    assert (last.starts_at.isoformat(), last.ends_at.isoformat()) == (
        "2021-02-14T10:30:00+09:00",
        "2021-02-14T17:00:00+09:00",
    )
    assert sum(1 for s in sessions if s.format == "online") == 4
    forum = await events.get_event("coordinator-forum-2021", None)
    assert forum.starts_at.isoformat() == "2021-03-01T14:00:00+09:00"
    upcoming = await events.upcoming_events()
    assert {e.registration_mode for e in upcoming} == {"first_come", "lottery", "approval"}
    lottery = next(e for e in upcoming if e.registration_mode == "lottery")
    assert (await events.get_event(lottery.slug, None)).pending_count == len(demo.SAMPLE_PARTICIPANTS)


async def test_demo_coordinators_and_the_ties_around_the_2021_forum(database):
    from meetup.coordinators.tables import Tie

    page = await coordinators.directory(None, limit=200)
    assert page.total == len(demo.SAMPLE_COORDINATORS)
    assert all("サンプル" in p.name for p in page.items)
    assert (await coordinators.directory(None, q="ishinomaki")).total == 1
    assert await Tie.count().where(Tie.kind == "forum") == 0  # coming to a forum is attendance
    rooms = await Tie.count().where(Tie.kind == "room")
    assert rooms == sum(len(r) * (len(r) - 1) // 2 for r in demo.DEMO_ROOMS)
    assert await Tie.count().where(Tie.kind == "introduction") == len(demo.DEMO_INTRODUCTIONS)
    total = await Tie.count()
    await demo.load_demo()
    assert await Tie.count() == total


async def test_demo_series_have_their_japanese_titles_and_descriptions(database):
    from meetup.events import series
    from meetup.events import service as events

    found = {s.slug: s for s in await series.list_series()}
    assert found[demo.MIGITE].title.startswith("右腕人材育成プログラム")
    assert found[demo.COORDINATOR_FORUM].title == "東北コーディネーター・フォーラム"
    assert "100名超" in found[demo.COORDINATOR_FORUM].summary
    assert found[demo.COORDINATOR_FORUM].session_count == 2
    forum = await events.get_event("coordinator-forum-2021", None)
    assert forum.series.title == "東北コーディネーター・フォーラム"
    lottery = await events.get_event("kankei-jinko-ishinomaki", None)
    assert lottery.registration_closes_at < lottery.draws_at < lottery.starts_at


async def test_rips_has_two_imported_cohorts_and_an_ob_forum_for_them_only(database):
    from meetup.events import alumni
    from meetup.events import service as events

    await demo.load_rips_alumni()  # again: nothing doubles
    rips = await enrolment.series.series_row(demo.RIPS)
    records = await alumni.alumni_list(rips["id"])
    assert sorted({r["year"] for r in records}) == [2019, 2020]
    assert len(records) == len(demo.RIPS_GRADUATES) + len(demo.RIPS_NEW_GRADUATES)
    assert {r["source"] for r in records} == {"imported"}
    found = await coordinators.directory(None, alumni_of=demo.RIPS)
    assert found.total == len(demo.RIPS_GRADUATES)  # the new graduates have no profile: not shown
    assert all(p.alumni and p.alumni[-1].series == demo.RIPS for p in found.items)
    forum = await events.event_row(demo.RIPS_OB_FORUM)
    assert alumni.audience_slugs(forum) == [demo.RIPS]
    assert await alumni.admits(forum, records[0]["account"])
    organizer = await accounts.find_user_by_email(demo.DEMO_ORGANIZER[0])
    assert not await alumni.admits(forum, organizer.id)


async def test_the_demo_follows_and_their_first_digest(database):
    from meetup.followups import follows
    from meetup.mail import outbox

    await demo.load_follows()  # again: nothing doubles
    misaki = await accounts.find_user_by_email(demo.SAMPLE_PARTICIPANTS[2][0])
    assert [f.kind for f in await follows.my_follows(misaki.id)] == ["series", "organization", "prefecture"]
    assert await follows.queue_follow_mail() == 2  # 宮城 美咲 and the one who follows DX
    [mail] = [m for m in await outbox.recent(to_addr=misaki.email) if "follows." in m.headers.get("List-Id", "")]
    assert "第2回 東北コーディネーター・フォーラム" in mail.body_text  # her series
    assert "石巻" in mail.body_text and "DX推進" in mail.body_text  # 宮城県, and ワカツク's
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert await follows.queue_follow_mail() == 0


async def test_the_2021_forum_has_a_published_report_with_its_slides(database):
    from meetup.reports import service as reports
    from meetup.reports.tables import Material
    from meetup.site import storage

    await demo.load_report_2021((await accounts.find_user_by_email(demo.DEMO_ORGANIZER[0])).id)  # again: no double
    forum = await events.event_row("coordinator-forum-2021")
    report = await reports.report_for(forum, None)
    assert report.published and "100名超" in report.body
    (slides,) = report.materials
    assert slides.content_type == "application/pdf" and slides.visibility == "public"
    assert await Material.count() == 1
    chunks = await storage.current().chunks(reports.storage_key(slides.url.rsplit("/", 1)[1]))
    content = b"".join([chunk async for chunk in chunks])
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")


async def test_the_demo_has_two_cases_from_the_document_and_challenges_one_with_an_interest(database):
    from meetup.cases import challenges
    from meetup.cases import service as cases

    await demo.load_demo()  # again: nothing twice
    found = await cases.list_cases()
    assert len(found) == 2
    internship = next(c for c in found if "インターン" in c.title)
    body = (await cases.get_case(internship.id)).body
    assert "約500社" in body and "約1,000名" in body
    assert any("釜石" in c.title for c in found)
    assert [c.id for c in await cases.list_cases(q="kamaishi")] == [c.id for c in found if "釜石" in c.title]
    board = await challenges.list_challenges()
    assert len(board) == len(demo.DEMO_CHALLENGES)
    assert {c.organization.name for c in board} == {name for name, *_rest in demo.DEMO_CHALLENGES}
    assert sum(c.interest_count for c in board) == 1


async def test_the_demo_has_pending_proposals_one_to_merge_and_a_pending_colleague_invitation(database):
    from meetup.coordinators import organization_invitations, organization_proposals
    from meetup.mail.tables import OutboxMail

    await demo.load_demo()  # again: nothing doubles
    pending = await organization_proposals.list_proposals("pending")
    assert sorted(p.name for p in pending) == sorted(["ワカック", "「新しい東北」官民連携推進協議会"])
    assert all(len(p.proposers) == 1 for p in pending)
    wakatsuku = next(o for o in await organizations.list_organizations() if o.name == "ワカツク")
    organizer = await accounts.find_user_by_email(demo.DEMO_ORGANIZER[0])
    to_merge = next(p for p in pending if p.name == "ワカック")
    merged = await organization_proposals.merge(to_merge.id, wakatsuku.id, organizer.id)
    assert merged.status == "merged"
    assert [o.name for o in await organizations.list_organizations(q="ワカック")] == ["ワカツク"]
    invitations = await organization_invitations.pending(wakatsuku.id, organizer)
    assert [(i.email, i.invited_by) for i in invitations] == [
        (demo.DEMO_COLLEAGUE_INVITATION[1], "宮城 美咲（サンプル）")
    ]
    assert await OutboxMail.count().where(OutboxMail.to_addr == demo.DEMO_COLLEAGUE_INVITATION[1]) == 1
