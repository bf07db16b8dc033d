"""Names are found by how they are read: pykakasi's dictionaries are loaded before serving."""

from meetup.coordinators import reading
from tests.conftest import running


async def test_the_readings_dictionary_is_loaded_before_the_first_request(settings):
    # Loaded lazily, it took half a second in the first kana search, stalling every room.
    reading._kakasi.cache_clear()
    async with running(settings) as client:
        assert reading._kakasi.cache_info().currsize == 1  # before any request
        found = await client.get("/api/v1/coordinators", params={"q": "さとう"})
        assert found.status_code == 200
    assert reading._kakasi.cache_info().misses == 1


def test_readings_match_kanji_kana_and_romaji():
    assert reading.query_terms("さとう") == [["sato", "さとう"]]
    assert reading.romaji("佐藤 一郎") == "sato ichiro"
    assert reading.reading_of("佐藤 花子") == "さとう はなこ"


def test_places_of_tohoku_that_pykakasi_misreads_are_read_as_they_are():
    assert reading.reading_of("女川町") == "おながわちょう"
    assert reading.reading_of("亘理町 佐藤") == "わたりちょう さとう"
    assert reading.romaji(reading.reading_of("郡山")) == "koriyama"
    text = reading.search_text(name="女川町の再生", reading=reading.reading_of("女川町の再生"), extra=[])
    for query in ("おながわ", "オナガワ", "onagawa", "女川"):
        assert all(any(form in text for form in forms) for forms in reading.query_terms(query)), query
