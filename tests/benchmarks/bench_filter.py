"""Inbox filter and sort benchmark at 100,000 or 1,000,000 opportunities; prints JSON.

Run: python tests/benchmarks/bench_filter.py --rows 1000000 [--profile DIR] [--runs 5]
     [--backend sqlite|pg|both]

`--backend pg`: the rows are on a team database (a throwaway PostgreSQL cluster, fsync
on, make_profile.team_database); the index is built from it and a query's candidates are
checked against it, as on a desktop of a team. `both`: SQLite, then PostgreSQL.

The profile comes from make_profile.py (the same generator as every benchmark; reused
when DIR already holds the rows). The inbox is built as the window builds it
(`build_index` over the store, on this thread here) and shown in an `InboxView`
(offscreen, 1280×800) under a `FilterBar`.

The clock of a query starts at the keystroke's filter (the debounced `set_filter` call)
and stops when the view has repainted (`processEvents()`: benchmarks may call it, the app
may not). Two cases, reported apart:

- NEW: each spec with every cache of the index emptied first (term results), as the
  first time a user types it. Free text, boolean, phrases, every facet, and the letters
  of a query typed one by one.
- CACHED: the same specs again, caches warm (backspacing, toggling back).
- NEW, CHECKED TERMS: the NEW figures of the specs with a term that is not words only (a
  phrase, "node.js", "c++"), apart: the ones whose rows may be read back from the store.
  The window shows such a query's first screenful at once (`preview_filter`: candidates
  read in the shown order until it is full) and the rest when a worker has read every
  candidate: NEW is the clock to that first screenful (checked to fill the view), and
  `..._whole` the clock to the whole answer shown (the worker's reading done here, on
  this thread, after the first paint).

The floor, measured in the same run over the same rows: the plain comprehension the
index replaces — `compile_rows(spec)` over every row's haystack and fields held in
Python lists (built after the index's figures and RSS are taken, since at 1M rows those
lists alone are ~2 GB). Each figure is printed with its floor and the ratio.

Sorting: each column, both directions, from the user's click (`sortByColumn`) to the
repaint, with a row selected (the view keeps it by key); the first sort of a column (the
first pass over the columns after the load) and repeats (`--runs` more passes) are apart,
and again with a filter on (`SORT_FILTER`, a pass and `--runs` repeats). Per column and
direction (`sort_columns`), and the worst case named (`sort_worst`). Floor: `list.sort`
with the column's key over the same rows (the rows the filter shows, filtered).
`--sorts-only` skips the queries (and their floor) to measure sorting alone.

Memory: RSS with the index built (`rss_with_index_mb`, `peak_rss_mb`), right after the
queries and sorts (`rss_after_queries_mb`, `peak_rss_mb_after_queries`), and once the
user pauses (`rss_paused_after_queries_mb`: the model trims the heap SETTLE_MS after the
last query or sort).

Figures, not assertions: machines here are shared and noisy.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import contextlib
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain import JobKind, Platform
from app.domain.filter_rows import compile_rows
from app.domain.filters import FilterSpec
from app.store import Store
from tests.benchmarks.make_profile import make_profile

# Between two measured specs: a filter showing nothing, cheap to apply (no text).
AWAY = FilterSpec(states=frozenset({"no such state"}))
# The filter on while sorting "with a filter": a query that leaves part of the rows.
SORT_FILTER = FilterSpec(text="python -wordpress")


def typing(text: str) -> list[str]:
    return [text[: i + 1] for i in range(len(text))]


def specs() -> list[FilterSpec]:
    """What a user produces in a minute of searching, one spec per (debounced) change."""
    texts: list[str] = []
    texts += typing("react dashboard")
    texts += typing("python -wordpress")
    texts += ["api OR stripe", "(react OR vue) -angular", "shopify NOT theme"]
    texts += ['"mobile app" OR flutter', "node.js", "c++"]
    out = [FilterSpec(text=text) for text in texts]
    base = FilterSpec(text="python -wordpress")
    out += [
        base.model_copy(update={"platforms": frozenset({Platform.GIGRADAR})}),
        base.model_copy(update={"kinds": frozenset({JobKind.HOURLY})}),
        FilterSpec(text="api", budget_min=Decimal(500), payment_verified=True),
        FilterSpec(hourly_min=Decimal(40), hourly_max=Decimal(90)),
        FilterSpec(client_spend_min=Decimal(10_000), hire_rate_min=0.5),
        FilterSpec(states=frozenset({"read"})),
        FilterSpec(countries_exclude=frozenset({"india"}), min_match_score=0.8),
        FilterSpec(countries_include=frozenset({"germany", "canada"})),
        FilterSpec(posted_within=timedelta(days=1)),
        FilterSpec(text="shopify", include_archived=True),
        FilterSpec(),
    ]
    return out


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(values), 2),
        "p99": round(p99, 2),
        "min": round(ordered[0], 2),
        "max": round(ordered[-1], 2),
        "count": len(values),
    }


def beside(ours: dict[str, float], floor: dict[str, float]) -> dict[str, Any]:
    return {
        "ms": ours,
        "floor_ms": floor,
        "ratio_median": round(ours["median"] / floor["median"], 3) if floor["median"] else None,
    }


def timed(action: Callable[[], None], settle: Callable[[], None]) -> float:
    began = time.perf_counter()
    action()
    settle()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    from tests.benchmarks.make_profile import team_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", type=Path, help="profile to use (made if it lacks rows)")
    parser.add_argument("--runs", type=int, default=5, help="passes over the specs")
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="sqlite")
    parser.add_argument("--sorts-only", action="store_true", help="skip the queries")
    args = parser.parse_args()
    if args.backend == "both":  # a process each: peak RSS is the process's own
        both = {}
        for backend in ("sqlite", "pg"):
            argv = [sys.executable, __file__, "--rows", str(args.rows), "--runs", str(args.runs)]
            argv += ["--sorts-only"] if args.sorts_only else []
            if args.profile is not None and backend == "sqlite":
                argv += ["--profile", str(args.profile)]
            done = subprocess.run([*argv, "--backend", backend], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(done.stderr[-4000:])
            both[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(both, ensure_ascii=False))
        return
    backends = [args.backend]
    results: dict[str, Any] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="biddesk-bench-") as tmp:
            with contextlib.ExitStack() as stack:
                url = None
                if backend == "pg":
                    url, _empty = stack.enter_context(team_database())
                directory = Path(tmp) if backend == "pg" else args.profile or Path(tmp)
                result: dict[str, Any] = {"rows": args.rows, "runs": args.runs}
                result["backend"] = backend
                with Store.open(directory, daily_backups=False, url=url) as store:
                    if store.opportunities.count() < args.rows:
                        store.close()
                        result["make_profile"] = make_profile(directory, args.rows, url=url)
                run(directory, args, result, url)
            results[backend] = result
    print(json.dumps(results[backends[0]], ensure_ascii=False))


def run(
    directory: Path, args: argparse.Namespace, result: dict[str, Any], url: str | None = None
) -> None:
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from app.services.inbox_index import build_index
    from app.services.inbox_source import StoreSource
    from app.ui.models.opportunities import OpportunityTableModel
    from app.ui.widgets.filter_bar import FilterBar
    from app.ui.widgets.inbox_view import InboxView

    store = Store.open(directory, daily_backups=False, url=url)
    app = QApplication.instance() or QApplication(["bench-filter"])
    source = StoreSource(store.opportunities)
    model = OpportunityTableModel(source=source)
    window = QWidget()
    layout = QVBoxLayout(window)
    bar = FilterBar(window)
    view = InboxView(window)
    layout.addWidget(bar)
    layout.addWidget(view, 1)
    view.setModel(model)
    model.counts_changed.connect(bar.set_counts)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    gc.collect()
    result["rss_before_index_mb"] = round(rss_mb(), 1)
    began = time.perf_counter()
    count = store.opportunities.count()
    collecting = gc.isenabled()
    gc.disable()
    data = build_index(
        source,
        source.load_slices(),
        {},
        (model.spec(), *model.sort_state(), time.time()),
        expected=count,
        all_orders=True,
    )
    if collecting:
        gc.enable()
    built = time.perf_counter()
    model.adopt(data)
    del data
    app.processEvents()
    result["index_build_s"] = round(built - began, 2)
    result["adopt_and_paint_ms"] = round((time.perf_counter() - built) * 1000, 1)
    gc.collect()
    result["rss_with_index_mb"] = round(rss_mb(), 1)
    result["peak_rss_mb"] = round(peak_mb(), 1)
    index = model.inbox_index
    result["text_index_mb"] = round(index.data.text.memory_bytes() / 1e6, 1)
    result["tokens"] = index.data.text.token_count
    view.select_key(model.key_at(3))

    cases = specs()
    new: list[float] = []
    checked: list[float] = []  # NEW, specs with a phrase or punctuated term
    checked_whole: list[float] = []  # ... to their whole answer shown
    checked_specs = set()
    cached: list[float] = []
    trace: list[list[Any]] = []
    for _run in range(0 if args.sorts_only else args.runs):
        for spec in cases:
            model.set_filter(AWAY)
            app.processEvents()
            text = index.data.text
            text.forget()  # NEW: no term result remembered
            slow = text.slow_terms(spec.query.node)
            if not slow:
                ms = timed(lambda spec=spec: model.set_filter(spec), app.processEvents)
            else:
                # As the window does (InboxController.on_filter_changed): the first rows
                # at once, the rest once a worker has read every candidate's text (here
                # on this thread, right after the first paint).
                began = time.perf_counter()
                model.preview_filter(spec)
                app.processEvents()
                ms = (time.perf_counter() - began) * 1000
                first_rows = model.visible_count()
                text.remember(text.compute(slow))
                model.set_filter(spec)
                app.processEvents()
                checked_whole.append((time.perf_counter() - began) * 1000)
                # The first rows shown fill the screen, unless the whole answer is smaller.
                row_height = max(1, view.verticalHeader().defaultSectionSize())
                screen = view.viewport().height() // row_height
                assert first_rows >= min(screen, model.visible_count()), (spec, first_rows)
            new.append(ms)
            if slow:
                checked.append(ms)
                checked_specs.add(spec)
            if _run == 0:
                trace.append([str(spec.query) or spec.model_dump_json(exclude_defaults=True)])
                trace[-1] += [round(ms, 1), model.visible_count()]
                if slow:
                    trace[-1] += [round(checked_whole[-1], 1), first_rows]
        # CACHED: the same again, caches warm. The NEW pass above emptied them before each
        # spec, so one pass of all the specs first, untimed: timed right after the NEW
        # pass, a spec's first query here was a miss like any NEW one.
        for spec in cases:
            model.set_filter(spec)
            app.processEvents()
        for spec in cases:
            model.set_filter(AWAY)
            app.processEvents()
            cached.append(timed(lambda spec=spec: model.set_filter(spec), app.processEvents))
    # (filtered, column, descending) -> [first pass, then repeats] in ms
    sort_times: dict[tuple[bool, int, bool], list[float]] = {}
    header = view.horizontalHeader()
    from PySide6.QtCore import Qt

    for filtered in (False, True):
        model.set_filter(SORT_FILTER if filtered else FilterSpec())
        app.processEvents()
        view.select_key(model.key_at(3))  # the selection a sort keeps by key
        app.processEvents()
        for _pass in range(1 + args.runs):
            for column in range(model.columnCount()):
                for descending in (False, True):
                    order = (
                        Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
                    )
                    ms = timed(lambda c=column, o=order: view.sortByColumn(c, o), app.processEvents)
                    sort_times.setdefault((filtered, column, descending), []).append(ms)
        if filtered:
            result["sort_filter_rows"] = model.visible_count()
    model.set_filter(FilterSpec())
    app.processEvents()
    del header
    result["rss_after_queries_mb"] = round(rss_mb(), 1)
    result["peak_rss_mb_after_queries"] = round(peak_mb(), 1)
    # As the user pauses: the model hands the heap's free pages back SETTLE_MS after the
    # last query or sort (the window also trims once a minute).
    from app.ui.models.opportunities import SETTLE_MS

    paused = time.perf_counter()
    while time.perf_counter() - paused < SETTLE_MS / 1000 + 1.0:
        app.processEvents()
        time.sleep(0.01)
    result["rss_paused_after_queries_mb"] = round(rss_mb(), 1)
    window.close()

    # -- the floor: the plain comprehension over every row in Python lists ---------------
    from app.services.inbox_rows import SORT_KEYS, prepare_rows

    fields: list[Any] = []
    hays: list[str] = []
    fstates: list[str] = []
    keys_by_column: list[list[Any]] = [[] for _ in range(model.columnCount())]
    for _refs, rows in source.load_slices():
        prepared = prepare_rows(rows, {})
        fields += prepared.fields
        hays += prepared.haystacks
        fstates += prepared.filter_states
        for column, key in enumerate(SORT_KEYS):
            keys_by_column[column] += [
                key(row, state) for row, state in zip(prepared.rows, prepared.states, strict=True)
            ]
        del prepared
    everything = range(len(hays))
    now = datetime.now(UTC)
    floor: list[float] = []
    checked_floor: list[float] = []
    for _run in range(0 if args.sorts_only else args.runs):
        for spec in cases:
            began = time.perf_counter()
            compile_rows(spec, now)(everything, fields, hays, fstates)
            floor.append((time.perf_counter() - began) * 1000)
            if spec in checked_specs:
                checked_floor.append(floor[-1])
    # Per (filtered, column, descending): list.sort with the key over the rows shown.
    sort_floors: dict[tuple[bool, int, bool], float] = {}
    shown = compile_rows(SORT_FILTER, now)(everything, fields, hays, fstates)
    for filtered, rows in ((False, list(everything)), (True, list(shown))):
        for column, keys in enumerate(keys_by_column):
            present = [i for i in rows if keys[i] is not None]
            for descending in (False, True):
                began = time.perf_counter()
                sorted(present, key=keys.__getitem__, reverse=descending)
                sort_floors[filtered, column, descending] = (time.perf_counter() - began) * 1000
    if new:
        result["query_new"] = beside(summary(new), summary(floor))
        result["query_cached"] = beside(summary(cached), summary(floor))
    if checked:
        result["query_new_checked_terms"] = beside(summary(checked), summary(checked_floor))
        result["query_new_checked_terms_whole"] = beside(
            summary(checked_whole), summary(checked_floor)
        )
    sort_results(result, sort_times, sort_floors)
    # [query, ms, rows shown (, ms to the whole answer, rows shown first)]
    result["trace_new_first_run"] = trace
    result["clock"] = (
        "set_filter (preview_filter for checked terms) / sortByColumn call -> view repainted"
        " (processEvents)"
    )
    store.close()


def sort_results(
    result: dict[str, Any],
    times: dict[tuple[bool, int, bool], list[float]],
    floors: dict[tuple[bool, int, bool], float],
) -> None:
    """The sort figures: all cases together as before (`sort_first`, `sort_again`, and
    with the filter on), then per column and direction, and the worst case named."""
    from app.services.inbox_rows import Column

    def floor_of(cases: list[tuple[bool, int, bool]]) -> dict[str, float]:
        return summary([floors[case] for case in cases])

    for filtered, name in ((False, "sort"), (True, "sort_filtered")):
        cases = [case for case in times if case[0] == filtered]
        first = [times[case][0] for case in cases]
        again = [ms for case in cases for ms in times[case][1:]]
        result[f"{name}_first"] = beside(summary(first), floor_of(cases))
        result[f"{name}_again"] = beside(summary(again), floor_of(cases))
    columns: dict[str, Any] = {}
    worst: tuple[float, str] = (0.0, "")
    for (filtered, column, descending), values in times.items():
        label = Column(column).name.lower() + (" desc" if descending else " asc")
        label += " (filtered)" if filtered else ""
        floor = floors[filtered, column, descending]
        again = values[1:]
        columns[label] = {
            "first_ms": round(values[0], 1),
            "again_ms": summary(again) if again else None,
            "floor_ms": round(floor, 1),
            "ratio_first": round(values[0] / floor, 3) if floor else None,
        }
        for which, ms in (("first", values[0]), *(("again", v) for v in again)):
            worst = max(worst, (ms, f"{label}, {which}"))
    result["sort_columns"] = columns
    result["sort_worst"] = {"case": worst[1], "ms": round(worst[0], 1)}
    result["sort_over_50ms"] = sorted(
        label
        for label, figures in columns.items()
        if figures["first_ms"] > 50 or (figures["again_ms"] or {}).get("max", 0) > 50
    )


if __name__ == "__main__":
    main()
