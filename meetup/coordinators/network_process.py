"""The measuring process: the network's graph work (network_graph.py) runs in a work process of
its own (meetup/work_processes.py), so the serving process's event loop is never held by
networkx, however long a measurement takes. `network_build.py` reads the rows itself there;
`stop()` is called by the app's lifespan at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetup.work_processes import WorkProcess

_measuring = WorkProcess(preload="meetup.coordinators.network_build")  # networkx, msgspec and the measuring code


async def run(work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args)` in the measuring process; `work` must be a module-level function of a module
    the worker can import without the app running (network_build, network_graph)."""
    return await _measuring.run(work, *args)


def stop() -> None:
    """End the measuring process now (a measurement under way is abandoned)."""
    _measuring.stop()
