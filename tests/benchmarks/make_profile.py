"""Write a BidDesk profile holding N realistic opportunities, quickly.

Run: python tests/benchmarks/make_profile.py --rows 1000000 DIR [--seed 7]
     [--database-url postgresql://…]   (the rows go to that team database; DIR is the profile)

`team_database()` gives the benchmarks (bench_ui.py, bench_filter.py `--backend pg`) a
throwaway PostgreSQL cluster (tests/helpers/postgres.py) with a database to fill and an
empty one for the floor.

Every benchmark that needs a full inbox uses this one generator. The job posts come from
the sandbox's generators (`app/sandbox/data.py`: Upwork jobs as GigRadar and UpHunt see
them, Gigiac tasks), normalised by the platform modules and encoded by the store, so the
rows are exactly what ingest would write. Generating and validating a model per row costs
~150 µs (2.5 minutes for a million), so a pool of a few thousand distinct posts is made
that way, and each of the N rows is one of them with its own identity: its own id and key,
posting and detection times spread over a year, its own budget, match score and the
user's marks (read, starred, archived). Rows are written with one `executemany` per
slice straight into the schema the migrations made; `raw` is left empty (the inbox never
reads it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain import Opportunity, Platform
from app.platforms.gigiac import normalize_task
from app.platforms.upwork import read_job
from app.sandbox.data import UpworkUniverse, make_task
from app.store import Store
from app.store.opportunities import CONTENT_COLUMNS, _encode

POOL = 4_000
SLICE = 20_000
YEAR = 365 * 86_400.0
# Among the rows: read 45 %, starred 2 %, archived 3 % (a year of an agency's inbox).
_COLUMNS = (*CONTENT_COLUMNS, "first_seen_at", "updated_at", "read_at", "starred", "archived")
_INSERT = (
    f"INSERT INTO opportunities ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
)
_I = {name: i for i, name in enumerate(CONTENT_COLUMNS)}


def _upwork(rng: random.Random, universe: UpworkUniverse, now: float) -> Opportunity:
    job = universe.new_job(now, age=(120.0, 30 * 86_400.0))
    fields = read_job(job.data)
    platform = Platform.UPHUNT if rng.random() < 0.15 else Platform.GIGRADAR
    return Opportunity(
        platform=platform,
        external_id=job.ciphertext,
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
        match_score=0.5 if platform is Platform.GIGRADAR else None,
        connects_price=fields.connects_price,
        posted_at=fields.posted_at,
        detected_at=datetime.fromtimestamp(job.published, UTC),
    )


def _gigiac(rng: random.Random, now: float) -> Opportunity:
    opp = normalize_task(make_task(rng, now, age=(120.0, 30 * 86_400.0)), account="bench")
    return opp.model_copy(update={"raw": {}})


def pool(seed: int, size: int = POOL) -> list[tuple[Any, ...]]:
    """`size` distinct posts from the sandbox's generators, encoded as the store writes them."""
    rng = random.Random(seed)
    now = time.time()
    encoded: list[tuple[Any, ...]] = []
    universe = UpworkUniverse(random.Random(seed + 1))
    for n in range(size):
        if n % 500 == 0:  # clients recur within a universe, as on the platform
            universe = UpworkUniverse(random.Random(rng.random()))
        opp = _gigiac(rng, now) if rng.random() < 0.25 else _upwork(rng, universe, now)
        encoded.append(_encode(opp))
    return encoded


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def rows(
    count: int, seed: int, templates: list[tuple[Any, ...]]
) -> Iterator[list[tuple[Any, ...]]]:
    """`count` rows in slices, newest last (so rowid order is arrival order)."""
    rng = random.Random(seed + 2)
    now = time.time()
    start = now - YEAR
    step = YEAR / max(count, 1)
    stamp = _iso(now)
    for first in range(0, count, SLICE):
        batch: list[tuple[Any, ...]] = []
        for n in range(first, min(count, first + SLICE)):
            row = list(rng.choice(templates))
            platform = row[_I["platform"]]
            external = f"{n:07d}-{row[_I['external_id']]}"[:60]
            row[_I["key"]] = f"{platform}:{external}"
            row[_I["external_id"]] = external
            if row[_I["upwork_job_id"]] is not None:
                row[_I["upwork_job_id"]] = f"~{n:07d}{row[_I['upwork_job_id']][8:]}"
            posted = start + n * step + rng.uniform(0, step)
            row[_I["posted_at"]] = _iso(posted)
            row[_I["detected_at"]] = _iso(posted + rng.uniform(30, 900))
            budget = row[_I["budget_cents"]]
            if budget is not None:
                row[_I["budget_cents"]] = max(
                    1_000, int(budget * rng.uniform(0.5, 2.0)) // 100 * 100
                )
            if platform != "uphunt":
                row[_I["match_score"]] = round(rng.uniform(0.2, 0.99), 2)
            roll = rng.random()
            read_at = row[_I["detected_at"]] if roll < 0.45 else None
            batch.append(
                (
                    *row,
                    stamp,
                    stamp,
                    read_at,
                    int(rng.random() < 0.02),
                    int(0.45 <= roll < 0.48),
                )
            )
        yield batch


def make_profile(
    directory: Path, count: int, seed: int = 7, url: str | None = None
) -> dict[str, float]:
    """Write `count` opportunities into the profile at `directory` (created if need be),
    or into the team database at `url`."""
    began = time.perf_counter()
    templates = pool(seed)
    pooled = time.perf_counter()
    with Store.open(directory, daily_backups=False, url=url) as store:
        for batch in rows(count, seed, templates):
            with store.db.transaction() as conn:
                conn.executemany(_INSERT, batch)
        with store.db.transaction() as conn:
            conn.execute("ANALYZE")
        store.db.checkpoint()
    return {
        "rows": count,
        "pool_s": round(pooled - began, 2),
        "total_s": round(time.perf_counter() - began, 2),
    }


@contextlib.contextmanager
def team_database() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL cluster (Debian's package, fsync on) for a benchmark: the
    URLs of a database to fill and of an empty one (the floor); destroyed afterwards."""
    from tests.helpers.postgres import PgCluster, pg_unavailable

    reason = pg_unavailable()
    if reason is not None:
        raise SystemExit(reason)
    cluster = PgCluster(fsync=True).init()
    cluster.start()
    try:
        yield cluster.create_database("bench"), cluster.create_database("empty")
    finally:
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="fill this team database instead")
    args = parser.parse_args()
    print(json.dumps(make_profile(args.directory, args.rows, args.seed, args.database_url)))


if __name__ == "__main__":
    main()
