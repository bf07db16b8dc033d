"""The one rule for text people type: what a one-line field and a multi-line field may hold.

A one-line field (a title, a name, a venue, a subject) ends up in mail headers, calendar lines,
CSV cells and page titles, where a line break either breaks the mail or smuggles in a line of its
own. So every control character and Unicode line or paragraph separator becomes a single space,
and the invisible format characters that can disguise text (bidi overrides, zero-width spaces,
byte order marks) go. Multi-line fields (descriptions, bios, chat) keep their line breaks, as
"\\n", and lose the rest. Applied where input enters (the msgspec Structs every API and form
decodes into), so what is stored is already clean.
"""

from __future__ import annotations

import re

# Invisible characters that only change how neighbouring text is shown (bidi marks, embeddings,
# overrides and isolates, zero-width space, word joiner, BOM, soft hyphen). ZWJ and ZWNJ stay:
# emoji sequences and some scripts need them.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
# C0 controls (tab, CR, LF included), DEL, C1 controls (NEL included), line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(" {2,}")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROLS_BUT_TAB_AND_LF = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def one_line(value: str) -> str:
    """`value` as one line: controls and line breaks become one space each run, invisible
    format characters go, and the ends are trimmed."""
    value = _CONTROLS.sub(" ", _INVISIBLE.sub("", value))
    return _SPACES.sub(" ", value).strip()


def multi_line(value: str) -> str:
    """`value` with its line breaks as "\\n" and tabs kept; every other control character and
    invisible format character removed. The ends are left as they are."""
    value = _LINE_BREAKS.sub("\n", _INVISIBLE.sub("", value))
    return _CONTROLS_BUT_TAB_AND_LF.sub("", value)
