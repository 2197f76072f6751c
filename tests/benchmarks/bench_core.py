"""Core benchmarks; prints one JSON object. Run: python tests/benchmarks/bench_core.py

- store upsert throughput at 100,000 rows (insert, then a re-upsert of the same rows);
- p50/p99 of a sandbox round trip per platform through the real client (loopback HTTP);
- peak RSS of the process.

Figures, not assertions: machines here are shared and noisy (see README).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain import Account, ClientInfo, JobKind, Opportunity, Platform, Question
from app.platforms import create_adapter
from app.sandbox import Sandbox, SandboxConfig
from app.store import Store

WORDS = [
    "react",
    "node",
    "python",
    "django",
    "data",
    "pipeline",
    "dashboard",
    "api",
    "mobile",
    "flutter",
    "design",
    "figma",
    "devops",
    "kubernetes",
    "aws",
    "terraform",
    "scraping",
    "automation",
    "shopify",
    "wordpress",
    "seo",
    "writing",
    "analytics",
    "machine",
    "learning",
    "llm",
    "chatbot",
    "integration",
    "stripe",
    "testing",
    "qa",
]


def synthetic(n: int, seed: int = 1) -> list[Opportunity]:
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        fixed = rnd.random() < 0.5
        words = rnd.sample(WORDS, 6)
        out.append(
            Opportunity(
                platform=Platform.GIGRADAR if i % 3 else Platform.GIGIAC,
                external_id=f"{i:024x}",
                account="bench",
                upwork_job_id=f"~01{i:018x}" if i % 3 else None,
                title=" ".join(words[:4]).title(),
                description=" ".join(rnd.choices(WORDS, k=80)),
                kind=JobKind.FIXED if fixed else JobKind.HOURLY,
                budget=Decimal(rnd.randint(50, 9000)) if fixed else None,
                hourly_min=None if fixed else Decimal(rnd.randint(10, 40)),
                hourly_max=None if fixed else Decimal(rnd.randint(41, 120)),
                skills=tuple(words[:4]),
                client=ClientInfo(
                    country=rnd.choice(["Germany", "United States", "India", "Brazil"]),
                    payment_verified=rnd.random() < 0.8,
                    total_spent=Decimal(rnd.randint(0, 200000)),
                    hire_rate=round(rnd.random(), 2),
                    rating=round(rnd.uniform(3, 5), 2),
                ),
                questions=(Question(id="1", text="Have you done this before?"),)
                if i % 7 == 0
                else (),
                match_score=round(rnd.random(), 3),
                posted_at=now - timedelta(minutes=rnd.randint(1, 5000)),
                raw={"id": i, "title": words[0]},
            )
        )
    return out


def bench_store(n: int) -> dict[str, float]:
    opps = synthetic(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        try:
            t0 = time.perf_counter()
            store.opportunities.upsert_many(opps)
            insert = time.perf_counter() - t0
            t0 = time.perf_counter()
            store.opportunities.upsert_many(opps)
            again = time.perf_counter() - t0
            t0 = time.perf_counter()
            rows = store.opportunities.load_all_rows()
            load_rows = time.perf_counter() - t0
            assert len(rows) == n
            del rows
            t0 = time.perf_counter()
            loaded = store.opportunities.all()
            load = time.perf_counter() - t0
            assert len(loaded) == n
        finally:
            store.close()
    return {
        "rows": n,
        "insert_rows_per_s": round(n / insert),
        "reupsert_unchanged_rows_per_s": round(n / again),
        "load_all_rows_s": round(load_rows, 3),
        "load_all_models_s": round(load, 3),
    }


async def bench_round_trips(samples: int) -> dict[str, dict[str, float]]:
    # Limits lifted on both sides: this measures latency, not the rate limiter.
    config = SandboxConfig(
        seed=3,
        arrivals=False,
        gigradar_per_minute=10**9,
        gigradar_per_day=10**9,
        gigiac_reads_per_minute=10**9,
        gigiac_writes_per_minute=10**9,
        uphunt_limits={
            k: 10**9
            for k in (
                "applied-jobs",
                "apply",
                "apply.day",
                "by-ciphertext",
                "client-jobs",
                "freelancers",
                "status",
            )
        },
    )
    results: dict[str, dict[str, float]] = {}
    async with Sandbox(config) as sandbox:
        info = sandbox.info
        gr = create_adapter(
            Account(
                name="gr", platform=Platform.GIGRADAR, base_url=info.gigradar.base_url, speed=1e6
            ),
            info.gigradar.api_key,
        )
        uh = create_adapter(
            Account(name="uh", platform=Platform.UPHUNT, base_url=info.uphunt.base_url, speed=1e6),
            info.uphunt.api_key,
        )
        gg = create_adapter(
            Account(name="gg", platform=Platform.GIGIAC, base_url=info.gigiac.base_url, speed=1e6),
            info.gigiac.api_key,
        )
        try:
            gr_opps = list(await gr.fetch_opportunities())
            gg_opps = list(await gg.fetch_opportunities())
            job = gr_opps[0]
            uh_opp = Opportunity(
                platform=Platform.UPHUNT,
                external_id=job.upwork_job_id or "",
                upwork_job_id=job.upwork_job_id,
                title="x",
            )
            for name, adapter, opp in (
                ("gigradar", gr, gr_opps[0]),
                ("uphunt", uh, uh_opp),
                ("gigiac", gg, gg_opps[0]),
            ):
                for _ in range(20):  # warm up connections
                    await adapter.get_opportunity(opp)
                times = []
                for _ in range(samples):
                    t0 = time.perf_counter()
                    await adapter.get_opportunity(opp)
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                results[name] = {
                    "samples": samples,
                    "p50_ms": round(statistics.median(times), 3),
                    "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
                }
        finally:
            for adapter in (gr, uh, gg):
                await adapter.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    report = {
        "store_upsert": bench_store(args.rows),
        "sandbox_round_trip": asyncio.run(bench_round_trips(args.samples)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
