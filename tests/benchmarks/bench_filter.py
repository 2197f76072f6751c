"""Inbox filter benchmark at 100,000 opportunities; prints one JSON object.

Run: python tests/benchmarks/bench_filter.py [--rows 100000] [--store DIR] [--seed 7]

1. Generates realistic opportunities with the sandbox's job and task generators (GigRadar
   and UpHunt routes to Upwork jobs, Gigiac tasks; fixed and hourly; a mix of local states)
   and stores them in a temporary Store (or in `--store DIR`, reused when it already holds
   enough rows).
2. Loads them as the window does — `OpportunityRepo.load_all_rows()`, then the model's
   `load_rows()` (timed as its two halves, `prepare_rows` and `load_prepared`) into an
   empty model already in a view sorted newest first — and reports the RSS after it
   (the cold-start budget: < 1.5 s, RSS < 400 MB). Then runs `prepare_rows` again on a
   worker thread with the GUI loop running, and reports the loop's longest stall: the
   start-up a window gets by preparing off the GUI thread.
3. Shows the model in an `InboxView` (offscreen, 1280×800) under a `FilterBar` and
   replays ~60 successive filter specs as a user produces them — typing
   queries letter by letter, backspacing, toggling platforms and kinds, structured
   filters — timing each as `set_filter()` plus `processEvents()`, so the view's repaint
   of the visible rows is counted (benchmarks may call processEvents; the app may not).
   Budget: median < 30 ms.

Figures, not assertions: machines here are shared and noisy (see README).
"""

from __future__ import annotations

import os

# Before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import gc
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain import JobKind, Opportunity, Platform
from app.domain.filters import FilterSpec
from app.platforms.gigiac import normalize_task
from app.platforms.upwork import read_job
from app.sandbox.data import UpworkUniverse, make_task
from app.store import Store

CHUNK = 2_000
STATE_WEIGHTS = {
    "drafted": 3.0,
    "submitting": 0.3,
    "submitted": 4.0,
    "failed": 0.7,
    "withdrawn": 0.3,
}


def _upwork_opportunity(
    rng: random.Random, universe: UpworkUniverse, now: float, n: int
) -> Opportunity:
    job = universe.new_job(now, age=(120.0, 45 * 86_400.0))
    fields = read_job(job.data)
    platform = Platform.UPHUNT if rng.random() < 0.15 else Platform.GIGRADAR
    detected = datetime.fromtimestamp(job.published, UTC) + timedelta(seconds=rng.uniform(30, 900))
    return Opportunity(
        platform=platform,
        external_id=f"{n:08d}-{job.ciphertext}",
        account="bench",
        upwork_job_id=job.ciphertext,
        title=fields.title or "Untitled",
        description=fields.description,
        url=fields.url,
        kind=fields.kind,
        budget=fields.budget,
        hourly_min=fields.hourly_min,
        hourly_max=fields.hourly_max,
        skills=fields.skills,
        category=fields.category,
        client=fields.client,
        questions=fields.questions,
        match_score=round(rng.uniform(0.2, 0.99), 2) if platform is Platform.GIGRADAR else None,
        connects_price=fields.connects_price,
        posted_at=fields.posted_at,
        detected_at=detected,
    )


def _gigiac_opportunity(rng: random.Random, now: float, n: int) -> Opportunity:
    task = make_task(rng, now, age=(120.0, 45 * 86_400.0))
    task["id"] = f"{n:08d}-{task['id']}"
    opp = normalize_task(task, account="bench")
    detected = (opp.posted_at or datetime.now(UTC)) + timedelta(seconds=rng.uniform(30, 900))
    return opp.model_copy(update={"detected_at": detected, "raw": {}})


