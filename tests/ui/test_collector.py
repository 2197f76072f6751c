"""Garbage cycles are destroyed on the GUI thread while the app runs (app/ui/collector.py):
a cycle that holds a Qt object must never be collected by a worker thread that happened
to allocate when a generation filled up."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest
from PySide6.QtCore import QObject

from app.ui import collector as collector_module
from app.ui.collector import MainThreadCollector


class _Cycle:
    """A garbage cycle, like a widget and a slot that refers back to it, which tells on
    which thread it was destroyed."""

    destroyed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self
        self.qt = QObject()

    def __del__(self) -> None:
        _Cycle.destroyed_on.append(threading.current_thread().name)


def _allocate_on_a_worker() -> list[list[int]]:
    """What the inbox loader or a `to_thread` worker does: allocate containers, enough
    to fill the youngest generation many times over, and keep them (rows read)."""
    kept: list[list[int]] = []

    def work() -> None:
        kept.extend([i] for i in range(50_000))

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()
    return kept


@pytest.fixture
def interpreter_collects() -> Iterator[None]:
    """The interpreter's automatic collection, as in the app (the test session turns it
    off and collects between tests itself)."""
    was = gc.isenabled()
    gc.collect()
    gc.enable()
    _Cycle.destroyed_on.clear()
    yield
    if not was:
        gc.disable()


def test_without_it_a_worker_thread_destroys_the_cycle(interpreter_collects: None) -> None:
    # What the collector is for: the interpreter collects on whichever thread allocates.
    _Cycle()
    _allocate_on_a_worker()
    assert _Cycle.destroyed_on == ["worker"]


def test_with_it_cycles_are_destroyed_on_the_gui_thread(qapp, interpreter_collects) -> None:
    collector = MainThreadCollector(interval_ms=60_000)
    try:
        _Cycle()
        rows = _allocate_on_a_worker()
        assert len(rows) == 50_000
        assert _Cycle.destroyed_on == []  # the worker left it alone
        collector.collect_due()  # the timer's tick, on the GUI thread
        assert _Cycle.destroyed_on == [threading.current_thread().name]
    finally:
        collector.close()
    assert gc.isenabled()  # the interpreter collects on its own again


def test_closing_it_collects_what_is_left_and_keeps_collection_off_if_it_was(qapp) -> None:
    gc.disable()
    _Cycle.destroyed_on.clear()
    collector = MainThreadCollector(interval_ms=60_000)
    _Cycle()
    collector.close()
    assert _Cycle.destroyed_on == [threading.current_thread().name]
    assert not gc.isenabled()


def test_nothing_is_collected_while_bulk_work_pauses_it(qapp, interpreter_collects) -> None:
    collector = MainThreadCollector(interval_ms=60_000)
    try:
        _Cycle()
        rows = _allocate_on_a_worker()
        collector_module.pause()  # the inbox's load
        try:
            assert collector.collect_due() == 0
            assert _Cycle.destroyed_on == [] and len(rows) == 50_000
        finally:
            collector_module.resume()
        collector.collect_due()
        assert _Cycle.destroyed_on == [threading.current_thread().name]
    finally:
        collector.close()
