"""The one Jinja2 environment: pages (through Litestar) and mail both render with it."""

from __future__ import annotations

from functools import cache
from urllib.parse import parse_qsl, quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from meetup import ROOT, i18n
from meetup.coordinators.prefectures import prefecture_name
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
    env.globals["site_path"] = site_path
    env.filters["datetime"] = i18n.format_datetime
    env.filters["span"] = i18n.format_span
    env.filters["markdown"] = render_markdown
    env.filters["prefecture"] = lambda value: prefecture_name(value, i18n.current_locale())
    return env


def site_path(path: str) -> str:
    """`path` as a link that stays on this site, whatever was asked for: browsers read
    `//evil.example/x` and `/\\evil.example` as another host, so the leading slashes and
    backslashes become one `/`, and the rest is percent-encoded (a tab or a backslash too)."""
    return "/" + quote(path.lstrip("/\\"), safe="/")


def language_url(request: object, locale: str) -> str:
    """This page in another language: the same path (kept on this site) and query, with ?lang= set."""
    url = request.url  # type: ignore[attr-defined]
    query = [(k, v) for k, v in parse_qsl(url.query) if k != "lang"] + [("lang", locale)]
    return f"{site_path(url.path)}?{urlencode(query)}"


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def render_mail(template: str, locale: str | None, **context: object) -> tuple[str, str]:
    """(text, html) of `templates/mail/<template>.txt` and `.html` in the recipient's language;
    a `template` that names its folder (`followups/mail/campaign`) is read from there."""
    path = template if "/" in template else f"mail/{template}"
    with i18n.use_locale(locale):
        text = render(f"{path}.txt", **context)
        html = render(f"{path}.html", **context)
    return text, html
