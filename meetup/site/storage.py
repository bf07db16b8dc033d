"""Where uploaded files live: a folder under `var/` by default, an S3-compatible bucket when
MEETUP_STORAGE_URL says so, so that several web machines serve the same files.

MEETUP_STORAGE_URL (unset: `<var_dir>/uploads`):
- `file:///srv/meetup/uploads` — a folder of one machine;
- `s3://BUCKET?endpoint=http://127.0.0.1:9000&region=ap-northeast-1&prefix=meetup/` — any
  S3-speaking store (AWS S3, MinIO, Ceph…). `endpoint` is left out for AWS itself; `prefix`
  (optional) goes before every key. Credentials come from boto3's usual chain
  (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role), or from the URL as
  `s3://KEY:SECRET@BUCKET?...`.

Rules:
- keys are made by the caller from generated tokens (`materials/<token>`), never from a name a
  person sent; a key with anything but `[A-Za-z0-9_./-]` or a `..` is refused here as well;
- S3 is spoken by boto3, its calls run in a worker thread (`anyio.to_thread`): boto3 is the
  client AWS itself maintains, and aiobotocore pins botocore to a narrow range that fights
  every other package that needs boto; a thread per call is cheap next to an upload;
- a file is written whole or not at all: locally into a temporary name then renamed, on S3 by
  one PUT (or boto3's multipart upload, which S3 completes atomically).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import anyio.to_thread

from meetup import settings as app_settings

CHUNK = 256 * 1024
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}")


class StorageError(ValueError):
    """MEETUP_STORAGE_URL cannot be understood; the message says how it should look."""


def checked_key(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key or "//" in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    async def save(self, key: str, source: Path, content_type: str) -> None: ...
    async def chunks(self, key: str) -> AsyncIterator[bytes] | None: ...
    async def delete(self, key: str) -> None: ...
    async def keys(self) -> list[str]: ...


class LocalStorage:
    """Files in one folder of this machine (the default: `var/uploads`)."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    async def save(self, key: str, source: Path, content_type: str) -> None:
        await anyio.to_thread.run_sync(self._save, self._path(key), source)

    @staticmethod
    def _save(target: Path, source: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        os.close(fd)
        try:
            shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def chunks(self, key: str) -> AsyncIterator[bytes] | None:
        path = self._path(key)
        try:
            handle = await anyio.to_thread.run_sync(path.open, "rb")
        except FileNotFoundError:
            return None

        async def read() -> AsyncIterator[bytes]:
            try:
                while chunk := await anyio.to_thread.run_sync(handle.read, CHUNK):
                    yield chunk
            finally:
                handle.close()

        return read()

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self._path(key).unlink(missing_ok=True))

    async def keys(self) -> list[str]:
        def walk() -> list[str]:
            if not self.root.exists():
                return []
            return sorted(
                str(p.relative_to(self.root))
                for p in self.root.rglob("*")
                if p.is_file() and not p.name.startswith(".incoming-")
            )

        return await anyio.to_thread.run_sync(walk)


class S3Storage:
    """Objects in one bucket of an S3-compatible store, shared by every web machine."""

    def __init__(self, bucket: str, *, prefix: str = "", **client_options: str | None):
        import boto3  # imported only when a bucket is used: it takes a while
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        options = {name: value for name, value in client_options.items() if value}
        self.client = boto3.session.Session().client(
            "s3", config=Config(retries={"max_attempts": 3, "mode": "standard"}), **options
        )

    def _key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    async def save(self, key: str, source: Path, content_type: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.upload_file(
                str(source), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type}
            )
        )

    async def chunks(self, key: str) -> AsyncIterator[bytes] | None:
        missing = self.client.exceptions.NoSuchKey

        def get():
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            except missing:
                return None

        body = await anyio.to_thread.run_sync(get)
        if body is None:
            return None

        async def read() -> AsyncIterator[bytes]:
            try:
                while chunk := await anyio.to_thread.run_sync(body.read, CHUNK):
                    yield chunk
            finally:
                body.close()

        return read()

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self.client.delete_object(Bucket=self.bucket, Key=self._key(key)))

    async def keys(self) -> list[str]:
        def listing() -> list[str]:
            found = []
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                found.extend(item["Key"].removeprefix(self.prefix) for item in page.get("Contents", []))
            return sorted(found)

        return await anyio.to_thread.run_sync(listing)


def from_url(url: str | None, var_dir: str) -> Storage:
    """The storage MEETUP_STORAGE_URL names (unset: `<var_dir>/uploads`)."""
    if not url:
        return LocalStorage(Path(var_dir) / "uploads")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)))
    if parts.scheme == "s3" and parts.hostname:
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "prefix"}
        if unknown:
            raise StorageError(f"MEETUP_STORAGE_URL: unknown option {sorted(unknown)[0]!r} (endpoint, region, prefix)")
        return S3Storage(
            parts.hostname,
            prefix=query.get("prefix", ""),
            endpoint_url=query.get("endpoint"),
            region_name=query.get("region"),
            aws_access_key_id=unquote(parts.username) if parts.username else None,
            aws_secret_access_key=unquote(parts.password) if parts.password else None,
        )
    raise StorageError(
        "MEETUP_STORAGE_URL must be file:///folder or s3://bucket?endpoint=http://host:port&region=…&prefix=…"
    )


_storages: dict[tuple[str | None, str], Storage] = {}


def current() -> Storage:
    """The storage of the process's settings (one client per URL, made on first use)."""
    settings = app_settings.current()
    key = (settings.storage_url, settings.var_dir)
    if key not in _storages:
        _storages[key] = from_url(*key)
    return _storages[key]