def generate(count: int, seed: int) -> Iterator[list[Opportunity]]:
    """`count` opportunities in chunks, so a chunk's models are freed once stored."""
    rng = random.Random(seed)
    now = time.time()
    made = 0
    while made < count:
        size = min(CHUNK, count - made)
        # A fresh universe per chunk: clients recur within a chunk, as on the platform.
        universe = UpworkUniverse(random.Random(rng.random()))
        chunk = []
        for n in range(made, made + size):
            if rng.random() < 0.25:
                chunk.append(_gigiac_opportunity(rng, now, n))
            else:
                chunk.append(_upwork_opportunity(rng, universe, now, n))
        made += size
        yield chunk


def local_states(keys: list[str], seed: int) -> dict[str, str]:
    """Workflow states for a few percent of the keys, as `Inbox.local_states()` gives."""
    rng = random.Random(seed)
    states: dict[str, str] = {}
    names, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    for key in keys:
        if rng.random() < 0.08:
            states[key] = rng.choices(names, weights)[0]
    return states


def fill_store(store: Store, rows: int, seed: int) -> float:
    started = time.perf_counter()
    rng = random.Random(seed + 1)
    for chunk in generate(rows, seed):
        store.opportunities.upsert_many(chunk)
        for opp in chunk:
            roll = rng.random()
            if roll < 0.45:
                store.opportunities.set_read(opp.key, True)
            elif roll < 0.48:
                store.opportunities.set_archived(opp.key, True)
    return time.perf_counter() - started


def typing(text: str) -> list[str]:
    return [text[: i + 1] for i in range(len(text))]


