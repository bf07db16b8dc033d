"""A thousand room members are some 300,000 long-lived objects: while the app runs, Python's young
collections come every GC_YOUNG_THRESHOLD objects instead of 700, so that full passes over them
(70–150 ms of a held event loop each) are rare; what start-up made is frozen out of them. Both
are undone when the app stops (tests run many apps in one process)."""

import gc

from meetup.app import GC_YOUNG_THRESHOLD
from tests.conftest import running


async def test_the_collector_is_tuned_while_the_app_runs_and_restored_after(settings):
    before = gc.get_threshold()
    assert before[0] != GC_YOUNG_THRESHOLD
    async with running(settings) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
