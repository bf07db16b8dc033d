"""An uploaded material judged by its bytes, never by its name or the type it claims (the rules
are judging.py's), without holding the event loop: the judging runs in a work process of its
own, so a regular expression over 20 MB or Pillow decoding a photo never stops a room's chat.

- every refusal is a 400 naming `file` in the person's language (a file over 20 MB a 413);
- a PDF named `.jpg` is a PDF (the name only ever becomes display text, with the real
  extension); an HTML file named `.pdf` is refused;
- an image is written again beside the upload (`.image-…`), removed by the caller once stored.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from meetup.errors import BadInput, PayloadTooLarge
from meetup.i18n import gettext as _
from meetup.reports.judging import KINDS, MAX_BYTES, Checked, Refused, check
from meetup.work_processes import WorkProcess

__all__ = ["KINDS", "MAX_BYTES", "Checked", "judge", "display_name", "too_large"]

_judging = WorkProcess(preload="meetup.reports.judging")  # Pillow and the rules


def refuse(message: str) -> BadInput:
    return BadInput(message, field="file")


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(_("The file is larger than 20 MB."), field="file")


REASONS = ("empty", "too_large", "zip", "html", "kind", "pixels", "damaged")  # judging.Refused's


def _refusal(reason: str) -> BadInput | PayloadTooLarge:
    """The judging process's `Refused` reason, in the person's language."""
    if reason == "too_large":
        return too_large()
    return refuse(
        {
            "empty": _("The file is empty."),
            "zip": _("The file is also a ZIP archive; only plain PDF, PNG or JPEG files are accepted."),
            "html": _("The file carries HTML; only plain PDF, PNG or JPEG files are accepted."),
            "pixels": _("The picture is too large (at most 40 million pixels)."),
            "damaged": _("The picture cannot be read; it may be damaged."),
        }.get(reason)
        or _("Only PDF, PNG or JPEG files are accepted.")
    )


async def judge(path: Path) -> Checked:
    """The upload at `path` judged in the judging process; an image is written again beside it."""
    image_path = path.parent / f".image-{secrets.token_hex(12)}"
    try:
        return await _judging.run(check, path, image_path)
    except Refused as refused:
        raise _refusal(refused.reason) from None
    except BrokenProcessPool:  # the judging process died on it twice: nothing we can read
        image_path.unlink(missing_ok=True)
        raise _refusal("damaged") from None
    except BaseException:
        image_path.unlink(missing_ok=True)
        raise


def stop() -> None:
    """End the judging process (the app's lifespan, at shutdown)."""
    _judging.stop()


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
