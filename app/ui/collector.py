"""Garbage collection on the GUI thread only.

Python's cyclic garbage collector runs on whichever thread happens to allocate when a
generation's threshold is crossed: with the loader, the receiver and `asyncio.to_thread`
workers allocating all the time, that is often not the GUI thread. A cycle that holds a
Qt object (a widget and a lambda connected to its signal, a controller and its timer) is
then destroyed on a worker thread, where Qt must not touch it: the process may crash
long after, in an unrelated event. pyqtgraph ships the same remedy for the same reason
(`pyqtgraph.util.garbage_collector`): automatic collection off, and the generations
collected by a timer on the GUI thread, with the interpreter's own thresholds.
"""

from __future__ import annotations

import gc
import logging
import time

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

_paused = 0  # bulk work in progress (`pause`): nothing is collected meanwhile

INTERVAL_MS = 1000  # how often the generations are looked at; a collection is due rarely
SLOW_COLLECTION = 0.05  # seconds: a collection this long is logged (it stalled the loop)


def pause() -> None:
    """No collection while bulk work allocates (the inbox's load builds a million rows'
    worth of objects on a worker): a full collection meanwhile would walk them all on the
    GUI thread, a stall of 50-100 ms each time, for no garbage. Pair with `resume`."""
    global _paused
    _paused += 1


def resume() -> None:
    global _paused
    _paused = max(0, _paused - 1)


class MainThreadCollector(QObject):
    """While it lives, only the GUI thread collects garbage cycles."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int:
        """Collect each generation whose count passed the interpreter's threshold, youngest
        first, as the interpreter would; returns how many objects were unreachable."""
        if _paused:
            return 0
        young, middle, old = gc.get_count()
        t0 = time.perf_counter()
        found = 0
        generation = None
        if young > self._threshold[0]:
            generation = 0
            if middle > self._threshold[1]:
                generation = 1
                if old > self._threshold[2]:
                    generation = 2
        if generation is not None:
            found = gc.collect(generation)
            took = time.perf_counter() - t0
            if took > SLOW_COLLECTION:
                log.debug("collecting generation %d took %.0f ms", generation, took * 1000)
        return found

    def close(self) -> None:
        """Stop; what is garbage now is collected here, on the GUI thread, and the
        interpreter collects on its own again (unless it was told not to before)."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
