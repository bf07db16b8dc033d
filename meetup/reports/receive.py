"""An upload received without holding the event loop: the body is streamed (`request.stream()`)
through the `multipart` package's push parser, the file's bytes written to a temporary file by
a worker thread, a chunk at a time; a 20 MB upload costs the loop only the parsing of each
network chunk (a few microseconds), never the whole body in memory.

Rules:
- the route is excluded from Litestar's CSRF middleware (which would read the whole form into
  memory first) and checks the token itself, with the middleware's own comparison: the
  `X-CSRFToken` header, or a `_csrf_token` field sent before the file (the page's form);
- text fields are at most `MAX_FIELD` characters, at most `MAX_PARTS` parts in all; anything
  else a 400 naming the field;
- the file part stops at `max_bytes` + 1: a larger one is a 413 naming `file`, and its temporary
  file is gone (the caller's `finally` removes it too when the check refuses it).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
import msgspec
from litestar import Request
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from meetup.errors import BadInput
from meetup.i18n import gettext as _
from meetup.reports.files import MAX_BYTES, too_large

MAX_FIELD = 1000
MAX_PARTS = 8
CSRF_FIELD = "_csrf_token"
WRITE_BATCH = 1024 * 1024  # network chunks are ~64 KB: a thread hop for each cost the loop more


class Received(msgspec.Struct):
    fields: dict[str, str]
    path: Path | None = None  # the file's bytes, in a temporary file the caller removes
    filename: str | None = None


def _csrf_matches(request: Request, token: str | None) -> bool:
    config = request.app.csrf_config
    cookie = request.cookies.get(config.cookie_name) if config else None
    if config is None:
        return True
    if not token or not cookie:
        return False
    # The middleware's own comparison (signed token against the cookie), so both paths agree.
    return CSRFMiddleware(app=None, config=config)._csrf_tokens_match(token, cookie)  # type: ignore[arg-type]


async def receive(request: Request, work_dir: Path, *, max_bytes: int = MAX_BYTES) -> Received:
    """The multipart body's text fields and its one `file` part (in a temporary file)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get("boundary")
    header_token = request.headers.get("x-csrftoken")
    checked = header_token is not None
    if checked and not _csrf_matches(request, header_token):
        raise PermissionDeniedException("CSRF token verification failed")
    if content_type != "multipart/form-data" or not boundary:
        if not checked:  # no form field can carry the token either
            raise PermissionDeniedException("CSRF token verification failed")
        raise BadInput(_("Send the file as the multipart field `file`."), field="file")

    await anyio.to_thread.run_sync(lambda: work_dir.mkdir(parents=True, exist_ok=True))
    received = Received(fields={})
    handle = None
    part: MultipartSegment | None = None
    text = bytearray()
    written = 0
    pending: list[bytes] = []  # the file's bytes not written yet: one thread hop per WRITE_BATCH
    pending_size = 0
    try:
        with PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
            async for chunk in request.stream():
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        part, text = event, bytearray()
                        if part.name == "file" and part.filename is not None:
                            if received.path is not None:
                                raise BadInput(_("Send one file at a time."), field="file")
                            if not checked:  # the page's token comes before the file, or nothing is read
                                raise PermissionDeniedException("CSRF token verification failed")
                            received.path, handle = await anyio.to_thread.run_sync(_temporary, work_dir)
                            received.filename = part.filename
                    elif isinstance(event, bytes) and part is not None:
                        if handle is not None and part.name == "file":
                            written += len(event)
                            if written > max_bytes:
                                raise too_large()
                            pending.append(event)
                            pending_size += len(event)
                        else:
                            text += event
                            if len(text) > MAX_FIELD * 4:
                                raise BadInput(_("This field is too long."), field=part.name or "form")
                    elif event is None and part is not None:
                        if part.name != "file" or part.filename is None:
                            value = _text(text, part.name or "form")
                            if part.name == CSRF_FIELD:
                                if not checked and not _csrf_matches(request, value):
                                    raise PermissionDeniedException("CSRF token verification failed")
                                checked = True
                            elif part.name:
                                received.fields[part.name] = value
                        part = None
                if pending_size >= WRITE_BATCH or (pending and part is None):
                    await anyio.to_thread.run_sync(handle.write, b"".join(pending))
                    pending, pending_size = [], 0
        if pending:
            await anyio.to_thread.run_sync(handle.write, b"".join(pending))
    except MultipartError:
        _discard(received)
        raise BadInput(_("The form could not be read; send it again."), field="file") from None
    except BaseException:
        _discard(received)
        raise
    finally:
        if handle is not None:
            handle.close()
    if not checked:
        _discard(received)
        raise PermissionDeniedException("CSRF token verification failed")
    return received


def _temporary(work_dir: Path) -> tuple[Path, BinaryIO]:
    fd, name = tempfile.mkstemp(dir=work_dir, prefix=".upload-")
    return Path(name), open(fd, "wb")  # noqa: SIM115 (the caller closes it)


def _text(raw: bytearray, name: str) -> str:
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(_("This field is not UTF-8 text."), field=name) from None
    if len(value) > MAX_FIELD:
        raise BadInput(_("This field is too long."), field=name)
    return value


def _discard(received: Received) -> None:
    if received.path is not None:
        received.path.unlink(missing_ok=True)
        received.path = None


def discard(received: Received) -> None:
    """Remove the temporary file (the caller's `finally`)."""
    _discard(received)
