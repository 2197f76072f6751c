"""One inbox row per job (issue 16): the store keeps every source of a job (GigRadar makes
one opportunity per scanner × job; UpHunt reaches the same Upwork job) but loads one row
per job, with its sources, the best of their scores, and one set of the user's marks."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from app.domain import Draft, Platform
from app.domain.opportunity import found_by_text, sources_label
from app.store import Store
from tests.store.factories import T0, opportunity
from tests.store.test_migrations import build_database_at

CIPHER = "~01shared0000000001"


def _sources(n: int) -> list:  # type: ignore[type-arg]
    """One Upwork job found by two GigRadar scanners and looked up through UpHunt."""
    return [
        opportunity(
            n,
            external_id=f"gr-{n}-a",
            upwork_job_id=CIPHER,
            match_score=0.61,
            context={"scanner_id": "sc-1", "scanner_name": "React jobs"},
            detected_at=T0,
        ),
        opportunity(
            n,
            external_id=f"gr-{n}-b",
            upwork_job_id=CIPHER,
            match_score=0.92,
            context={"scanner_id": "sc-2", "scanner_name": "Frontend"},
            detected_at=T0 + timedelta(seconds=5),
        ),
        opportunity(
            n,
            platform=Platform.UPHUNT,
            external_id=CIPHER,
            upwork_job_id=CIPHER,
            match_score=None,
            context={},
            detected_at=T0 + timedelta(seconds=9),
        ),
    ]


def test_a_job_found_three_ways_is_one_row(store: Store) -> None:
    repo = store.opportunities
    first, second, uphunt = _sources(1)
    other = opportunity(2)
    assert repo.upsert_many([first, other]).sources_of == {}
    result = repo.upsert_many([second, uphunt])
    # Both are new opportunities, and both are sources of the first one's job.
    assert result.new == (second.key, uphunt.key)
    assert result.sources_of == {second.key: first.key, uphunt.key: first.key}

    rows = repo.load_all_rows()
    assert [r.key for r in rows] == [other.key, first.key]
    row = rows[1]
    assert row.sources == "GigRadar ×2 · UpHunt"
    assert row.match_score == 0.92  # the best source's score
    assert rows[0].sources is None and rows[0].match_score == other.match_score
    assert [r.key for r in repo.iter_rows()] == [other.key, first.key]
    assert repo.count() == 4 and repo.count_jobs() == 2

    job = repo.job(uphunt.key)  # from any source's key
    assert job is not None and job.key == first.key
    assert [s.key for s in job.sources] == [first.key, second.key, uphunt.key]
    assert [s.label for s in job.sources] == [
        "GigRadar · React jobs",
        "GigRadar · Frontend",
        "UpHunt",
    ]
    assert job.match_score == 0.92
    assert job.sources_label == "GigRadar ×2 · UpHunt"
    # The stored opportunities stay as the platforms sent them: the send uses them.
    assert repo.get(second.key) == second
    assert [j.key for j in repo.jobs()] == [other.key, first.key]
    assert repo.jobs()[1] == job
    assert repo.jobs_of([first.key, other.key]) == {first.key: job, other.key: other}
    assert repo.primaries_of([uphunt.key, other.key, "gigradar:nope"]) == {
        uphunt.key: first.key,
        other.key: other.key,
    }
    assert repo.with_sources([other.key, first.key]) == [first.key]
    for key in (first.key, uphunt.key, other.key, "gigradar:nope"):  # members, in one read
        assert repo.sources_of(key) == (repo.primary_of(key) or key, repo.members(key))

    # A poll that brings the first scanner's copy again changes nothing about the job.
    again = repo.upsert_many([first])
    assert again.unchanged == 1 and again.sources_of == {}
    again = repo.upsert_many([second.model_copy(update={"match_score": 0.95})])
    assert again.changed == (second.key,)
    assert again.job_of(second.key) == first.key
    assert repo.load_all_rows()[1].match_score == 0.95


def test_one_set_of_marks_per_job(store: Store) -> None:
    repo = store.opportunities
    first, second, uphunt = _sources(1)
    repo.upsert_many([first])
    repo.set_starred(first.key)
    repo.set_read(first.key)
    # A new source of a job the user already read and starred: the same job, same marks.
    repo.upsert_many([second])
    flags = repo.flags(second.key)
    assert flags is not None and flags.starred and flags.read
    # Archived through any source's key: the job's row is archived.
    assert repo.set_archived(uphunt.key) is False  # not stored yet
    repo.upsert_many([uphunt])
    assert repo.set_archived(uphunt.key)
    assert all(r.archived for r in repo.load_all_rows() if r.key == first.key)
    flags = repo.flags(first.key)
    assert flags is not None and flags.archived
    repo.set_read(second.key, False)
    assert not any(f.read for f in (repo.flags(k) for k in (first.key, uphunt.key)) if f)


def test_a_lone_row_that_later_names_its_upwork_job_joins_it(store: Store) -> None:
    repo = store.opportunities
    first, second, _ = _sources(1)
    repo.upsert_many([first, second.model_copy(update={"upwork_job_id": None})])
    assert repo.count_jobs() == 2
    result = repo.upsert_many([second])  # the poll now carries the ciphertext
    assert result.sources_of == {second.key: first.key}
    assert repo.count_jobs() == 1


def test_gigiac_tasks_and_jobs_without_an_upwork_id_stay_rows_of_their_own(store: Store) -> None:
    repo = store.opportunities
    tasks = [
        opportunity(n, platform=Platform.GIGIAC, upwork_job_id=None, title="Same title")
        for n in (1, 2)
    ]
    repo.upsert_many(tasks)
    assert repo.count_jobs() == 2
    assert all(r.sources is None for r in repo.load_all_rows())


def test_sources_label_orders_platforms_and_counts() -> None:
    assert sources_label(["uphunt", "gigradar", "gigradar"]) == "GigRadar ×2 · UpHunt"
    assert sources_label([Platform.GIGIAC]) == "Gigiac"


def _insert(path: Path, key: str, platform: str, score: float, seen: str, **marks: object) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        external = key.split(":", 1)[1]
        conn.execute(
            "INSERT INTO opportunities (key, platform, external_id, account, upwork_job_id,"
            " title, kind, match_score, detected_at, status, first_seen_at, updated_at,"
            " read_at, starred, archived)"
            " VALUES (?, ?, ?, 'main', '~01abc', 'Old job', 'fixed', ?, ?, 'open', ?, ?, ?, ?, ?)",
            (
                key,
                platform,
                external,
                score,
                seen,
                seen,
                seen,
                marks.get("read_at"),
                marks.get("starred", 0),
                marks.get("archived", 0),
            ),
        )
    finally:
        conn.close()


def test_upgrade_groups_the_copies_of_one_job_kept_before(tmp_path: Path) -> None:
    """A version 6 file held one row per scanner × job: after the upgrade the first seen
    is the job's row, the others its sources, and the marks are merged onto all."""
    profile = tmp_path / "profile"
    profile.mkdir()
    path = profile / "biddesk.sqlite3"
    build_database_at(path, 6)  # gigradar:opp-1 of ~01abc, starred and read, with a draft
    _insert(path, "gigradar:opp-2", "gigradar", 0.9, "2025-01-05T00:00:00.000000+00:00",
            archived=1, read_at="2025-01-02T00:00:00.000000+00:00")  # fmt: skip
    _insert(path, "uphunt:~01abc", "uphunt", 0.1, "2025-01-06T00:00:00.000000+00:00")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "INSERT INTO drafts VALUES (?, ?, ?)",
        (
            "uphunt:~01abc",
            '{"opportunity_key":"uphunt:~01abc","cover_letter":"Newer","bid":{"kind":"fixed",'
            '"amount":"1200.00","timeline":null,"boost_connects":null},"answers":[],'
            '"via":null,"account":null,"profile_id":null,"scheduled_at":null,'
            '"updated_at":"2025-01-07T00:00:00Z"}',
            "2025-01-07T00:00:00.000000+00:00",
        ),
    )
    conn.close()

    with Store.open(profile) as store:
        repo = store.opportunities
        [row] = repo.load_all_rows()
        assert row.key == "gigradar:opp-1"
        assert (row.sources, row.match_score) == ("GigRadar ×2 · UpHunt", 0.9)
        for key in ("gigradar:opp-1", "gigradar:opp-2", "uphunt:~01abc"):
            assert repo.primary_of(key) == "gigradar:opp-1"
            flags = repo.flags(key)
            assert flags is not None
            # Starred on one copy, archived on another, read first on the second.
            assert (flags.starred, flags.archived) == (True, True)
            assert flags.read_at is not None and flags.read_at.isoformat().startswith("2025-01-02")
        # Both drafts are still there, under the keys they were saved with.
        assert store.drafts.get("gigradar:opp-1") is not None
        draft = store.drafts.get("uphunt:~01abc")
        assert isinstance(draft, Draft) and draft.cover_letter == "Newer"


def test_the_editors_line_names_each_source_with_its_score(store: Store) -> None:
    repo = store.opportunities
    first, second, uphunt = _sources(1)
    repo.upsert_many([first])
    alone = repo.job(first.key)
    assert alone is not None and alone.sources == ()
    assert found_by_text(alone.all_sources) == "Found by GigRadar · React jobs (61%)"
    repo.upsert_many([second, uphunt])
    job = repo.job(first.key)
    assert job is not None
    assert found_by_text(job.all_sources) == (
        "Found by GigRadar · React jobs (61%), GigRadar · Frontend (92%), UpHunt"
    )
    # A source that says no more than the platform's badge needs no line.
    assert found_by_text(uphunt.all_sources) == ""
