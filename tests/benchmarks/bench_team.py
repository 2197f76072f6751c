"""Team database benchmarks; prints one JSON object.

Run: python tests/benchmarks/bench_team.py [--rows 10000] [--samples 200] [--inbox-rows 10000]

A throwaway PostgreSQL cluster (Debian's package, fsync ON: durable like a real one) on a
free 127.0.0.1 port, beside a SQLite profile on the same disk:

- upsert: `opportunities.upsert_many` of --rows new opportunities in one batch, then the
  same rows each changed (rows/s); the floor is the driver's own executemany of the
  same tuples into a bare table with the same columns (no repository, no translation).
- inbox_load: the inbox's start-up read of those rows (`iter_rows`); the floor is a bare
  `SELECT key` of the same rows.
- submission_overhead: what BidDesk does locally around one send (duplicate check,
  insert with history, two saves: submitting -> submitted -> an outcome), per
  submission; the floor is one `SELECT 1` round trip on the same backend.
- desktop_to_desktop: one desktop's change on the other desktop's screen. The other
  desktop is the real window (`App`, MainWindow on the offscreen platform, in a process
  of its own, profile on the team database, its inbox holding --inbox-rows rows). The
  clock starts before this process's `opportunities.upsert_many` of one new opportunity
  (what a desktop's poll or import stores) and stops at the end of the first paint of
  the other window's inbox view with that row in its model (`time.perf_counter` is
  CLOCK_MONOTONIC, shared by the processes). Floors, same run: a bare pg_notify from one
  connection to a LISTEN on another (the database's own round trip), and in the same
  window an opportunity it stores itself and publishes on its bus -> painted (a change
  on the same desktop: the window's own share).
  `desktop_to_desktop_loop` keeps the earlier, shorter clock: a claim until the other
  desktop (`biddesk team watch`) has it on its loop, no paint. SQLite has no second
  desktop: null.

Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.domain.submission import Outcome, StatusUpdate, SubmissionState  # noqa: E402
from app.store import Store  # noqa: E402
from app.store.opportunities import CONTENT_COLUMNS, _encode  # noqa: E402
from tests.helpers.postgres import PgCluster, pg_unavailable  # noqa: E402
from tests.store.factories import opportunity, submission  # noqa: E402


def _pcts(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(p99 * 1000, 3),
    }


def _ratio(value: float, floor: float) -> float:
    return round(value / floor, 2) if floor else float("inf")


def bench_upsert(store: Store, rows: int) -> dict[str, Any]:
    batch = [opportunity(n) for n in range(rows)]
    start = time.perf_counter()
    result = store.opportunities.upsert_many(batch)
    insert_s = time.perf_counter() - start
    assert len(result.new) == rows
    changed = [o.model_copy(update={"title": o.title + " (edited)"}) for o in batch]
    start = time.perf_counter()
    result = store.opportunities.upsert_many(changed)
    update_s = time.perf_counter() - start
    assert len(result.changed) == rows
    # The floor: the driver's executemany of the same tuples into a bare table.
    tuples = [_encode(o) for o in batch]
    columns = ", ".join(CONTENT_COLUMNS)
    with store.db.transaction() as conn:
        conn.execute(f"CREATE TABLE bench_floor AS SELECT {columns} FROM opportunities WHERE 1 = 0")
    start = time.perf_counter()
    with store.db.transaction() as conn:
        conn.executemany(
            f"INSERT INTO bench_floor VALUES ({', '.join('?' * len(CONTENT_COLUMNS))})", tuples
        )
    floor_s = time.perf_counter() - start
    return {
        "rows": rows,
        "insert_rows_per_s": round(rows / insert_s),
        "update_rows_per_s": round(rows / update_s),
        "floor_rows_per_s": round(rows / floor_s),
        "insert_ratio_to_floor": _ratio(insert_s, floor_s),
    }


def bench_inbox_load(store: Store) -> dict[str, Any]:
    """The inbox's start-up read (`iter_rows`, every row as a light row) after the upsert
    benchmark left its rows; the floor is a bare `SELECT key` of the same rows."""
    start = time.perf_counter()
    rows = sum(1 for _ in store.opportunities.iter_rows())
    ours = time.perf_counter() - start
    start = time.perf_counter()
    with store.db.read() as conn:
        bare = len(conn.execute("SELECT key FROM opportunities").fetchall())
    floor = time.perf_counter() - start
    assert rows == bare
    return {
        "rows": rows,
        "load_s": round(ours, 3),
        "floor_s": round(floor, 3),
        "ratio_to_floor": _ratio(ours, floor),
    }


def bench_submission(store: Store, samples: int) -> dict[str, Any]:
    times: list[float] = []
    floors: list[float] = []
    for n in range(samples):
        sub = submission(f"job-{n}-{time.time_ns()}", state=SubmissionState.DRAFT)
        start = time.perf_counter()
        assert store.submissions.live_for(sub.dedupe_key) is None
        sending = sub.transition(SubmissionState.SUBMITTING, detail="sending")
        store.submissions.insert(sending)
        sent = sending.transition(SubmissionState.SUBMITTED, via="api")
        store.submissions.save(sent)
        store.submissions.save(sent.apply(StatusUpdate(outcome=Outcome.VIEWED), via="poll"))
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        with store.db.read() as conn:
            conn.execute("SELECT 1").fetchall()
        floors.append(time.perf_counter() - start)
    ours, floor = _pcts(times), _pcts(floors)
    return {
        **ours,
        "floor_median_ms": floor["median_ms"],
        "floor_p99_ms": floor["p99_ms"],
        "median_ratio_to_floor": _ratio(ours["median_ms"], floor["median_ms"]),
    }


def bench_delay(url: str, workdir: Path, samples: int) -> dict[str, Any]:
    env = dict(os.environ, BIDDESK_MEMBER="bob")
    env.pop("BIDDESK_DATABASE_URL", None)
    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "--profile",
            str(workdir / "bob"),
            "--database-url",
            url,
            "team",
            "watch",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert watch.stdout is not None
        for raw in watch.stdout:
            lines.put(json.loads(raw))

    threading.Thread(target=read, daemon=True).start()
    delays: list[float] = []
    try:
        assert lines.get(timeout=60)["event"] == "listening"
        with Store.open(workdir / "alice", url=url) as alice:
            alice.db.member = "alice"
            for n in range(samples):
                key = f"gigradar:delay-{n}"
                start = time.time()
                alice.claims.claim(key, "alice")
                while True:
                    line = lines.get(timeout=30)
                    if line["event"] == "claim" and line["opportunity"] == key:
                        delays.append(line["received"] - start)
                        break
    finally:
        watch.terminate()
        watch.wait(timeout=10)
    ours, floor = _pcts(delays), _pcts(_notify_floor(url, samples))
    return {
        **ours,
        "floor_median_ms": floor["median_ms"],
        "floor_p99_ms": floor["p99_ms"],
        "median_ratio_to_floor": _ratio(ours["median_ms"], floor["median_ms"]),
        "samples": len(delays),
    }


def _notify_floor(url: str, samples: int) -> list[float]:
    """A bare NOTIFY from one connection to a LISTEN on another, `samples` times (s)."""
    import psycopg

    floors: list[float] = []
    with (
        psycopg.connect(url, autocommit=True) as listener,
        psycopg.connect(url, autocommit=True) as sender,
    ):
        listener.execute("LISTEN bench_floor")
        for _ in range(samples):
            start = time.perf_counter()
            sender.execute("SELECT pg_notify('bench_floor', 'x')")
            next(listener.notifies(timeout=10, stop_after=1))
            floors.append(time.perf_counter() - start)
    return floors


# The other desktop: the real window on the team database. It reads "watch KEY" lines on
# stdin, answers "watching", and prints "painted" with the perf_counter time at the end of
# the first paint of its inbox view that has KEY's row in its model (bench_webhooks.py's
# clock). Before that, its own floor: an opportunity it stores itself and publishes on
# its bus -> painted (a change on the same desktop).
WINDOW_DRIVER = r"""
import asyncio, json, sys, threading, time
sys.path.insert(0, sys.argv[2])
import qasync
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.domain.opportunity import utcnow
from app.services.events import OpportunitiesAdded
from app.ui.app import App, GuiOptions
from app.ui.widgets.inbox_view import InboxView
from tests.store.factories import opportunity

