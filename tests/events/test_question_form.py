"""An organizer writes the registration questions in the forum form, one fieldset each: adds,
reorders and removes them with buttons that work without JavaScript (the page comes back
changed, nothing saved), types the choices one per line, and saves. Answers already given keep
their question: a question's id never changes, and a new question never takes an old id."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from meetup.db import utcnow
from meetup.events.tables import Event
from meetup.i18n import TOKYO
from tests.factories import create_forum, organizer, sign_up


class _FormReader(HTMLParser):
    """What a browser would send from the forum form: its fields as shown, without the
    JavaScript's <template> and without the buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.in_form = self.in_template = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-forum-form" in a:
            self.in_form = True
        if tag == "template":
            self.in_template = True
        if not self.in_form or self.in_template:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") != "checkbox":
            self.fields[name] = a.get("value") or ""
        elif tag == "input" and name and "checked" in a:
            self.fields[name] = "on"
        elif tag == "textarea" and name:
            self.textarea, self.fields[name] = name, ""
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "template":
            self.in_template = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select:
            self.fields.setdefault(self.select, self.first_option or "")
            self.select = None

    def handle_data(self, data):
        if self.textarea and not self.in_template:
            # a browser drops the newline right after <textarea>
            self.fields[self.textarea] += data.removeprefix("\n") if not self.fields[self.textarea] else data


