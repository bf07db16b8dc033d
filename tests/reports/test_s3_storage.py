"""Files in S3-compatible object storage (MEETUP_STORAGE_URL=s3://…), checked against an
S3-speaking server the fixture starts (moto's): two web machines sharing one bucket serve each
other's uploads, and a refused file leaves the bucket empty."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import msgspec
import pytest
from moto.server import ThreadedMotoServer

from meetup.site import storage
from tests import conftest
from tests.conftest import free_port, http_client, running
from tests.reports.factories import HTML, PDF, forum_with_people, jpeg_with_gps, upload

BUCKET = "meetup-uploads"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_url(s3_endpoint: str) -> str:
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="ap-northeast-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []) if _exists(client) else []:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    if not _exists(client):
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    return f"s3://k:s@{BUCKET}?endpoint={s3_endpoint}&region=ap-northeast-1&prefix=test/"


def _exists(client) -> bool:
    return BUCKET in [b["Name"] for b in client.list_buckets()["Buckets"]]


async def test_two_machines_share_one_bucket(database_url, tmp_path, s3_url):
    one = msgspec.structs.replace(conftest.test_settings(database_url, tmp_path / "one"), storage_url=s3_url)
    two = msgspec.structs.replace(conftest.test_settings(database_url, tmp_path / "two"), storage_url=s3_url)
    async with running(one) as first, running(two) as second:
        for machine in (first, second):
            await machine.get("/healthz")
            machine.headers["x-csrftoken"] = machine.cookies["csrftoken"]
        slug, (registrant, *_rest) = await forum_with_people(first)
        made = await upload(first, slug, PDF, visibility="registrants")
        assert made.status_code == 201, made.text
        photo = await upload(first, slug, jpeg_with_gps(), "p.jpg", ctype="image/jpeg")
        assert photo.status_code == 201, photo.text
        assert isinstance(storage.current(), storage.S3Storage)
        keys = await storage.current().keys()
        assert len(keys) == 2 and all(k.startswith("materials/") for k in keys)
        assert not (tmp_path / "one" / "uploads").exists()  # nothing on the machine's own disk

        # the second machine, which never saw the upload, serves it (to whom it may)
        served = await second.get(made.json()["url"])
        assert served.status_code == 404  # second is signed in as nobody yet
        person = http_client(second.app)
        try:
            await person.get("/healthz")
            store = second.app.stores.get("sessions")
            await store.set("s" * 64, msgspec.json.encode({"uid": registrant}), expires_in=3600)
            person.cookies.set("session", "s" * 64, domain="testserver.local")
            served = await person.get(made.json()["url"])
            assert served.status_code == 200
            assert served.content == PDF
            assert served.headers["content-type"] == "application/pdf"
            assert (await person.get(photo.json()["url"])).headers["content-type"] == "image/jpeg"
        finally:
            await person.aclose()

        # a refusal leaves the bucket as it was; a removal empties it of that file
        assert (await upload(first, slug, HTML, "x.pdf")).status_code == 400
        assert len(await storage.current().keys()) == 2
        deleted = await first.delete(f"/api/v1/events/{slug}/materials/{made.json()['id']}")
        assert deleted.status_code == 204
        assert len(await storage.current().keys()) == 1


def test_the_storage_url_is_read_strictly():
    with pytest.raises(storage.StorageError):
        storage.from_url("s3://bucket?endpont=http://x", "/tmp")  # noqa: S108
    with pytest.raises(storage.StorageError):
        storage.from_url("ftp://bucket", "/tmp")  # noqa: S108
    local = storage.from_url(None, "/srv/var")
    assert isinstance(local, storage.LocalStorage) and str(local.root) == "/srv/var/uploads"
    with pytest.raises(ValueError, match="not a storage key"):
        local._path("../secret_key")
