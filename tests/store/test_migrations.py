"""Migrations: a database written at every earlier version opens, keeps its data, gets
the current schema, and leaves a backup of itself behind."""

from __future__ import annotations

import re
import sqlite3
import stat
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.account import Account
from app.domain.insights import Reached
from app.domain.opportunity import ClientInfo, JobKind, Opportunity, Platform, Question
from app.domain.submission import (
    LIVE_STATES,
    Bid,
    BidKind,
    Outcome,
    SubmissionState,
)
from app.store import (
    LATEST_VERSION,
    MIGRATIONS,
    CorruptDatabaseError,
    Database,
    Migration,
    NewerSchemaError,
    NotBidDeskDatabaseError,
    Store,
)
from app.store.backup import backups_dir, list_backups, make_backup
from app.store.insights import ActivityRepo, InsightsRepo
from app.store.migrations import LIVE_STATE_VALUES, check_sequence, migrate
from tests.store.factories import damage_pages, opportunity

EARLIER_VERSIONS = list(range(1, LATEST_VERSION))
T = "2025-01-01T00:01:00.000000+00:00"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# Rows as each version wrote them: literal SQL, not today's encoders, so a change in the
# encoders cannot quietly change what "an old database" looks like.
_V1_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = (
    (
        "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("main", "gigradar", "https://api.gigradar.io/public-api/v1", 2.5, "p-1", 1, T),
    ),
    (
        "INSERT INTO opportunities VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "gigradar:opp-1",
            "gigradar",
            "opp-1",
            "main",
            "~01abc",
            "Old job",
            "Desc",
            "https://www.upwork.com/jobs/~01abc",
            "fixed",
            125050,
            None,
            None,
            '["python","qt"]',
            "Dev",
            '{"name":"Acme","total_spent":"98765.43","rating":4.9}',
            '[{"id":"q1","text":"Why?"}]',
            0.5,
            16,
            "2025-01-01T00:00:00.000000+00:00",
            T,
            None,
            "open",
            '{"scanner_id":"sc-1"}',
            '{"id":"opp-1"}',
            T,
            T,
        ),
    ),
    (
        "INSERT INTO drafts VALUES (?, ?, ?)",
        (
            "gigradar:opp-1",
            '{"opportunity_key":"gigradar:opp-1","cover_letter":"Hi","bid":{"kind":"fixed",'
            '"amount":"1200.00","timeline":null,"boost_connects":null},"answers":[],'
            '"via":null,"account":null,"profile_id":null,"scheduled_at":null,'
            '"updated_at":"2025-01-01T00:02:00Z"}',
            "2025-01-01T00:02:00.000000+00:00",
        ),
    ),
    (
        "INSERT INTO submissions VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "sub-1",
            "gigradar:opp-1",
            "gigradar",
            "main",
            "upwork:~01abc",
            "submitted",
            "viewed",
            None,
            '{"application_id":"app-9"}',
            "VIEWED",
            "Hi",
            '{"kind":"fixed","amount":"1200.00","timeline":null,"boost_connects":null}',
            "[]",
            None,
            0,
            None,
            1,
            T,
            "2025-01-01T00:05:00.000000+00:00",
            "2025-01-01T00:03:00.000000+00:00",
        ),
    ),
    (
        "INSERT INTO submission_events VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("sub-1", 0, "2025-01-01T00:02:30.000000+00:00", "submitting", "none", "local", None),
    ),
    (
        "INSERT INTO submission_events VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("sub-1", 1, "2025-01-01T00:03:00.000000+00:00", "submitted", "none", "api", "sent"),
    ),
    (
        "INSERT INTO submission_events VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("sub-1", 2, "2025-01-01T00:05:00.000000+00:00", "submitted", "viewed", "poll", None),
    ),
    ("INSERT INTO settings VALUES (?, ?)", ("theme", '"dark"')),
    ("INSERT INTO settings VALUES (?, ?)", ("columns", '["title","budget"]')),
)
_V2_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = (
    (
        "UPDATE opportunities SET starred = 1, read_at = ? WHERE key = ?",
        ("2025-01-03T00:00:00.000000+00:00", "gigradar:opp-1"),
    ),
    (
        "INSERT INTO webhook_deliveries VALUES (?, ?, ?, ?)",
        ("gigradar", "evt-1", "2025-01-02T00:00:00.000000+00:00", b'{"event":"x"}'),
    ),
)
# Version 3 only added triggers: the v2 file's rows are what a v3 file holds too.
_V3_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = ()
# Version 4 only added an index.
_V4_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = ()
# Version 5 kept deliveries' processing state in the row: one answered and processed, one
# answered but cut short by a crash (to be replayed).
_V5_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = (
    (
        "INSERT INTO webhook_deliveries VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            "gigradar",
            "main/evt-done",
            "2025-01-04T00:00:00.000000+00:00",
            b'{"type":"x","data":{}}',
            "main",
            "x",
            "2025-01-04T00:00:01.000000+00:00",
        ),
    ),
    (
        "INSERT INTO webhook_deliveries VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            "gigradar",
            "main/evt-cut",
            "2025-01-04T00:00:02.000000+00:00",
            b'{"type":"y","data":{}}',
            "main",
            "y",
            None,
        ),
    ),
)
# Version 6 moved the pending deliveries into a table of its own; the migration copies
# them, and version 5's rows exercise that.
_V6_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = ()
# Version 7 added the competition column; version 8 (one row per job) groups rows by job
# and leaves that column alone, so no rows of a new kind.
_V7_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = ()
# Version 8 groups a job's rows: the rows written at 1-5 cross it, nothing new to write.
_V8_ROWS: tuple[tuple[str, tuple[object, ...]], ...] = ()
ROWS_BY_VERSION = {
    1: _V1_ROWS,
    2: _V2_ROWS,
    3: _V3_ROWS,
    4: _V4_ROWS,
    5: _V5_ROWS,
    6: _V6_ROWS,
    7: _V7_ROWS,
    8: _V8_ROWS,
    9: (),  # version 9 added a table of its own and an index: no rows of a new kind
    # version 10's team tables (claims, members, who signed a history entry) are written
    # on a team database only; a desktop of its own leaves them empty. Version 11's
    # counts and worked-on jobs are filled from the rows above (an opportunity with a
    # draft and a submission); version 12 only indexes a team database.
    10: (),
    11: (),  # derived tables, kept by triggers: nothing of a new kind to write
}


