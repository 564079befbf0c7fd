"""Pausing Python's cyclic garbage collector around work that holds hundreds of thousands of objects at once and
makes no reference cycles (an import's commit, the ids behind an assessment run's rates): every full collection
walks all of them, for nothing to free. Memory is still freed as usual (reference counting); only reference
cycles, of this work or of other requests of the process, wait until it is over. Pauses may overlap (two
imports, an import and a run): the collector is on again when the last of them ends, and stays off if it was
off before the first."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Pauses under way in this process, and whether the collector was on before the first of them.
_paused = 0
_collector_was_on = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    global _paused, _collector_was_on
    if _paused == 0:
        _collector_was_on = gc.isenabled()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _collector_was_on:
            gc.enable()
