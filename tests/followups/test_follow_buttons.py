"""Follow buttons where people are (issue 16): a forum's page offers its series, host organisation,
prefecture and themes; an organisation's and a series' page offer themselves. One press follows,
another unfollows: plain forms with the CSRF token, no script needed. Signed out: a sign-in link."""

from __future__ import annotations

import re
from urllib.parse import unquote

from meetup.accounts.tables import Follow
from meetup.coordinators import organizations
from tests.factories import create_forum, make_accounts, organizer, signed_in


async def a_forum_with_everything(client) -> tuple[str, int]:
    await organizer(client)
    created = await client.post("/api/v1/series", json={"title": "右腕人材育成プログラム", "slug": "migiude"})
    assert created.status_code == 201, created.text
    host = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    slug = await create_forum(
        client, series="migiude", organization=host, prefecture="宮城県", themes=["関係人口", "移住"]
    )
    return slug, host


def follow_forms(html: str) -> list[dict[str, str]]:
    """Each follow form on the page: its kind and value (or the follow it removes)."""
    forms = []
    for form in re.findall(r'<form method="post" action="(/me/follows[^"]*)".*?</form>', html, re.S):
        forms.append({"action": form})
    for i, (kind, value) in enumerate(
        re.findall(r'name="kind" value="([^"]+)"><input type="hidden" name="value" value="([^"]+)"', html)
    ):
        forms[i] |= {"kind": kind, "value": value}
    return forms


async def test_a_forum_page_offers_its_series_host_prefecture_and_themes_one_press_each(client, make_client):
    slug, host = await a_forum_with_everything(client)
    (uid,) = await make_accounts(1)
    person = await signed_in(make_client, uid)
    page = await person.get(f"/events/{slug}")
    offered = [(f["kind"], f["value"]) for f in follow_forms(page.text) if "kind" in f]
    assert offered == [
        ("series", "migiude"),
        ("organization", str(host)),
        ("prefecture", "宮城県"),
        ("theme", "関係人口"),
        ("theme", "移住"),
    ]
    bodies = re.findall(r'<form method="post" action="/me/follows".*?</form>', page.text, re.S)
    assert len(bodies) == 5 and all('name="_csrf_token"' in body for body in bodies)

    pressed = await person.post(
        "/me/follows", data={"kind": "organization", "value": str(host), "next": f"/events/{slug}"}
    )
    assert pressed.status_code == 303 and pressed.headers["location"] == f"/events/{slug}?done=followed#follow"
    assert [(r["kind"], r["value"]) for r in await Follow.select(Follow.kind, Follow.value)] == [
        ("organization", str(host))
    ]
    page = await person.get(pressed.headers["location"])
    (follow,) = await Follow.select(Follow.id)
    assert f'action="/me/follows/{follow["id"]}/delete"' in page.text  # now an unfollow button
    assert ("organization", str(host)) not in [(f.get("kind"), f.get("value")) for f in follow_forms(page.text)]

    undone = await person.post(f"/me/follows/{follow['id']}/delete", data={"next": f"/events/{slug}"})
    assert undone.status_code == 303 and undone.headers["location"] == f"/events/{slug}?done=unfollowed#follow"
    assert await Follow.count() == 0


async def test_signed_out_visitors_see_a_sign_in_link_instead(client, make_client):
    slug, host = await a_forum_with_everything(client)
    anonymous = await make_client()
    for path in (f"/events/{slug}", f"/organizations/{host}", "/series/migiude"):
        page = await anonymous.get(path)
        assert page.status_code == 200
        assert not follow_forms(page.text), path
        sign_in = [unquote(n) for n in re.findall(r'class="button secondary" href="/login\?next=([^"]+)"', page.text)]
        assert path in sign_in, (path, sign_in)


async def test_the_organisation_and_series_pages_follow_themselves(client, make_client):
    slug, host = await a_forum_with_everything(client)
    (uid,) = await make_accounts(1)
    person = await signed_in(make_client, uid)
    for path, kind, value in (
        (f"/organizations/{host}", "organization", str(host)),
        ("/series/migiude", "series", "migiude"),
    ):
        page = await person.get(path)
        assert (kind, value) in [(f.get("kind"), f.get("value")) for f in follow_forms(page.text)], path
        pressed = await person.post("/me/follows", data={"kind": kind, "value": value, "next": path})
        assert pressed.status_code == 303
    assert await Follow.count() == 2
    # followed from there, the forum page shows both as followed
    page = await person.get(f"/events/{slug}")
    assert [(f.get("kind"), f.get("value")) for f in follow_forms(page.text) if "kind" in f] == [
        ("prefecture", "宮城県"),
        ("theme", "関係人口"),
        ("theme", "移住"),
    ]


async def test_a_follow_press_without_the_csrf_token_is_refused(client, make_client):
    slug, host = await a_forum_with_everything(client)
    (uid,) = await make_accounts(1)
    person = await signed_in(make_client, uid)
    del person.headers["x-csrftoken"]
    response = await person.post("/me/follows", data={"kind": "organization", "value": str(host)})
    assert response.status_code == 403
    assert await Follow.count() == 0


async def test_a_draft_forum_offers_nothing_to_follow(client):
    await organizer(client)
    slug = await create_forum(client, status="draft", prefecture="宮城県")
    page = await client.get(f"/events/{slug}")
    assert 'id="follow"' not in page.text
