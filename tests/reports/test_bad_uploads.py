"""Every bad file of the issue is refused with a clear 4xx naming `file` (or judged by its
content), and a refusal stores nothing: no row, no object in storage, no temporary file left."""

from __future__ import annotations

from pathlib import Path

import pytest

from meetup import settings as app_settings
from tests.reports.factories import (
    HTML,
    PDF,
    bomb_png,
    forum_with_people,
    jpeg_html_polyglot,
    pdf_zip_polyglot,
    png,
    stored,
    upload,
)


def leftovers() -> list[Path]:
    incoming = Path(app_settings.current().var_dir) / "incoming"
    return [p for p in incoming.rglob("*") if p.is_file()] if incoming.exists() else []


BAD = [
    ("html-named-pdf", HTML, "slides.pdf", "application/pdf", 400),
    ("pdf-zip-polyglot", pdf_zip_polyglot(), "slides.pdf", "application/pdf", 400),
    ("jpeg-html-polyglot", jpeg_html_polyglot(), "photo.jpg", "image/jpeg", 400),
    ("decompression-bomb", bomb_png(), "photo.png", "image/png", 400),
    ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo.png", "image/png", 400),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.png", "image/png", 400),
    ("truncated-png", png()[:60], "photo.png", "image/png", 400),
    ("empty", b"", "slides.pdf", "application/pdf", 400),
    ("zip", pdf_zip_polyglot()[len(PDF) :], "slides.pdf", "application/pdf", 400),
]


@pytest.mark.parametrize(("case", "content", "name", "ctype", "status"), BAD, ids=[b[0] for b in BAD])
async def test_a_bad_file_is_refused_and_nothing_is_stored(client, case, content, name, ctype, status):
    slug, _people = await forum_with_people(client)
    response = await upload(client, slug, content, name, ctype=ctype)
    assert response.status_code == status, (case, response.text)
    assert response.json()["extra"][0]["key"] == "file", response.text
    assert await stored() == (0, [])
    assert leftovers() == []


async def test_a_21_mb_file_is_413_naming_file_and_nothing_is_stored(client):
    slug, _people = await forum_with_people(client)
    response = await upload(client, slug, PDF + b"0" * (21 * 1024 * 1024))
    assert response.status_code == 413, response.text
    assert response.json()["extra"][0]["key"] == "file"
    assert await stored() == (0, [])
    assert leftovers() == []


async def test_a_body_far_over_the_limit_is_413_before_it_is_read(client):
    slug, _people = await forum_with_people(client)
    response = await upload(client, slug, PDF + b"0" * (30 * 1024 * 1024))
    assert response.status_code == 413
    assert await stored() == (0, [])


async def test_exactly_20_mb_is_accepted(client):
    slug, _people = await forum_with_people(client)
    body = PDF + b"%" + b"0" * (20 * 1024 * 1024 - len(PDF) - 1)
    response = await upload(client, slug, body)
    assert response.status_code == 201, response.text
    count, keys = await stored()
    assert count == 1 and len(keys) == 1
    served = await client.get(response.json()["url"])
    assert served.content == body  # every byte, across the batched writes


async def test_a_pdf_named_jpg_is_a_pdf(client):
    """Judged by content: the name only becomes display text, with the real extension."""
    slug, _people = await forum_with_people(client)
    response = await upload(client, slug, PDF, "photo.jpg", ctype="image/jpeg")
    assert response.status_code == 201, response.text
    served = await client.get(response.json()["url"])
    assert served.headers["content-type"] == "application/pdf"
    assert 'filename="photo.pdf"' in served.headers["content-disposition"]
    assert served.content == PDF


@pytest.mark.parametrize(
    "name",
    ["../../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/var/lib/meetup/x.pdf", ".htaccess", "a\x00b.pdf"],
)
async def test_path_tricks_in_names_are_harmless(client, name):
    slug, _people = await forum_with_people(client)
    response = await upload(client, slug, PDF, name)
    assert response.status_code == 201, response.text
    _count, keys = await stored()
    assert len(keys) == 1 and keys[0].startswith("materials/") and ".." not in keys[0]
    listed = (await client.get(f"/api/v1/events/{slug}/materials")).json()
    shown = listed[0]["name"]
    assert "/" not in shown and "\\" not in shown and not shown.startswith(".") and "\x00" not in shown
    assert shown.endswith(".pdf")
    var = Path(app_settings.current().var_dir)
    assert not (var.parent / "etc").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"visibility": "everyone"}, "visibility")],
)
async def test_bad_fields_are_400_naming_them(client, fields, field):
    slug, _people = await forum_with_people(client)
    response = await upload(client, slug, PDF, **fields)
    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == field
    assert await stored() == (0, [])


async def test_no_file_part_is_400_naming_file(client):
    slug, _people = await forum_with_people(client)
    response = await client.post(f"/api/v1/events/{slug}/materials", data={"title": "x"}, files={"other": ("a", b"b")})
    assert response.status_code == 400
    assert response.json()["extra"][0]["key"] == "file"
    response = await client.post(f"/api/v1/events/{slug}/materials", json={"title": "x"})
    assert response.status_code == 400
    assert await stored() == (0, [])


async def test_an_upload_without_the_right_csrf_token_is_refused(client):
    slug, _people = await forum_with_people(client)
    token = client.headers.pop("x-csrftoken")
    response = await upload(client, slug, PDF)
    assert response.status_code == 403
    client.headers["x-csrftoken"] = "forged" + token[6:]
    assert (await upload(client, slug, PDF)).status_code == 403
    del client.headers["x-csrftoken"]
    # the page's form: its token comes as a field before the file
    response = await upload(client, slug, PDF, _csrf_token=token)
    assert response.status_code == 201, response.text
    assert (await stored())[0] == 1
