"""The case library (CONTRACT §5.5): organizers write cases; anyone finds them by kanji, kana or
romaji and filters them; a person named appears only after agreeing by the mailed link; forums
appear only while published; the Atom feed parses; bad input is a 400 naming the field, and
nothing is stored."""

import re
import xml.etree.ElementTree as ET

import pytest

from meetup.cases.tables import Case, CaseLink
from meetup.coordinators import organizations
from meetup.followups.tables import Consent
from meetup.mail.tables import OutboxMail
from tests.factories import create_forum, make_accounts, organizer, signed_in
from tests.followups.factories import profile

ATOM = "{http://www.w3.org/2005/Atom}"


def a_case(**overrides) -> dict:
    body = {
        "title": "釜石市のオープンシティ戦略",
        "summary": "地域の課題を「余白」として開き、外の人と企業が関わる余地をつくった。",
        "body": "## 何をしたか\n\n課題を余白として公開し、<script>alert(1)</script> 外部人材を迎えた。",
        "kind": "co_creation",
        "themes": ["関係人口", "まちづくり"],
        "prefecture": "岩手県",
    }
    body.update(overrides)
    return body


async def test_an_organizer_writes_a_case_and_anyone_reads_it(client, make_client):
    await organizer(client)
    org = await organizations.upsert_organization(name="釜石市", prefecture="岩手県", kind="municipality")
    slug = await create_forum(client)
    draft = await create_forum(client, title="下書きの会", status="draft")
    created = await client.post("/api/v1/cases", json=a_case(organizations=[org], events=[slug, draft]))
    assert created.status_code == 201, created.text
    case = created.json()
    assert set(case) >= {"id", "title", "summary", "body", "kind", "themes", "prefecture", "organizations", "people"}
    assert case["organizations"] == [{"id": org, "name": "釜石市"}]
    assert [f["slug"] for f in case["events"]] == [slug]  # the draft forum is not shown
    anyone = await make_client()
    shown = await anyone.get(f"/api/v1/cases/{case['id']}")
    assert shown.status_code == 200 and shown.json()["consents"] is None
    page = await anyone.get(f"/cases/{case['id']}")
    assert page.status_code == 200
    assert "釜石市のオープンシティ戦略" in page.text
    assert "<script>alert(1)</script>" not in page.text  # Markdown with script: shown as text or dropped
    assert "下書きの会" not in page.text
    assert f'href="/organizations/{org}"' in page.text
    org_page = await anyone.get(f"/organizations/{org}")
    assert "関わった事例" in org_page.text and f'href="/cases?organization={org}"' in org_page.text
    listed = await anyone.get(f"/cases?organization={org}")
    assert f'href="/cases/{case["id"]}"' in listed.text

    edited = await client.patch(f"/api/v1/cases/{case['id']}", json={"kind": "dx", "themes": ["DX"]})
    assert edited.status_code == 200 and edited.json()["kind"] == "dx" and edited.json()["themes"] == ["DX"]
    assert (await anyone.post("/api/v1/cases", json=a_case())).status_code in (401, 403)


async def test_a_person_named_appears_only_after_agreeing(client, make_client):
    await organizer(client)
    named, stranger = await make_accounts(2)
    await profile(named, "佐藤 一郎", ["インターン"], visibility="public")
    case = (await client.post("/api/v1/cases", json=a_case(people=[named]))).json()
    assert case["people"] == []
    [mail] = await OutboxMail.select().where(OutboxMail.dedupe_key.like("consent:%"))
    assert mail["account_id"] == named
    anyone = await make_client()
    assert "佐藤" not in (await anyone.get(f"/cases/{case['id']}")).text
    assert (await anyone.get(f"/api/v1/cases/{case['id']}")).json()["people"] == []
    assert (await client.get(f"/api/v1/cases/{case['id']}")).json()["consents"] == {str(named): "pending"}

    from meetup.mail import outbox

    [written] = await outbox.written([dict(mail)])
    path = re.search(r"http://testserver.local(/consents/\S+)", written["body_text"])[1]
    other = await signed_in(make_client, stranger)
    assert (await other.post(path, data={"decision": "agree"})).status_code == 403
    person = await signed_in(make_client, named)
    assert (await person.post(path, data={"decision": "agree"})).status_code == 200
    assert (await anyone.get(f"/api/v1/cases/{case['id']}")).json()["people"] == [{"id": named, "name": "佐藤 一郎"}]
    profile_page = await anyone.get(f"/coordinators/{named}")
    assert "関わった事例" in profile_page.text and f'href="/cases?person={named}"' in profile_page.text
    assert f'href="/cases/{case["id"]}"' in (await anyone.get(f"/cases?person={named}")).text

    assert (await person.post(f"/api/v1{path}", json={"decision": "decline"})).status_code == 200
    assert "佐藤" not in (await anyone.get(f"/cases/{case['id']}")).text
    assert (await anyone.get("/api/v1/cases", params={"person": named})).json() == []

    # removed from the case: the question is forgotten
    await client.patch(f"/api/v1/cases/{case['id']}", json={"people": []})
    assert await Consent.count() == 0


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("釜石", True),
        ("かまいし", True),
        ("カマイシ", True),
        ("kamaishi", True),
        ("オープンシティ", True),
        ("関係人口", True),
        ("釜石 インターン", False),
        ("仙台", False),
    ],
)
async def test_search_finds_a_case_by_kanji_kana_or_romaji(client, query, found):
    await organizer(client)
    case = (await client.post("/api/v1/cases", json=a_case(title="釜石市オープンシティ戦略"))).json()
    await client.post("/api/v1/cases", json=a_case(title="若者と企業のインターン", themes=["インターン"]))
    answer = await client.get("/api/v1/cases", params={"q": query})
    assert answer.status_code == 200
    assert (case["id"] in [c["id"] for c in answer.json()]) is found


