"""Directory benchmark: `python tests/bench/directory.py [--profiles 10000] [--rounds 200]`.

Fills a fresh database with generated coordinator profiles (kanji names with readings, six
Tohoku prefectures and others, themes, organisations, ties), then measures, in one run:
- the directory API and page (`/api/v1/coordinators`, `/coordinators`) for searches in kanji,
  kana and romaji, with filters, through the whole app in process (ASGI);
- the bare query: the same filter on the same rows straight through the database driver;
- the network endpoint (`/api/v1/network`) against a bare read of the same profiles and ties.
It prints p50/p95 and the ratios. SQLite always; PostgreSQL too when it answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.app import create_app  # noqa: E402
from meetup.coordinators import reading  # noqa: E402
from meetup.coordinators.prefectures import OTHERS, TOHOKU  # noqa: E402
from meetup.coordinators.schemas import THEMES  # noqa: E402
from meetup.settings import Settings  # noqa: E402

PG_URL = os.environ.get("MEETUP_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/meetup_bench")

SURNAMES = [
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"), ("伊藤", "いとう"),
    ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"),
    ("吉田", "よしだ"), ("山田", "やまだ"), ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"),
    ("阿部", "あべ"), ("菅原", "すがわら"), ("千葉", "ちば"), ("三浦", "みうら"), ("今野", "こんの"),
]  # fmt: skip
GIVEN = [
    ("翔", "しょう"), ("美咲", "みさき"), ("大輔", "だいすけ"), ("陽菜", "ひな"), ("健", "けん"),
    ("彩", "あや"), ("拓也", "たくや"), ("由佳", "ゆか"), ("誠", "まこと"), ("葵", "あおい"),
    ("一郎", "いちろう"), ("花子", "はなこ"), ("直樹", "なおき"), ("真央", "まお"), ("亮", "りょう"),
]  # fmt: skip
QUERIES = [
    {"q": "佐藤"}, {"q": "みさき"}, {"q": "ミサキ"}, {"q": "sato"}, {"q": "takahashi ken"},
    {"q": "移住"}, {"prefecture": "宮城県"}, {"theme": "DX"}, {"q": "ちば", "prefecture": "岩手県"}, {},
]  # fmt: skip


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


async def fill(profiles: int, ties: int | None = None, kinds: tuple[str, ...] = ("connection",)) -> None:
    """Generated accounts, profiles (readings and search text made by the real code) and `ties`
    ties (two per person unless said) of `kinds`, made over the last five years."""
    from meetup.accounts.tables import Account
    from meetup.coordinators.tables import Profile, ProfileTheme, Tie

    rng = random.Random(7)
    prefectures = list(TOHOKU) * 6 + list(OTHERS[:10])
    batch = 500
    for start in range(0, profiles, batch):
        count = min(batch, profiles - start)
        accounts = await Account.insert(
            *[Account(email=f"p{start + i}@example.jp", display_name=f"p{start + i}") for i in range(count)]
        ).returning(Account.id)
        rows, themes_of = [], []
        for account in accounts:
            (sur, sur_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
            name, kana = f"{sur} {given}", f"{sur_kana} {given_kana}"
            themes = rng.sample(THEMES, 3)
            prefecture = rng.choice(prefectures)
            spoken = reading.reading_of(name, kana)
            rows.append(
                Profile(
                    account=account["id"],
                    name=name,
                    name_kana=kana,
                    reading=spoken,
                    organization_name=f"団体{rng.randint(1, 300)}",
                    prefecture=prefecture,
                    themes_json=msgspec.json.encode(themes).decode(),
                    bio="東北で活動しています。",
                    visibility=rng.choice(["public", "public", "members", "private"]),
                    search_text=reading.search_text(name=name, reading=spoken, extra=[prefecture, *themes]),
                )
            )
            themes_of.append(themes)
        inserted = await Profile.insert(*rows).returning(Profile.id)
        await ProfileTheme.insert(
            *[ProfileTheme(profile=p["id"], theme=t) for p, ts in zip(inserted, themes_of, strict=True) for t in ts]
        )
    ids = [row["id"] for row in await Account.select(Account.id)]
    wanted = ties or profiles * 2
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < wanted:
        pairs.add(tuple(sorted(rng.sample(ids, 2))))
    pairs_list = sorted(pairs)
    now = db.utcnow()
    for start in range(0, len(pairs_list), 1000):
        await Tie.insert(
            *[
                Tie(
                    person_low=a,
                    person_high=b,
                    kind=kinds[(a + b) % len(kinds)],
                    source=f"bench:{a}-{b}",
                    created_at=now - timedelta(days=rng.randint(0, 5 * 365)),
                )
                for a, b in pairs_list[start : start + 1000]
            ]
        )


class Bare:
    """One plain driver connection: the least work that fetches the same rows."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.conn = None

    async def __aenter__(self) -> Bare:
        if self.url.startswith("postgres"):
            self.conn = await asyncpg.connect(self.url)
        else:
            import aiosqlite

            self.conn = await aiosqlite.connect(self.url.removeprefix("sqlite:///"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.close()

    async def rows(self, sql: str, *args: object) -> list:
        if self.url.startswith("postgres"):
            return await self.conn.fetch(sql.replace("?", "$1"), *args)
        cursor = await self.conn.execute(sql, args)
        rows = await cursor.fetchall()
        await cursor.close()
        return rows


DIRECTORY_SQL = "SELECT * FROM profile WHERE visibility = 'public' AND search_text LIKE ? ORDER BY reading LIMIT 50"
NODES_SQL = "SELECT account, name, prefecture FROM profile WHERE visibility = ?"
EDGES_SQL = "SELECT person_low, person_high, kind FROM tie WHERE kind = ?"


async def measure(label: str, database_url: str, profiles: int, rounds: int, workdir: Path) -> None:
    settings = Settings(database_url=database_url, env="test", secret_key="bench", var_dir=str(workdir / "var"))
    app = create_app(settings)
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    started = time.perf_counter()
    await fill(profiles)
    print(f"\n{label}: {profiles} profiles generated in {time.perf_counter() - started:.1f} s")
    async with app.lifespan(), Bare(database_url) as bare_db:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            api, page, bare = [], [], []
            for i in range(rounds):
                params = {**QUERIES[i % len(QUERIES)], "limit": "50"}
                t = time.perf_counter()
                response = await client.get("/api/v1/coordinators", params=params)
                api.append(time.perf_counter() - t)
                assert response.status_code == 200, response.text
                t = time.perf_counter()
                html = await client.get("/coordinators", params=params)
                page.append(time.perf_counter() - t)
                assert html.status_code == 200
                like = "%" + reading.query_terms(params.get("q", "") or "x")[0][0] + "%" if params.get("q") else "%"
                t = time.perf_counter()
                await bare_db.rows(DIRECTORY_SQL, like)
                bare.append(time.perf_counter() - t)
            for name, samples in (("directory API", api), ("directory page", page), ("bare query", bare)):
                p50, p95 = quantiles(samples)
                print(f"  {name:<16} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
            print(f"  ratio API p95 / bare p95: {quantiles(api)[1] / quantiles(bare)[1]:.1f}")
            net, net_bare = [], []
            for _ in range(5):
                t = time.perf_counter()
                response = await client.get("/api/v1/network")
                net.append(time.perf_counter() - t)
                if response.status_code != 200:
                    print(f"  network endpoint: {response.status_code}")
                    break
                t = time.perf_counter()
                await bare_db.rows(NODES_SQL, "public")
                await bare_db.rows(EDGES_SQL, "connection")
                net_bare.append(time.perf_counter() - t)
            if len(net) == 5:
                print(
                    f"  network endpoint median {statistics.median(net) * 1000:8.1f} ms   "
                    f"bare read of the same rows {statistics.median(net_bare) * 1000:6.1f} ms   "
                    f"ratio {statistics.median(net) / statistics.median(net_bare):.1f}"
                )


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


async def main() -> None:
    logging.disable(logging.INFO)  # the app logs every request; the figures are what matter here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        await measure("SQLite", f"sqlite:///{workdir / 'directory.sqlite3'}", args.profiles, args.rounds, workdir)
    if await fresh_postgres(PG_URL):
        with tempfile.TemporaryDirectory() as tmp:
            await measure("PostgreSQL", PG_URL, args.profiles, args.rounds, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
