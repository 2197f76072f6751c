"""The facts are read once, in the background; nothing waits for that read, and nothing
that changes during it is lost.

- A report asked for before the whole history is held (the tab opened in the first
  seconds after start) reads the facts its query admits: the same figures, held nowhere.
- While the whole history is being read, a report is computed at once (it does not queue
  behind that read), and a submission that changes meanwhile is read again once the read
  is done (its snapshot may predate the change).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.domain.insights import Dimension, Query
from app.domain.opportunity import Platform
from app.domain.submission import Outcome, StatusUpdate
from app.services.insights import Insights
from app.store import Store
from tests.insights.conftest import FEB, JAN

JANUARY = Query(since=JAN.replace(day=1), until=FEB)
JANUARY_FUNNEL = {"seen": 7, "drafted": 6, "sent": 4, "viewed": 3, "replied": 2, "accepted": 1}
WAIT_S = 30.0  # a bound for a hang, not a speed


def test_a_report_before_the_history_is_read_reads_its_part(history_store: Store) -> None:
    insights = Insights(history_store)
    try:
        dims = (Dimension.TEMPLATE, Dimension.SPEED)
        part = insights.compute(JANUARY, dims, read_all=False)
        assert not insights.loaded  # nothing held: the background read still runs
        gigradar = Query(since=JANUARY.since, until=FEB, platforms=frozenset({Platform.GIGRADAR}))
        part_gigradar = insights.compute(gigradar, dims, read_all=False)
        whole = insights.compute(JANUARY, dims)
        assert insights.loaded
        assert part.funnel.to_json() == whole.funnel.to_json() == JANUARY_FUNNEL
        assert part == whole
        assert part_gigradar == insights.compute(gigradar, dims)
    finally:
        insights.close()


def test_nothing_waits_for_the_whole_read_and_nothing_is_lost(history_store: Store) -> None:
    insights = Insights(history_store)
    read, release = threading.Event(), threading.Event()
    real = insights.repo._facts

    def held_whole_read(conn: Any, only: Any, period: Any = None) -> Any:
        facts = real(conn, only, period)
        if only is None and not (period and period[0]):  # the whole history: held back
            read.set()  # inside its read transaction, on its connection
            assert release.wait(WAIT_S)
        return facts

    insights.repo._facts = held_whole_read  # type: ignore[method-assign]
    with ThreadPoolExecutor(2) as pool:
        try:
            loading = pool.submit(insights.facts)
            assert read.wait(WAIT_S)
            # The tab opens while the read is under way: its report does not wait.
            report = pool.submit(insights.compute, JANUARY, (), read_all=False)
            assert report.result(WAIT_S).funnel.to_json() == JANUARY_FUNNEL
            # A proposal is accepted after the read's snapshot was taken.
            sub = history_store.submissions.by_opportunity("gigradar:opp-3")[0]
            history_store.submissions.save(
                sub.apply(StatusUpdate(outcome=Outcome.ACCEPTED), via="poll")
            )
            insights.update(["gigradar:opp-3"])
        finally:
            release.set()
        assert len(loading.result(WAIT_S)) > 0
    assert insights.compute(JANUARY).funnel.accepted == 2
    insights.close()
