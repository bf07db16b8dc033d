"""Test helpers for the measuring process: count the measurements that go through it."""

from __future__ import annotations

import pytest

from meetup.coordinators import network_process


def counted_measurements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every graph measurement sent to the measuring process from now on is recorded (by the name
    of its work) in the returned list, and still runs there."""
    calls: list[str] = []
    original = network_process.run

    async def counting(work, *args):
        calls.append(work.__name__)
        return await original(work, *args)

    monkeypatch.setattr(network_process, "run", counting)
    return calls
