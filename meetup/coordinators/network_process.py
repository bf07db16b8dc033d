"""The measuring process: the network's graph work (network_graph.py) runs in a process of its
own, so the serving process's interpreter (its event loop: requests, chat frames) is never held
by networkx, however long a measurement takes.

Rules:
- one worker process, started on the first measurement, from a forkserver that has networkx
  loaded (spawn where there is no forkserver): never a fork of a process running an event loop;
- the worker runs at a lower priority (nice 10): measuring waits for serving, never the reverse;
- what crosses is small: queries and plain values in, encoded bytes and a few small values out
  (network_build.py reads the rows itself), pickled in a few milliseconds each way;
- the event loop awaits the worker's future and stays free meanwhile;
- `stop()` (the app's lifespan, at shutdown) ends the worker at once, even mid-measurement, and
  a worker that died is replaced at the next measurement.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

PRELOAD = ["meetup.coordinators.network_build"]  # networkx, msgspec and the measuring code
NICENESS = 10

_pool: ProcessPoolExecutor | None = None


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # A lower priority: on a busy machine the serving process gets the CPU first.
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=_context(), initializer=os.nice, initargs=(NICENESS,))
    return _pool


async def run(work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args)` in the measuring process; `work` must be a module-level function of a module
    the worker can import without the app running (network_build, network_graph)."""
    try:
        return await _submit(work, *args)
    except BrokenProcessPool:  # the worker died (killed, out of memory): one fresh try
        stop()
        return await _submit(work, *args)


async def _submit(work: Callable[..., Any], *args: Any) -> Any:
    # Submitting may start the worker, waiting for the forkserver to load networkx: not on the loop.
    future = await asyncio.to_thread(_executor().submit, work, *args)
    return await asyncio.wrap_future(future)


def stop() -> None:
    """End the worker now (a measurement under way is abandoned; whoever awaits it gets an error)."""
    global _pool
    pool, _pool = _pool, None
    if pool is None:
        return
    # ProcessPoolExecutor has no public way to end a busy worker before Python 3.14
    # (terminate_workers); shutdown alone would wait for the measurement to finish.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
