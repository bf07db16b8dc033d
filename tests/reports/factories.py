"""Files to upload, good and hostile, made in memory; a forum with people; the upload call."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

from meetup.events import registration
from meetup.events import service as events
from meetup.events.schemas import RegistrationIn
from meetup.reports.tables import Material
from meetup.site import storage
from tests.factories import create_forum, make_accounts, organizer

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png(width: int = 40, height: int = 30, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF says where it was taken (GPS IFD) and who made it."""
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (38.0, 15.0, 0.0), 3: "E", 4: (140.0, 52.0, 0.0)}  # GPSInfo: 仙台
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home, 3-1 Aoba, Sendai")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int = 100_000) -> bytes:
    """A few hundred bytes claiming `side` × `side` pixels (10 gigapixels): a decompression bomb."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def pdf_zip_polyglot() -> bytes:
    """A PDF that is also a valid ZIP archive (the archive appended after the PDF)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("evil.html", "<script>alert(1)</script>")
    return PDF + archive.getvalue()


def jpeg_html_polyglot() -> bytes:
    """A JPEG carrying an HTML page in a comment: a browser sniffing it would run the script."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 0, 0)).save(out, format="JPEG", comment=b"<html><script>alert(1)</script></html>")
    return out.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


async def forum_with_people(client, people: int = 2, **forum) -> tuple[str, list[int]]:
    """`client` signed in as an organizer; a published forum with `people` confirmed registrants."""
    await organizer(client)
    slug = await create_forum(client, **forum)
    event = await events.event_row(slug)
    uids = await make_accounts(people)
    for uid in uids:
        await registration.register(event, uid, RegistrationIn(), [])
    return slug, uids


async def upload(
    client, slug: str, content: bytes, name: str = "slides.pdf", *, ctype: str = "application/pdf", **fields
):
    data = {"title": "基調講演スライド", "visibility": "public", **fields}
    return await client.post(f"/api/v1/events/{slug}/materials", data=data, files={"file": (name, content, ctype)})


async def stored() -> tuple[int, list[str]]:
    """How many material rows there are, and the keys in storage."""
    return await Material.count().where(Material.removed == False), await storage.current().keys()  # noqa: E712


async def line_row(room_id: int, seq: int) -> int:
    """The stored row id of a room's line (the API numbers lines within their room)."""
    from meetup.rooms.tables import RoomMessage

    rows = await RoomMessage.select(RoomMessage.id).where((RoomMessage.room == room_id) & (RoomMessage.seq == seq))
    return rows[0]["id"]
