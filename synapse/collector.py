"""Python's cyclic garbage collector, relaxed for the batch jobs (import, snapshot runs)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Container allocations between two young-generation collections inside
#: ``collector_relaxed`` (Python's default is 700).
YOUNG_THRESHOLD = 50_000
#: The same for a CSV import: it holds two batches of rows at a time (five thousand
#: rows, each a list, a dict and tuples), so at 50,000 a collection ran every few
#: batches and walked the live rows each time: 42 collections, 0.7–1.3 s of a
#: million-row import; at 500,000 one or none (the rows hold no cycles).
IMPORT_YOUNG_THRESHOLD = 500_000


@contextlib.contextmanager
def collector_relaxed(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector doing far less work.

    A batch job allocates millions of short-lived containers (rows, dicts, tuples, the
    ORM's query objects). With the default thresholds many live just long enough to be
    promoted, so a full collection ran every few batches and walked every object of the
    process (Django, the caches): a sixth of a snapshot backfill's CPU and over a third
    of a million-row import's. Inside the block the objects that exist before it are
    frozen (never walked; ``gc.freeze``) and the young generation is collected after
    ``young`` allocations (``YOUNG_THRESHOLD``) instead of 700, so memory stays bounded
    (the rows hold no reference cycles: reference counting frees them) while a
    collection is rare and cheap. Both are undone at the end.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