def build_database_at(path: Path, version: int) -> None:
    """A database file as BidDesk at `version` left it, with real rows in it.

    It lives its history: rows written by version 1, upgraded to 2, rows written by 2, and
    so on; the backups of those intermediate upgrades are removed so that the test sees
    only the backup made by the upgrade under test.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        for step in range(1, version + 1):
            migrate(conn, path, target=step)
            for sql, params in ROWS_BY_VERSION.get(step, ()):
                conn.execute(sql, params)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    finally:
        conn.close()
    for intermediate in list_backups(path):
        intermediate.path.unlink()


def _raw_query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_every_earlier_version_is_tested() -> None:
    # A new migration must come with rows written at every version before it (an empty
    # tuple is a conscious "this version wrote nothing new").
    assert set(EARLIER_VERSIONS) <= set(ROWS_BY_VERSION)
    assert EARLIER_VERSIONS, "there is more than one migration"


@pytest.mark.parametrize("version", EARLIER_VERSIONS)
def test_upgrade_keeps_data_and_backs_up(profile: Path, version: int) -> None:
    profile.mkdir()
    path = profile / "biddesk.sqlite3"
    build_database_at(path, version)

    with Store.open(profile) as store:
        assert store.db.schema_version() == LATEST_VERSION

        assert store.accounts.list() == [
            Account(
                name="main",
                platform=Platform.GIGRADAR,
                base_url="https://api.gigradar.io/public-api/v1",
                speed=2.5,
                default_profile_id="p-1",
                enabled=True,
                created_at=_at(T),
            )
        ]
        assert store.opportunities.get("gigradar:opp-1") == Opportunity(
            platform=Platform.GIGRADAR,
            external_id="opp-1",
            account="main",
            upwork_job_id="~01abc",
            title="Old job",
            description="Desc",
            url="https://www.upwork.com/jobs/~01abc",
            kind=JobKind.FIXED,
            budget=Decimal("1250.50"),
            skills=("python", "qt"),
            category="Dev",
            client=ClientInfo(name="Acme", total_spent=Decimal("98765.43"), rating=4.9),
            questions=(Question(id="q1", text="Why?"),),
            match_score=0.5,
            connects_price=16,
            posted_at=_at("2025-01-01T00:00:00+00:00"),
            detected_at=_at(T),
            context={"scanner_id": "sc-1"},
            raw={"id": "opp-1"},
        )
        flags = store.opportunities.flags("gigradar:opp-1")
        assert flags is not None
        assert flags.first_seen_at == _at(T)
        if version >= 2:
            assert flags.starred
            assert flags.read_at == _at("2025-01-03T00:00:00+00:00")
        else:  # the columns did not exist: defaults
            assert (flags.starred, flags.archived, flags.read_at) == (False, False, None)

        draft = store.drafts.get("gigradar:opp-1")
        assert draft is not None
        assert draft.bid == Bid(kind=BidKind.FIXED, amount=Decimal("1200.00"))

        sub = store.submissions.get("sub-1")
        assert sub is not None
        assert (sub.state, sub.outcome, sub.refs) == (
            SubmissionState.SUBMITTED,
            Outcome.VIEWED,
            {"application_id": "app-9"},
        )
        assert [(e.state, e.outcome, e.via) for e in sub.history] == [
            (SubmissionState.SUBMITTING, Outcome.NONE, "local"),
            (SubmissionState.SUBMITTED, Outcome.NONE, "api"),
            (SubmissionState.SUBMITTED, Outcome.VIEWED, "poll"),
        ]
        assert store.submissions.live_for("upwork:~01abc") == sub

        assert store.settings.all() == {"columns": ["title", "budget"], "theme": "dark"}
        deliveries = [(d.dedupe_key, d.raw, d.processed) for d in store.webhooks.recent(10)]
        if version >= 5:
            assert deliveries == [
                ("main/evt-cut", b'{"type":"y","data":{}}', False),
                ("main/evt-done", b'{"type":"x","data":{}}', True),
                ("evt-1", b'{"event":"x"}', True),
            ]
            # The one a crash cut short is still replayed after the upgrade, and only it.
            assert [(d.dedupe_key, d.account, d.event) for d in store.webhooks.pending()] == [
                ("main/evt-cut", "main", "y")
            ]
            store.webhooks.mark_processed([(Platform.GIGRADAR, "main/evt-cut")])
            assert store.webhooks.pending() == []
        elif version >= 2:
            assert deliveries == [("evt-1", b'{"event":"x"}', True)]
            # Delivered before the receiver queued its work: not replayed after the upgrade.
            assert store.webhooks.pending() == []
        else:
            assert deliveries == []

        # The current schema works on the upgraded file: new columns, tables, triggers.
        store.opportunities.set_archived("gigradar:opp-1")
        result = store.opportunities.upsert_many(
            [opportunity(1, external_id="opp-1", title="Old job, edited")]
        )
        assert result.changed == ("gigradar:opp-1",)
        after = store.opportunities.flags("gigradar:opp-1")
        assert after is not None
        assert after.archived
        assert after.first_seen_at == _at(T)
        assert store.webhooks.record(Platform.GIGRADAR, "evt-2", "{}")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.db.read() as conn:
            conn.execute("DELETE FROM submission_events")
        # Insights reads the upgraded history: the old proposal was sent and viewed.
        activity = ActivityRepo(store.db)
        activity.opened("gigradar:opp-1", _at(T))
        insights = InsightsRepo(store.db)
        try:
            [fact] = insights.facts()
            assert (fact.key, fact.sent, fact.reached) == ("gigradar:opp-1", True, Reached.VIEWED)
            assert fact.opened_at == _at(T)
            assert insights.seen(None, None)[Platform.GIGRADAR] == 1
            # Version 11's tables were filled from the old rows (and kept since by triggers).
            with store.db.read() as conn:
                days = conn.execute("SELECT platform, day, seen FROM opportunity_days").fetchall()
                jobs = conn.execute("SELECT key, detected_at FROM insight_jobs").fetchall()
            assert [tuple(d) for d in days] == [("gigradar", T[:10], 1)]
            assert [tuple(j) for j in jobs] == [("gigradar:opp-1", T)]
        finally:
            insights.close()

    # Exactly one backup: of the version found, not of every step on the way.
    [backup] = list_backups(path)
    assert backup.version == version
    assert backup.path.name.endswith(f"-v{version}.sqlite3")
    assert stat.S_IMODE(backup.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backups_dir(path).stat().st_mode) == 0o700
    assert _raw_query(backup.path, "PRAGMA user_version") == [(version,)]
    assert _raw_query(backup.path, "SELECT key, title FROM opportunities") == [
        ("gigradar:opp-1", "Old job")
    ]


def test_upgraded_schema_equals_fresh_schema(tmp_path: Path) -> None:
    def schema(path: Path) -> list[tuple[object, ...]]:
        # sqlite_stat1 is the planner's statistics (PRAGMA optimize at close analyses a
        # new index on a table with rows), not schema.
        return _raw_query(
            path,
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
            " WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name",
        )

    fresh = tmp_path / "fresh.sqlite3"
    with Database.open(fresh):
        pass
    for version in EARLIER_VERSIONS:
        old = tmp_path / f"v{version}.sqlite3"
        build_database_at(old, version)
        with Database.open(old):
            pass
        assert schema(old) == schema(fresh)


def test_final_opportunity_columns(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.read() as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(opportunities)")]
    assert columns[-7:] == [
        "first_seen_at",
        "updated_at",
        "read_at",
        "starred",
        "archived",
        "competition",
        "primary_key",
    ]
    assert {"budget_cents", "hourly_min_cents", "hourly_max_cents"} <= set(columns)


def test_fresh_database_has_no_backup(profile: Path) -> None:
    with Store.open(profile) as store:  # created now: nothing worth a copy yet
        daily = store.db.daily_backups
        assert daily is not None and daily.checked.wait(30)
    # Already current: nothing to migrate, nothing to copy (the daily backup aside).
    with Store.open(profile, daily_backups=False):
        pass
    assert list_backups(profile / "biddesk.sqlite3") == []


def test_a_failed_migration_leaves_the_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    build_database_at(path, 1)

    def half_done_then_bug(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE opportunities ADD COLUMN half TEXT")
        raise RuntimeError("bug in migration 2")

    broken = [MIGRATIONS[0], Migration(2, "broken", half_done_then_bug)]
    with pytest.raises(RuntimeError, match="bug in migration 2"):
        Database.open(path, migrations=broken)

    assert _raw_query(path, "PRAGMA user_version") == [(1,)]
    columns = [row[1] for row in _raw_query(path, "PRAGMA table_info(opportunities)")]
    assert "half" not in columns
    assert _raw_query(path, "SELECT count(*) FROM opportunities") == [(1,)]
    assert [b.version for b in list_backups(path)] == [1]
    with Database.open(path) as db:  # the real migrations still apply afterwards
        assert db.schema_version() == LATEST_VERSION


def test_callable_migration_and_then_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    with Store.open(tmp_path) as store:
        store.settings.set("theme", "dark")

    def backfill(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE settings ADD COLUMN note TEXT")
        conn.execute("UPDATE settings SET note = 'from ' || key")

    future = [*MIGRATIONS, Migration(LATEST_VERSION + 1, "future", backfill)]
    with Database.open(path, migrations=future) as db:
        assert db.schema_version() == LATEST_VERSION + 1
        with db.read() as conn:
            assert conn.execute("SELECT note FROM settings").fetchall() == [("from theme",)]
    assert [b.version for b in list_backups(path)] == [LATEST_VERSION]

    # This BidDesk only knows up to LATEST_VERSION: the file is from its future.
    with pytest.raises(NewerSchemaError):
        Database.open(path)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(NotBidDeskDatabaseError) as caught:
        Database.open(path)
    assert str(path) in caught.value.user_message
    assert _raw_query(path, "SELECT name FROM sqlite_master") == [("photos",)]


def test_live_index_matches_the_domain(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.read() as conn:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'submissions_one_live_per_job'"
        ).fetchone()
    assert set(re.findall(r"'(\w+)'", sql)) == {state.value for state in LIVE_STATES}
    assert set(LIVE_STATE_VALUES) == {state.value for state in LIVE_STATES}


@pytest.mark.parametrize(
    "versions", [[2, 3], [1, 3], [1, 1], [2, 1]], ids=["no-1", "gap", "dup", "order"]
)
def test_migration_list_must_be_contiguous(versions: list[int]) -> None:
    def noop(conn: sqlite3.Connection) -> None:
        pass

    with pytest.raises(ValueError, match=r"1\.\.n"):
        check_sequence([Migration(v, "x", noop) for v in versions])


def test_shipped_migrations_are_contiguous() -> None:
    check_sequence(MIGRATIONS)
    assert LATEST_VERSION == len(MIGRATIONS) >= 2


def test_backup_is_consistent_with_uncheckpointed_wal(tmp_path: Path) -> None:
    # The old version's latest rows may still sit in the -wal file: the backup API copies
    # what a reader sees, not just the main file.
    path = tmp_path / "biddesk.sqlite3"
    build_database_at(path, 1)
    keeper = sqlite3.connect(path, isolation_level=None)  # keeps the WAL from being folded
    try:
        keeper.execute("PRAGMA wal_autocheckpoint = 0")
        keeper.execute("INSERT INTO settings VALUES ('late', '1')")
        with Database.open(path):
            pass
    finally:
        keeper.close()
    [backup] = list_backups(path)
    assert ("late",) in _raw_query(backup.path, "SELECT key FROM settings")


def test_a_damaged_database_is_not_migrated(tmp_path: Path) -> None:
    # Its copy fails the check: no backup to go back to, so no upgrade either.
    path = tmp_path / "biddesk.sqlite3"
    build_database_at(path, 1)
    damage_pages(path)
    with pytest.raises(CorruptDatabaseError):
        Database.open(path)
    assert _raw_query(path, "PRAGMA user_version") == [(1,)]
    assert list_backups(path) == []
    assert list(backups_dir(path).glob("*.partial*")) == []


def test_backups_before_migrations_join_the_rotation(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    build_database_at(path, 1)
    conn = sqlite3.connect(path)
    try:
        for day in range(1, 8):  # seven daily backups, all newer than the upgrade's
            make_backup(conn, path, now=datetime(2025, 1, day, tzinfo=UTC))
    finally:
        conn.close()
    with Database.open(path, daily_backups=False):
        pass
    kept = list_backups(path)
    assert len(kept) == 7
    assert kept[0].version == 1 and kept[0].taken_at.year > 2025  # the upgrade's, kept
    assert kept[-1].taken_at == datetime(2025, 1, 2, tzinfo=UTC)  # the oldest one went
