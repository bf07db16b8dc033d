"""The survey pages: a participant answers with the form (no JavaScript needed) and changes the
answers; the organizer builds the survey with the form's buttons, copies the last forum's survey,
opens and closes it, and reads results with bars, the average, free texts and people counts."""

from __future__ import annotations

import re

from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.surveys.tables import SurveyResponse
from tests.factories import create_forum, signed_in
from tests.surveys.factories import QUESTIONS, forum_with_people, started, with_survey


def form_of(rows: list[dict]) -> dict:
    data = {}
    for i, row in enumerate(rows):
        data.update({f"q-{i}-id": row.get("id", ""), f"q-{i}-label": row["label"], f"q-{i}-kind": row["kind"]})
        data[f"q-{i}-choices"] = "\n".join(row.get("options", []))
        if row.get("required"):
            data[f"q-{i}-required"] = "on"
    return data


async def test_a_participant_answers_with_the_form_and_changes_it(client, make_client):
    slug, (amy, ben, cy) = await forum_with_people(client)
    await coordinators.save_profile(ben, ProfileIn(name="宮城 美咲", name_kana="みやぎ みさき", prefecture="宮城県"))
    await with_survey(client, slug)
    await started(slug)
    person = await signed_in(make_client, amy)
    page = await person.get(f"/events/{slug}/survey")
    assert page.status_code == 200
    html = page.text
    assert html.count('type="radio" name="a-satisfaction"') == 5
    assert f'name="a-met" value="{ben}"' in html and f'name="a-met" value="{amy}"' not in html
    assert "宮城 美咲" in html and "みやぎみさき" in html and "miyagi" in html  # searchable by kana and romaji
    assert "@example.jp" not in html
    sent = await person.post(
        f"/events/{slug}/survey",
        data={"a-satisfaction": "4", "a-format": "ブレイクアウト", "a-comment": "楽しかった", "a-met": [ben, cy]},
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=saved")
    again = await person.get(f"/events/{slug}/survey?done=saved")
    assert re.search(r'value="4" checked', again.text) and "楽しかった" in again.text
    bad = await person.post(f"/events/{slug}/survey", data={"a-satisfaction": "9"})
    assert bad.status_code == 400 and "満足度" in bad.text and 'aria-invalid="true"' in bad.text
    assert await SurveyResponse.count() == 1


async def test_the_survey_page_says_when_it_opens_and_refuses_outsiders(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    await with_survey(client, slug)
    person = await signed_in(make_client, amy)
    page = await person.get(f"/events/{slug}/survey")
    assert page.status_code == 200 and "フォーラムの開始時（" in page.text and "回答を送信" not in page.text
    refused = await person.post(f"/events/{slug}/survey", data={"a-satisfaction": "3"})
    assert refused.status_code == 409
    from tests.factories import make_accounts

    (stranger,) = await make_accounts(1)
    outsider = await signed_in(make_client, stranger)
    assert (await outsider.get(f"/events/{slug}/survey")).status_code == 403


async def test_links_on_the_forum_page_follow_the_survey(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    person = await signed_in(make_client, amy)
    link = f'href="/events/{slug}/survey"'
    await with_survey(client, slug)
    assert link not in (await person.get(f"/events/{slug}")).text  # not open yet
    await with_survey(client, slug, open=True)
    assert link in (await person.get(f"/events/{slug}")).text
    assert f'href="/organizer/events/{slug}/survey"' in (await client.get(f"/organizer/events/{slug}")).text


async def test_the_organizer_builds_it_with_the_forms_buttons(client):
    slug, _people = await forum_with_people(client)
    url = f"/organizer/events/{slug}/survey"
    assert (await client.get(url)).status_code == 200
    added = await client.post(url, data={"op": "add"})
    assert added.status_code == 200 and 'name="q-0-label"' in added.text
    rows = [
        {"label": "満足度", "kind": "scale", "required": True},
        {"label": "よかった形式", "kind": "choice", "options": ["講演", "交流"]},
        {"label": "話したい人", "kind": "people"},
    ]
    moved = await client.post(url, data={**form_of(rows), "op": "up:2"})
    assert moved.status_code == 200 and "まだ保存されていません" in moved.text
    assert moved.text.index("話したい人") < moved.text.index("よかった形式")
    removed = await client.post(url, data={**form_of(rows), "op": "remove:1"})
    assert "よかった形式" not in removed.text
    assert (await client.get(f"/api/v1/events/{slug}/survey")).status_code == 404  # nothing saved yet
    no_choices = await client.post(url, data={**form_of([{"label": "形式", "kind": "choice"}]), "op": "save"})
    assert no_choices.status_code == 400
    saved = await client.post(url, data={**form_of(rows), "op": "save"})
    assert saved.status_code == 303
    body = (await client.get(f"/api/v1/events/{slug}/survey")).json()
    assert [(q["id"], q["kind"], q["required"]) for q in body["questions"]] == [
        ("q1", "scale", True), ("q2", "choice", False), ("q3", "people", False)
    ]  # fmt: skip
    assert body["open"] is False
    assert (await client.post(f"{url}/open", data={"open": "yes"})).status_code == 303
    assert (await client.get(f"/api/v1/events/{slug}/survey")).json()["open"] is True
    await client.post(f"{url}/open", data={"open": "no"})
    assert (await client.get(f"/api/v1/events/{slug}/survey")).json()["open"] is False


async def test_copy_the_last_forums_survey(client):
    earlier, _people = await forum_with_people(client)
    await with_survey(client, earlier)
    later = await create_forum(client)
    copied = await client.post(f"/organizer/events/{later}/survey", data={"op": "copy"})
    assert copied.status_code == 200
    assert all(q["label"] in copied.text for q in QUESTIONS) and "まだ保存されていません" in copied.text
    first = await create_forum(client, title="Another")
    # the organizer's only forum with a survey is `earlier`: a forum copies from it, never itself
    assert "感想" in (await client.post(f"/organizer/events/{first}/survey", data={"op": "copy"})).text


async def test_results_page_draws_bars_and_never_says_who_named_whom(client, make_client):
    slug, (amy, ben, cy) = await forum_with_people(client)
    await coordinators.save_profile(ben, ProfileIn(name="宮城 美咲", prefecture="宮城県", visibility="public"))
    await with_survey(client, slug, open=True)
    for uid, answers in (
        (amy, {"satisfaction": 5, "format": "基調講演", "comment": "<b>学び</b>多し", "met": [ben]}),
        (cy, {"satisfaction": 3, "met": [ben]}),
    ):
        assert (await (await signed_in(make_client, uid)).post(
            f"/api/v1/events/{slug}/survey/response", json={"answers": answers}
        )).status_code == 201  # fmt: skip
    page = await client.get(f"/organizer/events/{slug}/survey/results")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") >= 5 + 3 + 1  # a bar per scale point, per option, per person named
    assert "平均 4.0" in html
    assert "&lt;b&gt;学び&lt;/b&gt;多し" in html
    assert "宮城 美咲" in html and "参加者" not in html.split("宮城 美咲")[1].split("</section>")[0]
    assert f"/api/v1/events/{slug}/survey/results.csv" in html


async def test_a_closed_room_links_to_the_open_survey(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    made = await client.post(f"/api/v1/events/{slug}/rooms", json={"name": "宮城の部屋"})
    room = made.json()["id"]
    person = await signed_in(make_client, amy)
    link = f'href="/events/{slug}/survey"'
    assert link not in (await person.get(f"/rooms/{room}")).text  # still open: people are talking
    assert (await client.post(f"/api/v1/rooms/{room}/close", json={})).status_code == 200
    assert link in (await person.get(f"/rooms/{room}")).text


async def test_follow_up_mail_may_carry_the_survey_link(client):
    slug, _people = await forum_with_people(client)
    body = {"subject": "アンケートのお願い", "body": "ご回答ください: {{ survey_url }}", "audience": ["confirmed"]}
    made = await client.post(f"/api/v1/events/{slug}/campaigns", json=body)
    assert made.status_code == 201, made.text
    from meetup.followups import campaigns

    shown = await campaigns.preview(made.json()["id"])
    assert f"http://testserver.local/events/{slug}/survey" in shown.text
