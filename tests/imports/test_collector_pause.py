"""A commit pauses Python's cyclic garbage collector while it applies its rows (a full collection walks every
object the commit holds, for nothing to free): the collector is on again when the last import applying in the
process is done, and stays off if it was off before."""

import gc

from backend.workflows import imports as importing
from tests.imports.conftest import screening_row, xlsx


async def test_the_collector_is_on_again_after_a_commit(person, upload, finished):
    assert gc.isenabled()
    job = await finished(await upload(xlsx([screening_row(person())]), mode="commit"))
    assert (job["status"], job["rows_applied"]) == ("finished", 1)
    assert gc.isenabled()


def test_overlapping_imports_turn_it_on_when_the_last_one_is_done():
    assert gc.isenabled()
    first = importing._cyclic_gc_paused()
    second = importing._cyclic_gc_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)  # the first one ends while the second still applies
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off():
    gc.disable()
    try:
        with importing._cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
