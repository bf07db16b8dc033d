"""Campaign text with placeholders: checked when the organizer writes it, rendered per recipient.

Only plain placeholders (`{{ name }}`) from a fixed list are allowed: no attribute or item access,
no filters, calls, loops or arithmetic. The check walks the parsed template, so an unknown name or a
trick (`{{ name.__class__ }}`, `{{ "x" * 10**9 }}`) is a clear 400 before anything is stored, and
rendering still happens in Jinja2's sandbox as a second wall.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from meetup.errors import BadInput
from meetup.i18n import gettext as _

PLACEHOLDERS = ("name", "event_title", "event_url", "profile_url", "unsubscribe_url", "survey_url")
NETWORK = ("name", "profile_url", "unsubscribe_url")  # a campaign to the network names no forum
# Links we make ourselves go into the Markdown as links; text people wrote is escaped first.
_URLS = {"event_url", "profile_url", "unsubscribe_url", "survey_url"}

_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&:])")  # ":" too: no address in a name is a link
# In a link we make, only the characters that could start emphasis are escaped: the address
# stays an address whether it is written bare (and made a link) or inside [text](…).
_EMPHASIS = re.compile(r"([*_])")


def check(source: str, field: str, allowed: tuple[str, ...] = PLACEHOLDERS) -> None:
    """Raise BadInput naming `field` unless `source` uses only `allowed` plain placeholders."""
    try:
        tree = _sandbox.parse(source)
    except TemplateSyntaxError as exc:
        detail = _("The text has a broken placeholder (line %(line)s): %(error)s")
        raise BadInput(detail % {"line": exc.lineno, "error": exc.message or ""}, field=field) from None
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Template | nodes.Output | nodes.TemplateData):
            continue
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name not in allowed:
                known = ", ".join("{{ %s }}" % p for p in allowed)  # noqa: UP031
                detail = _("Unknown placeholder {{ %(name)s }}. You can use: %(known)s.")
                raise BadInput(detail % {"name": node.name, "known": known}, field=field)
            continue
        raise BadInput(
            _("Only plain placeholders such as {{ name }} are allowed in the text."),
            field=field,
        )


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return _sandbox.from_string(source)  # compiled once per campaign text, not once per recipient


def render_text(source: str, values: dict[str, str]) -> str:
    """The text with its placeholders filled in, as written (the subject)."""
    return _compiled(source).render(values)


def render_markdown_source(source: str, values: dict[str, str]) -> str:
    """The Markdown of both parts of the mail: names and titles are escaped so they stay plain
    text (a name like `[x](javascript:…)` can never become a link); our own links stay links."""
    safe = {
        key: _EMPHASIS.sub(r"\\\1", value) if key in _URLS else _MARKDOWN_SPECIAL.sub(r"\\\1", value)
        for key, value in values.items()
    }
    return _compiled(source).render(safe)
