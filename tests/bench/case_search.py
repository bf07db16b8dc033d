"""Case search benchmark: `python tests/bench/case_search.py [--cases 5000] [--rounds 300]`.

Fills a fresh SQLite database with generated cases (titles in kanji with place names, summaries,
themes, organisations; search text made by the real code), then measures in one run:
- `GET /api/v1/cases?q=` through the whole app in process (ASGI), for searches in kanji, kana
  and romaji and with filters (target: p95 < 50 ms at 5,000 cases);
- the floor: a bare Litestar endpoint that runs the same search (the same LIKE on the same
  column, the same limit) straight through one raw aiosqlite connection and returns the rows.
It prints p50/p95 of both and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite
import httpx
import msgspec
from litestar import Litestar, get

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from meetup import db  # noqa: E402
from meetup.app import create_app  # noqa: E402
from meetup.cases import service as cases  # noqa: E402
from meetup.cases.schemas import CASE_KINDS, CaseIn  # noqa: E402
from meetup.coordinators import reading  # noqa: E402
from meetup.coordinators.prefectures import TOHOKU  # noqa: E402
from meetup.coordinators.schemas import THEMES  # noqa: E402
from meetup.settings import Settings  # noqa: E402

PLACES = ["釜石", "石巻", "気仙沼", "陸前高田", "南三陸", "会津", "酒田", "弘前", "八戸", "盛岡", "仙台", "秋田"]
WHAT = ["インターン", "事業承継", "オープンシティ", "副業人材", "DX推進", "新商品開発", "移住促進", "観光まちづくり"]
QUERIES = [
    {"q": "釜石"}, {"q": "かまいし"}, {"q": "kamaishi"}, {"q": "インターン"}, {"q": "いしのまき 事業承継"},
    {"q": "sendai"}, {"kind": "dx"}, {"theme": "DX"}, {"q": "会津", "prefecture": "福島県"}, {},
]  # fmt: skip
LIMIT = cases.LIST_LIMIT


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[94] * 1000


async def fill(count: int) -> None:
    from meetup.cases.tables import Case, CaseTheme

    rng = random.Random(17)
    batch = 500
    for start in range(0, count, batch):
        rows, themes_of = [], []
        for _ in range(min(batch, count - start)):
            place, what = rng.choice(PLACES), rng.choice(WHAT)
            themes = rng.sample(THEMES, 3)
            data = CaseIn(
                title=f"{place}の{what}",
                summary=f"{place}で地域の企業と外部人材が{what}に取り組んだ事例。",
                body="## 何をしたか\n\n" + "地域の課題を余白として開いた。" * 20,
                kind=rng.choice(CASE_KINDS),
                themes=themes,
                prefecture=rng.choice(TOHOKU),
            )
            rows.append(Case(**cases._values(data, [f"団体{rng.randint(1, 300)}"])))
            themes_of.append(themes)
        inserted = await Case.insert(*rows).returning(Case.id)
        await CaseTheme.insert(
            *[CaseTheme(case_story=c["id"], theme=t) for c, ts in zip(inserted, themes_of, strict=True) for t in ts]
        )


def floor_app(path: str) -> Litestar:
    """The least an endpoint can do for the same search: one raw connection, one statement."""
    state: dict[str, aiosqlite.Connection] = {}

    @get("/floor")
    async def floor(q: str | None = None) -> list[dict]:
        if "conn" not in state:
            state["conn"] = await aiosqlite.connect(path)
            state["conn"].row_factory = aiosqlite.Row
        where, args = [], []
        for forms in reading.query_terms(q or ""):
            where.append("(" + " OR ".join("search_text LIKE ?" for _ in forms) + ")")
            args += [f"%{form}%" for form in forms]
        sql = (
            "SELECT id, title, summary, kind, themes_json, prefecture, created_at FROM case_story"  # noqa: S608
            + (" WHERE " + " AND ".join(where) if where else "")
            + f" ORDER BY created_at DESC, id DESC LIMIT {LIMIT}"
        )
        async with state["conn"].execute(sql, args) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def close() -> None:
        if "conn" in state:
            await state["conn"].close()

    return Litestar([floor], on_shutdown=[close])


async def measure(count: int, rounds: int, workdir: Path) -> None:
    path = workdir / "cases.sqlite3"
    settings = Settings(database_url=f"sqlite:///{path}", env="test", secret_key="bench", var_dir=str(workdir / "var"))
    app = create_app(settings)
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints each migration
        await db.migrate()
    started = time.perf_counter()
    await fill(count)
    print(f"\nSQLite: {count} cases generated in {time.perf_counter() - started:.1f} s")
    bare = floor_app(str(path))
    async with (
        app.lifespan(),
        bare.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://bench") as floor,
    ):
        api, base, slowest = [], [], {}
        for i in range(rounds):
            params = QUERIES[i % len(QUERIES)]
            t = time.perf_counter()
            response = await client.get("/api/v1/cases", params=params)
            api.append(time.perf_counter() - t)
            slowest.setdefault(str(params), []).append(api[-1])
            assert response.status_code == 200, response.text
            if "q" in params or not params:
                t = time.perf_counter()
                found = await floor.get("/floor", params={"q": params.get("q", "")})
                base.append(time.perf_counter() - t)
                assert found.status_code == 200
                if not {"kind", "theme", "prefecture"} & set(params):
                    assert len(msgspec.json.decode(found.content)) == len(response.json()), params
        for name, samples in (("cases API", api), ("floor (raw aiosqlite)", base)):
            p50, p95 = quantiles(samples)
            print(f"  {name:<22} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
        ratio = quantiles(api)[1] / quantiles(base)[1]
        print(f"  ratio API p95 / floor p95: {ratio:.1f}   (target: API p95 < 50 ms)")
        for params, took in sorted(slowest.items(), key=lambda item: -max(item[1]))[:4]:
            print(f"  slowest: {params} max {max(took) * 1000:.1f} ms, median {statistics.median(took) * 1000:.1f} ms")


async def main() -> None:
    logging.disable(logging.INFO)  # the app logs every request; the figures are what matter here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await measure(args.cases, args.rounds, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
