"""The filter bar's "hidden by" counts: what one settle of the filter costs; prints JSON.

Run: python tests/benchmarks/bench_facets.py [--rows 100000] [--seed 7]

The window counts, 250 ms after the filter settles, how many
rows each active condition hides (one `count_matching` scan per condition, one for the
filter itself, one per price range for the other kind). This times that work for a
three-condition filter (platform, budget ≥ $1000, match ≥ 50%) — the stall the loop takes
once the person stops typing is the longest slice (the counts run as a task, a slice of
rows per pass of the loop) — beside its floor measured in the same run: one scan of every
row for the same spec (what a new filter costs anyway).
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain import JobKind, Platform
from app.domain.filters import FilterSpec
from app.services.inbox_index import InboxIndex, build_index
from app.services.inbox_source import StoreSource
from app.store import Store
from app.ui.widgets.filter_bar import facets_of
from tests.benchmarks.make_profile import make_profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        make_profile(Path(folder), args.rows, args.seed)  # the rows every benchmark uses
        store = Store.open(Path(folder), daily_backups=False)
        source = StoreSource(store.opportunities)
        index = InboxIndex(source=source)
        count = store.opportunities.count()
        index.adopt(
            build_index(
                source,
                source.load_slices(),
                {},
                (index.spec(), *index.sort_state(), time.time()),
                expected=count,
            )
        )
        spec = FilterSpec(
            platforms=frozenset({Platform.GIGRADAR}),
            budget_min=Decimal(1000),
            min_match_score=0.5,
        )
        names = [n for n, _ in facets_of(spec)]
        specs = [spec, *(w for _, w in facets_of(spec))]
        specs.append(spec.model_copy(update={"kinds": frozenset({JobKind.HOURLY})}))
        totals, stalls, floors = [], [], []
        for _ in range(7):
            started = time.perf_counter()
            index.count_matching(spec)  # the floor: one scan of every row, as a new filter
            floors.append(time.perf_counter() - started)
            longest, began = 0.0, time.perf_counter()
            step_started = began
            result: list[int] = []
            for counts in index.count_matching_steps(specs):
                now = time.perf_counter()
                longest = max(longest, now - step_started)
                step_started = now
                if counts is not None:
                    result = counts
            totals.append(time.perf_counter() - began)
            stalls.append(longest)
        hidden = {n: c - result[0] for n, c in zip(names, result[1:], strict=False)}
        floor_ms = statistics.median(floors) * 1000
        stall_ms = statistics.median(stalls) * 1000
        print(
            json.dumps(
                {
                    "rows": count,
                    "conditions": len(names),
                    "hidden": hidden,
                    "counts_total_ms_median": round(statistics.median(totals) * 1000, 1),
                    "longest_slice_ms_median": round(stall_ms, 1),
                    "floor_one_full_scan_ms_median": round(floor_ms, 1),
                    "slice_to_floor_ratio": round(stall_ms / floor_ms, 2) if floor_ms else None,
                }
            )
        )
        store.close()


if __name__ == "__main__":
    main()
