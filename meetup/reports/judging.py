"""What an uploaded material is, judged by its bytes, never by its name or the type it claims.
This runs in a work process (files.py sends it there): it imports Pillow and the standard
library only, never the app, and says why it refuses with a `Refused` reason that files.py turns
into the person's language.

Rules:
- a PDF starts with `%PDF-`; a PNG or a JPEG is what Pillow opens as one; nothing else;
- a file that is also a ZIP archive (its end record found) or carries HTML (any page-starting
  tag where a browser sniffs, the first KB; `<html`, `<script`, `<iframe`… anywhere) is a
  polyglot: refused, whatever else it also is;
- an image's dimensions are read before its pixels: more than MAX_PIXELS (a "zip bomb" picture
  of 100,000 × 100,000 pixels in a few kilobytes) is refused without decoding;
- images are decoded and written again: EXIF (where a photo was taken), comments and every other
  chunk stay behind; a JPEG turned upright first, as its EXIF orientation said.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import msgspec
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; more is refused before decoding
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, in case anything opens one elsewhere

KINDS = {"pdf": ("application/pdf", ".pdf"), "png": ("image/png", ".png"), "jpeg": ("image/jpeg", ".jpg")}
# Where browsers sniff (the first 512 bytes; we look at twice that) any tag that starts a page;
# in the rest of the file only long, telling ones: a short tag (`<a `, `<svg`) turns up by chance
# in 20 MB of compressed bytes, and refusing every real PDF that happens to hold one is no rule.
_HTML_HEAD = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|a\s)", re.IGNORECASE
)
_HTML_ANYWHERE = re.compile(
    rb"<(?:!doctype\s+html|html[\s>]|script[\s>]|iframe[\s>]|object[\s>]|embed[\s>])", re.IGNORECASE
)
_SNIFFED = 1024
_SCAN = 1024 * 1024


class Refused(Exception):
    """The file is not accepted; `reason` is one of files.REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Checked(msgspec.Struct):
    kind: str  # pdf | png | jpeg
    content_type: str
    path: Path  # the bytes to store: the upload itself (PDF) or the image written again
    size: int
    width: int | None = None
    height: int | None = None


def _looks_like_html(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(_SNIFFED)
        if _HTML_HEAD.search(head) or _HTML_ANYWHERE.search(head):
            return True
        previous = head[-32:]
        while chunk := handle.read(_SCAN):
            if _HTML_ANYWHERE.search(previous + chunk):
                return True
            previous = chunk[-32:]
    return False


def check(path: Path, image_path: Path) -> Checked:
    """The upload at `path` judged by content; an image is written again at `image_path`."""
    size = path.stat().st_size
    if size == 0:
        raise Refused("empty")
    if size > MAX_BYTES:
        raise Refused("too_large")
    if zipfile.is_zipfile(path):
        raise Refused("zip")
    if _looks_like_html(path):
        raise Refused("html")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return Checked(kind="pdf", content_type=KINDS["pdf"][0], path=path, size=size)
    try:
        with image_path.open("xb") as out:
            kind, width, height = _decode_and_write(path, out)
    except BaseException:
        image_path.unlink(missing_ok=True)
        raise
    return Checked(
        kind=kind,
        content_type=KINDS[kind][0],
        path=image_path,
        size=image_path.stat().st_size,
        width=width,
        height=height,
    )


def _decode_and_write(path: Path, out) -> tuple[str, int, int]:
    """Decode the picture at `path` and write it again into `out`; its kind and size. Written
    while the picture is open, so its pixels are never copied (a 12-megapixel photo is 36 MB)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                kind = {"PNG": "png", "JPEG": "jpeg"}.get(image.format or "")
                if kind is None:
                    raise Refused("kind")
                width, height = image.size
                if width * height > MAX_PIXELS or width > 30_000 or height > 30_000:
                    raise Refused("pixels")
                image.load()
                if kind == "jpeg":
                    ImageOps.exif_transpose(image, in_place=True)  # upright, as its EXIF said
                keep = ("RGB", "L") if kind == "jpeg" else ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")
                picture = image if image.mode in keep else image.convert("RGB" if kind == "jpeg" else "RGBA")
                picture.info.clear()  # EXIF, comments, text chunks, ICC profile: Pillow copies none of them then
                picture.save(out, format="JPEG", quality=88) if kind == "jpeg" else picture.save(out, format="PNG")
                return kind, picture.width, picture.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("pixels") from None
    except UnidentifiedImageError:
        raise Refused("kind") from None
    except (OSError, SyntaxError, ValueError):  # truncated or broken pixels
        raise Refused("damaged") from None