profile, floor_samples = Path(sys.argv[1]), int(sys.argv[3])
qapp = QApplication([])
watch = {}
state = {"model": None}
original_paint = InboxView.paintEvent

def say(**fields):
    print("BENCH " + json.dumps(fields), flush=True)

def paint(self, event):
    original_paint(self, event)
    model = state["model"]
    if model is None or not watch:
        return
    now = time.perf_counter()
    for key, when in list(watch.items()):
        if when is None and model.row_of(key) is not None:
            watch[key] = now
            if not key.startswith("gigradar:floor-"):
                say(event="painted", key=key, at=now)

InboxView.paintEvent = paint

async def main():
    loop = asyncio.get_running_loop()
    app = App(qapp, GuiOptions(profile=profile))
    await app.start()
    window = app.window
    window.resize(1280, 800)
    window.show()
    live = app.runtime.team_live
    while live is None or not live.listening:
        await asyncio.sleep(0.01)
        live = app.runtime.team_live
    await asyncio.sleep(2.0)  # the inbox loaded, start-up settled
    state["model"] = window.model
    floor = []
    for n in range(floor_samples):
        opp = opportunity(2_000_000 + n, external_id=f"floor-{n}", detected_at=utcnow())
        watch.clear()
        watch[opp.key] = None
        start = time.perf_counter()
        # This desktop's own change (its poll's store, then its bus): the index admits
        # only rows the store holds.
        app.services.store.opportunities.upsert_many([opp])
        app.services.bus.publish(OpportunitiesAdded((opp,)))
        while watch[opp.key] is None and time.perf_counter() - start < 5:
            await asyncio.sleep(0.001)
        if watch[opp.key] is not None:
            floor.append(watch[opp.key] - start)
        await asyncio.sleep(0.01)
    watch.clear()
    done = asyncio.Event()

    def command(line):
        word, _, key = line.strip().partition(" ")
        if word == "watch":
            watch.clear()
            watch[key] = None
            say(event="watching", key=key)
        else:
            done.set()

    def read():
        for line in sys.stdin:
            loop.call_soon_threadsafe(command, line)
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=read, daemon=True).start()
    say(event="ready", rows=window.model.total_count(), bus_floor=floor)
    await done.wait()
    await app.stop()

