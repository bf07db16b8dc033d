"""Languages: Japanese first, English second.

Catalogues are Babel `.po` files under meetup/locale, compiled in memory at start-up, so there
is no binary build artefact to forget. The current language lives in a context variable that
the locale middleware sets per request and `use_locale()` sets for mail.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from meetup import ROOT

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
TOKYO = ZoneInfo("Asia/Tokyo")
LOCALE_DIR = ROOT / "meetup" / "locale"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def normalize(locale: str | None) -> str | None:
    """'en-US' -> 'en'; None for a language the site does not speak."""
    if not locale:
        return None
    short = locale.replace("_", "-").split("-")[0].lower()
    return short if short in LOCALES else None


@cache
def translations(locale: str) -> Translations:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Translations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(normalize(locale) or DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    token = _current.set(normalize(locale) or DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


# How forum times read: 2026年12月20日(日) 14:00 / Sun 20 Dec 2026, 14:00; "time" is the hour alone.
_PATTERNS = {
    "ja": {"full": "y年M月d日(E) H:mm", "date": "y年M月d日(E)", "time": "H:mm"},
    "en": {"full": "EEE d MMM y, H:mm", "date": "EEE d MMM y", "time": "H:mm"},
}


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    """A time as people in Tohoku read it: Asia/Tokyo, in the current language."""
    if value is None:
        return ""
    locale = _current.get()
    return _formatted(value, _PATTERNS.get(locale, _PATTERNS["en"]).get(format, format), locale)


@lru_cache(maxsize=4096)
def _formatted(value: datetime, pattern: str, locale: str) -> str:
    # the same few forum times are shown on every page and in every mail: Babel's formatting
    # is a fair share of rendering either
    return babel_format_datetime(value, format=pattern, tzinfo=TOKYO, locale=locale)


def format_span(start: datetime | None, end: datetime | None) -> str:
    """ "2026年12月20日(日) 14:00 – 16:30", with the end's date only when it is another day."""
    if start is None or end is None:
        return format_datetime(start, "full")
    same_day = start.astimezone(TOKYO).date() == end.astimezone(TOKYO).date()
    return f"{format_datetime(start, 'full')} – {format_datetime(end, 'time' if same_day else 'full')}"
