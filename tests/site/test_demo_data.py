"""The demo data comes from the source document and is safe to load twice."""

import subprocess
import sys

from meetup import ROOT, demo
from meetup.accounts import service as accounts
from meetup.coordinators import organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.prefectures import TOHOKU
from meetup.events import audit, cohosts, enrolment
from meetup.events import service as events


async def test_demo_data_loads_twice_without_duplicates(database):
    await demo.load_demo()
    again = await demo.load_demo()
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
    assert await accounts.count_accounts() == 2 + len(demo.SAMPLE_COORDINATORS)  # the organizer and the admin


async def test_the_2021_programme_has_a_sample_cohort_with_attendance(database):
    await demo.load_demo()
    await demo.load_migite_enrolment()  # again: nothing doubles
    programme = await enrolment.open_series(demo.MIGITE)
    cohort = await enrolment.cohort(programme)
    assert [row.status for row in cohort] == ["confirmed"] * len(demo.MIGITE_COHORT)
    sessions = [f"{demo.MIGITE}-{n}" for n in range(1, 8)]
    for missed, row in enumerate(cohort, start=2):
        assert row.attended == [slug for slug in sessions if slug != f"{demo.MIGITE}-{missed}"]
    assert programme["confirmed_count"] == len(demo.MIGITE_COHORT) and programme["enrol_capacity"] == 20


async def test_sample_accounts_are_marked_and_the_organizer_can_log_in(database):
    await demo.load_demo()
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
    await demo.load_demo()
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


def test_seed_command_prints_the_organizer_login(database_url, tmp_path):
    env = {"MEETUP_DATABASE_URL": database_url, "MEETUP_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run(
        [sys.executable, "main.py", "seed", "--if-empty"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    assert "organizer@example.jp" in first.stdout
    assert "admin@example.jp" in first.stdout
    second = subprocess.run(
        [sys.executable, "main.py", "seed", "--if-empty"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "left as it is" in second.stdout


async def test_demo_forums_hold_the_real_2021_programme_and_upcoming_forums(database):
    from meetup.events import service as events

    await demo.load_demo()
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

    await demo.load_demo()
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

    await demo.load_demo()
    found = {s.slug: s for s in await series.list_series()}
    assert found[demo.MIGITE].title.startswith("右腕人材育成プログラム")
    assert found[demo.COORDINATOR_FORUM].title == "東北コーディネーター・フォーラム"
    assert "100名超" in found[demo.COORDINATOR_FORUM].summary
    assert found[demo.COORDINATOR_FORUM].session_count == 2
    forum = await events.get_event("coordinator-forum-2021", None)
    assert forum.series.title == "東北コーディネーター・フォーラム"
    lottery = await events.get_event("kankei-jinko-ishinomaki", None)
    assert lottery.registration_closes_at < lottery.draws_at < lottery.starts_at
