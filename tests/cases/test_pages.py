"""The pages of the case library and the challenge board: the same services as the API, through
plain forms with the CSRF token (they work without JavaScript)."""

from meetup.cases.tables import Case, Challenge, ChallengeInterest
from meetup.coordinators import organizations
from tests.factories import create_forum, make_accounts, organizer, signed_in
from tests.followups.factories import profile


def form(client, **fields) -> dict:
    return {"_csrf_token": client.cookies["csrftoken"], **fields}


async def test_an_organizer_writes_a_case_with_the_form(client):
    await organizer(client)
    org = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    page = await client.get("/organizer/cases/new")
    assert page.status_code == 200 and 'name="title"' in page.text
    bad = await client.post(
        "/organizer/cases/new", data=form(client, title="インターン", kind="co_creation", people="abc")
    )
    assert bad.status_code == 400 and 'id="people-error"' in bad.text and await Case.count() == 0
    saved = await client.post(
        "/organizer/cases/new",
        data=form(
            client,
            title="実践型インターン",
            kind="external_talent",
            summary="若者と企業",
            body="## 成果\n\n約500社",
            themes="インターン、事業承継",
            prefecture="宮城県",
            organizations=str(org),
        ),
    )
    assert saved.status_code == 303, saved.text
    case_path = saved.headers["location"]
    shown = await client.get(case_path)
    assert "<h2>成果</h2>" in shown.text and "インターン" in shown.text and "ワカツク" in shown.text
    edit = await client.post(
        f"/organizer/cases/{case_path.rsplit('/', 1)[1]}/edit",
        data=form(client, title="実践型インターン（改）", kind="dx", themes="DX"),
    )
    assert edit.status_code == 303
    listed = await client.get("/cases?kind=dx")
    assert "実践型インターン（改）" in listed.text and 'name="viewport"' in listed.text


async def test_a_member_presses_kakawaritai_and_the_poster_sees_and_introduces(client, make_client):
    me = await organizer(client)
    await profile(me["id"], "主催 花子", [], visibility="public")
    org = await organizations.upsert_organization(name="ISHINOMAKI2.0", prefecture="宮城県")
    posted = await client.post(
        "/challenges/new",
        data=form(
            client,
            title="空き店舗プロジェクト",
            organization=str(org),
            kind="project",
            prefecture="宮城県",
            body="相談歓迎",
        ),
    )
    assert posted.status_code == 303, posted.text
    path = posted.headers["location"]
    keen = (await make_accounts(1))[0]
    await profile(keen, "石巻 みなと", [], visibility="members")
    person = await signed_in(make_client, keen)
    board = await person.get("/challenges?kind=project&prefecture=宮城県")
    assert f'href="{path}"' in board.text
    page = await person.get(path)
    assert "関わりたい" in page.text
    pressed = await person.post(f"{path}/interest", data=form(person, message="週末なら手伝えます"))
    assert pressed.status_code == 303
    assert "「関わりたい」を伝えました" in (await person.get(pressed.headers["location"])).text
    again = await person.post(f"{path}/interest", data=form(person))
    assert again.status_code == 409 and await ChallengeInterest.count() == 1
    assert (await person.get(f"{path}/interests")).status_code == 403

    seen = await client.get(f"{path}/interests")
    assert seen.status_code == 200 and "石巻 みなと" in seen.text and "週末なら手伝えます" in seen.text
    [interest] = await ChallengeInterest.select()
    introduced = await client.post(f"{path}/interests/{interest['id']}/introduce", data=form(client))
    assert introduced.status_code == 303
    assert "お二人にメールを送りました" in (await client.get(introduced.headers["location"])).text
    moved = await client.post(f"{path}/status", data=form(client, status="matched"))
    assert moved.status_code == 303
    assert (await Challenge.select(Challenge.status).first())["status"] == "matched"


async def test_a_member_who_admins_no_organisation_is_refused_on_the_form(client, make_client):
    await organizer(client)
    org = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    member = await signed_in(make_client, (await make_accounts(1))[0])
    refused = await member.post(
        "/challenges/new",
        data=form(member, title="余白", organization=str(org), kind="advice", prefecture="宮城県"),
    )
    assert refused.status_code == 403 and await Challenge.count() == 0
    past = await client.post(
        "/challenges/new",
        data=form(
            client, title="余白", organization=str(org), kind="advice", prefecture="宮城県", closes_on="2020-01-01"
        ),
    )
    assert past.status_code == 400 and 'id="closes_at-error"' in past.text and await Challenge.count() == 0


