"""Settings: one msgspec Struct read once from the environment (and `.env` when present)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import msgspec
from dotenv import dotenv_values

from meetup import ROOT

Env = Literal["dev", "test", "prod"]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    database_url: str = "sqlite:///./var/meetup.sqlite3"
    redis_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = "NEXT TOHOKU MEETUP <no-reply@localhost>"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    env: Env = "dev"
    inprocess_worker: bool = True
    mail_rate: float = 20.0  # campaign mails a second, per worker (0: no limit)
    var_dir: str = str(ROOT / "var")
    # Uploaded files: unset, <var_dir>/uploads; or s3://bucket?endpoint=…&region=… (site/storage.py).
    storage_url: str | None = None
    # Addresses whose X-Forwarded-For / -Proto the server believes (the proxy in front of it).
    forwarded_allow_ips: str = "127.0.0.1"
    # Who issues a programme's certificate of completion (修了証), as printed on it.
    certificate_issuer: str = "東北経済産業局 NEXT TOHOKU MEETUP 事務局"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def origin(self) -> str:
        """The scheme://host[:port] of BASE_URL: the only Origin a websocket may come from."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def mail_domain(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def key_for(self, purpose: str) -> bytes:
        """A key of its own for each thing we sign (CSRF, unsubscribe links, stay-in-touch links…),
        derived from MEETUP_SECRET_KEY: a token made for one purpose never passes for another, and
        nothing is ever signed with the raw secret."""
        return hmac.new(self.secret_key.encode(), f"meetup/{purpose}".encode(), hashlib.sha256).digest()

    @property
    def sqlite_path(self) -> Path:
        path = Path(self.database_url.removeprefix("sqlite:///"))
        return path if path.is_absolute() else ROOT / path


_FIELDS = {
    "MEETUP_DATABASE_URL": "database_url",
    "MEETUP_REDIS_URL": "redis_url",
    "MEETUP_SMTP_URL": "smtp_url",
    "MEETUP_MAIL_FROM": "mail_from",
    "MEETUP_BASE_URL": "base_url",
    "MEETUP_SECRET_KEY": "secret_key",
    "MEETUP_ENV": "env",
    "MEETUP_INPROCESS_WORKER": "inprocess_worker",
    "MEETUP_MAIL_RATE": "mail_rate",
    "MEETUP_VAR_DIR": "var_dir",
    "MEETUP_STORAGE_URL": "storage_url",
    "MEETUP_FORWARDED_ALLOW_IPS": "forwarded_allow_ips",
    "MEETUP_CERTIFICATE_ISSUER": "certificate_issuer",
}

MIN_SECRET_LENGTH = 32
# Spelled without case or punctuation: "CHANGE-ME", "change_me" and "ChangeMe" are one placeholder.
_PLACEHOLDER_WORDS = (
    "changeme",
    "changethis",
    "replaceme",
    "placeholder",
    "example",
    "yoursecret",
    "secretkey",
    "mysecret",
    "notforproduction",
    "notsecret",
    "insecure",
    "password",
    "xxxxxx",
)


def secret_key_problem(key: str) -> str | None:
    """Why `key` cannot sign anything in production, or None when it can: it must be long and
    not a placeholder, since anyone who knows the key can forge every signed link."""
    if not key:
        return "MEETUP_SECRET_KEY is required when MEETUP_ENV=prod"
    if len(key) < MIN_SECRET_LENGTH:
        return f"MEETUP_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters when MEETUP_ENV=prod"
    plain = re.sub(r"[^a-z0-9]", "", key.lower())
    if any(word in plain for word in _PLACEHOLDER_WORDS) or len(set(key)) < 8:  # hex from a good source: 9 happens
        return "MEETUP_SECRET_KEY looks like a placeholder; it must be a random value when MEETUP_ENV=prod"
    return None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from `environ` (default: `.env` overlaid by the process environment)."""
    if environ is None:
        dotenv = ROOT / ".env"
        environ = {**(dotenv_values(dotenv) if dotenv.exists() else {}), **os.environ}
    raw: dict[str, object] = {}
    for variable, field in _FIELDS.items():
        value = environ.get(variable)
        if value is None or value == "":
            continue
        raw[field] = value.strip()
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"bad setting: {exc}") from exc
    if settings.mail_rate < 0:
        raise SettingsError("MEETUP_MAIL_RATE must be 0 (no limit) or a positive number of mails a second")
    if not settings.database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise SettingsError("MEETUP_DATABASE_URL must start with sqlite:/// or postgresql://")
    if settings.storage_url and not settings.storage_url.startswith(("file:///", "s3://")):
        raise SettingsError("MEETUP_STORAGE_URL must start with file:/// or s3://")
    if settings.is_prod:
        problem = secret_key_problem(settings.secret_key)
        if problem:
            raise SettingsError(
                f'{problem} (make one with: python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
    if not settings.secret_key:
        settings = msgspec.structs.replace(settings, secret_key=_dev_secret(Path(settings.var_dir)))
    return settings


def _dev_secret(var_dir: Path) -> str:
    """A secret generated once per checkout and kept in var/, so sessions survive restarts."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


_current: Settings | None = None


def use(settings: Settings) -> None:
    """Make `settings` the process's settings (create_app and the CLI call this once)."""
    global _current
    _current = settings


def current() -> Settings:
    """The process's settings: for services that need BASE_URL in links they mail out."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current
