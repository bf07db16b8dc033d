"""The forum report (開催レポート): written by those who run the forum, seen by others once
published, on the forum page, its series page and the /reports list (newest first); its
Markdown rendered safely, script shown as text."""

from __future__ import annotations

from datetime import timedelta

from meetup.db import utcnow
from meetup.events.tables import Event
from meetup.reports.tables import ForumReport
from tests.factories import create_forum, make_accounts, organizer, signed_in
from tests.reports.factories import PDF, forum_with_people, png, upload

BODY = "## 当日の様子\n\n東北内外から**100名以上**が参加しました。\n\n- 基調講演\n- ブレイクアウト"


async def save(client, slug: str, body: str = BODY, published: bool = True):
    response = await client.put(f"/api/v1/events/{slug}/report", json={"body": body, "published": published})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_draft_report_is_the_organizers_alone(client, make_client):
    slug, (registrant, *_rest) = await forum_with_people(client)
    assert (await client.get(f"/api/v1/events/{slug}/report")).json()["body"] == ""  # nothing yet, for them
    mine = await save(client, slug, published=False)
    assert mine["published"] is False and mine["published_at"] is None
    for reader in (await make_client(), await signed_in(make_client, registrant)):
        assert (await reader.get(f"/api/v1/events/{slug}/report")).status_code == 404
        assert (await reader.get(f"/events/{slug}/report")).status_code == 404
    assert "Read the forum report" not in (await (await make_client()).get(f"/events/{slug}?lang=en")).text


async def test_a_published_report_is_everyones_with_what_they_may_see(client, make_client):
    slug, (registrant, *_rest) = await forum_with_people(client)
    await upload(client, slug, PDF, title="公開スライド")
    await upload(client, slug, PDF, title="参加者限定スライド", visibility="registrants")
    photo = (await upload(client, slug, png(), "p.png", ctype="image/png", title="会場写真")).json()
    await client.post(f"/api/v1/events/{slug}/recordings", json={"url": "https://video.example/1", "title": "録画"})
    published = await save(client, slug, BODY + f"\n\n![会場]({photo['url']})")
    assert published["published"] is True and published["published_at"]

    anonymous = await make_client()
    report = (await anonymous.get(f"/api/v1/events/{slug}/report")).json()
    assert [m["title"] for m in report["materials"]] == ["公開スライド", "会場写真", "録画"]
    insider = (await (await signed_in(make_client, registrant)).get(f"/api/v1/events/{slug}/report")).json()
    assert "参加者限定スライド" in [m["title"] for m in insider["materials"]]

    page = (await anonymous.get(f"/events/{slug}/report")).text
    assert "<h2>当日の様子</h2>" in page and "<strong>100名以上</strong>" in page
    assert f'<img src="{photo["url"]}" alt="会場"' in page
    assert "公開スライド" in page and "参加者限定スライド" not in page
    assert f'href="/events/{slug}/report"' in (await anonymous.get(f"/events/{slug}")).text


async def test_script_in_markdown_is_shown_as_text(client, make_client):
    slug, _people = await forum_with_people(client)
    hostile = '<script>alert("x")</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=alert(1)>'
    await save(client, slug, hostile)
    page = (await (await make_client()).get(f"/events/{slug}/report")).text
    assert '<script>alert("x")' not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(" in page
    assert 'href="javascript:' not in page


async def test_publishing_again_keeps_the_first_date_and_taking_back_hides_it(client, make_client):
    slug, _people = await forum_with_people(client)
    first = await save(client, slug)
    again = await save(client, slug, BODY + "\n\n追記")
    assert again["published_at"] == first["published_at"]
    await save(client, slug, published=False)
    assert (await (await make_client()).get(f"/api/v1/events/{slug}/report")).status_code == 404


async def test_the_list_is_newest_first_and_series_pages_link_to_theirs(client, make_client):
    await organizer(client)
    series = await client.post("/api/v1/series", json={"title": "右腕人材育成プログラム", "slug": "migiude"})
    assert series.status_code == 201, series.text
    older = await create_forum(client, title="第1回フォーラム", series="migiude")
    newer = await create_forum(client, title="第2回フォーラム")
    draft = await create_forum(client, title="下書きのフォーラム")
    for slug in (older, newer, draft):
        await save(client, slug, f"{slug} のレポート")
    older_id = (await Event.select(Event.id).where(Event.slug == older).first())["id"]
    await ForumReport.update({ForumReport.published_at: utcnow() - timedelta(days=3)}).where(
        ForumReport.event == older_id
    )
    await Event.update({Event.status: "draft"}).where(Event.slug == draft)
    anonymous = await make_client()
    listing = (await anonymous.get("/reports")).text
    assert listing.index("第2回フォーラム") < listing.index("第1回フォーラム")
    assert "下書きのフォーラム" not in listing
    only = (await anonymous.get("/reports?series=migiude")).text
    assert "第1回フォーラム" in only and "第2回フォーラム" not in only
    assert "/reports?series=migiude" in (await anonymous.get("/series/migiude")).text
    assert (await anonymous.get("/reports?series=nothing-here")).status_code == 404


async def test_the_organizer_page_previews_publishes_and_takes_back(client, make_client):
    slug, (registrant, *_rest) = await forum_with_people(client)
    base = f"/organizer/events/{slug}/report"
    assert f'href="{base}"' in (await client.get(f"/organizer/events/{slug}")).text
    preview = await client.post(base, data={"body": "## 見出し\n\n<script>x</script>", "op": "preview"})
    assert preview.status_code == 200 and "<h2>見出し</h2>" in preview.text and "&lt;script&gt;" in preview.text
    assert await ForumReport.count() == 0  # a preview saves nothing
    published = await client.post(base, data={"body": "## 見出し", "op": "publish"})
    assert published.status_code == 303 and published.headers["location"].endswith("done=published")
    assert (await (await make_client()).get(f"/events/{slug}/report")).status_code == 200
    await client.post(base, data={"body": "## 見出し", "op": "unpublish"})
    assert (await (await make_client()).get(f"/events/{slug}/report")).status_code == 404
    refused = await client.post(base, data={"body": "あ" * 100_001, "op": "save"})
    assert refused.status_code == 400
    member = await signed_in(make_client, registrant)
    assert (await member.get(base)).status_code == 403
    (stranger,) = await make_accounts(1)
    assert (
        await (await signed_in(make_client, stranger)).put(f"/api/v1/events/{slug}/report", json={"body": "x"})
    ).status_code == 403
