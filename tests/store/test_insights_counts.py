"""What migration 11 keeps beside the opportunities, on both backends (the `store` fixture):

- `opportunity_days`, the opportunities seen per platform and UTC day, must equal a count
  of the rows after inserts, re-delivered and edited jobs, archiving (by hand and by
  retention), deletes and a moved detection time; and `InsightsRepo.seen` (whole days from
  it, partial days counted on the index) must equal a plain count of the period for any
  since/until, midnight or not.
- `insight_jobs`, the columns Insights reads of each job someone worked on, must equal
  those of the opportunities in drafts, submissions or the editor's measurements, whichever
  arrives first, and follow a job whose content changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.opportunity import ClientInfo, Platform
from app.store import Store
from app.store.insights import ActivityRepo, InsightsRepo
from app.store.retention import archive_older_than
from tests.store.factories import draft, opportunity, submission

DAY0 = datetime(2025, 3, 1, tzinfo=UTC)
PLATFORMS = (Platform.GIGRADAR, Platform.GIGIAC, Platform.UPHUNT)
# Moments across four days: midnight itself, the instant before it, the middle of a day.
OFFSETS = (
    timedelta(0),
    timedelta(hours=6, minutes=30),
    timedelta(hours=23, minutes=59, seconds=59, microseconds=999999),
    timedelta(days=1),
    timedelta(days=1, microseconds=1),
    timedelta(days=1, hours=12),
    timedelta(days=2, hours=3),
    timedelta(days=3, hours=23),
)


def _jobs(first: int = 1) -> list:
    out = []
    n = first
    for offset in OFFSETS:
        for platform in PLATFORMS[: 1 + n % 3]:
            out.append(
                opportunity(
                    n,
                    platform=platform,
                    upwork_job_id=None,
                    url=None,
                    detected_at=DAY0 + offset,
                )
            )
            n += 1
    return out


def _days(store: Store) -> dict[tuple[str, str], int]:
    with store.db.read() as conn:
        rows = conn.execute("SELECT platform, day, seen FROM opportunity_days").fetchall()
    return {(p, d): int(n) for p, d, n in rows if n}


def _counted_days(store: Store) -> dict[tuple[str, str], int]:
    with store.db.read() as conn:
        rows = conn.execute(
            "SELECT platform, substr(detected_at, 1, 10), count(*) FROM opportunities"
            " GROUP BY platform, substr(detected_at, 1, 10)"
        ).fetchall()
    return {(p, d): int(n) for p, d, n in rows}


def _counted(store: Store, since: datetime | None, until: datetime | None) -> dict:
    from app.store._codec import dt_to_text

    where, params = "", []
    if since is not None:
        where += " AND detected_at >= ?"
        params.append(dt_to_text(since))
    if until is not None:
        where += " AND detected_at < ?"
        params.append(dt_to_text(until))
    out = dict.fromkeys(Platform, 0)
    with store.db.read() as conn:
        for platform in Platform:
            [(n,)] = conn.execute(
                f"SELECT count(*) FROM opportunities WHERE platform = ?{where}",
                (platform.value, *params),
            ).fetchall()
            out[platform] = int(n)
    return out


def _bounds() -> list[datetime | None]:
    moments: list[datetime | None] = [None, DAY0 - timedelta(days=3), DAY0 + timedelta(days=9)]
    for offset in OFFSETS:
        for nudge in (timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1)):
            moments.append(DAY0 + offset + nudge)
    moments.append(DAY0 + timedelta(days=2))  # a midnight with nothing on it
    return moments


def _assert_seen_is_a_count(store: Store) -> None:
    assert _days(store) == _counted_days(store)
    repo = InsightsRepo(store.db)
    try:
        bounds = _bounds()
        for since in bounds:
            for until in bounds:
                assert repo.seen(since, until) == _counted(store, since, until), (since, until)
    finally:
        repo.close()


def test_seen_per_day_stays_a_count_of_the_rows(store: Store) -> None:
    jobs = _jobs()
    store.opportunities.upsert_many(jobs)
    assert sum(_days(store).values()) == len(jobs)
    _assert_seen_is_a_count(store)

    # A job delivered again, unchanged or edited, is still one job.
    store.opportunities.upsert_many(jobs[:5])
    store.opportunities.upsert_many([jobs[0].model_copy(update={"title": "Edited"})])
    assert sum(_days(store).values()) == len(jobs)

    # Archived jobs were still seen: by hand, and by retention's age rule.
    assert store.opportunities.set_archived(jobs[1].key)
    assert archive_older_than(store.db, DAY0 + timedelta(days=2))
    assert sum(_days(store).values()) == len(jobs)
    _assert_seen_is_a_count(store)

    # More arrive later, some on a day already counted.
    more = _jobs(first=100)
    store.opportunities.upsert_many(more)
    assert sum(_days(store).values()) == len(jobs) + len(more)

    # Deleted by age (a retention that deletes instead of archiving) and one by one.
    with store.db.transaction() as conn:
        gone = conn.execute(
            "DELETE FROM opportunities WHERE detected_at < ?",
            ((DAY0 + timedelta(days=1)).isoformat(timespec="microseconds"),),
        ).rowcount
        conn.execute("DELETE FROM opportunities WHERE key = ?", (more[-1].key,))
    assert gone > 0
    assert sum(_days(store).values()) == len(jobs) + len(more) - gone - 1
    # A detection time moved to another day (and platform), and one within its day.
    with store.db.transaction() as conn:
        conn.execute(
            "UPDATE opportunities SET detected_at = ?, platform = ? WHERE key = ?",
            ("2025-03-09T01:00:00.000000+00:00", "uphunt", more[0].key),
        )
        conn.execute(
            "UPDATE opportunities SET detected_at = ? WHERE key = ?",
            ((DAY0 + timedelta(days=3, hours=1)).isoformat(timespec="microseconds"), more[-2].key),
        )
    _assert_seen_is_a_count(store)


def test_a_failed_write_leaves_the_counts_as_they_were(store: Store) -> None:
    store.opportunities.upsert_many(_jobs())
    before = _days(store)
    try:
        with store.db.transaction():
            store.opportunities.upsert_many(_jobs(first=100))
            raise RuntimeError("the write fails after the rows went in")
    except RuntimeError:
        pass
    assert _days(store) == before == _counted_days(store)


JOB_COLUMNS = (
    "key, platform, detected_at, posted_at, kind, budget_cents, hourly_min_cents,"
    " hourly_max_cents, skills, category, client, match_score, connects_price"
)


def _insight_jobs(store: Store) -> list[tuple]:
    with store.db.read() as conn:
        return sorted(tuple(r) for r in conn.execute(f"SELECT {JOB_COLUMNS} FROM insight_jobs"))


def _worked_jobs(store: Store) -> list[tuple]:
    with store.db.read() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                f"SELECT {JOB_COLUMNS} FROM opportunities WHERE key IN ("
                "SELECT opportunity_key FROM drafts UNION SELECT opportunity_key FROM submissions"
                " UNION SELECT opportunity_key FROM proposal_activity)"
            )
        )


def test_insight_jobs_are_the_worked_on_jobs(store: Store) -> None:
    jobs = [opportunity(n, upwork_job_id=None, url=None) for n in range(1, 7)]
    store.opportunities.upsert_many(jobs[:5])
    activity = ActivityRepo(store.db)
    store.drafts.save(draft(jobs[0].key))
    activity.opened(jobs[1].key, DAY0)
    store.submissions.insert(
        submission("upwork:~one", opportunity_key=jobs[2].key, platform=Platform.GIGRADAR)
    )
    # Worked on before its opportunity was stored (a proposal from another desktop).
    activity.opened(jobs[5].key, DAY0)
    assert [j[0] for j in _insight_jobs(store)] == sorted(j.key for j in jobs[:3])
    store.opportunities.upsert_many(jobs[5:])
    assert _insight_jobs(store) == _worked_jobs(store)
    assert len(_insight_jobs(store)) == 4

    # The job's content changes: so do its columns here; flags change nothing.
    client = ClientInfo(name="Acme", country="FR", payment_verified=False)
    store.opportunities.upsert_many([jobs[0].model_copy(update={"client": client})])
    store.opportunities.set_archived(jobs[1].key)
    assert _insight_jobs(store) == _worked_jobs(store)
    assert '"FR"' in next(j[10] for j in _insight_jobs(store) if j[0] == jobs[0].key)

    # No longer worked on (its draft gone, nothing else): it leaves; a deleted job too.
    store.drafts.save(draft(jobs[3].key))
    assert store.drafts.delete(jobs[0].key)
    with store.db.transaction() as conn:
        conn.execute("DELETE FROM opportunities WHERE key = ?", (jobs[1].key,))
    assert _insight_jobs(store) == _worked_jobs(store)
    assert [j[0] for j in _insight_jobs(store)] == sorted([jobs[2].key, jobs[3].key, jobs[5].key])

    # The facts read from it are the worked-on jobs, whole or by period.
    repo = InsightsRepo(store.db)
    try:
        assert sorted(f.key for f in repo.facts()) == [j[0] for j in _insight_jobs(store)]
        later = jobs[5].detected_at
        assert [f.key for f in repo.facts(since=later)] == [jobs[5].key]
        assert sorted(f.key for f in repo.facts(until=later)) == [jobs[2].key, jobs[3].key]
        assert repo.facts(since=later, platforms=[Platform.GIGIAC]) == []
    finally:
        repo.close()
