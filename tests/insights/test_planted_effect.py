"""The sandbox's history plants two effects; the analysis, reading only the store, finds them."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from app.domain.insights import Dimension, Group, Query
from app.sandbox.history import generate_history
from app.services.insights import Insights, import_history
from app.store import Store

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _pooled(groups: list[Group]) -> tuple[int, int]:
    return sum(g.replied.hits for g in groups), sum(g.sent for g in groups)


def _z(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Two-proportion z statistic of a's rate over b's."""
    (x1, n1), (x2, n2) = a, b
    p = (x1 + x2) / (n1 + n2)
    return (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def test_verified_clients_and_fast_sends_get_more_replies(tmp_path: Path) -> None:
    history = generate_history(NOW, weeks=52, seed=11)
    with Store.open(tmp_path / "profile") as store:
        import_history(store, history.opportunities, history.submissions, history.activities)
        insights = Insights(store)
        try:
            report = insights.compute(Query(), [Dimension.VERIFIED, Dimension.SPEED])
        finally:
            insights.close()
    verified = {g.key: g for g in report.breakdowns[Dimension.VERIFIED]}
    yes, no = verified["payment verified"], verified["not verified"]
    assert yes.sent >= 200 and no.sent >= 80
    assert _z((yes.replied.hits, yes.sent), (no.replied.hits, no.sent)) > 2.5
    # and the intervals the view shows do not overlap
    assert (yes.replied.interval or (0, 0))[0] > (no.replied.interval or (1, 1))[1]

    speed = report.breakdowns[Dimension.SPEED]
    fast = _pooled([g for g in speed if g.key in ("< 15 min", "15–60 min")])
    slow = _pooled([g for g in speed if g.key not in ("< 15 min", "15–60 min", "unknown")])
    assert fast[1] >= 100 and slow[1] >= 100
    assert _z(fast, slow) > 2.5


def test_the_same_seed_gives_the_same_history() -> None:
    a = generate_history(NOW, weeks=2, seed=3)
    b = generate_history(NOW, weeks=2, seed=3)
    assert [s.model_dump() for s in a.submissions] == [s.model_dump() for s in b.submissions]
    assert len(a.opportunities) == 600