async def test_filters_by_kind_theme_and_prefecture(client, make_client):
    await organizer(client)
    kamaishi = (await client.post("/api/v1/cases", json=a_case())).json()["id"]
    intern = (
        await client.post(
            "/api/v1/cases",
            json=a_case(title="実践型インターン", kind="external_talent", themes=["インターン"], prefecture="宮城県"),
        )
    ).json()["id"]

    async def ids(**params) -> list[int]:
        return [c["id"] for c in (await client.get("/api/v1/cases", params=params)).json()]

    assert await ids() == [intern, kamaishi]  # newest first
    assert await ids(kind="external_talent") == [intern]
    assert await ids(theme="まちづくり") == [kamaishi]
    assert await ids(prefecture="岩手県") == [kamaishi]
    assert await ids(kind="dx") == []
    assert (await client.get("/api/v1/cases", params={"kind": "magic"})).status_code == 400
    page = await (await make_client()).get("/cases", params={"theme": "インターン"})
    assert page.status_code == 200 and "実践型インターン" in page.text and "オープンシティ" not in page.text


async def test_the_atom_feed_parses(client, make_client):
    await organizer(client)
    await client.post("/api/v1/cases", json=a_case(title="釜石 & <オープンシティ>"))
    for path in ("/cases.atom", "/api/v1/cases.atom"):
        answer = await (await make_client()).get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/atom+xml")
        root = ET.fromstring(answer.content)  # noqa: S314 (our own feed)
        assert root.tag == f"{ATOM}feed"
        [entry] = root.findall(f"{ATOM}entry")
        assert entry.find(f"{ATOM}title").text == "釜石 & <オープンシティ>"
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver.local/cases/")
        assert root.find(f"{ATOM}updated").text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "magic"}, "kind"),
        ({"body": "あ" * 1_000_000}, "body"),
        ({"title": "   "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"prefecture": "東京"}, "prefecture"),
        ({"themes": ["x" * 31]}, "themes"),
        ({"organizations": [999999]}, "organizations"),
        ({"people": [999999]}, "people"),
        ({"events": ["no-such-forum"]}, "events"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, change, field):
    await organizer(client)
    answer = await client.post("/api/v1/cases", json=a_case(**change))
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert await Case.count() == 0 and await CaseLink.count() == 0 and await Consent.count() == 0


async def test_a_case_that_is_none_is_a_404(client):
    assert (await client.get("/api/v1/cases/424242")).status_code == 404
    assert (await client.get("/cases/424242")).status_code == 404


async def test_the_library_comes_in_pages_and_keeps_its_filters(client):
    await organizer(client)
    for n in range(30):
        kind = "dx" if n % 2 else "co_creation"
        created = await client.post("/api/v1/cases", json=a_case(title=f"女川町の事例 {n:02d}", kind=kind))
        assert created.status_code == 201

    first = await client.get("/api/v1/cases?limit=10")
    rest = await client.get("/api/v1/cases?limit=200&offset=10")
    assert first.headers["x-total-count"] == rest.headers["x-total-count"] == "30"
    titles = [c["title"] for c in first.json() + rest.json()]
    assert titles == [f"女川町の事例 {n:02d}" for n in reversed(range(30))]  # newest first, none twice
    assert (await client.get("/api/v1/cases?q=おながわ&kind=dx")).headers["x-total-count"] == "15"
    assert (await client.get("/api/v1/cases?limit=201")).status_code == 400

    page = await client.get("/cases")
    assert page.text.count('class="card case-card"') == 24 and 'data-count="30"' in page.text
    assert 'rel="next" href="/cases?page=2"' in page.text and 'rel="prev"' not in page.text
    second = await client.get("/cases?page=2")
    assert second.text.count('class="card case-card"') == 6 and 'rel="prev" href="/cases"' in second.text
    assert "女川町の事例 00" in second.text and "女川町の事例 29" not in second.text
    assert (await client.get("/cases?page=0")).status_code == 400
    onagawa = await client.get("/cases?q=onagawa&kind=dx")
    assert 'data-count="15"' in onagawa.text and 'rel="next"' not in onagawa.text
