"""The database schema as a numbered list of migrations, driven by `PRAGMA user_version`.

A fresh file is built by running every migration in order, exactly like an old file is
upgraded, so there is one schema history and it is the one the tests exercise from every
earlier version. Rules for adding one:

- append a `Migration` with the next number; never edit a released one;
- keep it additive where possible (SQLite's ALTER TABLE is limited); a table rebuild needs
  a callable migration, and `PRAGMA foreign_keys` cannot change inside its transaction;
- add rows written at the previous version to `tests/store/test_migrations.py`.

Before an existing database is migrated it is backed up into the profile's `backups/`
folder (`app.store.backup`: SQLite's backup API, so the copy is consistent even with a WAL
file beside it; named with the time and the version it had). A damaged database is not
migrated: its copy fails the check and the open fails with `CorruptDatabaseError`. Each
migration runs in its own transaction that also sets `user_version`, so a failure leaves
the file at the last version that completed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.domain.submission import LIVE_STATES
from app.store.backup import make_backup
from app.store.errors import (
    BackupError,
    CorruptDatabaseError,
    NewerSchemaError,
    NotBidDeskDatabaseError,
)

log = logging.getLogger(__name__)

# One place for the live states, both in the partial unique index below and in queries.
# Sorted so the index text is stable; tests check it still matches the domain.
LIVE_STATE_VALUES: tuple[str, ...] = tuple(sorted(state.value for state in LIVE_STATES))
_LIVE_SQL = ", ".join(f"'{value}'" for value in LIVE_STATE_VALUES)


@dataclass(frozen=True)
class Migration:
    """One step of the schema: SQL statements, or a callable for what SQL cannot say.

    Statements are run one by one inside the migration's transaction (`executescript`
    would commit first, breaking the all-or-nothing step).
    """

    version: int
    description: str
    apply: Sequence[str] | Callable[[sqlite3.Connection], None]
    # The same step for a team database (PostgreSQL), when `app.store.dialect` cannot
    # translate `apply` (a callable, a trigger with a body): statements run as given.
    postgres: Sequence[str] | None = None

    def run(self, conn: sqlite3.Connection) -> None:
        if callable(self.apply):
            self.apply(conn)
        else:
            for statement in self.apply:
                conn.execute(statement)


def _money(column: str) -> str:
    # SQLite would happily keep 12.5 in an INTEGER column; money must stay whole cents.
    return f"{column} INTEGER CHECK (typeof({column}) IN ('integer', 'null'))"


_V1_INITIAL = (
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY NOT NULL,
        platform TEXT NOT NULL,
        base_url TEXT NOT NULL,
        speed REAL NOT NULL DEFAULT 1.0,
        default_profile_id TEXT,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    )
    """,
    f"""
    CREATE TABLE opportunities (
        key TEXT PRIMARY KEY NOT NULL,
        platform TEXT NOT NULL,
        external_id TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        upwork_job_id TEXT,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        url TEXT,
        kind TEXT NOT NULL,
        {_money("budget_cents")},
        {_money("hourly_min_cents")},
        {_money("hourly_max_cents")},
        skills TEXT NOT NULL DEFAULT '[]',
        category TEXT,
        client TEXT NOT NULL DEFAULT '{{}}',
        questions TEXT NOT NULL DEFAULT '[]',
        match_score REAL,
        connects_price INTEGER,
        posted_at TEXT,
        detected_at TEXT NOT NULL,
        deadline TEXT,
        status TEXT NOT NULL,
        context TEXT NOT NULL DEFAULT '{{}}',
        raw TEXT NOT NULL DEFAULT '{{}}',
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX opportunities_platform ON opportunities (platform)",
    "CREATE INDEX opportunities_detected_at ON opportunities (detected_at)",
    "CREATE INDEX opportunities_upwork_job_id ON opportunities (upwork_job_id)"
    " WHERE upwork_job_id IS NOT NULL",
    """
    CREATE TABLE drafts (
        opportunity_key TEXT PRIMARY KEY NOT NULL,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE submissions (
        id TEXT PRIMARY KEY NOT NULL,
        opportunity_key TEXT NOT NULL,
        platform TEXT NOT NULL,
        account TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        state TEXT NOT NULL,
        outcome TEXT NOT NULL,
        failure TEXT,
        refs TEXT NOT NULL DEFAULT '{}',
        platform_status TEXT,
        cover_letter TEXT NOT NULL,
        bid TEXT NOT NULL,
        answers TEXT NOT NULL DEFAULT '[]',
        profile_id TEXT,
        auto_fill_questions INTEGER NOT NULL DEFAULT 0,
        scheduled_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        submitted_at TEXT
    )
    """,
    # The rule "at most one live proposal per job" lives in the database itself, so two
    # windows (two processes) racing to send cannot both win.
    f"CREATE UNIQUE INDEX submissions_one_live_per_job ON submissions (dedupe_key)"
    f" WHERE state IN ({_LIVE_SQL})",
    "CREATE INDEX submissions_opportunity ON submissions (opportunity_key)",
    "CREATE INDEX submissions_state ON submissions (state)",
    "CREATE INDEX submissions_created_at ON submissions (created_at)",
    """
    CREATE TABLE submission_events (
        submission_id TEXT NOT NULL REFERENCES submissions (id),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        outcome TEXT NOT NULL,
        via TEXT NOT NULL,
        detail TEXT,
        PRIMARY KEY (submission_id, seq)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    )
    """,
)

_V2_FLAGS_AND_WEBHOOKS = (
    # The user's own marks on an opportunity; an upsert from a platform never touches them.
    "ALTER TABLE opportunities ADD COLUMN read_at TEXT",
    "ALTER TABLE opportunities ADD COLUMN starred INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE opportunities ADD COLUMN archived INTEGER NOT NULL DEFAULT 0",
    # Delivery ids already processed, so a replayed webhook is recognised even after a
    # restart; the body is kept for inspection.
    """
    CREATE TABLE webhook_deliveries (
        platform TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body BLOB,
        PRIMARY KEY (platform, dedupe_key)
    )
    """,
    "CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at)",
)

_V3_APPEND_ONLY_HISTORY = (
    # History is evidence of what was sent when; the database refuses to rewrite it.
    """
    CREATE TRIGGER submission_events_no_update BEFORE UPDATE ON submission_events
    BEGIN
        SELECT RAISE(ABORT, 'submission history is append-only');
    END
    """,
    """
    CREATE TRIGGER submission_events_no_delete BEFORE DELETE ON submission_events
    BEGIN
        SELECT RAISE(ABORT, 'submission history is append-only');
    END
    """,
)

# The inbox loads newest first with the key as a tie-break. An index on detected_at
# alone leaves SQLite sorting every row by key in a temporary B-tree: 2.3 s instead of
# 0.8 s for 100,000 opportunities. This one serves the whole ORDER BY.
_V4_NEWEST_INDEX: tuple[str, ...] = (
    "CREATE INDEX opportunities_newest ON opportunities (detected_at DESC, key)",
    "DROP INDEX opportunities_detected_at",
)

# A delivery is answered 200 before it is processed (platforms retry anything slower than a
# few seconds), so the database must remember which ones were processed: a crash between
# the answer and the processing replays the delivery on the next start instead of losing
# it. Older rows predate the receiver's queue and count as processed.
_V5_DELIVERY_PROCESSING: tuple[str, ...] = (
    "ALTER TABLE webhook_deliveries ADD COLUMN account TEXT",
    "ALTER TABLE webhook_deliveries ADD COLUMN event TEXT",
    "ALTER TABLE webhook_deliveries ADD COLUMN processed_at TEXT",
    "UPDATE webhook_deliveries SET processed_at = received_at",
    "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (received_at)"
    " WHERE processed_at IS NULL",
)

# Marking a delivery processed rewrote its whole row, body included (a GigRadar opportunity
# is ~3 KB of JSON): every half second under a burst, 250 rows rewritten in one go stalled
# the loop 4–8 ms, enough to put webhook acknowledgements over their 5 ms budget. What is
# still to be processed is now a row of its own in a small table, and marking a delivery
# processed deletes that row. The old processed_at column stays, no longer written: dropping
# it needs SQLite 3.35, and a Python 3.11 built against an older system SQLite would then
# fail to open the database at all.
_V6_PENDING_TABLE: tuple[str, ...] = (
    """
    CREATE TABLE webhook_pending (
        platform TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        PRIMARY KEY (platform, dedupe_key)
    ) WITHOUT ROWID
    """,
    "INSERT INTO webhook_pending (platform, dedupe_key)"
    " SELECT platform, dedupe_key FROM webhook_deliveries WHERE processed_at IS NULL",
    "DROP INDEX webhook_deliveries_pending",
)

# Competition on the job (proposals so far, interviewing, invites sent), as JSON: the
# light rows the inbox loads at start-up carry it for its filters and the editor's header.
_V7_COMPETITION: tuple[str, ...] = (
    "ALTER TABLE opportunities ADD COLUMN competition TEXT NOT NULL DEFAULT '{}'",
)

# One inbox row per job (issue 16): GigRadar makes one opportunity per scanner × job, and
# UpHunt reaches the same Upwork job, so several rows may hold one job. The first one
# seen stays the job's row (`primary_key` NULL); the others name it in `primary_key` and
# are the job's further sources. The user's marks are one per job: the earlier copies'
# marks are merged (read if any was read, the earliest time; starred or archived if any
# was) and written to every row of the job.
_GROUP = (
    "SELECT {agg} FROM opportunities AS m"
    " WHERE m.key = opportunities.key OR m.primary_key = opportunities.key"
)
_OF_ROW = "(SELECT p.{column} FROM opportunities AS p WHERE p.key = opportunities.primary_key)"
_V8_ONE_ROW_PER_JOB: tuple[str, ...] = (
    "ALTER TABLE opportunities ADD COLUMN primary_key TEXT",
    """
    UPDATE opportunities SET primary_key = (
        SELECT p.key FROM opportunities AS p WHERE p.upwork_job_id = opportunities.upwork_job_id
        ORDER BY p.first_seen_at, p.detected_at, p.key LIMIT 1
    ) WHERE upwork_job_id IS NOT NULL
    """,
    "UPDATE opportunities SET primary_key = NULL WHERE primary_key = key",
    "CREATE INDEX opportunities_primary_key ON opportunities (primary_key)"
    " WHERE primary_key IS NOT NULL",
    "UPDATE opportunities SET"
    f" read_at = ({_GROUP.format(agg='min(m.read_at)')}),"
    f" starred = ({_GROUP.format(agg='max(m.starred)')}),"
    f" archived = ({_GROUP.format(agg='max(m.archived)')})"
    " WHERE key IN (SELECT primary_key FROM opportunities WHERE primary_key IS NOT NULL)",
    "UPDATE opportunities SET"
    f" read_at = {_OF_ROW.format(column='read_at')},"
    f" starred = {_OF_ROW.format(column='starred')},"
    f" archived = {_OF_ROW.format(column='archived')}"
    " WHERE primary_key IS NOT NULL",
)

# Insights (issue 18). Speed-to-proposal is measured on real use: when the editor first
# showed a job, when its draft was ready, how long the user spent on it, and which
# template and profile made the letter (nothing else records them). And the funnel
# counts the opportunities seen per platform in a period: with (platform, detected_at)
# that is three index range counts, ~20 ms at 1,000,000 rows, instead of a table scan.
# The index replaces the one on platform alone, which it serves as a prefix.
_V9_INSIGHTS: tuple[str, ...] = (
    """
    CREATE TABLE proposal_activity (
        opportunity_key TEXT PRIMARY KEY NOT NULL,
        notified_at TEXT,
        opened_at TEXT,
        draft_ready_at TEXT,
        active_ms INTEGER NOT NULL DEFAULT 0,
        template TEXT,
        profile TEXT,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX opportunities_platform_detected ON opportunities (platform, detected_at)",
    "DROP INDEX IF EXISTS opportunities_platform",
)

# A team on one database (PostgreSQL): who did each step of a submission; who is writing
# which job's proposal (a claim, until released or its holder goes quiet); and who is
# connected, with a role ("desktop" or "server": the team server's heartbeat).
_V10_TEAM: tuple[str, ...] = (
    "ALTER TABLE submission_events ADD COLUMN member TEXT",
    """
    CREATE TABLE claims (
        opportunity_key TEXT PRIMARY KEY NOT NULL,
        member TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        active_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE team_members (
        name TEXT PRIMARY KEY NOT NULL,
        role TEXT NOT NULL,
        seen_at TEXT NOT NULL
    )
    """,
)

# Insights at a year of data (issue 18's budgets: open < 300 ms, a filter change < 100 ms
# at 1,000,000 opportunities and 20,000 proposals, on both backends).
#
# - `opportunity_days`: opportunities seen per platform and UTC day, kept by triggers as
#   rows are inserted, moved (platform or detection day changed) and deleted, so any
#   writer (the repositories, an import, a retention delete, another desktop of the team)
#   keeps it exact in the same transaction. A period's "seen" is then a sum over ~365 rows
#   per platform plus exact index counts of its two partial days, instead of counting up
#   to 1,000,000 index entries (PostgreSQL: ~480 ms per new period; SQLite: ~150 ms for a
#   year). Archiving changes nothing here: the funnel counts archived jobs too.
# - `insight_jobs`: the columns Insights reads of each opportunity someone worked on (a
#   draft, a submission or the editor's measurements), copied there by triggers and kept
#   in step with the opportunity. Reading 20,000 facts was 20,000 primary-key lookups into
#   the big table (~200 ms on SQLite, more on PostgreSQL, each time the view opened cold);
#   it is now one scan of a small table, which an index on detected_at also cuts to a
#   period.
#
# Both are backfilled here. A day is the first ten characters of the fixed-width UTC text
# `detected_at` is stored as (`_codec.dt_to_text`). Opportunities are written with
# `INSERT ... ON CONFLICT DO UPDATE` (OpportunityRepo.upsert_many), never `INSERT OR
# REPLACE`: on SQLite the delete a REPLACE does fires no trigger (unless
# recursive_triggers is on), so a replaced row would be counted twice.
_INSIGHT_JOB_COLUMNS = (
    "key, platform, detected_at, posted_at, kind, budget_cents, hourly_min_cents,"
    " hourly_max_cents, skills, category, client, match_score, connects_price"
)
_NEW_JOB = ", ".join(f"NEW.{c.strip()}" for c in _INSIGHT_JOB_COLUMNS.split(","))
_JOB_UPDATE = ", ".join(
    f"{c.strip()} = NEW.{c.strip()}" for c in _INSIGHT_JOB_COLUMNS.split(",")[1:]
)
_WORKED_TABLES = ("drafts", "submissions", "proposal_activity")
_IS_WORKED = " OR ".join(
    f"EXISTS (SELECT 1 FROM {t} WHERE opportunity_key = {{key}})" for t in _WORKED_TABLES
)
_SQLITE_DAY = "substr({row}.detected_at, 1, 10)"
_V11_INSIGHTS_AT_SCALE: tuple[str, ...] = (
    """
    CREATE TABLE opportunity_days (
        platform TEXT NOT NULL,
        day TEXT NOT NULL,
        seen INTEGER NOT NULL,
        PRIMARY KEY (platform, day)
    ) WITHOUT ROWID
    """,
    f"""
    CREATE TRIGGER opportunity_days_insert AFTER INSERT ON opportunities
    BEGIN
        INSERT INTO opportunity_days (platform, day, seen)
        VALUES (NEW.platform, {_SQLITE_DAY.format(row="NEW")}, 1)
        ON CONFLICT (platform, day) DO UPDATE SET seen = seen + 1;
    END
    """,
    f"""
    CREATE TRIGGER opportunity_days_delete AFTER DELETE ON opportunities
    BEGIN
        UPDATE opportunity_days SET seen = seen - 1
        WHERE platform = OLD.platform AND day = {_SQLITE_DAY.format(row="OLD")};
    END
    """,
    f"""
    CREATE TRIGGER opportunity_days_move AFTER UPDATE OF platform, detected_at ON opportunities
    WHEN OLD.platform IS NOT NEW.platform
        OR {_SQLITE_DAY.format(row="OLD")} IS NOT {_SQLITE_DAY.format(row="NEW")}
    BEGIN
        UPDATE opportunity_days SET seen = seen - 1
        WHERE platform = OLD.platform AND day = {_SQLITE_DAY.format(row="OLD")};
        INSERT INTO opportunity_days (platform, day, seen)
        VALUES (NEW.platform, {_SQLITE_DAY.format(row="NEW")}, 1)
        ON CONFLICT (platform, day) DO UPDATE SET seen = seen + 1;
    END
    """,
    "INSERT INTO opportunity_days (platform, day, seen)"
    " SELECT platform, substr(detected_at, 1, 10), count(*) FROM opportunities"
    " GROUP BY platform, substr(detected_at, 1, 10)",
    f"""
    CREATE TABLE insight_jobs (
        key TEXT PRIMARY KEY NOT NULL,
        platform TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        posted_at TEXT,
        kind TEXT NOT NULL,
        {_money("budget_cents")},
        {_money("hourly_min_cents")},
        {_money("hourly_max_cents")},
        skills TEXT NOT NULL,
        category TEXT,
        client TEXT NOT NULL,
        match_score REAL,
        connects_price INTEGER
    )
    """,
    "CREATE INDEX insight_jobs_detected_at ON insight_jobs (detected_at)",
    *(
        f"""
        CREATE TRIGGER insight_jobs_from_{table} AFTER INSERT ON {table}
        BEGIN
            INSERT INTO insight_jobs ({_INSIGHT_JOB_COLUMNS})
            SELECT {_INSIGHT_JOB_COLUMNS} FROM opportunities
            WHERE key = NEW.opportunity_key
            AND NOT EXISTS (SELECT 1 FROM insight_jobs WHERE key = NEW.opportunity_key);
        END
        """
        for table in _WORKED_TABLES
    ),
    *(
        f"""
        CREATE TRIGGER insight_jobs_left_{table} AFTER DELETE ON {table}
        WHEN NOT ({_IS_WORKED.format(key="OLD.opportunity_key")})
        BEGIN
            DELETE FROM insight_jobs WHERE key = OLD.opportunity_key;
        END
        """
        for table in _WORKED_TABLES
    ),
    f"""
    CREATE TRIGGER insight_jobs_opportunity_insert AFTER INSERT ON opportunities
    WHEN {_IS_WORKED.format(key="NEW.key")}
    BEGIN
        INSERT INTO insight_jobs ({_INSIGHT_JOB_COLUMNS}) VALUES ({_NEW_JOB})
        ON CONFLICT (key) DO UPDATE SET {_JOB_UPDATE.replace("NEW.", "excluded.")};
    END
    """,
    f"""
    CREATE TRIGGER insight_jobs_opportunity_update
    AFTER UPDATE OF {_INSIGHT_JOB_COLUMNS} ON opportunities
    BEGIN
        UPDATE insight_jobs SET {_JOB_UPDATE} WHERE key = NEW.key;
    END
    """,
    """
    CREATE TRIGGER insight_jobs_opportunity_delete AFTER DELETE ON opportunities
    BEGIN
        DELETE FROM insight_jobs WHERE key = OLD.key;
    END
    """,
    f"INSERT INTO insight_jobs ({_INSIGHT_JOB_COLUMNS})"
    f" SELECT {', '.join('o.' + c.strip() for c in _INSIGHT_JOB_COLUMNS.split(','))}"
    f" FROM ({' UNION '.join(f'SELECT opportunity_key FROM {t}' for t in _WORKED_TABLES)})"
    " AS worked JOIN opportunities AS o ON o.key = worked.opportunity_key",
)

# The same on PostgreSQL. The counts are kept by statement-level triggers over transition
# tables (one aggregate per statement: a COPY of 1,000,000 rows is one trigger call, not
# a million); writes to a team database hold its write lock (`PgDatabase.transaction`),
# so two desktops never update the same day's row in opposite orders.
_PG_DAY = "substr(detected_at, 1, 10)"
_PG_ADD_DAYS = (
    "INSERT INTO opportunity_days (platform, day, seen)"
    " SELECT platform, day, sum(n) FROM ({rows}) AS c"
    " GROUP BY platform, day HAVING sum(n) <> 0 ORDER BY platform, day"
    " ON CONFLICT (platform, day) DO UPDATE SET seen = opportunity_days.seen + excluded.seen;"
)
_PG_JOB_COLUMNS = ", ".join(
    f"{c.strip()} {t}"
    for c, t in zip(
        _INSIGHT_JOB_COLUMNS.split(","),
        (
            'TEXT COLLATE "C" PRIMARY KEY NOT NULL',
            'TEXT COLLATE "C" NOT NULL',
            'TEXT COLLATE "C" NOT NULL',
            'TEXT COLLATE "C"',
            'TEXT COLLATE "C" NOT NULL',
            "BIGINT",
            "BIGINT",
            "BIGINT",
            'TEXT COLLATE "C" NOT NULL',
            'TEXT COLLATE "C"',
            'TEXT COLLATE "C" NOT NULL',
            "DOUBLE PRECISION",
            "BIGINT",
        ),
        strict=True,
    )
)


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$"
        f" BEGIN {body} RETURN NULL; END $body$"
    )


