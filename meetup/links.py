"""Web addresses people give (online URLs, profile links): only http(s), so no javascript: link."""

from urllib.parse import urlsplit


def check_url(field: str, value: str) -> str:
    value = value.strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{field}: must be an http:// or https:// address")
    return value
