"""Security headers on every answer: pages, API, static files, errors and 404s alike.

One `before_send` hook adds a header list computed once at start-up, so the hot path only
extends a list. The Content-Security-Policy is what the pages and vendored scripts satisfy:
no inline script or style, no eval, no framing; the websocket may reach MEETUP_BASE_URL's
origin. A response that sets its own Content-Security-Policy keeps it (the mail preview).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.types import Message, Scope

from meetup.settings import Settings

CSP = b"content-security-policy"


def websocket_origin(base_url: str) -> str:
    """ws://host[:port] for an http BASE_URL, wss://… for https: where room.js connects."""
    parts = urlsplit(base_url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"


def content_security_policy(settings: Settings, *, style_src: str = "'self'", img_src: str = "'self' data:") -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style_src}",
            f"img-src {img_src}",
            f"connect-src 'self' {websocket_origin(settings.base_url)}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        )
    )


def mail_preview_policy(settings: Settings) -> str:
    """The campaign page shows the mail as sent in a sandboxed srcdoc frame, which inherits the
    page's policy: mail clients need inline styles, and a mail may show images from anywhere.
    The frame runs no script (sandbox without allow-scripts)."""
    return content_security_policy(settings, style_src="'self' 'unsafe-inline'", img_src="'self' data: https:")


def header_list(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        # Paths carry tokens (magic links, unsubscribe, stay in touch): other sites see none of it.
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.is_prod and settings.base_url.startswith("https://"):
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def security_headers(settings: Settings):
    """The `before_send` hook: adds the headers to every HTTP response start."""
    always = header_list(settings)
    csp = (CSP, content_security_policy(settings).encode())

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers") or ())
        headers.extend(always)
        if not any(name == CSP for name, _ in headers):
            headers.append(csp)
        message["headers"] = headers

    return add_headers
