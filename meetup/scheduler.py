"""Periodic jobs (the day-before reminders, the follows' mail) run beside the mail worker.

They run in the web process with the in-process worker, and in `python main.py worker`;
each job is safe to run from several processes at once (its mail carries a dedupe key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from meetup.events.reminders import queue_reminders
from meetup.followups.follows import queue_follow_mail

log = logging.getLogger("meetup.scheduler")

JOBS: list[tuple[str, Callable[[], Awaitable[object]], float]] = [
    ("reminders", queue_reminders, 60.0),
    # Forums published since the last run, one digest per follower: within about a minute.
    ("follows", queue_follow_mail, 60.0),
]


async def run(stop: asyncio.Event) -> None:
    next_run = dict.fromkeys((name for name, _, _ in JOBS), 0.0)
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        for name, job, every in JOBS:
            if loop.time() >= next_run[name]:
                try:
                    await job()
                except Exception:  # a failed run is retried at the next tick
                    log.exception("job %s failed", name)
                next_run[name] = loop.time() + every
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=5)
