"""Pausing Python's cyclic garbage collector while millions of objects are made.

Geometries and the small lists of a map's payload are objects the collector tracks; the
thousands of collections their creation triggers each scan every object made so far and find
nothing to free (they hold no reference cycles).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block, and back in its state before after it.

    >>> with paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
