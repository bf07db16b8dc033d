"""The pages people see: Japanese first, English on request, readable errors, health and schema."""

import msgspec
from babel.messages.extract import extract_from_dir

from meetup import ROOT, i18n
from meetup.accounts.tables import Account
from tests.conftest import running
from tests.factories import sign_up


async def test_home_explains_the_meetup_in_japanese(client):
    page = await client.get("/")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert "ハブ・コーディネーター" in page.text
    assert "今後のフォーラム" in page.text
    assert page.headers["content-language"] == "ja"
    assert 'name="viewport"' in page.text  # readable on a phone


async def test_english_on_request_and_remembered(client):
    english = await client.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert "Upcoming forums" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = await client.get("/login")
    assert "E-mail address" in again.text
    back = await client.get("/login?lang=ja")
    assert "メールアドレス" in back.text


async def test_a_signed_in_persons_language_choice_is_kept_on_the_account(client):
    user = await sign_up(client)
    await client.get("/?lang=en")
    row = await Account.select(Account.locale).where(Account.id == user["id"]).first()
    assert row["locale"] == "en"


async def test_the_header_switch_links_to_the_other_language(client):
    page = await client.get("/login")
    assert 'href="/login?lang=en"' in page.text


async def test_unknown_pages_are_a_friendly_404(client):
    page = await client.get("/no/such/page")
    assert page.status_code == 404
    assert "ページが見つかりません" in page.text
    api = await client.get("/api/v1/no/such/thing")
    assert api.status_code == 404
    assert api.json()["status_code"] == 404


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] in ("ok", "disabled")


async def test_healthz_is_503_when_the_database_cannot_be_reached(settings):
    unreachable = msgspec.structs.replace(settings, database_url="postgresql://127.0.0.1:9/nowhere")
    async with running(unreachable) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


async def test_openapi_document_and_browsable_ui(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/magic-link"):
        assert path in schema["paths"], path
    assert "/api/v1/me" in schema["paths"]
    assert "/healthz" in schema["paths"]
    ui = await client.get("/schema")
    assert ui.status_code == 200
    assert "text/html" in ui.headers["content-type"]


def test_every_text_has_a_japanese_translation():
    """A new English string without its Japanese would show English on a Japanese page."""
    japanese = i18n.translations("ja")
    missing = []
    for path in ("meetup", "templates"):
        method_map = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
        options = {"**.html": {"extensions": "jinja2.ext.i18n"}, "**.txt": {"extensions": "jinja2.ext.i18n"}}
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / path, method_map, options_map=options, keywords={"_": None, "gettext": None}
        ):
            text = message if isinstance(message, str) else message[0]
            if japanese.gettext(text) == text:
                missing.append(text)
    assert missing == []


def test_the_english_catalogue_is_the_source_text():
    """English pages show the English msgids: the en catalogue must not carry other text."""
    english = i18n.translations("en")
    for message in ("Connect", "Log in", "Forums", "Your place at this forum is confirmed."):
        assert english.gettext(message) == message
