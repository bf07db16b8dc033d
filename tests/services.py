"""`python -m tests.services PG_URL REDIS_URL`: exit 0 when both answer (used by `make test`)."""

import asyncio
import sys

import asyncpg
from redis.asyncio import Redis


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


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(reachable(sys.argv[1], sys.argv[2])) else 1)
