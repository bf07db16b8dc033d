"""Tickets (受付票): a code a person can read aloud, type on a phone and scan, and the desk's
search by name for whoever stands there without their phone.

A code is 8 characters drawn with `secrets` from an alphabet without look-alikes (no 0/O,
1/I/L, and no U), stored as 8 capitals and shown `XXXX-XXXX` on the ticket and in its QR code.
The desk reads it back in any case, with or without the dash, spaces or full-width characters.
A code is unique across every forum (the column's unique index; a clash, about one in a
trillion, is refused by the database and registration draws again).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime
from functools import lru_cache

import msgspec

from meetup.coordinators import reading
from meetup.events.tables import Registration
from meetup.i18n import TOKYO

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_CODE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
# What people and phones put between the halves: dashes of every width, the katakana long
# vowel mark a Japanese keyboard gives for "-", and any white space.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー－]+")
DESK_MATCHES = 20  # more than a desk can scan by eye: type more of the name


def new_code() -> str:
    """A fresh random code (8 characters of ALPHABET), from one draw of the system's randomness
    rather than one a character (each a system call: 3 % of a registration's time)."""
    number = secrets.randbelow(len(ALPHABET) ** LENGTH)
    characters = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[digit])
    return "".join(characters)


def shown(code: str) -> str:
    """`7KQM3XRD` -> `7KQM-3XRD`, as the ticket and its QR code show it."""
    return f"{code[:4]}-{code[4:]}" if _CODE.fullmatch(code) else code


def read(typed: str) -> str | None:
    """The stored form of a typed or scanned code, or None when it cannot be one.

    Any case, with or without the dash or spaces, full-width or not; a scanned URL counts by
    its last path segment."""
    text = unicodedata.normalize("NFKC", typed or "").strip().rstrip("/").rsplit("/", 1)[-1]
    code = _SEPARATORS.sub("", text).upper()
    return code if _CODE.fullmatch(code) else None


class DeskMatch(msgspec.Struct):
    """A confirmed registrant as the desk sees them: a name and whether they came, no e-mail."""

    id: int
    display_name: str
    prefecture: str | None
    checked_in_at: datetime | None


@lru_cache(maxsize=8192)
def _forms(name: str) -> tuple[str, str]:
    """(the name's reading in hiragana, the name in every form a desk may type: as written,
    in hiragana and in romaji)."""
    spoken = reading.reading_of(name)
    return spoken, reading.search_text(name=name, reading=spoken, extra=[])


def _matches(name: str, terms: list[list[str]]) -> bool:
    text = _forms(name)[1]
    return all(any(form in text for form in forms) for forms in terms)


async def find_by_name(event_id: int, query: str) -> tuple[list[DeskMatch], bool]:
    """Confirmed registrants of this forum whose name matches `query` (part of the name in
    kanji, kana or romaji, every word), by name; (the first DESK_MATCHES, whether there are more)."""
    terms = reading.query_terms(query[:100])
    if not terms:
        return [], False
    rows = (
        await Registration.select(
            Registration.id,
            Registration.prefecture,
            Registration.checked_in_at,
            Registration.account.display_name.as_alias("display_name"),
        )
        .where((Registration.event == event_id) & (Registration.status == "confirmed"))
        .order_by(Registration.id)
    )
    found = [row for row in rows if _matches(row["display_name"], terms)]
    found.sort(key=lambda row: (_forms(row["display_name"])[0], row["id"]))  # あいうえお順
    return [
        DeskMatch(
            id=row["id"],
            display_name=row["display_name"],
            prefecture=row["prefecture"],
            checked_in_at=row["checked_in_at"].astimezone(TOKYO) if row["checked_in_at"] else None,
        )
        for row in found[:DESK_MATCHES]
    ], len(found) > DESK_MATCHES
