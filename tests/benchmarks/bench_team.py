"""Team database benchmarks; prints one JSON object.

Run: python tests/benchmarks/bench_team.py [--rows 10000] [--samples 200]

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
- desktop_to_desktop: another process's claim (`biddesk team watch` on a second profile
  is the other desktop) — the clock starts before this process's `claims.claim` call and
  stops when the other desktop has the claim loaded on its loop (the bus event its window
  paints from; the paint itself is not included). The floor is a bare pg_notify from one
  connection to a LISTEN on another. SQLite has no second desktop: null.

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
    import psycopg

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
    # The floor: a bare NOTIFY from one connection to a LISTEN on another.
    floors: list[float] = []
    with (
        psycopg.connect(url, autocommit=True) as listener,
        psycopg.connect(url, autocommit=True) as sender,
    ):
        listener.execute("LISTEN bench_floor")
        for _ in range(samples):
            start = time.time()
            sender.execute("SELECT pg_notify('bench_floor', 'x')")
            next(listener.notifies(timeout=10, stop_after=1))
            floors.append(time.time() - start)
    ours, floor = _pcts(delays), _pcts(floors)
    return {
        **ours,
        "floor_median_ms": floor["median_ms"],
        "floor_p99_ms": floor["p99_ms"],
        "median_ratio_to_floor": _ratio(ours["median_ms"], floor["median_ms"]),
        "samples": len(delays),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    reason = pg_unavailable()
    if reason is not None:
        print(json.dumps({"skipped": reason}))
        return 0
    os.environ["BIDDESK_HOME"] = tempfile.mkdtemp(prefix="bench-team-home-")
    cluster = PgCluster(fsync=True).init()
    cluster.start()
    out: dict[str, Any] = {"rows": args.rows, "samples": args.samples}
    try:
        work = Path(tempfile.mkdtemp(prefix="bench-team-"))
        url = cluster.create_database("bench")
        for backend, store_url in (("sqlite", None), ("postgresql", url)):
            with Store.open(work / backend, url=store_url) as store:
                out[backend] = {
                    "upsert": bench_upsert(store, args.rows),
                    "inbox_load": bench_inbox_load(store),
                    "submission_overhead": bench_submission(store, args.samples),
                }
        out["sqlite"]["desktop_to_desktop"] = None
        out["postgresql"]["desktop_to_desktop"] = bench_delay(
            cluster.create_database("bench_delay"), work, args.samples
        )
    finally:
        cluster.destroy()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
