"""The survey over the API as CONTRACT §5.2: organizers build it, confirmed registrants answer it
once (and may change their answers), organizers read the results and the CSV."""

from __future__ import annotations

import csv
import io

from tests.factories import make_accounts, signed_in
from tests.surveys.factories import QUESTIONS, answer, forum_with_people, started, with_survey


async def test_organizer_builds_it_and_registrants_read_it(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    body = await with_survey(client, slug)
    assert [q["kind"] for q in body["questions"]] == ["scale", "choice", "text", "people"]
    assert body["open"] is False and body["opens_at"] is not None  # it opens when the forum starts
    assert body["questions"][1]["options"] == ["基調講演", "ブレイクアウト", "全体共有"]
    reader = await signed_in(make_client, amy)
    seen = (await reader.get(f"/api/v1/events/{slug}/survey")).json()
    assert seen["questions"] == body["questions"] and seen["responses"] is None


async def test_nobody_else_reads_or_answers_it(client, make_client, app_client):
    slug, _people = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    (stranger,) = await make_accounts(1)
    outsider = await signed_in(make_client, stranger)
    assert (await outsider.get(f"/api/v1/events/{slug}/survey")).status_code == 403
    refused = await outsider.post(f"/api/v1/events/{slug}/survey/response", json={"answers": {"satisfaction": 4}})
    assert refused.status_code == 403
    assert (await outsider.get(f"/api/v1/events/{slug}/survey/results")).status_code == 403
    assert (await outsider.put(f"/api/v1/events/{slug}/survey", json={"questions": []})).status_code == 403
    anonymous = await make_client()
    assert (await anonymous.post(f"/api/v1/events/{slug}/survey/response", json={"answers": {}})).status_code == 401


async def test_answers_are_accepted_from_the_start_until_closed(client, make_client):
    slug, (amy, ben, _cy) = await forum_with_people(client)
    await with_survey(client, slug)
    early = await answer(make_client, slug, amy, {"satisfaction": 5})
    assert early.status_code == 409 and "フォーラムの開始時" in early.json()["detail"]
    await started(slug)
    assert (await answer(make_client, slug, amy, {"satisfaction": 5})).status_code == 201
    closed = await with_survey(client, slug, open=False)
    assert closed["open"] is False and closed["closed_by_organizer"] is True
    late = await answer(make_client, slug, ben, {"satisfaction": 3})
    assert late.status_code == 409 and "締め切りました" in late.json()["detail"]
    assert (await with_survey(client, slug, open=True))["open"] is True
    assert (await answer(make_client, slug, ben, {"satisfaction": 3})).status_code == 201


async def test_opened_early_by_the_organizer(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    await with_survey(client, slug)
    opened = await client.put(f"/api/v1/events/{slug}/survey", json={"open": True})  # questions stay
    assert opened.status_code == 200 and opened.json()["open"] is True
    assert [q["id"] for q in opened.json()["questions"]] == [q["id"] for q in QUESTIONS]
    assert (await answer(make_client, slug, amy, {"satisfaction": 2})).status_code == 201


async def test_a_slug_that_is_no_forum_is_a_404(client):
    await forum_with_people(client)
    for method, path in (("PUT", ""), ("GET", ""), ("POST", "/response"), ("GET", "/results"), ("GET", "/results.csv")):
        body = {"json": {}} if method != "GET" else {}
        response = await client.request(method, f"/api/v1/events/no-such-forum/survey{path}", **body)
        assert response.status_code == 404, (method, path)


async def test_one_response_per_person_replaced_by_the_next(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    person = await signed_in(make_client, amy)
    url = f"/api/v1/events/{slug}/survey/response"
    first = await person.post(url, json={"answers": {"satisfaction": 2, "comment": "前半"}})
    assert first.status_code == 201
    again = await person.post(url, json={"answers": {"satisfaction": 5, "format": "全体共有"}})
    assert again.status_code == 200
    assert (await person.get(url)).json()["answers"] == {"satisfaction": 5, "format": "全体共有"}
    results = (await client.get(f"/api/v1/events/{slug}/survey/results")).json()
    assert results["responses"] == 1
    scale = results["questions"][0]
    assert scale["counts"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1} and scale["average"] == 5


async def test_results_count_scale_choice_people_and_list_texts(client, make_client):
    slug, (amy, ben, cy) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    for uid, answers in (
        (amy, {"satisfaction": 4, "format": "基調講演", "comment": "学び多し", "met": [ben]}),
        (ben, {"satisfaction": 5, "format": "基調講演", "met": [cy]}),
        (cy, {"satisfaction": 3, "format": "全体共有", "comment": "また参加したい", "met": [ben]}),
    ):
        assert (await answer(make_client, slug, uid, answers)).status_code == 201
    body = (await client.get(f"/api/v1/events/{slug}/survey/results")).json()
    assert body["responses"] == 3
    scale, choice, text, people = body["questions"]
    assert scale == {
        "id": "satisfaction", "kind": "scale", "label": "満足度", "answered": 3,
        "counts": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}, "average": 4.0,
    }  # fmt: skip
    assert choice["counts"] == {"基調講演": 2, "ブレイクアウト": 0, "全体共有": 1}
    assert text["answers"] == ["学び多し", "また参加したい"]
    # people: how often each was named, never by whom
    assert people["counts"] == {str(ben): 2, str(cy): 1} and "answers" not in people
    assert body["mutual_pairs"] == 1  # ben and cy named each other

    csv_response = await client.get(f"/api/v1/events/{slug}/survey/results.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][2:] == ["満足度", "よかった形式", "感想", "相談したい人"]
    assert [row[2:] for row in rows[1:]] == [["4", "基調講演", "学び多し", "1"], ["5", "基調講演", "", "1"],
                                             ["3", "全体共有", "また参加したい", "1"]]  # fmt: skip


async def test_editing_keeps_what_was_answered(client, make_client):
    slug, (amy, *_rest) = await forum_with_people(client)
    await with_survey(client, slug, open=True)
    await answer(make_client, slug, amy, {"satisfaction": 4, "format": "ブレイクアウト"})
    url = f"/api/v1/events/{slug}/survey"
    removed = await client.put(url, json={"questions": QUESTIONS[1:]})
    assert removed.status_code == 409 and "満足度" in removed.json()["detail"]
    as_text = [{**QUESTIONS[0], "kind": "text"}, *QUESTIONS[1:]]
    assert (await client.put(url, json={"questions": as_text})).status_code == 409
    chosen_gone = [QUESTIONS[0], {**QUESTIONS[1], "options": ["基調講演"]}, *QUESTIONS[2:]]
    assert (await client.put(url, json={"questions": chosen_gone})).status_code == 409
    # relabelled, one option more, a new question, an unanswered one removed: fine
    changed = [
        {**QUESTIONS[0], "label": "全体の満足度"},
        {**QUESTIONS[1], "options": [*QUESTIONS[1]["options"], "交流会"]},
        QUESTIONS[3],
        {"id": "next", "label": "次回のテーマ", "kind": "text"},
    ]
    body = await with_survey(client, slug, questions=changed)
    assert [q["id"] for q in body["questions"]] == ["satisfaction", "format", "met", "next"]
    assert body["responses"] == 1


async def test_bad_survey_definitions_are_400(client):
    slug, _people = await forum_with_people(client)
    url = f"/api/v1/events/{slug}/survey"
    for questions in (
        [{"id": "a", "label": "x", "kind": "rating"}],
        [{"id": "a", "label": "x", "kind": "choice"}],
        [{"id": "a", "label": "x", "kind": "text"}, {"id": "a", "label": "y", "kind": "text"}],
        [{"id": "Bad Id", "label": "x", "kind": "text"}],
        [{"id": "a", "label": "", "kind": "text"}],
    ):
        assert (await client.put(url, json={"questions": questions})).status_code == 400, questions
    assert (await client.get(url)).status_code == 404  # nothing was stored
