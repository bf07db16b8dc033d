"""`python -m tests.services PG_URL REDIS_URL`, used by `make test`: exit 0 when both answer, 1
when one does not (the suite then runs on SQLite only), 2 when one does not under `CI=true`
(a CI run that quietly skipped PostgreSQL and Redis would pass without testing them)."""

import asyncio
import os
import sys

import asyncpg
from redis.asyncio import Redis

REACHABLE, SQLITE_ONLY, REQUIRED_BUT_DOWN = 0, 1, 2


async def reachable(database_url: str, redis_url: str) -> bool:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(database_url), timeout=5)
        await conn.close()
    except Exception as exc:
        print(f"PostgreSQL at {database_url}: {exc}")
        return False
    client = Redis.from_url(redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        print(f"Redis at {redis_url}: {exc}")
        return False
    finally:
        await client.aclose()
    return True


def verdict(answered: bool, ci: str | None) -> int:
    """What `make test` does next: the PostgreSQL pass, SQLite only, or fail (CI needs both)."""
    if answered:
        return REACHABLE
    if ci == "true":
        print("CI=true: PostgreSQL and Redis must be reachable; the run fails rather than test SQLite alone.")
        return REQUIRED_BUT_DOWN
    return SQLITE_ONLY


if __name__ == "__main__":
    sys.exit(verdict(asyncio.run(reachable(sys.argv[1], sys.argv[2])), os.environ.get("CI")))
