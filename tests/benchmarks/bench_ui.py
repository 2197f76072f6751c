"""GUI benchmarks from outside the process; prints one JSON object.

Run: python tests/benchmarks/bench_ui.py --rows 1000000 [--profile DIR] [--runs 5]
     [--backend sqlite|pg|both]

`--backend pg` puts the inbox on a team database (a throwaway PostgreSQL cluster, fsync
on, from make_profile.team_database): the window's process gets $BIDDESK_DATABASE_URL,
and the floor is the same window over an empty team database. `both` runs SQLite, then
PostgreSQL, in one run, and prints each under its name.

- cold start: a fresh process running the `biddesk` command's own entry point
  (`app.launch.main`: the profile's claim, the CLI's parsing, the window; offscreen),
  observed through import hooks, over a profile holding N opportunities from
  make_profile.py. (It used to start the `App` directly, skipping the CLI's imports:
  0.94 s to the first rows at 100k where `biddesk` took 1.33.) The clock starts just
  before the process is spawned (this process's CLOCK_MONOTONIC, which the child shares)
  and stops when the inbox view has painted a frame with rows in it. Also: when the
  whole inbox is loaded (the rest is indexed on a worker meanwhile), the longest stall
  of the UI loop from the first rows painted until then (a 5 ms heartbeat on the loop),
  and the process's peak RSS. Floor: the same process over an empty profile, to its
  first painted frame of the (empty) table. One warm-up run first, not counted (it makes
  the day's backup copy).
- burst: the longest stall of the UI loop while 1,000 opportunities arrive in one burst,
  beside the same window's longest tick while idle, and the time from the first one handed
  to the inbox until all are in its model (not the pixels: most sort below the first
  screen, where nothing is painted; `bench_webhooks.py --only painted` clocks rows that
  show, from the sender's write to the frame).

Figures, not assertions (shared, noisy machines). Budgets: first rows painted < 1.5 s at
1M (< 1.0 s at 100k), no stall > 50 ms, peak RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

COLD_START_DRIVER = r"""
# The `biddesk` command's own start (app.launch.main: the profile's claim, the CLI's
# parsing, then the window), observed through import hooks: nothing of the app is
# imported here before it imports it itself, so the start does what a user's does.
import time
import asyncio, importlib.abc, importlib.machinery, json, os, sys
sys.path.insert(0, sys.argv[2])

def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024

marks = {}
gaps = []
result = {}

def observe_view(module):
    original_paint = module.InboxView.paintEvent

    def paint(self, event):
        original_paint(self, event)
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        if "painted" not in marks:
            marks["painted"] = time.monotonic()  # the table's first frame, rows or not
        if rows and "rows_painted" not in marks and self.rowAt(event.rect().top()) >= 0:
            marks["rows_painted"] = time.monotonic()
            marks["rows_at_first_paint"] = rows

    module.InboxView.paintEvent = paint

def observe_app(module):
    original_start = module.App.start

    async def start(self):
        stop = asyncio.Event()

        async def heartbeat():
            while "rows_painted" not in marks and "painted" not in marks:
                await asyncio.sleep(0.005)
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.005)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        async def watch():
            while self.window is None:
                await asyncio.sleep(0.005)
            await asyncio.wait_for(self.window.inbox_controller.loaded.wait(), 600)
            marks["loaded"] = time.monotonic()
            await asyncio.sleep(0.2)
            while "painted" not in marks:
                await asyncio.sleep(0.01)
            stop.set()
            await beat
            result.update(rows=self.window.model.rowCount(), rss_mb=peak_rss_mb())
            self.request_quit()

        beat = asyncio.ensure_future(heartbeat())
        watching = asyncio.ensure_future(watch())
        watching.add_done_callback(lambda task: task.cancelled() or task.exception())
        await original_start(self)

    module.App.start = start

OBSERVE = {"app.ui.widgets.inbox_view": observe_view, "app.ui.app": observe_app}

class Observer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in OBSERVE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            OBSERVE[name](module)

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Observer())
from app.launch import main
code = main(["--profile", sys.argv[1]])
if code != 0 or "rows" not in result:
    raise SystemExit(f"biddesk exited with {code} before the inbox loaded")
print(json.dumps({**marks, **result, "longest_stall_ms": max(gaps) * 1000 if gaps else 0.0}))
"""


# Where the window's store is: None, the profile's SQLite file; else a team database's
# URL (the driver process gets it as $BIDDESK_DATABASE_URL, as a user would set it).
_DATABASE: dict[str, str | None] = {"url": None, "empty": None}


def run_driver(driver: str, *args: str, url: str | None = None) -> dict[str, Any]:
    """One fresh process running `driver`; its last stdout line is a JSON object, its
    marks in CLOCK_MONOTONIC, made relative to just before the spawn."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("BIDDESK_DATABASE_URL", None)
    if url is not None:
        env["BIDDESK_DATABASE_URL"] = url
    spawned = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", driver, *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-4000:])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    for mark in ("painted", "rows_painted", "loaded"):
        if mark in result:
            result[mark] = result[mark] - spawned
    return result


