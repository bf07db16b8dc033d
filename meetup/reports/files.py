"""What an uploaded material is, judged by its bytes, never by its name or the type it claims.

Rules (each refusal a 400 naming `file`):
- a PDF starts with `%PDF-`; a PNG or a JPEG is what Pillow opens as one; nothing else;
- a file that is also a ZIP archive (its end record found) or carries HTML (any page-starting
  tag where a browser sniffs, the first KB; `<html`, `<script`, `<iframe`… anywhere) is a
  polyglot: refused, whatever else it also is;
- an image's dimensions are read before its pixels: more than MAX_PIXELS (a "zip bomb" picture
  of 100,000 × 100,000 pixels in a few kilobytes) is refused without decoding;
- images are decoded and written again: EXIF (where a photo was taken), comments and every other
  chunk stay behind; a JPEG turned upright first, as its EXIF orientation said;
- a PDF named `.jpg` is a PDF (the name only ever becomes display text, with the real
  extension); an HTML file named `.pdf` is refused.

These run in a worker thread (`check` is blocking): decoding a 20 MB photo takes a while.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import warnings
import zipfile
from pathlib import Path

import msgspec
from PIL import Image, ImageOps, UnidentifiedImageError

from meetup.errors import BadInput, PayloadTooLarge
from meetup.i18n import gettext as _

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
_SCAN = 64 * 1024  # a regular expression holds the GIL: small slices leave the event loop its turn


class Checked(msgspec.Struct):
    kind: str  # pdf | png | jpeg
    content_type: str
    path: Path  # the bytes to store: the upload itself (PDF) or the image written again
    size: int
    width: int | None = None
    height: int | None = None


def refuse(message: str) -> BadInput:
    return BadInput(message, field="file")


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(_("The file is larger than 20 MB."), field="file")


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


def check(path: Path, work_dir: Path) -> Checked:
    """The upload at `path` judged by content; an image re-encoded into `work_dir`."""
    size = path.stat().st_size
    if size == 0:
        raise refuse(_("The file is empty."))
    if size > MAX_BYTES:
        raise too_large()
    if zipfile.is_zipfile(path):
        raise refuse(_("The file is also a ZIP archive; only plain PDF, PNG or JPEG files are accepted."))
    if _looks_like_html(path):
        raise refuse(_("The file carries HTML; only plain PDF, PNG or JPEG files are accepted."))
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return Checked(kind="pdf", content_type=KINDS["pdf"][0], path=path, size=size)
    return _reencoded(path, work_dir)


def _reencoded(path: Path, work_dir: Path) -> Checked:
    fd, name = tempfile.mkstemp(dir=work_dir, prefix=".image-")
    target = Path(name)
    try:
        with open(fd, "wb") as out:
            kind, width, height = _decode_and_write(path, out)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Checked(
        kind=kind, content_type=KINDS[kind][0], path=target, size=target.stat().st_size, width=width, height=height
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
                    raise refuse(_("Only PDF, PNG or JPEG files are accepted."))
                width, height = image.size
                if width * height > MAX_PIXELS or width > 30_000 or height > 30_000:
                    raise refuse(_("The picture is too large (at most 40 million pixels)."))
                image.load()
                if kind == "jpeg":
                    ImageOps.exif_transpose(image, in_place=True)  # upright, as its EXIF said
                keep = ("RGB", "L") if kind == "jpeg" else ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")
                picture = image if image.mode in keep else image.convert("RGB" if kind == "jpeg" else "RGBA")
                picture.info.clear()  # EXIF, comments, text chunks, ICC profile: Pillow copies none of them then
                picture.save(out, format="JPEG", quality=88) if kind == "jpeg" else picture.save(out, format="PNG")
                return kind, picture.width, picture.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse(_("The picture is too large (at most 40 million pixels).")) from None
    except UnidentifiedImageError:
        raise refuse(_("Only PDF, PNG or JPEG files are accepted.")) from None
    except (OSError, SyntaxError, ValueError):  # truncated or broken pixels
        raise refuse(_("The picture cannot be read; it may be damaged.")) from None


def display_name(uploaded: str | None, kind: str) -> str:
    """The uploaded name as display text only: its last path part, without control characters or
    leading dots, at most 100 characters, ending in the extension of what the file really is."""
    name = unicodedata.normalize("NFC", uploaded or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*')
    name = name.strip().lstrip(".").strip()
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:100].strip() or "material"
    return stem + KINDS[kind][1]
