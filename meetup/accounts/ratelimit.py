"""Fixed-window counters for failed logins and magic-link requests.

In one process they live in memory; with MEETUP_REDIS_URL they live in Redis (INCR + EXPIRE),
so every web process counts against the same limit.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis


class RateLimiter:
    def __init__(self, redis: Redis | None = None, prefix: str = "meetup:rl:"):
        self.redis = redis
        self.prefix = prefix
        self._memory: dict[str, tuple[int, float]] = {}

    async def count(self, key: str) -> int:
        if self.redis is not None:
            value = await self.redis.get(self.prefix + key)
            return int(value or 0)
        count, expires = self._memory.get(key, (0, 0.0))
        return count if expires > time.monotonic() else 0

    async def hit(self, key: str, window_seconds: int) -> int:
        """Count one more event in the window that started with the first; returns the count."""
        if self.redis is not None:
            name = self.prefix + key
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_seconds, nx=True)
                count, _ = await pipe.execute()
            return int(count)
        now = time.monotonic()
        count, expires = self._memory.get(key, (0, 0.0))
        if expires <= now:
            count, expires = 0, now + window_seconds
            if len(self._memory) > 50_000:  # drop expired windows so memory stays bounded
                self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        self._memory[key] = (count + 1, expires)
        return count + 1

    async def reset(self, key: str) -> None:
        if self.redis is not None:
            await self.redis.delete(self.prefix + key)
        else:
            self._memory.pop(key, None)
