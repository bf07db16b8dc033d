"""The one Jinja2 environment: pages (through Litestar) and mail both render with it."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from meetup import ROOT, i18n
from meetup.markdown import render_markdown

TEMPLATES = ROOT / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["current_locale"] = i18n.current_locale
    env.globals["LOCALES"] = i18n.LOCALES
    env.globals["language_url"] = language_url
    env.filters["datetime"] = i18n.format_datetime
    env.filters["span"] = i18n.format_span
    env.filters["markdown"] = render_markdown
    return env


def language_url(request: object, locale: str) -> str:
    """This page in another language: the same path and query, with ?lang= set."""
    from urllib.parse import parse_qsl, urlencode

    url = request.url  # type: ignore[attr-defined]
    query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"] + [("lang", locale)]
    return f"{url.path}?{urlencode(query)}"


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def render_mail(template: str, locale: str | None, **context: object) -> tuple[str, str]:
    """(text, html) of `templates/mail/<template>.txt` and `.html` in the recipient's language."""
    with i18n.use_locale(locale):
        text = render(f"mail/{template}.txt", **context)
        html = render(f"mail/{template}.html", **context)
    return text, html
