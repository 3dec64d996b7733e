"""When the cyclic garbage collector does its full passes: while the user is idle.

A full collection walks every tracked object that is not frozen. While the app
runs that is tens of thousands of objects (widgets, strips, rows of the pages
read), 40-100 ms on this 2-core machine: Python starts one whenever enough objects
have survived the younger generations, which is exactly when the user is opening
sessions or a stream is running, so it lands as a stalled frame in the middle of
what they asked for. ``HeapKeeper`` makes automatic full passes rare (a high
``threshold2``; young generations are collected as usual) and runs them itself
when nothing happens: no key or mouse input and no backend event for ``QUIET``
seconds. Memory stays bounded: a full pass also runs after ``MAX_WAIT`` seconds
whatever happens.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: Seconds without input or backend events that count as idle.
QUIET = 1.0
#: Seconds between full passes at least (an idle app does not collect in a loop).
MIN_GAP = 10.0
#: Seconds after which a full pass runs even if the app was never idle.
MAX_WAIT = 120.0
#: Automatic full passes: after this many young-generation passes (Python's default is 10).
THRESHOLD2 = 1000


class HeapKeeper:
    """Call ``tick()`` every second or so; ``touched()`` on user input."""

    def __init__(self, last_event_at: Callable[[], float], *, clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[], object] = gc.collect) -> None:
        self._last_event_at = last_event_at
        self._clock = clock
        self._collect = collect
        self._last_input = float("-inf")
        self._last_full = clock()
        self._thresholds: tuple[int, int, int] | None = None
        self.full_passes = 0

    def install(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            gen0, gen1, _gen2 = self._thresholds
            gc.set_threshold(gen0, gen1, THRESHOLD2)

    def uninstall(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def touched(self) -> None:
        self._last_input = self._clock()

    def tick(self) -> bool:
        """Run a full pass if the app is idle (or has waited too long); True if it ran."""
        now = self._clock()
        since_full = now - self._last_full
        quiet = now - max(self._last_input, self._last_event_at()) >= QUIET
        if (quiet and since_full >= MIN_GAP) or since_full >= MAX_WAIT:
            self._collect()
            self._last_full = self._clock()
            self.full_passes += 1
            return True
        return False