async def test_the_case_form_finds_people_by_name_and_lists_forums_by_title(client):
    await organizer(client)
    sato, suzuki = await make_accounts(2, prefix="casepeople")
    await profile(sato, "佐藤 一郎", [], visibility="members", name_kana="さとう いちろう", organization="ワカツク")
    await profile(suzuki, "鈴木 花子", [], visibility="public", prefecture="岩手県")
    forum = await create_forum(client, title="コーディネーター全体会議")
    await create_forum(client, title="下書きの会", status="draft")  # a draft is never offered

    page = await client.get("/organizer/cases/new")
    assert "コーディネーター全体会議" in page.text and "下書きの会" not in page.text

    # the search button sends the form back with whom it finds; nothing is saved, nothing typed is lost
    for typed in ("さとう", "sato", "佐藤"):
        found = await client.post(
            "/organizer/cases/new",
            data=form(client, title="釜石の事例", kind="co_creation", find="1", find_person=typed),
        )
        assert found.status_code == 200 and await Case.count() == 0
        assert f'name="people" value="{sato}">' in found.text  # listed, not ticked
        assert f'value="{suzuki}"' not in found.text and 'value="釜石の事例"' in found.text
        assert "@" not in found.text.split('name="find_person"', 1)[1].split("</fieldset>", 1)[0]  # no address

    # ticked, the person stays chosen through the next search, and is saved with the forum
    again = await client.post(
        "/organizer/cases/new",
        data=form(client, title="釜石の事例", kind="co_creation", people=str(sato), find="1", find_person="すずき"),
    )
    chosen = again.text.split('id="people-chosen"', 1)[1].split("</ul>", 1)[0]
    found = again.text.split('id="people-found"', 1)[1].split("</ul>", 1)[0]
    assert f'value="{sato}" checked' in chosen and "佐藤 一郎" in chosen and "ワカツク" in chosen
    assert f'value="{suzuki}">' in found and "岩手県" in found
    saved = await client.post(
        "/organizer/cases/new",
        data={**form(client, title="釜石の事例", kind="co_creation", events=forum), "people": [str(sato), str(suzuki)]},
    )
    assert saved.status_code == 303, saved.text
    case_id = int(saved.headers["location"].rsplit("/", 1)[1])
    edit = await client.get(f"/organizer/cases/{case_id}/edit")
    chosen = edit.text.split('id="people-chosen"', 1)[1].split("</ul>", 1)[0]
    assert f'value="{sato}" checked' in chosen and f'value="{suzuki}" checked' in chosen
    assert f'value="{forum}" selected' in edit.text


async def test_an_organizer_removes_a_case_and_nobody_is_asked_about_it_any_more(client, make_client):
    from meetup.cases.tables import CaseLink, CaseTheme
    from meetup.followups.tables import Consent

    await organizer(client)
    named, someone = await make_accounts(2, prefix="removed")
    await profile(named, "削除 される", [])
    created = await client.post(
        "/api/v1/cases",
        json={"title": "消す事例", "summary": "", "body": "", "kind": "other", "themes": ["試し"], "people": [named]},
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert await Consent.count() == 1
    edit = await client.get(f"/organizer/cases/{case_id}/edit")
    assert f'action="/organizer/cases/{case_id}/delete" data-confirm=' in edit.text
    member = await signed_in(make_client, someone)
    assert (await member.post(f"/organizer/cases/{case_id}/delete", data=form(member))).status_code == 403
    assert (await member.delete(f"/api/v1/cases/{case_id}")).status_code == 403
    assert await Case.count() == 1

    removed = await client.post(f"/organizer/cases/{case_id}/delete", data=form(client))
    assert removed.status_code == 303 and removed.headers["location"] == "/cases?removed=1"
    assert await Case.count() == await CaseTheme.count() == await CaseLink.count() == await Consent.count() == 0
    assert (await client.get(f"/cases/{case_id}")).status_code == 404
    assert 'role="status"' in (await client.get("/cases?removed=1")).text
    assert (await client.delete(f"/api/v1/cases/{case_id}")).status_code == 204  # gone already: nothing to do
