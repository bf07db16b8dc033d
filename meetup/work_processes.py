"""Processes for work that would hold the serving process's interpreter: measuring the network
(networkx), judging an upload (a regular expression over 20 MB, Pillow decoding a photo). The
event loop (requests, every room's chat frames) only awaits a future meanwhile.

Rules:
- each kind of work has its own pool of one worker process (`WorkProcess`), so a long network
  measurement never queues an upload behind it; the worker starts at the first task;
- workers are started from a forkserver that has the work's modules loaded (spawn where there is
  no forkserver): never a fork of a process running an event loop;
- workers run at a lower priority (nice 10): the work waits for serving, never the reverse;
- what crosses is small: paths, queries and plain values in, plain values or encoded bytes out;
  the work is a module-level function of a module that imports no part of the running app;
- `stop()` (the app's lifespan, at shutdown) ends the worker at once, even mid-task (that task is
  abandoned); a worker that died by itself (killed, out of memory) is replaced and the task tried
  once more.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

NICENESS = 10
# The modules every WorkProcess's work lives in, loaded once in the forkserver (a worker forked
# from it starts with them imported). Registered as each WorkProcess is made, at import.
_PRELOAD: list[str] = []


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


class WorkProcess:
    """One worker process for one kind of work, started when first needed."""

    def __init__(self, preload: str):
        if preload not in _PRELOAD:
            _PRELOAD.append(preload)
        self._pool: ProcessPoolExecutor | None = None
        self._waiting: set[asyncio.Future] = set()  # what callers await, failed at once by stop()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # A lower priority: on a busy machine the serving process gets the CPU first.
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=_context(), initializer=os.nice, initargs=(NICENESS,)
            )
        return self._pool

    async def run(self, work: Callable[..., Any], *args: Any) -> Any:
        """`work(*args)` in the worker process. A worker that died under it (killed, out of
        memory) is replaced and `work` tried once more; after `stop()` it is abandoned
        (BrokenProcessPool)."""
        pool = self._executor()
        try:
            return await self._submit(pool, work, *args)
        except BrokenProcessPool:
            if self._pool is not pool:  # stopped on purpose
                raise
            self.stop()
            return await self._submit(self._executor(), work, *args)

    async def _submit(self, pool: ProcessPoolExecutor, work: Callable[..., Any], *args: Any) -> Any:
        # Submitting may start the worker, waiting for the forkserver to load its modules: not on the loop.
        try:
            future = await asyncio.to_thread(pool.submit, work, *args)
        except RuntimeError:  # "cannot schedule new futures after shutdown"
            if self._pool is not pool:
                raise BrokenProcessPool("the work process was stopped") from None
            raise
        if self._pool is not pool:  # stopped while this was being handed over
            future.cancel()
            raise BrokenProcessPool("the work process was stopped")
        waiter = asyncio.wrap_future(future)
        self._waiting.add(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if waiter.cancelled() and not (task and task.cancelling()):  # `stop()` abandoned it
                raise BrokenProcessPool("the work process was stopped") from None
            raise
        finally:
            self._waiting.discard(waiter)

    def stop(self) -> None:
        """End the worker now (a task under way is abandoned; whoever awaits it gets an error)."""
        pool, self._pool = self._pool, None
        for waiter in list(self._waiting):  # the pool may never answer for work it had not begun
            waiter.cancel()
        if pool is None:
            return
        # ProcessPoolExecutor has no public way to end a busy worker before Python 3.14
        # (terminate_workers); shutdown alone would wait for the task to finish.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