_V11_POSTGRES: tuple[str, ...] = (
    'CREATE TABLE opportunity_days (platform TEXT COLLATE "C" NOT NULL,'
    ' day TEXT COLLATE "C" NOT NULL, seen BIGINT NOT NULL, PRIMARY KEY (platform, day))',
    f"CREATE TABLE insight_jobs ({_PG_JOB_COLUMNS})",
    "CREATE INDEX insight_jobs_detected_at ON insight_jobs (detected_at)",
    _pg_function(
        "opportunities_inserted_fn",
        _PG_ADD_DAYS.format(rows=f"SELECT platform, {_PG_DAY} AS day, 1 AS n FROM new_rows")
        + f" INSERT INTO insight_jobs ({_INSIGHT_JOB_COLUMNS})"
        f" SELECT {_INSIGHT_JOB_COLUMNS} FROM new_rows"
        f" WHERE {_IS_WORKED.format(key='new_rows.key')}"
        f" ON CONFLICT (key) DO UPDATE SET {_JOB_UPDATE.replace('NEW.', 'EXCLUDED.')};",
    ),
    "CREATE TRIGGER opportunities_inserted AFTER INSERT ON opportunities"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION opportunities_inserted_fn()",
    _pg_function(
        "opportunities_deleted_fn",
        _PG_ADD_DAYS.format(rows=f"SELECT platform, {_PG_DAY} AS day, -1 AS n FROM old_rows")
        + " DELETE FROM insight_jobs WHERE key IN (SELECT key FROM old_rows);",
    ),
    "CREATE TRIGGER opportunities_deleted AFTER DELETE ON opportunities"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
    " EXECUTE FUNCTION opportunities_deleted_fn()",
    _pg_function(
        "opportunities_truncated_fn", "DELETE FROM opportunity_days; DELETE FROM insight_jobs;"
    ),
    "CREATE TRIGGER opportunities_truncated AFTER TRUNCATE ON opportunities"
    " FOR EACH STATEMENT EXECUTE FUNCTION opportunities_truncated_fn()",
    # An update (rare for these columns: a job's detection time is kept by the upsert) is
    # one row at a time, and only when a column Insights reads is set.
    _pg_function(
        "opportunity_changed_fn",
        "IF OLD.platform IS DISTINCT FROM NEW.platform"
        " OR substr(OLD.detected_at, 1, 10) IS DISTINCT FROM substr(NEW.detected_at, 1, 10)"
        " THEN "
        + _PG_ADD_DAYS.format(
            rows="SELECT OLD.platform AS platform, substr(OLD.detected_at, 1, 10) AS day,"
            " -1 AS n UNION ALL SELECT NEW.platform, substr(NEW.detected_at, 1, 10), 1"
        )
        + " END IF;"
        f" UPDATE insight_jobs SET {_JOB_UPDATE} WHERE key = NEW.key;",
    ),
    f"CREATE TRIGGER opportunity_changed AFTER UPDATE OF {_INSIGHT_JOB_COLUMNS}"
    " ON opportunities FOR EACH ROW EXECUTE FUNCTION opportunity_changed_fn()",
    _pg_function(
        "insight_job_worked_fn",
        f"INSERT INTO insight_jobs ({_INSIGHT_JOB_COLUMNS})"
        f" SELECT {_INSIGHT_JOB_COLUMNS} FROM opportunities WHERE key = NEW.opportunity_key"
        " ON CONFLICT (key) DO NOTHING;",
    ),
    _pg_function(
        "insight_job_left_fn",
        f"IF NOT ({_IS_WORKED.format(key='OLD.opportunity_key')}) THEN"
        " DELETE FROM insight_jobs WHERE key = OLD.opportunity_key; END IF;",
    ),
    *(
        f"CREATE TRIGGER insight_jobs_from_{table} AFTER INSERT ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION insight_job_worked_fn()"
        for table in _WORKED_TABLES
    ),
    *(
        f"CREATE TRIGGER insight_jobs_left_{table} AFTER DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION insight_job_left_fn()"
        for table in _WORKED_TABLES
    ),
    # Backfill after the triggers exist: CREATE TRIGGER locks the tables against other
    # desktops' writes until this step commits, so nothing lands between count and trigger.
    f"INSERT INTO opportunity_days (platform, day, seen)"
    f" SELECT platform, {_PG_DAY}, count(*) FROM opportunities GROUP BY 1, 2",
    _V11_INSIGHTS_AT_SCALE[-1],
)

MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _V1_INITIAL),
    Migration(
        2, "opportunity flags (read, starred, archived); webhook deliveries", _V2_FLAGS_AND_WEBHOOKS
    ),
    Migration(3, "submission history is append-only", _V3_APPEND_ONLY_HISTORY),
    Migration(4, "an index in the inbox's load order", _V4_NEWEST_INDEX),
    Migration(
        5, "webhook deliveries remember whether they were processed", _V5_DELIVERY_PROCESSING
    ),
    Migration(6, "unprocessed webhook deliveries in a table of their own", _V6_PENDING_TABLE),
    Migration(7, "competition on a job: proposals, interviewing, invites", _V7_COMPETITION),
    Migration(8, "one inbox row per job: other sources name the job's row", _V8_ONE_ROW_PER_JOB),
    Migration(9, "proposal activity and an index for the insights funnel", _V9_INSIGHTS),
    Migration(10, "a team: who did what, claims, members", _V10_TEAM),
    Migration(
        11,
        "insights at scale: opportunities seen per day, the worked-on jobs' columns",
        _V11_INSIGHTS_AT_SCALE,
        postgres=_V11_POSTGRES,
    ),
    # SQLite's rowid is the table's own b-tree; the rowid column the translation gives a
    # team database has no index, and the inbox reads its pages and checks its query's
    # candidates by rowid (`rows_by_rowid`, `search_texts`): each was a scan of the whole
    # table (at 100,000 rows, 80 ms a page). Nothing to do on SQLite.
    Migration(
        12,
        "the inbox reads rows by rowid: indexed on a team database",
        (),
        postgres=("CREATE UNIQUE INDEX opportunities_rowid ON opportunities (rowid)",),
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version


def check_sequence(migrations: Sequence[Migration]) -> None:
    """Versions must be 1, 2, 3, ...: a gap or a duplicate is a programming error."""
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1..n in order, got {versions}")


def user_version(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return int(version)


def _has_foreign_objects(conn: sqlite3.Connection) -> bool:
    # sqlite_master, not its newer alias sqlite_schema: Linux builds use the system SQLite.
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(row[0])


def migrate(
    conn: sqlite3.Connection,
    db_file: Path,
    *,
    migrations: Sequence[Migration] = MIGRATIONS,
    target: int | None = None,
) -> int:
    """Bring the database to `target` (default: the latest version); return the old version.

    `conn` must be in autocommit mode (isolation_level=None). Raises `NewerSchemaError`
    for a file from a newer BidDesk, before touching it.
    """
    check_sequence(migrations)
    known = migrations[-1].version if migrations else 0
    goal = known if target is None else target
    current = user_version(conn)
    if current > known:
        raise NewerSchemaError(db_file, current, known)
    if current == 0 and _has_foreign_objects(conn):
        raise NotBidDeskDatabaseError(db_file)
    if current >= goal:
        return current
    if current > 0:
        try:
            copy = make_backup(conn, db_file)
        except BackupError as exc:
            raise CorruptDatabaseError(db_file) from exc
        log.info("Backed up %s (version %d) to %s before migrating", db_file, current, copy.path)
    for migration in migrations:
        if migration.version <= current:
            continue
        if migration.version > goal:
            break
        _run_one(conn, migration, db_file)
    return current


def _run_one(conn: sqlite3.Connection, migration: Migration, db_file: Path) -> None:
    # IMMEDIATE takes the write lock first, so two BidDesk processes starting together
    # cannot both run the same step; the version is re-read under that lock.
    conn.execute("BEGIN IMMEDIATE")
    try:
        if user_version(conn) >= migration.version:
            conn.execute("ROLLBACK")
            return
        log.info(
            "Migrating %s to version %d: %s", db_file, migration.version, migration.description
        )
        migration.run(conn)
        # PRAGMA takes no parameters; the version is our own int.
        conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        conn.execute("COMMIT")
    except BaseException:
        rollback_quietly(conn)
        raise


def rollback_quietly(conn: sqlite3.Connection) -> None:
    """Roll back after a failure without letting a second error hide the first."""
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.warning("Rollback failed after an error", exc_info=True)
