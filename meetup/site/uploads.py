"""Spreadsheet files people upload (the organisations' and the graduates' CSV imports): one
rule for how they are read, so every import understands the same files.

- the bytes are UTF-8 (a BOM dropped), else cp932: the Shift_JIS with Windows' extra characters
  that Excel writes; anything else is a 400 naming `file`;
- the route reads one byte more than its limit, so a file over it is refused, not cut short.
"""

from __future__ import annotations

from litestar.datastructures import UploadFile

from meetup.errors import BadInput
from meetup.i18n import gettext as _


def decode_csv(content: bytes) -> str:
    """UTF-8 (a BOM dropped), else cp932 (Shift_JIS with Windows' extra characters)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput(_("The file is neither UTF-8 nor Shift_JIS."), field="file")


async def uploaded_file(form: dict, max_bytes: int) -> bytes:
    """The uploaded `file`'s bytes (one more than `max_bytes` at most, so a big file is refused)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadInput(_("Send the CSV as the multipart field `file`."), field="file")
    return await upload.read(max_bytes + 1)
