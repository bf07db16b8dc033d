"""Upload benchmark: `python tests/bench/upload_latency.py [--seconds 15] [--postgresql URL --redis URL]`.

Issue 17's target: a 20 MB upload never holds the event loop. The server runs in its own process
(`main.py serve`); ten members of one room chat (a line every 0.6 s each) and one member's socket
times every line's delivery. First quiet, then while an organizer uploads 20 MB files one after
another to the same process (a PDF, which is scanned whole for HTML and ZIP, and a 20 MB photo,
which is decoded and written again). Printed: delivery p50/p95/p99 both ways and the p99 the
uploads add (target: at most 20 ms), with the upload rate, so a slow upload path shows too.
SQLite by default; with `--postgresql URL --redis URL` (a database of your own: it is dropped and
made again) PostgreSQL + Redis as well. Reuses tests/bench/network.py's chat measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.accounts import service as accounts  # noqa: E402
from meetup.app import connect_redis, make_session_store  # noqa: E402
from meetup.settings import Settings, use  # noqa: E402
from tests.bench.network import chat, cuts, line, load_average, server, stopped  # noqa: E402
from tests.bench.registration import fresh_postgres  # noqa: E402
from tests.bench.room_fanout import free_port, wait_listening  # noqa: E402

CHATTERS = 10
MB = 1024 * 1024


def big_pdf() -> bytes:
    """A 20 MB PDF (a header and a stream of bytes that are neither HTML nor ZIP)."""
    head = b"%PDF-1.4\n1 0 obj<</Length 0>>stream\n"
    tail = b"\nendstream endobj\ntrailer<<>>\n%%EOF\n"
    return head + os.urandom(20 * MB - len(head) - len(tail) - 1024) + tail


def big_jpeg() -> bytes:
    """A photo near 20 MB: noise compresses badly, so a 4,000 × 3,000 JPEG at high quality."""
    from PIL import Image

    image = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=97)
    return out.getvalue()[: 20 * MB]


async def prepare(settings: Settings) -> tuple[str, list[str], str]:
    """Migrate; a forum with chatters in one room (id 1) and an organizer: slug, sessions, organizer's."""
    from tests.rooms.factories import forum_with_people, room_in

    use(settings)
    db.configure(settings)
    await db.open_database()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            await db.migrate()
        event, uids = await forum_with_people(CHATTERS, capacity=CHATTERS)
        await room_in(event, "bench")
        boss, _ = await accounts.make_organizer("bench-organizer@example.jp", None, "主催")
        redis = connect_redis(settings.redis_url) if settings.redis_url else None  # where the server reads them
        store = make_session_store(settings, redis)
        sessions = []
        for uid in [*uids, boss.id]:
            sid = secrets.token_hex(32)
            await store.set(sid, msgspec.json.encode({"uid": uid}), expires_in=6 * 3600)
            sessions.append(sid)
        if redis is not None:
            await redis.aclose()
    finally:
        await db.close_database()
    return event["slug"], sessions[:-1], sessions[-1]


async def measure(label: str, settings: Settings, workdir: Path, seconds: float) -> None:
    print(f"\n{label} ({load_average()})")
    slug, sessions, boss = await prepare(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": settings.database_url,
        "MEETUP_VAR_DIR": settings.var_dir,
        "MEETUP_ENV": "test",
        "MEETUP_SECRET_KEY": settings.secret_key,
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_BASE_URL": base,
    }
    for name in ("MEETUP_REDIS_URL", "MEETUP_SMTP_URL", "MEETUP_STORAGE_URL"):
        env.pop(name, None)
    if settings.redis_url:
        env["MEETUP_REDIS_URL"] = settings.redis_url
    files = {"pdf": (big_pdf(), "slides.pdf", "application/pdf"), "jpeg": (big_jpeg(), "photo.jpg", "image/jpeg")}
    meetup = server([sys.executable, "main.py", "serve", "--port", str(port)], env, workdir / "meetup.log")
    try:
        await wait_listening(port, meetup, workdir / "meetup.log", "/healthz")
        async with httpx.AsyncClient(base_url=base, timeout=120, cookies={"session": boss}) as client:
            await client.get("/healthz")
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
            for kind, (content, name, ctype) in files.items():
                quiet = await chat(base, sessions, seconds)
                uploads: list[float] = []

                async def upload(content=content, name=name, ctype=ctype, uploads=uploads) -> None:
                    started = time.perf_counter()
                    response = await client.post(
                        f"/api/v1/events/{slug}/materials",
                        data={"title": "bench", "visibility": "public"},
                        files={"file": (name, content, ctype)},
                    )
                    if response.status_code != 201:
                        print(f"    upload refused: {response.status_code} {response.text[:200]}")
                        await asyncio.sleep(1)
                        return
                    uploads.append(time.perf_counter() - started)
                    await client.delete(f"/api/v1/events/{slug}/materials/{response.json()['id']}")

                busy = await chat(base, sessions, seconds, upload)
                size = len(content) / MB
                print(f"  {kind}: {size:.1f} MB, {len(uploads)} uploads, {size * len(uploads) / seconds:.1f} MB/s")
                print(line(f"chat delivery, quiet ({len(quiet)} lines)", quiet))
                print(line(f"chat delivery, uploading ({len(busy)})", busy))
                print(line("one upload (request to 201)", uploads))
                extra = cuts(busy)[2] - cuts(quiet)[2]
                print(f"    {'p99 added by uploads':<34} {extra:8.1f} ms (target <= 20 ms)")
        print(f"  ({load_average()})")
    finally:
        await stopped(meetup, workdir / "meetup.log")


async def main() -> None:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="chat measured this long, each way")
    parser.add_argument("--postgresql", help="a PostgreSQL database of your own (dropped and made again)")
    parser.add_argument("--redis", help="a Redis db of your own, with --postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'upload.sqlite3'}",
            env="test",
            secret_key="bench-" + "x" * 32,
            var_dir=str(Path(tmp) / "var"),
        )
        await measure("SQLite", settings, Path(tmp), args.seconds)
    if args.postgresql:
        await fresh_postgres(args.postgresql)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                database_url=args.postgresql,
                redis_url=args.redis,
                env="test",
                secret_key="bench-" + "x" * 32,
                var_dir=str(Path(tmp) / "var"),
            )
            await measure("PostgreSQL + Redis", settings, Path(tmp), args.seconds)


if __name__ == "__main__":
    asyncio.run(main())
