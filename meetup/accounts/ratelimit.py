"""Fixed-window counters for logins, sign-ups and magic-link requests.

In one process they live in memory; with MEETUP_REDIS_URL they live in Redis (INCR + EXPIRE),
so every web process counts against the same limit. An attempt is counted as it arrives, and the
count `hit` returns is the verdict: reading a count and writing it later would let thirty guesses
sent at once all read "0".
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from meetup.errors import TooManyRequests
from meetup.i18n import gettext as _

# DECR only a live counter: on an expired one it would leave a -1 that never expires.
_REFUND = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


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

    async def refund(self, key: str) -> None:
        """Take back one counted attempt (one that turned out fine), never below zero."""
        if self.redis is not None:
            await self.redis.eval(_REFUND, 1, self.prefix + key)
            return
        count, expires = self._memory.get(key, (0, 0.0))
        if count > 0:
            self._memory[key] = (count - 1, expires)

    async def reset(self, key: str) -> None:
        if self.redis is not None:
            await self.redis.delete(self.prefix + key)
        else:
            self._memory.pop(key, None)


async def count_attempt(limiter: RateLimiter, limits: list[tuple[str, int, int]]) -> None:
    """Count one attempt against each (key, limit, window seconds) as it arrives; over any of
    them, the attempt is refused (429) before any work is done for it."""
    over = False
    for key, limit, window in limits:
        if await limiter.hit(key, window) > limit:
            over = True
    if over:
        raise TooManyRequests(_("Too many attempts. Please wait a few minutes and try again."))
