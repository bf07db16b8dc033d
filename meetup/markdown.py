"""Markdown that people write (forum descriptions, bios, mail), rendered safely.

markdown-it-py renders CommonMark with raw HTML switched off; nh3 (ammonia) then keeps only
harmless tags and attributes and forces rel="noopener noreferrer" on links, so no script,
event handler or javascript: URL survives.

Bare http(s) addresses become links by a small rule of our own (markdown-it's `linkify` option
needs linkify-it-py, which we do not install): only http and https, only ASCII URL characters (so
an address ends where Japanese text begins), trailing punctuation and unbalanced ")" left out,
and never when its ":" was escaped (names and titles are put into mail escaped).

`render_plain` writes the same Markdown as plain text, for the text part of mail: no markup, a
link as "text (address)", list items as "・" or "1.", line breaks kept.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

_BARE_URL = re.compile(r"(?<![A-Za-z0-9+.-])https?://[A-Za-z0-9][A-Za-z0-9\-._~:/?#@!$&()*+,;=%]*")
_TRAILING = ".,:;!?*"


def _trimmed(url: str) -> str:
    """The address without the punctuation that ends the sentence around it."""
    while True:
        before = url
        url = url.rstrip(_TRAILING)
        if url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1]
        if url == before:
            return url


def _link_tokens(url: str, state: StateCore, level: int) -> list[Token]:
    opening = Token("link_open", "a", 1, attrs={"href": state.md.normalizeLink(url)}, markup="linkify", info="auto")
    text = Token("text", "", 0, content=state.md.normalizeLinkText(url))
    closing = Token("link_close", "a", -1, markup="linkify", info="auto")
    opening.level, text.level, closing.level = level, level + 1, level
    return [opening, text, closing]


def _split(run: list[Token], state: StateCore) -> list[Token]:
    """A run of text tokens as text and link tokens, one link per bare address."""
    text, level = "".join(token.content for token in run), run[0].level
    if "://" not in text:
        return run
    out: list[Token] = []
    at = 0
    for match in _BARE_URL.finditer(text):
        url = _trimmed(match.group())
        if not state.md.validateLink(state.md.normalizeLink(url)):
            continue
        if match.start() > at:
            out.append(Token("text", "", 0, content=text[at : match.start()], level=level))
        out.extend(_link_tokens(url, state, level))
        at = match.start() + len(url)
    if not out:
        return run
    if at < len(text):
        out.append(Token("text", "", 0, content=text[at:], level=level))
    return out


def _in_run(token: Token) -> bool:
    # Text, and escapes and entities within it; an escaped ":" (https\://) is never a link, which
    # is how names and titles put into mail (escaped) never become links.
    if token.type == "text_special":
        return not (token.info == "escape" and token.content == ":")
    return token.type == "text"


def _autolink(state: StateCore) -> None:
    """The core rule: bare addresses in text outside links become links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        run: list[Token] = []
        inside_link = 0
        for token in [*block.children, Token("end", "", 0)]:
            if not inside_link and _in_run(token):
                run.append(token)
                continue
            if run:
                children.extend(_split(run, state))
                run = []
            if token.type == "link_open":
                inside_link += 1
            elif token.type == "link_close":
                inside_link -= 1
            if token.type != "end":
                children.append(token)
        block.children = children


_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_md.core.ruler.before("text_join", "autolink_bare_urls", _autolink)  # still sees which ":" was escaped

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str) -> Markup:
    html = _md.render(source or "")
    return Markup(  # noqa: S704 (nh3 has just sanitised it)
        nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
    )


# -- plain text -------------------------------------------------------------------------------


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type == "link_open":
            links.append((str(token.attrGet("href") or ""), len(parts)))
        elif token.type == "link_close" and links:
            href, start = links.pop()
            label = "".join(parts[start:]).strip()
            # An address written out (bare or <…>) is already its own text.
            if href and token.markup not in ("linkify", "autolink") and label != href:
                parts.append(f" ({href})" if label else href)
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            parts.append(f"{token.content} ({src})" if token.content else src)
    return "".join(parts)


class _PlainWriter:
    """Lines of plain text from markdown-it's block tokens."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lists: list[list] = []  # [marker kind, next number]
        self.quote = 0
        self.marker: str | None = None  # the marker of a list item's first line, not yet written
        self.row: list[str] | None = None

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def write(self, text: str) -> None:
        depth = len(self.lists)
        for line in text.split("\n"):
            lead = "> " * self.quote
            if depth:
                indent = "  " * (depth - 1)
                if self.marker is not None:
                    lead += indent + self.marker
                    self.marker = None
                else:
                    lead += indent + "  "
            self.lines.append((lead + line).rstrip())

    def token(self, token: Token) -> None:
        kind = token.type
        if kind == "bullet_list_open":
            self.lists.append(["bullet", 0])
        elif kind == "ordered_list_open":
            self.lists.append(["ordered", int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
            if not self.lists:
                self.blank()
        elif kind == "list_item_open":
            current = self.lists[-1]
            if current[0] == "bullet":
                self.marker = "・"
            else:
                self.marker = f"{current[1]}. "
                current[1] += 1
        elif kind == "blockquote_open":
            self.quote += 1
        elif kind == "blockquote_close":
            self.quote -= 1
            self.blank()
        elif kind == "inline" and self.row is not None:
            self.row.append(_inline_text(token.children or []))
        elif kind == "inline":
            self.write(_inline_text(token.children or []))
        elif kind in ("paragraph_close", "heading_close") and not token.hidden:
            self.blank()
        elif kind in ("code_block", "fence"):
            self.write(token.content.rstrip("\n"))
            self.blank()
        elif kind == "hr":
            self.write("――――――――")
            self.blank()
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close" and self.row is not None:
            row, self.row = self.row, None
            self.write(" | ".join(row))
        elif kind == "table_close":
            self.blank()


def render_plain(source: str) -> str:
    """The Markdown as plain text: what it says, without its markup."""
    writer = _PlainWriter()
    for token in _md.parse(source or ""):
        writer.token(token)
    return "\n".join(writer.lines).strip("\n")
