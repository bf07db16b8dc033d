"""Sessions on SQLite live in var/sessions, read in place (no thread hop): what one process
writes another reads, an expired one is gone, a missing one is no session."""

from __future__ import annotations

from litestar.stores.file import FileStore

from meetup.app import SessionFiles


async def test_a_session_written_by_one_store_is_read_by_another_and_expires(tmp_path):
    writer, reader = FileStore(tmp_path), SessionFiles(tmp_path)
    await writer.set("sid-1", b'{"uid": 7}', expires_in=3600)
    await reader.set("sid-2", b'{"uid": 8}', expires_in=-1)  # already expired
    assert await reader.get("sid-1") == b'{"uid": 7}'
    assert await reader.get("sid-2") is None and await writer.get("sid-2") is None  # removed when found expired
    assert await reader.get("never-made") is None
    await reader.delete("sid-1")
    assert await writer.get("sid-1") is None
