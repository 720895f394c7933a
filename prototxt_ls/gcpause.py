"""Pause Python's cyclic garbage collector around allocation-heavy work.

A check allocates hundreds of thousands of small objects that all stay alive
until it returns (tokens, tree nodes, views).  Each automatic collection
scans every one of them, so on a large net collections cost more than the
work itself and grow faster than linearly.  Our objects form no reference
cycles, so pausing the collector loses nothing; reference counting still
frees everything on time.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable automatic collection inside the block (re-entrant)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
