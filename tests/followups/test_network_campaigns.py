"""Campaigns to the whole network (§5.4): the audience is everyone matching any criterion, each
person once, follow-up unsubscribes respected; the count is shown before sending; the mail is
written by the worker and sent once, with the same preview, test and progress as forum campaigns."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import msgspec

from meetup.accounts import mail_preferences
from meetup.coordinators import organizations
from meetup.coordinators.schemas import OrganizationIn
from meetup.db import utcnow
from meetup.events.tables import Event
from meetup.followups.tables import Campaign
from meetup.i18n import TOKYO
from meetup.mail.tables import OutboxMail
from meetup.mail.worker import MailWorker
from tests.factories import make_accounts, organizer, sign_up
from tests.followups.factories import address_of, forum_with_audience, profile, rename

BODY = "{{ name }} さんへ。次のフォーラムのご案内です。\n\n配信停止: {{ unsubscribe_url }}"


async def in_the_past(event: dict, starts: datetime) -> None:
    await Event.update({Event.starts_at: starts, Event.ends_at: starts + timedelta(hours=2)}).where(
        Event.id == event["id"]
    )


async def network(client, audience: dict, **overrides):
    payload = {"subject": "{{ name }} さん、東北の次の集まりへ", "body": BODY, "audience": audience} | overrides
    return await client.post("/api/v1/campaigns", json=payload)


class World:
    """A past forum (one checked in, one in a room, one no-show) and people with profiles."""

    async def build(self) -> World:
        self.forum = await forum_with_audience()
        await in_the_past(self.forum.event, datetime(2021, 3, 1, 13, 0, tzinfo=TOKYO))
        self.org = (await organizations.create_organization(
            msgspec.convert({"name": "みやぎ連携機構", "kind": "gateway", "prefecture": "宮城県"}, OrganizationIn)
        )).id  # fmt: skip
        ids = await make_accounts(5, prefix="person")
        self.iwate, self.member, self.dx, self.elsewhere, self.unsubscribed = ids
        await profile(self.iwate, "岩手 一郎", [], prefecture="岩手県")
        await profile(self.member, "宮城 花子", [], organization="みやぎ連携機構")
        await profile(self.dx, "山形 次郎", ["DX"], prefecture="山形県")
        await profile(self.elsewhere, "福島 三郎", ["観光"], prefecture="福島県")
        await profile(self.unsubscribed, "秋田 四郎", ["DX"], prefecture="岩手県")
        await mail_preferences.set_followups(self.unsubscribed, False, "preferences")
        # the checked-in attendee also lives in Iwate: two criteria, one mail
        await profile(self.forum.checked_in, "青森 五郎", [], prefecture="岩手県")
        return self

    @property
    def everyone_chosen(self) -> dict:
        return {
            "attended_since": "2021-03-01",
            "organizations": [self.org],
            "prefectures": ["岩手県"],
            "themes": ["DX"],
        }

    @property
    def expected(self) -> list[int]:
        return sorted([self.forum.checked_in, self.forum.in_room, self.iwate, self.member, self.dx])


async def test_everyone_matching_any_criterion_is_reached_once_without_the_unsubscribed(client):
    await organizer(client)
    world = await World().build()
    response = await network(client, world.everyone_chosen)
    assert response.status_code == 201, response.text
    assert response.json()["recipient_count"] == len(world.expected)
    from meetup.followups import campaigns

    people = await campaigns.recipients_of(response.json()["id"])
    assert sorted(p.id for p in people) == world.expected
    shown = (await client.get(f"/api/v1/campaigns/{response.json()['id']}")).json()
    assert shown["event_slug"] is None
    assert shown["audience"]["prefectures"] == ["岩手県"]


async def test_coming_is_counted_by_the_day_in_japan_and_registering_is_not_coming(client):
    await organizer(client)
    world = await World().build()
    came = sorted([world.forum.checked_in, world.forum.in_room])
    on_the_day = await network(client, {"attended_since": "2021-03-01"})
    assert on_the_day.json()["recipient_count"] == len(came)  # the no-show and the waitlist are not in it
    day_after = await network(client, {"attended_since": "2021-03-02"})
    assert day_after.json()["recipient_count"] == 0
    # a forum that has not begun yet has no one who came
    await in_the_past(world.forum.event, utcnow() + timedelta(days=2))
    assert (await network(client, {"attended_since": "2021-03-01"})).json()["recipient_count"] == 0


async def test_bad_audiences_are_refused_naming_the_field_and_store_nothing(client):
    await organizer(client)
    world = await World().build()
    cases = [
        ({}, "audience"),
        ({"prefectures": ["東北県"]}, "prefectures"),
        ({"organizations": [world.org + 1000]}, "audience.organizations"),
        ({"attended_since": "2021-13-40"}, "attended_since"),
        ({"themes": ["   "]}, "themes"),
        (["confirmed"], "audience"),  # a forum campaign's audience
        ({"everyone": True}, "everyone"),
    ]
    for audience, field in cases:
        response = await network(client, audience)
        assert response.status_code == 400, (audience, response.text)
        assert field in response.text, (audience, response.text)
    forum_words = await network(client, {"prefectures": ["岩手県"]}, body="{{ event_title }} のご案内")
    assert forum_words.status_code == 400 and "event_title" in forum_words.text
    assert await Campaign.count() == 0


async def test_only_organizers_write_to_the_network(client, make_client):
    participant = await make_client()
    await sign_up(participant)
    assert (await network(participant, {"prefectures": ["岩手県"]})).status_code == 403
    anonymous = await make_client()
    assert (await network(anonymous, {"prefectures": ["岩手県"]})).status_code in (401, 403)
    assert (await participant.get("/organizer/campaigns")).status_code in (401, 403)
    assert await Campaign.count() == 0


async def test_a_draft_changes_its_criteria_but_not_into_a_forum_audience(client):
    await organizer(client)
    world = await World().build()
    created = (await network(client, {"prefectures": ["岩手県"]})).json()
    assert created["recipient_count"] == 2  # Iwate's and the checked-in attendee; the unsubscribed is not
    changed = await client.patch(f"/api/v1/campaigns/{created['id']}", json={"audience": {"themes": ["DX"]}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["recipient_count"] == 1
    for patch in ({"audience": ["attended"]}, {"introductions": True}, {"body": "{{ survey_url }}"}):
        refused = await client.patch(f"/api/v1/campaigns/{created['id']}", json=patch)
        assert refused.status_code == 400, (patch, refused.text)
    assert (await client.get(f"/api/v1/campaigns/{created['id']}")).json()["audience"] == {"themes": ["DX"]}
    assert world.dx


async def test_sending_queues_each_person_once_and_the_worker_writes_and_delivers_it(
    client, mail_settings, smtp_server
):
    collector, _ = smtp_server
    await organizer(client)
    world = await World().build()
    await rename(world.iwate, "岩手 <b>一郎</b>")
    created = (await network(client, world.everyone_chosen)).json()

    preview = (await client.get(f"/api/v1/campaigns/{created['id']}/preview")).json()
    assert "さん、東北の次の集まりへ" in preview["subject"]
    assert "/events/" not in preview["text"]  # a network mail names no forum
    tested = await client.post(f"/api/v1/campaigns/{created['id']}/test", json={})
    assert tested.status_code == 202
    await OutboxMail.delete(force=True)  # the test mail: not counted here

    for _ in range(2):  # pressed twice: queued once
        sent = await client.post(f"/api/v1/campaigns/{created['id']}/send")
        assert sent.status_code == 202, sent.text
    assert await OutboxMail.count() == len(world.expected)
    worker = MailWorker(msgspec.structs.replace(mail_settings, mail_rate=0))
    while await worker.run_once():
        pass

    addresses = {await address_of(uid): uid for uid in world.expected}
    received = Counter(rcpt for e in collector.envelopes for rcpt in e.rcpt_tos)
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    iwate = await address_of(world.iwate)
    for envelope, message in zip(collector.envelopes, collector.messages(), strict=True):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].strip().startswith("<http")
        if envelope.rcpt_tos == [iwate]:
            html = message.get_body(("html",)).get_content()
            assert "&lt;b&gt;一郎" in html and "<b>一郎" not in html  # the name stays text
            assert "岩手 <b>一郎</b> さん" in message["Subject"]
    progress = (await client.get(f"/api/v1/campaigns/{created['id']}")).json()
    assert progress["status"] == "sent"
    assert progress["counts"] == {"queued": 0, "sent": len(world.expected), "failed": 0}
    listed = (await client.get("/api/v1/campaigns")).json()
    assert [c["id"] for c in listed] == [created["id"]]


async def test_the_organizer_counts_saves_previews_and_sends_from_the_page(client):
    await organizer(client)
    world = await World().build()
    page = await client.get("/organizer/campaigns")
    assert page.status_code == 200 and "みやぎ連携機構" in page.text
    form = {"subject": "次の集まり", "body": "ご案内です。", "prefectures": ["岩手県"], "themes": ["DX"]}
    counted = await client.post("/organizer/campaigns", data=form | {"action": "count"})
    assert counted.status_code == 200
    assert "3" in counted.text.split("data-recipient-count")[1][:80]
    assert await Campaign.count() == 0  # counting stores nothing
    refused = await client.post("/organizer/campaigns", data={"subject": "x", "body": "y", "action": "create"})
    assert refused.status_code == 400 and await Campaign.count() == 0
    saved = await client.post("/organizer/campaigns", data=form | {"action": "create"}, follow_redirects=False)
    assert saved.status_code == 303
    draft = await client.get(saved.headers["location"])
    assert draft.status_code == 200 and "/organizer/campaigns" in draft.text
    campaign_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    changed = await client.post(
        f"/organizer/campaigns/{campaign_id}", data={"subject": "次の集まり", "body": "ご案内です。", "themes": ["DX"]},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    assert (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()["recipient_count"] == 1
    sent = await client.post(f"/organizer/campaigns/{campaign_id}/send", follow_redirects=False)
    assert sent.status_code == 303
    assert await OutboxMail.count().where(OutboxMail.campaign_id == campaign_id) == 1
    assert world.dx


async def test_alumni_of_a_programme_are_reached_across_cohorts(client):
    from meetup.events import series
    from meetup.events.schemas import SeriesIn
    from meetup.events.tables import Alumnus, Series

    await organizer(client)
    await series.create_series(SeriesIn(title="地域イノベーションプロデューサー塾", slug="rips"))
    rips = (await Series.select(Series.id).where(Series.slug == "rips").first())["id"]
    cohort_2019, cohort_2020, outsider = await make_accounts(3, prefix="alumnus")
    await Alumnus.insert(
        Alumnus(account=cohort_2019, series=rips, year=2019, source="imported"),
        Alumnus(account=cohort_2020, series=rips, year=2020, source="completed"),
    )
    created = await network(client, {"alumni_of": ["rips"]})
    assert created.status_code == 201, created.text
    assert created.json()["recipient_count"] == 2
    from meetup.followups import campaigns

    people = await campaigns.recipients_of(created.json()["id"])
    assert sorted(p.id for p in people) == sorted([cohort_2019, cohort_2020]) and outsider not in [p.id for p in people]
    unknown = await network(client, {"alumni_of": ["no-such-programme"]})
    assert unknown.status_code == 400 and "audience.alumni_of" in unknown.text
    page = await client.get("/organizer/campaigns")
    assert "地域イノベーションプロデューサー塾" in page.text


async def test_followers_of_what_is_named_are_reached(client):
    from meetup.followups import campaigns, follows
    from meetup.followups.schemas import FollowIn

    await organizer(client)
    iwate_fan, dx_fan, bystander = await make_accounts(3, prefix="fan")
    await follows.follow(iwate_fan, FollowIn(prefecture="岩手県"))
    await follows.follow(dx_fan, FollowIn(theme="DX"))
    created = await network(client, {"followers_of": [{"prefecture": "岩手県"}, {"theme": "DX"}]})
    assert created.status_code == 201, created.text
    people = await campaigns.recipients_of(created.json()["id"])
    assert sorted(p.id for p in people) == sorted([iwate_fan, dx_fan]) and bystander not in [p.id for p in people]
    unknown = await network(client, {"followers_of": [{"series": "no-such-series"}]})
    assert unknown.status_code == 400 and "audience.followers_of[0].series" in unknown.text
    both = await network(client, {"followers_of": [{"prefecture": "岩手県", "theme": "DX"}]})
    assert both.status_code == 400
    # the page's checkbox: the followers of the prefecture chosen, as well as its people
    counted = await client.post(
        "/organizer/campaigns",
        data={"subject": "s", "body": "b", "prefectures": ["岩手県"], "their_followers": "on", "action": "count"},
    )
    assert counted.status_code == 200 and "1" in counted.text.split("data-recipient-count")[1][:60]
