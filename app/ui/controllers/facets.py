"""The filter bar's "hidden by" counts: for each condition of the filter, how many rows it
alone hides, and how many jobs of the other kind a price range lets through.

Counted once the filter settles (and again when rows arrive), as one named task that
scans a slice of rows per pass of the loop: at 100,000 rows the five scans of a
three-condition filter take ~200 ms, which in one go would stall the window.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, QTimer

from app.domain.filters import FilterSpec
from app.domain.opportunity import JobKind
from app.services.tasks import TaskManager
from app.ui.models.opportunities import OpportunityTableModel
from app.ui.widgets.filter_bar import FilterBar

__all__ = ["FACET_COUNT_DELAY_MS", "FACET_COUNT_LIMIT", "FACET_TASK", "FacetCounter"]

FACET_TASK = "inbox:facet-counts"
FACET_COUNT_DELAY_MS = 250  # after the last change of the filter or the rows
FACET_COUNT_LIMIT = 1_000_000  # past this the note only explains, it does not count


class FacetCounter(QObject):
    """Keeps the filter bar's counts true; see the module docstring."""

    def __init__(
        self, model: OpportunityTableModel, bar: FilterBar, tasks: TaskManager, parent: QObject
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._bar = bar
        self._tasks = tasks
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FACET_COUNT_DELAY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        bar.filter_changed.connect(self._on_bar_filter_changed)
        model.counts_changed.connect(self._on_model_counts_changed)

    def _on_bar_filter_changed(self, _spec: object) -> None:
        self._tasks.cancel(FACET_TASK)
        self._bar.set_facet_counts(None)  # the old counts belong to the old filter
        self._timer.start()

    def _on_model_counts_changed(self, _visible: int, _total: int) -> None:
        # Rows arrived or changed: count again once things settle (not on every row). The
        # timer first: the bar's facets re-read its fields (~0.3 ms, at every table update
        # of a webhook burst).
        if not self._timer.isActive() and self._bar.active_facets():
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        if self._tasks.closed:
            return
        facets = self._bar.active_facets()
        if not facets or self._model.total_count() > FACET_COUNT_LIMIT:
            self._bar.set_facet_counts(None)
            return
        spec = self._bar.spec()
        if self._model.inbox_index.data.text.slow_terms(spec.query.node):
            # Its phrase is still being checked on a worker (seconds at a million rows):
            # counting now would check it here. Ask again once that is done.
            self._timer.start()
            return
        names = [name for name, _ in facets]
        specs = [spec, *(without for _, without in facets)]
        other: list[tuple[str, FilterSpec]] = []
        if not spec.kinds:
            if spec.budget_min is not None or spec.budget_max is not None:
                other.append(("Budget", _only(spec, JobKind.HOURLY)))
            if spec.hourly_min is not None or spec.hourly_max is not None:
                other.append(("Hourly", _only(spec, JobKind.FIXED)))
        specs += [s for _, s in other]
        bar, steps = self._bar, self._model.count_matching_steps(specs)

        async def run() -> None:
            for counts in steps:
                if counts is None:
                    await asyncio.sleep(0)  # let the window paint and handle input
                    continue
                if bar.spec() != spec:
                    return  # the filter moved on; its own count is coming
                shown = counts[0]
                hidden = {n: c - shown for n, c in zip(names, counts[1:], strict=False)}
                kept = dict(zip((n for n, _ in other), counts[1 + len(names) :], strict=True))
                bar.set_facet_counts(hidden, kept)

        self._tasks.spawn(run(), name=FACET_TASK, replace=True)


def _only(spec: FilterSpec, kind: JobKind) -> FilterSpec:
    return spec.model_copy(update={"kinds": frozenset({kind})})
