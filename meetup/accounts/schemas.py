"""What comes in and goes out of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from email_validator import EmailNotValidError, validate_email
from msgspec import Meta

from meetup.text import one_line

Locale = Literal["ja", "en"]
Role = Literal["participant", "organizer", "admin"]

EmailText = Annotated[str, Meta(min_length=3, max_length=254, description="An e-mail address")]
Password = Annotated[str, Meta(min_length=10, max_length=1024, description="At least 10 characters")]
LoginPassword = Annotated[str, Meta(min_length=1, max_length=1024)]
DisplayName = Annotated[str, Meta(min_length=1, max_length=100)]
NextPath = Annotated[str, Meta(max_length=500)]


def normalize_email(value: str) -> str:
    """The one spelling of an address we store and compare: validated, lower-cased."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"email: not a valid e-mail address ({exc})") from None
    return checked.normalized.lower()


def clean_display_name(value: str) -> str:
    value = " ".join(one_line(value).split())
    if not value:
        raise ValueError("display_name: must not be blank")
    return value


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    email: EmailText
    password: Password
    display_name: DisplayName
    locale: Locale = "ja"

    def __post_init__(self) -> None:
        self.email = normalize_email(self.email)
        self.display_name = clean_display_name(self.display_name)


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: EmailText
    password: LoginPassword

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()


class MagicLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    email: EmailText
    next: NextPath | None = None
    display_name: DisplayName | None = None  # the new account's name, when the link creates one

    def __post_init__(self) -> None:
        self.email = normalize_email(self.email)
        if self.display_name is not None:
            self.display_name = clean_display_name(self.display_name)


class NameIn(msgspec.Struct, forbid_unknown_fields=True):
    display_name: DisplayName

    def __post_init__(self) -> None:
        self.display_name = clean_display_name(self.display_name)


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    role: Role
    locale: Locale

    @property
    def is_organizer(self) -> bool:
        return self.role in ("organizer", "admin")


class MeOut(msgspec.Struct):
    """The signed-in account (`GET /me`) with the secret address of its personal calendar feed."""

    id: int
    email: str
    display_name: str
    role: Role
    locale: Locale
    calendar_url: str


class Accepted(msgspec.Struct):
    detail: str


class PreferencesOut(msgspec.Struct):
    followups: bool
    connection_requests: bool = True
    follows: bool = True  # mail about newly published forums matching what one follows
    changed_at: datetime | None = None