def shown_form(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    return reader.fields


def labels(fields: dict[str, str]) -> list[str]:
    return [fields[f"q-{i}-label"] for i in range(31) if f"q-{i}-label" in fields]


def forum_fields(**overrides) -> dict[str, str]:
    day = (utcnow().astimezone(TOKYO) + timedelta(days=30)).date()
    fields = {
        "title": "東北コーディネーター・フォーラム",
        "starts_at": f"{day}T13:00",
        "ends_at": f"{day}T16:00",
        "status": "published",
    }
    fields.update(overrides)
    return fields


async def press(client, path: str, fields: dict[str, str], op: str, status: int = 200):
    """Press a button of the form: `op` is its value (add, up:1, remove:0, save)."""
    response = await client.post(path, data={**fields, "op": op})
    assert response.status_code == status, (op, response.status_code, response.text[-2000:])
    return response


async def test_questions_are_added_reordered_and_removed_without_javascript(client):
    await organizer(client)
    path = "/organizer/events/new"
    fields = {**shown_form((await client.get(path)).text), **forum_fields()}
    assert labels(fields) == []

    page = await press(client, path, fields, "add")
    assert "まだ保存されていません" in page.text
    fields = shown_form(page.text)
    assert labels(fields) == [""] and fields["title"] == "東北コーディネーター・フォーラム"
    fields["q-0-label"] = "所属団体"
    fields["q-0-required"] = "on"

    fields = shown_form((await press(client, path, fields, "add")).text)
    fields.update({"q-1-label": "昼食", "q-1-kind": "choice", "q-1-choices": "要\n不要\n"})
    fields = shown_form((await press(client, path, fields, "up:1")).text)
    assert labels(fields) == ["昼食", "所属団体"]
    assert (fields["q-0-kind"], fields["q-0-choices"], "q-0-required" in fields) == ("choice", "要\n不要\n", False)
    assert fields["q-1-required"] == "on"  # the tick moved with its question

    fields = shown_form((await press(client, path, fields, "add")).text)
    fields.update({"q-2-label": "関心のあるテーマ", "q-2-kind": "multiple", "q-2-choices": "移住\n関係人口"})
    fields = shown_form((await press(client, path, fields, "down:0")).text)
    assert labels(fields) == ["所属団体", "昼食", "関心のあるテーマ"]
    fields = shown_form((await press(client, path, fields, "remove:0")).text)
    assert labels(fields) == ["昼食", "関心のあるテーマ"]
    assert await Event.count() == 0  # nothing is saved until "save"

    saved = await press(client, path, fields, "save", status=303)
    slug = saved.headers["location"].removeprefix("/organizer/events/")
    questions = (await client.get(f"/api/v1/events/{slug}")).json()["questions"]
    assert questions == [
        {"id": "q1", "label": "昼食", "kind": "choice", "required": False, "options": ["要", "不要"]},
        {
            "id": "q2",
            "label": "関心のあるテーマ",
            "kind": "checkbox",
            "required": False,
            "options": ["移住", "関係人口"],
        },
    ]
    # the registration page asks them, in that order
    page = (await client.get(f"/events/{slug}")).text
    assert page.index("昼食") < page.index("関心のあるテーマ")

    # the edit form shows each question as it was saved
    fields = shown_form((await client.get(f"/organizer/events/{slug}/edit")).text)
    assert labels(fields) == ["昼食", "関心のあるテーマ"]
    assert (fields["q-0-id"], fields["q-1-kind"], fields["q-1-choices"]) == ("q1", "multiple", "移住\n関係人口")


async def test_a_yes_no_question_and_a_free_text_one(client):
    await organizer(client)
    fields = forum_fields(**{
        "q-0-label": "Privacy policy", "q-0-kind": "yes_no", "q-0-required": "on", "q-0-choices": "ignored",
        "q-1-label": "ご質問", "q-1-kind": "text",
    })  # fmt: skip
    saved = await press(client, "/organizer/events/new", fields, "save", status=303)
    slug = saved.headers["location"].removeprefix("/organizer/events/")
    assert (await client.get(f"/api/v1/events/{slug}")).json()["questions"] == [
        {"id": "privacy_policy", "label": "Privacy policy", "kind": "checkbox", "required": True, "options": []},
        {"id": "q2", "label": "ご質問", "kind": "text", "required": False, "options": []},
    ]


async def test_question_ids_stay_and_are_never_reused_when_a_forum_is_edited(client, make_client):
    await organizer(client)
    slug = await create_forum(
        client,
        questions=[
            {"id": "q1", "label": "所属", "required": True},
            {"id": "lunch", "label": "昼食", "kind": "choice", "options": ["要", "不要"]},
        ],
    )
    person = await make_client()
    await sign_up(person)
    answered = await person.post(
        f"/api/v1/events/{slug}/registration", json={"answers": {"q1": "ワカツク", "lunch": "要"}}
    )
    assert answered.status_code == 201, answered.text

    path = f"/organizer/events/{slug}/edit"
    fields = shown_form((await client.get(path)).text)
    fields = shown_form((await press(client, path, fields, "up:1")).text)  # 昼食 first
    fields = shown_form((await press(client, path, fields, "remove:1")).text)  # 所属 goes
    fields = shown_form((await press(client, path, fields, "add")).text)
    fields["q-1-label"] = "所属団体（正式名称）"
    fields = shown_form((await press(client, path, fields, "up:1")).text)
    fields["q-1-label"] = "昼食のご希望"  # a label changes, its question stays the same
    await press(client, path, fields, "save", status=303)

    questions = (await client.get(f"/api/v1/events/{slug}")).json()["questions"]
    assert [(q["id"], q["label"]) for q in questions] == [("q1_2", "所属団体（正式名称）"), ("lunch", "昼食のご希望")]
    # the answer given to the removed question is not read as an answer to the new one
    rows = (await client.get(f"/api/v1/events/{slug}/registrations")).json()
    assert rows[0]["answers"] == {"q1": "ワカツク", "lunch": "要"}
    manage = (await client.get(f"/organizer/events/{slug}")).text
    assert "昼食のご希望:</span>" in manage and "所属団体（正式名称）:</span>" not in manage


async def test_bad_questions_come_back_with_the_message_next_to_the_field(client):
    await organizer(client)
    path = "/organizer/events/new"
    bad = [
        ({"q-0-label": "", "q-0-kind": "choice", "q-0-choices": "要"}, "q-0-label"),
        ({"q-0-label": "昼食", "q-0-kind": "choice", "q-0-choices": "  \n"}, "q-0-choices"),
        ({"q-0-label": "テーマ", "q-0-kind": "multiple"}, "q-0-choices"),
        ({"q-0-label": "昼食", "q-0-kind": "choice", "q-0-choices": "要\n要"}, "q-0-choices"),
        ({"q-0-label": "所属", "q-1-label": "", "q-1-required": "on", "q-1-kind": "text", "q-1-id": "q2"}, "q-1-label"),
        ({"q-0-label": "質問", "q-0-kind": "essay"}, "q-0-kind"),
        ({"q-0-label": "あ" * 201}, "q-0-label"),
        ({f"q-{i}-label": f"質問{i}" for i in range(31)}, "questions"),
        ({"q-0-label": "所属", "q-0-id": "Bad Id"}, "questions"),
    ]
    for questions, field in bad:
        response = await press(client, path, forum_fields(**questions), "save", status=400)
        assert f'id="{field}-error"' in response.text, (questions, field)
        assert f'aria-describedby="{field}-error"' in response.text or field == "questions", field
        assert 'class="alert"' in response.text
        assert shown_form(response.text)["title"] == "東北コーディネーター・フォーラム"  # kept to correct
    assert await Event.count() == 0

    thirty = forum_fields(**{f"q-{i}-label": f"質問{i}" for i in range(30)})
    refused = await press(client, path, thirty, "add", status=400)
    assert 'id="questions-error"' in refused.text
    assert len(labels(shown_form(refused.text))) == 30
    assert "disabled" in refused.text.split("data-add-question")[1].split(">")[0]


async def test_a_refused_edit_keeps_the_saved_questions(client):
    await organizer(client)
    slug = await create_forum(client, questions=[{"id": "org", "label": "所属"}])
    path = f"/organizer/events/{slug}/edit"
    fields = shown_form((await client.get(path)).text)
    fields.update({"q-0-kind": "choice", "q-0-choices": ""})
    response = await press(client, path, fields, "save", status=400)
    assert 'id="q-0-choices-error"' in response.text
    row = await Event.select(Event.questions_json).where(Event.slug == slug).first()
    assert '"org"' in row["questions_json"] and '"text"' in row["questions_json"]


async def test_the_json_api_keeps_taking_questions_as_before(client):
    await organizer(client)
    slug = await create_forum(
        client, questions=[{"id": "diet", "label": "食事", "kind": "checkbox", "options": ["ベジタリアン"]}]
    )
    assert (await client.get(f"/api/v1/events/{slug}")).json()["questions"][0]["id"] == "diet"
    changed = await client.patch(f"/api/v1/events/{slug}", json={"questions": [{"id": "org", "label": "所属"}]})
    assert changed.status_code == 200 and changed.json()["questions"][0]["id"] == "org"
    bad = await client.patch(
        f"/api/v1/events/{slug}", json={"questions": [{"id": "x", "label": "a", "kind": "choice"}]}
    )
    assert bad.status_code == 400
