"""Materials as organizers attach them and as each reader may see them: photos re-encoded
without EXIF, files served with their type and `nosniff`, registrants-only files a 404 to
everyone else (by URL too), recordings, removal."""

from __future__ import annotations

import io

from PIL import Image

from meetup.events.audit import actions_of
from meetup.events.tables import Event
from tests.factories import make_accounts, signed_in
from tests.reports.factories import PDF, forum_with_people, jpeg_with_gps, png, stored, upload


async def test_a_photo_is_written_again_without_its_location(client):
    slug, _people = await forum_with_people(client)
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it does say where
    response = await upload(client, slug, original, "IMG_0001.JPG", ctype="image/jpeg", title="会場の様子")
    assert response.status_code == 201, response.text
    served = await client.get(response.json()["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline;")
    picture = Image.open(io.BytesIO(served.content))
    assert picture.format == "JPEG" and picture.size == (64, 48)
    assert not picture.getexif()  # no EXIF at all: no GPS, no maker
    assert b"Exif" not in served.content[:200] and b"PhoneMaker" not in served.content
    assert b"Aoba" not in served.content and "comment" not in picture.info  # nor the comment


async def test_a_png_keeps_its_pixels_and_loses_its_text(client):
    slug, _people = await forum_with_people(client)
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret note")
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (1, 2, 3)).save(out, format="PNG", pnginfo=info)
    response = await upload(client, slug, out.getvalue(), "a.png", ctype="image/png")
    assert response.status_code == 201, response.text
    served = await client.get(response.json()["url"])
    assert b"secret note" not in served.content
    assert Image.open(io.BytesIO(served.content)).getpixel((5, 5)) == (1, 2, 3)


async def test_registrants_only_files_are_404_to_everyone_else(client, make_client):
    slug, (registrant, *_rest) = await forum_with_people(client)
    (stranger,) = await make_accounts(1)
    created = (await upload(client, slug, PDF, visibility="registrants", title="参加者限定資料")).json()
    public = (await upload(client, slug, png(), "p.png", ctype="image/png", title="公開写真")).json()
    url = created["url"]

    insider = await signed_in(make_client, registrant)
    assert (await insider.get(url)).status_code == 200
    got = await insider.get(url)
    assert got.content == PDF and got.headers["cache-control"].startswith("private")
    titles = [m["title"] for m in (await insider.get(f"/api/v1/events/{slug}/materials")).json()]
    assert titles == ["参加者限定資料", "公開写真"]

    outsider = await signed_in(make_client, stranger)
    anonymous = await make_client()
    for reader in (outsider, anonymous):
        assert (await reader.get(url)).status_code == 404
        assert (await reader.get(public["url"])).status_code == 200
        titles = [m["title"] for m in (await reader.get(f"/api/v1/events/{slug}/materials")).json()]
        assert titles == ["公開写真"]
        # guessing: another token of the same shape, the row id, a path trick
        token = url.rsplit("/", 1)[1]
        for guess in (
            url[:-1] + ("A" if token[-1] != "A" else "B"),
            f"/materials/{created['id']}",
            "/materials/..%2F..%2Fsecret_key",
        ):
            assert (await reader.get(guess)).status_code == 404


async def test_a_draft_forums_files_are_nobodys_but_its_organizers(client, make_client):
    slug, (registrant, *_rest) = await forum_with_people(client)
    url = (await upload(client, slug, PDF)).json()["url"]
    await Event.update({Event.status: "draft"}).where(Event.slug == slug)
    assert (await client.get(url)).status_code == 200
    insider = await signed_in(make_client, registrant)
    assert (await insider.get(url)).status_code == 404
    assert (await insider.get(f"/api/v1/events/{slug}/materials")).status_code == 404


async def test_recordings_and_removal(client, make_client):
    slug, _people = await forum_with_people(client)
    made = await client.post(
        f"/api/v1/events/{slug}/recordings",
        json={"url": "https://www.youtube.com/watch?v=abc", "title": "全体会の録画", "visibility": "registrants"},
    )
    assert made.status_code == 201, made.text
    bad = await client.post(f"/api/v1/events/{slug}/recordings", json={"url": "javascript:alert(1)", "title": "x"})
    assert bad.status_code == 400
    file = (await upload(client, slug, PDF)).json()
    assert (await stored())[0] == 2
    assert (await client.delete(f"/api/v1/events/{slug}/materials/{file['id']}")).status_code == 204
    assert (await client.get(file["url"])).status_code == 404
    assert await stored() == (1, [])
    assert (await client.delete(f"/api/v1/events/{slug}/materials/{file['id']}")).status_code == 204  # idempotent
    assert (await client.delete(f"/api/v1/events/{slug}/materials/999")).status_code == 404
    assert (await client.delete(f"/api/v1/events/{slug}/materials/{2**40}")).status_code == 400
    anonymous = await make_client()
    assert (await anonymous.get(f"/api/v1/events/{slug}/materials")).json() == []
    event_id = (await Event.select(Event.id).where(Event.slug == slug).first())["id"]
    assert await actions_of(event_id) == ["recording.add", "material.add", "material.delete", "material.delete"]


async def test_only_those_who_run_the_forum_attach(client, make_client):
    slug, (registrant, *_rest) = await forum_with_people(client)
    member = await signed_in(make_client, registrant)
    assert (await upload(member, slug, PDF)).status_code == 403
    assert (await upload(await make_client(), slug, PDF)).status_code == 401
    assert await stored() == (0, [])
