"""Progress of a long computation: the callback type and a timer of named steps.

The evaluation (:func:`lcgis.engine.pipeline.run`) and the relocation plan
(:func:`lcgis.plan.relocation.plan`) report their stages through a :data:`Progress`
callback; the command line prints them (:func:`print_progress`), the app drives a bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

#: Progress callback: (stage name in Chinese, share done 0–1).
Progress = Callable[[str, float], None]


class Steps:
    """A step timer: ``steps(name, share)`` ends the running step and starts ``name``.

    The seconds of every ended step go to :attr:`timings` (by name); each new step is
    reported to ``progress`` when one is given.

    >>> seen = []
    >>> steps = Steps(lambda name, share: seen.append((name, share)))
    >>> steps("读取", 0.0)
    >>> steps("完成", 1.0)
    >>> seen, list(steps.timings), steps.elapsed >= steps.timings["读取"] >= 0
    ([('读取', 0.0), ('完成', 1.0)], ['读取'], True)
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self.timings: dict[str, float] = {}
        self._progress = progress
        self._name = ""
        self._created = self._started = time.perf_counter()

    def __call__(self, name: str, share: float) -> None:
        now = time.perf_counter()
        if self._name:
            self.timings[self._name] = now - self._started
        self._name, self._started = name, now
        if self._progress is not None:
            self._progress(name, share)

    @property
    def elapsed(self) -> float:
        """Seconds since the timer was made."""
        return time.perf_counter() - self._created


def print_progress(name: str, share: float) -> None:
    """Print a stage to standard error, e.g. ``[ 45%] 企业评价`` (the command line's callback)."""
    print(f"[{share:4.0%}] {name}", file=sys.stderr, flush=True)
