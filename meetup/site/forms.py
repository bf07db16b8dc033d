"""HTML forms decoded into the same msgspec Structs the JSON API uses, with per-field errors."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from litestar import Request

T = TypeVar("T")

_PATH = re.compile(r"at `\$\.(\w+)")
_PREFIX = re.compile(r"^(\w+): ")


def error_field(exc: msgspec.ValidationError) -> str | None:
    """The input at fault in a msgspec error ("… - at `$.email`" or "email: …")."""
    message = str(exc)
    match = _PATH.search(message) or _PREFIX.search(message)
    return match.group(1) if match else None


async def parse_form(request: Request, schema: type[T], fields: tuple[str, ...]) -> tuple[T | None, dict, str | None]:
    """(value, the raw values to re-fill the form with, the name of the field at fault)."""
    form = await request.form()
    raw = {name: form.get(name) for name in fields if form.get(name) not in (None, "")}
    try:
        return msgspec.convert(raw, schema, strict=False), raw, None
    except msgspec.ValidationError as exc:
        return None, raw, error_field(exc) or fields[0]