def stats(values: list[float], digits: int = 3) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def cold_start(profile: Path, empty: Path, runs: int) -> dict[str, Any]:
    url, empty_url = _DATABASE["url"], _DATABASE["empty"]
    run_driver(COLD_START_DRIVER, str(profile), str(ROOT), url=url)  # warm-up: the backup
    run_driver(COLD_START_DRIVER, str(empty), str(ROOT), url=empty_url)
    results = [run_driver(COLD_START_DRIVER, str(profile), str(ROOT), url=url) for _ in range(runs)]
    floors = [
        run_driver(COLD_START_DRIVER, str(empty), str(ROOT), url=empty_url) for _ in range(runs)
    ]
    first = stats([r["rows_painted"] for r in results])
    floor = stats([r["painted"] for r in floors])
    return {
        "rows": results[0]["rows"],
        "runs": runs,
        "clock": "before spawning `biddesk --profile DIR` (app.launch.main) -> the inbox "
        "view painted a frame with rows",
        "first_rows_painted_s": first,
        "floor_empty_profile_first_paint_s": floor,
        "ratio_median": round(first["median"] / floor["median"], 2),
        "rows_at_first_paint": results[0]["rows_at_first_paint"],
        "whole_inbox_loaded_s": stats([r["loaded"] for r in results]),
        "longest_stall_ms": stats([r["longest_stall_ms"] for r in results], 1),
        "floor_longest_stall_ms": stats([r["longest_stall_ms"] for r in floors], 1),
        "peak_rss_mb": stats([r["rss_mb"] for r in results], 1),
        "floor_peak_rss_mb": stats([r["rss_mb"] for r in floors], 1),
    }


BURST_DRIVER = r"""
import asyncio, json, os, sys, time
sys.path.insert(0, sys.argv[2])
import qasync
from PySide6.QtWidgets import QApplication
from pathlib import Path
from app.ui.app import App, GuiOptions
from tests.benchmarks.bench_core import synthetic

n = int(sys.argv[3])
qapp = QApplication([])

async def main():
    app = App(qapp, GuiOptions(profile=Path(sys.argv[1])))
    await app.start()
    await asyncio.wait_for(app.window.inbox_controller.loaded.wait(), 600)
    window = app.window
    before = window.model.total_count()
    # New ids on every run, also of a profile reused from an earlier benchmark: the
    # Upwork job's too, or the burst's jobs join the rows an earlier run left (one row
    # per job) and the table never grows by n.
    prefix = "b%d-%s-" % (os.getpid(), sys.argv[4])
    fresh = [o.model_copy(update={
                 "external_id": prefix + o.external_id[len(prefix):],
                 "upwork_job_id": prefix + o.upwork_job_id if o.upwork_job_id else None,
             })
             for o in synthetic(n, seed=99)]
    gaps = []
    stop = asyncio.Event()

    async def heartbeat():
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    await asyncio.sleep(1.0)  # let start-up settle: only the burst is measured
    beat = asyncio.ensure_future(heartbeat())
    await asyncio.sleep(1.0)  # the floor: the same window idle, its loop's own ticks
    idle = sorted(gaps)
    gaps.clear()
    t0 = time.perf_counter()
    for i in range(0, n, 10):
        await app.services.inbox.ingest(fresh[i : i + 10])
        await asyncio.sleep(0.001)
    while window.model.total_count() < before + n:
        await asyncio.sleep(0.001)
    # Stopped at the model, not the pixels: most of the burst sorts below the first screen,
    # where no frame is painted to stop at (the webhook benchmark's "painted" clocks rows
    # that show).
    visible = time.perf_counter() - t0
    await asyncio.sleep(0.05)
    stop.set()
    await beat
    await app.stop()
    gaps.sort()
    print(json.dumps({"all_in_table_s": visible, "longest_stall_ms": gaps[-1] * 1000,
                      "p99_tick_ms": gaps[int(len(gaps) * 0.99)] * 1000,
                      "idle_longest_stall_ms": idle[-1] * 1000}))

with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
    runner.run(main())
"""


def burst(directory: Path, n: int, runs: int) -> dict[str, Any]:
    results = [
        run_driver(BURST_DRIVER, str(directory), str(ROOT), str(n), str(run), url=_DATABASE["url"])
        for run in range(runs)
    ]
    return {
        "opportunities": n,
        "runs": runs,
        "clock": "the first opportunity handed to the inbox -> all of them in the inbox's "
        "model (rows below the first screen get no frame to stop at)",
        "all_in_table_s": stats([r["all_in_table_s"] for r in results], 2),
        "longest_stall_ms": stats([r["longest_stall_ms"] for r in results], 1),
        "floor_idle_longest_stall_ms": stats([r["idle_longest_stall_ms"] for r in results], 1),
        "p99_tick_ms": stats([r["p99_tick_ms"] for r in results], 2),
    }


def main() -> None:
    from tests.benchmarks.make_profile import make_profile, team_database

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", type=Path, help="profile to use (made if it lacks rows)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--burst", type=int, default=1_000, help="0: no burst")
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="sqlite")
    args = parser.parse_args()
    backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
    reports: dict[str, Any] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="biddesk-bench-") as tmp:
            with contextlib.ExitStack() as stack:
                url = empty_url = None
                if backend == "pg":
                    url, empty_url = stack.enter_context(team_database())
                _DATABASE.update(url=url, empty=empty_url)
                profile = args.profile or Path(tmp) / "profile"
                if backend == "pg":
                    profile = Path(tmp) / "profile-pg"
                report: dict[str, Any] = {"backend": backend}
                from app.store import Store

                with Store.open(profile, daily_backups=False, url=url) as store:
                    missing = store.opportunities.count() < args.rows
                if missing:
                    report["make_profile"] = make_profile(profile, args.rows, url=url)
                empty = Path(tmp) / "empty"
                report["cold_start"] = cold_start(profile, empty, args.runs)
                if args.burst:
                    report["burst"] = burst(profile, args.burst, min(args.runs, 3))
            reports[backend] = report
    print(json.dumps(reports if len(reports) > 1 else reports[backends[0]], indent=2))


if __name__ == "__main__":
    main()