with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
    runner.run(main())
"""


def bench_painted(url: str, workdir: Path, samples: int, inbox_rows: int) -> dict[str, Any]:
    """This process stores a new opportunity; the clock stops when the other desktop's
    window has painted it (see the module doc)."""
    from app.domain.opportunity import utcnow

    alice_dir = workdir / "painted-alice"
    with Store.open(alice_dir, url=url) as alice:
        alice.db.member = "alice"
        for start in range(0, inbox_rows, 5_000):
            alice.opportunities.upsert_many(
                opportunity(n) for n in range(start, min(inbox_rows, start + 5_000))
            )
    env = dict(
        os.environ,
        BIDDESK_MEMBER="bob",
        BIDDESK_DATABASE_URL=url,
        QT_QPA_PLATFORM="offscreen",
    )
    errors = workdir / "painted-window.stderr"  # a file: an unread pipe could fill and block
    window = subprocess.Popen(
        [sys.executable, "-c", WINDOW_DRIVER, str(workdir / "painted-bob"), str(ROOT), "40"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors.open("w"),
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert window.stdout is not None
        for raw in window.stdout:
            if raw.startswith("BENCH "):
                lines.put(json.loads(raw[6:]))

    threading.Thread(target=read, daemon=True).start()

    def expect(event: str, key: str | None = None) -> dict[str, Any]:
        while True:
            try:
                line = lines.get(timeout=120)
            except queue.Empty:
                window.kill()
                said = errors.read_text(errors="replace")[-4000:]
                raise SystemExit(f"the window never said {event}: {said}") from None
            if line["event"] == event and (key is None or line.get("key") == key):
                return line

    delays: list[float] = []
    assert window.stdin is not None
    try:
        ready = expect("ready")
        with Store.open(alice_dir, url=url) as alice:
            alice.db.member = "alice"
            for n in range(samples):
                opp = opportunity(1_000_000 + n, external_id=f"delay-{n}", detected_at=utcnow())
                window.stdin.write(f"watch {opp.key}\n")
                window.stdin.flush()
                expect("watching", opp.key)
                start = time.perf_counter()
                alice.opportunities.upsert_many([opp])
                delays.append(expect("painted", opp.key)["at"] - start)
        window.stdin.close()
        window.wait(timeout=60)
    finally:
        if window.poll() is None:
            window.kill()
            window.wait(timeout=10)
    notify = _notify_floor(url, samples)
    ours, floor, bus = _pcts(delays), _pcts(notify), _pcts(ready["bus_floor"])
    return {
        "clock": "upsert_many of one new opportunity on this desktop -> end of the other "
        "window's first inbox paint with the row in its model",
        "inbox_rows": ready["rows"],
        **ours,
        "min_ms": round(min(delays) * 1000, 3),
        "max_ms": round(max(delays) * 1000, 3),
        "floor_notify_median_ms": floor["median_ms"],
        "floor_notify_p99_ms": floor["p99_ms"],
        "median_ratio_to_notify_floor": _ratio(ours["median_ms"], floor["median_ms"]),
        "p99_ratio_to_notify_floor": _ratio(ours["p99_ms"], floor["p99_ms"]),
        "floor_same_desktop_median_ms": bus["median_ms"],
        "floor_same_desktop_p99_ms": bus["p99_ms"],
        "median_ratio_to_same_desktop": _ratio(ours["median_ms"], bus["median_ms"]),
        "samples": len(delays),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--inbox-rows", type=int, default=10_000)
    parser.add_argument("--only", action="append", choices=["store", "painted", "loop"])
    args = parser.parse_args()
    reason = pg_unavailable()
    if reason is not None:
        print(json.dumps({"skipped": reason}))
        return 0
    os.environ["BIDDESK_HOME"] = tempfile.mkdtemp(prefix="bench-team-home-")
    cluster = PgCluster(fsync=True).init()
    cluster.start()
    out: dict[str, Any] = {"rows": args.rows, "samples": args.samples}
    wanted = set(args.only or ("store", "painted", "loop"))
    try:
        work = Path(tempfile.mkdtemp(prefix="bench-team-"))
        url = cluster.create_database("bench")
        for backend, store_url in (("sqlite", None), ("postgresql", url)):
            out[backend] = {"desktop_to_desktop": None, "desktop_to_desktop_loop": None}
            if "store" in wanted:
                with Store.open(work / backend, url=store_url) as store:
                    out[backend] |= {
                        "upsert": bench_upsert(store, args.rows),
                        "inbox_load": bench_inbox_load(store),
                        "submission_overhead": bench_submission(store, args.samples),
                    }
        if "painted" in wanted:
            out["postgresql"]["desktop_to_desktop"] = bench_painted(
                cluster.create_database("bench_painted"), work, args.samples, args.inbox_rows
            )
        if "loop" in wanted:
            out["postgresql"]["desktop_to_desktop_loop"] = bench_delay(
                cluster.create_database("bench_delay"), work, args.samples
            )
    finally:
        cluster.destroy()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
