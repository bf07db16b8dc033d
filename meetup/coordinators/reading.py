"""How Japanese names are read and searched: kanji, kana and romaji all find the person.

A name is kept with its reading in hiragana (the あいうえお順 sort key) and its romaji; the
directory searches one normalised text holding all three. pykakasi reads kanji when the person
gave no ふりがな; romaji is Hepburn with long vowels folded, so "sato", "satou" and "satoh" meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pykakasi

_KATAKANA = re.compile(r"[\u30a1-\u30f6]")
_LONG_VOWELS = (("ou", "o"), ("oo", "o"), ("uu", "u"), ("oh", "o"), ("ei", "e"))
_SPACES = re.compile(r"\s+")
# Places of Tohoku that pykakasi reads wrongly (女川 as めがわ, 郡山 as こうりやま): their own reading
# is put in before pykakasi reads the rest, so "おながわ" and "onagawa" find 女川町's cases and people.
# Only names that are read one way; a town's 町 is ちょう or まち as the town itself says.
PLACE_READINGS = {
    "女川町": "おながわちょう",
    "女川": "おながわ",
    "南三陸町": "みなみさんりくちょう",
    "大槌町": "おおつちちょう",
    "山田町": "やまだまち",
    "双葉町": "ふたばまち",
    "山元町": "やまもとちょう",
    "亘理町": "わたりちょう",
    "亘理": "わたり",
    "広野町": "ひろのまち",
    "雄勝": "おがつ",
    "六ヶ所": "ろっかしょ",
    "大間町": "おおままち",
    "郡山": "こおりやま",
}
_PLACES = re.compile("|".join(sorted(map(re.escape, PLACE_READINGS), key=len, reverse=True)))


@cache
def _kakasi() -> pykakasi.kakasi:
    return pykakasi.kakasi()


def warm_up() -> None:
    """Load pykakasi's dictionaries now (half a second), not in the first kana search or profile
    save, where it would stall every room on the process while it loads."""
    _kakasi().convert("東北 さとう")


def fold(text: str) -> str:
    """NFKC (full-width to half-width, ｶﾅ to カナ), lower case, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def to_hiragana(text: str) -> str:
    return _KATAKANA.sub(lambda m: chr(ord(m.group(0)) - 0x60), fold(text))


def _converted(word: str) -> list[dict]:
    """pykakasi's reading of one word, the places it misreads read as they are."""
    return _kakasi().convert(_PLACES.sub(lambda m: PLACE_READINGS[m.group(0)], word))


def _fold_long_vowels(latin: str) -> str:
    for long, short in _LONG_VOWELS:
        latin = latin.replace(long, short)
    return latin


def romaji(text: str) -> str:
    """Hepburn romaji, word by word, long vowels folded: '佐藤 一郎' -> 'sato ichiro'."""
    words = []
    for word in fold(text).split(" "):
        converted = "".join(part["hepburn"] for part in _converted(word))
        words.append(_fold_long_vowels(re.sub(r"[^a-z0-9]", "", converted)))
    return " ".join(w for w in words if w)


def reading_of(name: str, name_kana: str = "") -> str:
    """The hiragana reading: the ふりがな given, else pykakasi's reading of the name."""
    if name_kana.strip():
        return to_hiragana(name_kana)
    return " ".join("".join(p["hira"] for p in _converted(w)) for w in fold(name).split(" ") if w)


def search_text(*, name: str, reading: str, extra: list[str]) -> str:
    """Everything the directory matches a query against, in folded forms."""
    spoken = romaji(reading)
    parts = [fold(name), reading, reading.replace(" ", ""), spoken, spoken.replace(" ", "")]
    parts += [fold(x) for x in extra if x]
    return " | ".join(p for p in parts if p)


def query_terms(query: str) -> list[list[str]]:
    """Each word of the query, in the forms that may match it (any form of every word must)."""
    terms = []
    for word in fold(query).split(" ")[:8]:
        if not word:
            continue
        forms = {word, to_hiragana(word)}
        if re.fullmatch(r"[a-z0-9'-]+", word):
            forms.add(_fold_long_vowels(word.replace("-", "").replace("'", "")))
        elif re.fullmatch(r"[\u3041-\u3096\u30a1-\u30f6ー]+", word):
            forms.add(romaji(word).replace(" ", ""))
        terms.append(sorted(f for f in forms if f))
    return terms


def search_clause(column, query: str | None):
    """A WHERE clause on a normalised search-text `column`: every word of `query` matches in one
    of its forms. None when the query has no words."""
    where = None
    for forms in query_terms(query or ""):
        clause = None
        for form in forms:
            like = column.like("%" + form.replace("%", "").replace("_", "") + "%")
            clause = like if clause is None else clause | like
        where = clause if where is None else where & clause
    return where
