"""Organisation import benchmark: `python tests/bench/organisations_import.py [--organizations 1500]`.

Generates a CSV of organisations (Japanese names with readings, every kind, the six Tohoku
prefectures and others) and measures, in one run, on a fresh database:
- the import through the whole app (`POST /api/v1/organizations/import`, multipart, in process),
  first creating every organisation, then the same file again (every line unchanged);
- the baseline: the same rows written straight through the database driver with one
  executemany, into a copy of the table (no checks, no readings, no search text).
It prints the times and the ratio, and exits non-zero when an import takes 5 s or more.
SQLite always; PostgreSQL too when it answers (MEETUP_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.accounts import service as accounts  # noqa: E402
from meetup.app import create_app  # noqa: E402
from meetup.coordinators.prefectures import OTHERS, TOHOKU  # noqa: E402
from meetup.coordinators.schemas import ORGANIZATION_FIELDS, ORGANIZATION_KINDS  # noqa: E402
from meetup.settings import Settings  # noqa: E402

PG_URL = os.environ.get("MEETUP_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/meetup_bench")
LIMIT_SECONDS = 5.0
PLACES = [("仙台", "せんだい"), ("石巻", "いしのまき"), ("盛岡", "もりおか"), ("秋田", "あきた"), ("山形", "やまがた")]
WORDS = [("地域創生", "ちいきそうせい"), ("まちづくり", "まちづくり"), ("未来", "みらい"), ("共創", "きょうそう")]
PASSWORD = "bench-organizer-pw"


def organisations_csv(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ORGANIZATION_FIELDS)
    prefectures = (*TOHOKU, *OTHERS)
    for i in range(count):
        place, place_kana = PLACES[i % len(PLACES)]
        word, word_kana = WORDS[(i // len(PLACES)) % len(WORDS)]
        name, kana = f"{place}{word}ラボ{i}", f"{place_kana}{word_kana}らぼ{i}"
        kind = ORGANIZATION_KINDS[i % len(ORGANIZATION_KINDS)]
        prefecture = prefectures[i % len(prefectures)]
        writer.writerow([name, kana, kind, prefecture, f"https://org{i}.example", f"{place}で{word}に取り組む"])
    return out.getvalue().encode()


async def bare_executemany(database_url: str, content: bytes) -> float:
    """The same rows through the bare driver: one executemany into a copy of the table."""
    rows = list(csv.reader(io.StringIO(content.decode())))[1:]
    columns = ", ".join(ORGANIZATION_FIELDS)
    if database_url.startswith("postgres"):
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("CREATE TABLE bare_org (LIKE organization INCLUDING DEFAULTS)")
            started = time.perf_counter()
            placeholders = ", ".join(f"${i + 1}" for i in range(len(ORGANIZATION_FIELDS)))
            async with conn.transaction():
                await conn.executemany(f"INSERT INTO bare_org ({columns}) VALUES ({placeholders})", rows)  # noqa: S608 (fixed names)
            return time.perf_counter() - started
        finally:
            await conn.close()
    import aiosqlite

    async with aiosqlite.connect(database_url.removeprefix("sqlite:///")) as conn:
        await conn.execute("CREATE TABLE bare_org AS SELECT * FROM organization WHERE 0")
        started = time.perf_counter()
        placeholders = ", ".join("?" for _ in ORGANIZATION_FIELDS)
        await conn.executemany(f"INSERT INTO bare_org ({columns}) VALUES ({placeholders})", rows)  # noqa: S608 (fixed names)
        await conn.commit()
        return time.perf_counter() - started


async def signed_in_organizer(client: httpx.AsyncClient) -> None:
    await accounts.make_organizer("bench-organizer@example.jp", PASSWORD, "ベンチ 主催")
    await client.get("/healthz")
    await client.get("/")
    client.headers["x-csrftoken"] = client.cookies.get("csrftoken", "")
    response = await client.post(
        "/api/v1/auth/login", json={"email": "bench-organizer@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


async def measure(label: str, database_url: str, count: int, workdir: Path) -> bool:
    settings = Settings(database_url=database_url, env="test", secret_key="bench", var_dir=str(workdir / "var"))
    app = create_app(settings)
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    content = organisations_csv(count)
    print(f"\n{label}: {count} organisations, {len(content) / 1024:.0f} KB of CSV")
    ok, first = True, 0.0
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await signed_in_organizer(client)
            for what in ("first import", "same file again"):
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/organizations/import", files={"file": ("organizations.csv", content, "text/csv")}
                )
                took = time.perf_counter() - started
                assert response.status_code == 200, response.text
                result = response.json()
                print(f"  {what:<16} {took:6.2f} s   created {result['created']} updated {result['updated']} "
                      f"unchanged {result['unchanged']} rejected {len(result['rejected'])}")  # fmt: skip
                ok = ok and took < LIMIT_SECONDS and not result["rejected"]
                if what == "first import":
                    first = took
    bare = await bare_executemany(database_url, content)
    print(f"  bare executemany {bare:6.2f} s   ratio first import / bare {first / bare:.0f}")
    return ok


async def fresh_postgres(url: str) -> bool:
    try:
        admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    except Exception:
        return False
    name = url.rsplit("/", 1)[1]
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return True


async def main() -> int:
    logging.disable(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organizations", type=int, default=1500)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ok &= await measure("SQLite", f"sqlite:///{workdir / 'orgs.sqlite3'}", args.organizations, workdir)
    if await fresh_postgres(PG_URL):
        with tempfile.TemporaryDirectory() as tmp:
            ok &= await measure("PostgreSQL", PG_URL, args.organizations, Path(tmp))
    print(f"\n{'OK' if ok else 'TOO SLOW'}: every import must take under {LIMIT_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