def keystroke_specs() -> list[FilterSpec]:
    """What a user produces in a minute of searching, one spec per (debounced) change."""
    texts: list[str] = []
    texts += typing("react dashboard")  # 15 narrowing keystrokes
    texts += list(reversed(typing("react dashboard")))[1:]  # backspace to "r"
    texts += [""]
    texts += typing("python -wordpress")  # 17, a negation at the end
    specs = [FilterSpec(text=text) for text in texts]
    base = FilterSpec(text="python -wordpress")
    specs += [
        base.model_copy(update={"platforms": frozenset({Platform.GIGRADAR})}),
        base.model_copy(update={"platforms": frozenset({Platform.GIGRADAR, Platform.UPHUNT})}),
        base.model_copy(update={"kinds": frozenset({JobKind.HOURLY})}),
        FilterSpec(text="api", budget_min=Decimal(500), payment_verified=True),
        FilterSpec(text="api", budget_min=Decimal(500), payment_verified=True, hire_rate_min=0.5),
        FilterSpec(states=frozenset({"drafted", "failed"})),
        FilterSpec(text='"mobile app" OR flutter', countries_exclude=frozenset({"india"})),
        FilterSpec(posted_within=timedelta(days=1)),
        FilterSpec(text="shopify", min_match_score=0.6, include_archived=True),
        FilterSpec(),
    ]
    return specs


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def threaded_prepare(app: object, rows: list[object], states: dict[str, str]) -> dict[str, float]:
    """`prepare_rows` on a worker thread while the GUI loop runs: the longest gap
    between 5 ms timer ticks is the UI stall a window would see (GIL contention)."""
    import threading

    from PySide6.QtCore import QEventLoop, QTimer

    from app.ui.models.opportunities import prepare_rows

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QEventLoop()
    done = threading.Event()

    def work() -> None:
        prepare_rows(rows, states)  # type: ignore[arg-type]
        done.set()

    finished = QTimer()
    finished.setInterval(2)
    finished.timeout.connect(lambda: loop.quit() if done.is_set() else None)
    began = time.perf_counter()
    worker = threading.Thread(target=work)
    timer.start()
    finished.start()
    worker.start()
    loop.exec()
    worker.join()
    timer.stop()
    finished.stop()
    gaps = [b - a for a, b in zip([began, *ticks], ticks, strict=False)]
    return {
        "wall_s": round(time.perf_counter() - began, 3),
        "longest_ui_gap_ms": round(max(gaps, default=0.0) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", type=Path, help="keep (and reuse) the generated store here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="biddesk-bench-") as tmp:
        directory = args.store or Path(tmp)
        result: dict[str, object] = {"rows": args.rows}
        with Store.open(directory) as store:
            if store.opportunities.count() < args.rows:
                result["generate_and_store_s"] = round(fill_store(store, args.rows, args.seed), 1)
            gc.collect()
            rss_before = rss_mb()

            from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

            from app.ui.models.opportunities import OpportunityTableModel, prepare_rows
            from app.ui.widgets.filter_bar import FilterBar
            from app.ui.widgets.inbox_view import InboxView

            app = QApplication.instance() or QApplication(["bench-filter"])
            # As the window does it: an empty model in a view sorted newest first, then
            # the rows from the store.
            model = OpportunityTableModel()
            window = QWidget()
            layout = QVBoxLayout(window)
            bar = FilterBar(window)
            view = InboxView(window)
            layout.addWidget(bar)
            layout.addWidget(view, 1)
            view.setModel(model)
            model.counts_changed.connect(bar.set_counts)
            window.resize(1280, 800)

            started = time.perf_counter()
            rows = store.opportunities.load_all_rows()
            loaded = time.perf_counter()
            states = local_states([row.key for row in rows], args.seed)
            before_model = time.perf_counter()
            prepared = prepare_rows(rows, states)  # the part a worker thread can do
            built = time.perf_counter()
            model.load_prepared(prepared)  # the GUI thread's part: swap in, sort, filter
            modelled = time.perf_counter()
            del prepared
            window.show()
            app.processEvents()
            shown = time.perf_counter()
            result["load_rows_s"] = round(loaded - started, 3)
            result["model_load_s"] = round(modelled - before_model, 3)
            result["model_load_split_s"] = {
                "prepare_rows": round(built - before_model, 3),
                "load_prepared": round(modelled - built, 3),
            }
            result["first_paint_s"] = round(shown - modelled, 3)
            result["cold_start_s"] = round(shown - started, 3)
            result["visible_at_start"] = model.visible_count()
            result["rss_before_load_mb"] = round(rss_before, 1)
            # With the store's row list still alive, as at the end of the window's load.
            result["rss_at_start_mb"] = round(rss_mb(), 1)
            result["peak_rss_mb"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            )
            result["threaded_prepare"] = threaded_prepare(app, rows, states)
            del rows
            gc.collect()
            # The row list freed: what the model holds, plus what malloc keeps.
            result["rss_after_load_mb"] = round(rss_mb(), 1)
            view.select_key(model.key_at(3))

            timings: list[float] = []
            filtering: list[float] = []
            visible: list[int] = []
            for spec in keystroke_specs():
                began = time.perf_counter()
                model.set_filter(spec)
                filtered = time.perf_counter()
                app.processEvents()
                timings.append((time.perf_counter() - began) * 1000)
                filtering.append((filtered - began) * 1000)
                visible.append(model.visible_count())
            result["keystroke_ms"] = {
                "median": round(statistics.median(timings), 2),
                "p99": round(percentile(timings, 0.99), 2),
                "max": round(max(timings), 2),
                "count": len(timings),
            }
            result["set_filter_ms"] = {
                "median": round(statistics.median(filtering), 2),
                "p99": round(percentile(filtering, 0.99), 2),
            }
            # [query, total ms, of which set_filter ms, rows shown]
            result["keystroke_trace"] = [
                [str(spec.query) or "∅", round(ms, 1), round(scan, 1), count]
                for spec, ms, scan, count in zip(
                    keystroke_specs(), timings, filtering, visible, strict=True
                )
            ]

            sorts: list[float] = []
            for column in (0, 2, 4, 7):
                began = time.perf_counter()
                view.sortByColumn(column, view.horizontalHeader().sortIndicatorOrder())
                app.processEvents()
                sorts.append((time.perf_counter() - began) * 1000)
            result["sort_ms"] = {
                "median": round(statistics.median(sorts), 1),
                "max": round(max(sorts), 1),
            }
            window.close()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
