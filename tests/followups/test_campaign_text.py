"""What a follow-up looks like in the recipient's mailbox: addresses are links in the HTML part,
the text part reads as plain text, and the organizer is told when the text repeats the greeting."""

from html.parser import HTMLParser

import pytest

from meetup import markdown
from meetup.mail.tables import OutboxMail
from tests.factories import organizer
from tests.followups.factories import forum_with_audience, rename
from tests.followups.test_campaigns import new_campaign

WRITTEN = """# 本日のふりかえり

本日は**ありがとうございました**。
資料は https://example.jp/docs/2026 にあります（当日のスライドも同じページです）。
フォーラムのページ: {{ event_url }}

- 基調講演の[録画](https://example.jp/video)
- アンケートのお願い

1. 次回の日程
2. 会場のご案内
"""


class Links(HTMLParser):
    """The links of a page, and any event-handler attribute (escaped text is not a tag)."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value or "" for name, value in attrs if tag == "a" and name == "href"]
        self.handlers += [name for name, _value in attrs if name.startswith("on")]


def parsed(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def hrefs(html: str) -> list[str]:
    return parsed(html).hrefs


async def sent_mail(client, body: str) -> tuple[dict, dict]:
    """The campaign mail to the checked-in attendee, and the forum."""
    await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.checked_in, "宮城 美咲")
    created = await new_campaign(client, forum.event["slug"], body=body)
    assert (await client.post(f"/api/v1/campaigns/{created['id']}/send")).status_code == 202
    mail = await OutboxMail.select().where(OutboxMail.account_id == forum.checked_in).first()
    return mail, forum.event


async def test_bare_addresses_and_the_forum_page_placeholder_are_links_in_the_html_part(client):
    mail, event = await sent_mail(client, WRITTEN)
    links = hrefs(mail["body_html"])
    assert "https://example.jp/docs/2026" in links
    assert f"http://testserver.local/events/{event['slug']}" in links
    assert "https://example.jp/video" in links
    # The address ends where the Japanese sentence goes on.
    assert (
        '<a href="https://example.jp/docs/2026" rel="noopener noreferrer">https://example.jp/docs/2026</a>'
        in (mail["body_html"])
    )


async def test_the_text_part_is_plain_text_without_markdown(client):
    mail, event = await sent_mail(client, WRITTEN)
    text = mail["body_text"]
    assert text.startswith("宮城 美咲 様")
    for markup in ("**", "# ", "](", "- 基調"):
        assert markup not in text
    assert "本日のふりかえり" in text
    assert "本日はありがとうございました。\n資料は https://example.jp/docs/2026 にあります" in text  # line breaks kept
    assert f"フォーラムのページ: http://testserver.local/events/{event['slug']}" in text
    assert "・基調講演の録画 (https://example.jp/video)\n・アンケートのお願い" in text
    assert "1. 次回の日程\n2. 会場のご案内" in text


async def test_a_name_with_markdown_stays_as_written_in_the_text_part(client):
    await organizer(client)
    forum = await forum_with_audience()
    await rename(forum.checked_in, "**宮城** [美咲](https://evil.example)")
    created = await new_campaign(client, forum.event["slug"], body="{{ name }}さんの一年に感謝を込めて。")
    await client.post(f"/api/v1/campaigns/{created['id']}/send")
    mail = await OutboxMail.select().where(OutboxMail.account_id == forum.checked_in).first()
    assert "**宮城** [美咲](https://evil.example)さんの一年" in mail["body_text"]
    assert "https://evil.example" not in hrefs(mail["body_html"])


@pytest.mark.parametrize(
    "hostile",
    [
        "javascript:alert(1)",
        "[見る](javascript:alert(2))",
        "<javascript:alert(3)>",
        'https://example.jp/"onmouseover=alert(4)',
        "https://example.jp/'><script>alert(5)</script>",
        "JavaScript://example.jp/%0aalert(6)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==",
    ],
)
async def test_hostile_addresses_never_become_links(client, hostile):
    mail, _event = await sent_mail(client, f"資料: {hostile} をご覧ください。")
    page = parsed(mail["body_html"])
    for href in page.hrefs:
        assert href.startswith(("http://", "https://")), href
    assert page.handlers == []
    assert "<script" not in mail["body_html"]


@pytest.mark.parametrize(
    ("body", "warned"),
    [
        ("{{ name }} 様\n\n本日はありがとうございました。", True),
        ("{{name}}さん、こんにちは。\n\n本日は…", True),
        ("**{{ name }} 様**\n\n本日は…", True),
        ("参加者の皆様\n\n本日は…", True),
        ("皆さま、本日はお疲れさまでした。", True),
        ("Dear {{ name }},\n\nThank you for coming.", True),
        ("本日はご参加ありがとうございました。\n\n{{ name }} 様のご意見をお待ちしています。", False),
        ("様々な方にご参加いただきました。", False),
        ("Thank you for coming, {{ name }}.", False),
    ],
)
async def test_a_text_that_repeats_the_greeting_is_flagged_but_can_be_sent(client, body, warned):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"], body=body)
    preview = (await client.get(f"/api/v1/campaigns/{created['id']}/preview")).json()
    assert bool(preview["warnings"]) is warned
    page = await client.get(f"/organizer/campaigns/{created['id']}")
    assert ("data-salutation-warning" in page.text) is warned
    if warned:
        assert "宛名が二重になります" in page.text
    assert (await client.post(f"/api/v1/campaigns/{created['id']}/send")).status_code == 202  # not blocked


async def test_the_warning_shows_when_a_draft_is_saved_with_a_greeting(client):
    await organizer(client)
    forum = await forum_with_audience()
    created = await new_campaign(client, forum.event["slug"])
    page = await client.get(f"/organizer/campaigns/{created['id']}")
    assert "data-salutation-warning" not in page.text
    saved = await client.post(
        f"/organizer/campaigns/{created['id']}",
        data={
            "_csrf_token": client.cookies["csrftoken"],
            "subject": "お礼",
            "body": "{{ name }} 様\n\n本日はありがとうございました。",
            "audience": "attended",
        },
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "data-salutation-warning" in page.text


def test_addresses_in_forum_descriptions_are_links_too():
    html = markdown.render_markdown(
        "詳細は https://example.jp/forum/2026。お問い合わせは（https://example.jp/contact）まで"
    )
    assert hrefs(html) == ["https://example.jp/forum/2026", "https://example.jp/contact"]
    assert "`https://example.jp/code`" not in markdown.render_plain("`https://example.jp/code`")
    assert hrefs(markdown.render_markdown("`https://example.jp/code`")) == []  # code stays code
