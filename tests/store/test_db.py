"""Opening the database: permissions, pragmas, and every way the environment can fail."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from app.store import (
    CorruptDatabaseError,
    Database,
    DatabaseLockedError,
    DiskFullError,
    NewerSchemaError,
    ReadOnlyError,
    Store,
    StoreError,
)
from app.store.db import _Checkpointer
from app.store.migrations import LATEST_VERSION
from tests.store.factories import opportunity


def _permissions_bind_us() -> bool:
    """Whether chmod stops this process from writing (not so for root, or any process
    with CAP_DAC_OVERRIDE): probed, rather than guessed from the user id."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_bytes(b"")
        probe.chmod(0o400)
        try:
            with probe.open("ab"):
                return False
        except PermissionError:
            return True
        finally:
            probe.chmod(0o600)


PERMISSIONS_BIND = _permissions_bind_us()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_sentence(error: StoreError, path: Path) -> None:
    assert str(path) in error.user_message
    assert error.user_message.endswith(".")
    assert "\n" not in error.user_message
    assert "Traceback" not in error.user_message


# --- files and pragmas -------------------------------------------------------------


def test_new_profile_is_private(profile: Path) -> None:
    with Store.open(profile) as store:
        assert _mode(profile) == 0o700
        assert _mode(store.path) == 0o600
        store.settings.set("touch", 1)  # make sure the WAL and shared-memory files exist
        for suffix in ("-wal", "-shm"):
            side = store.path.with_name(store.path.name + suffix)
            assert side.exists()
            assert _mode(side) == 0o600  # SQLite copies the database file's mode


def test_existing_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    with Database.open(path):
        pass
    path.chmod(0o644)
    with Database.open(path):
        assert _mode(path) == 0o600


def test_existing_file_is_never_loosened(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    with Database.open(path):
        pass
    path.chmod(0o400)
    try:
        if not PERMISSIONS_BIND:  # root writes anyway; the mode is what we check here
            with Database.open(path):
                assert _mode(path) == 0o400
        else:
            with pytest.raises(ReadOnlyError):
                Database.open(path)
            assert _mode(path) == 0o400
    finally:
        path.chmod(0o600)


def test_pragmas(sqlite_db: Database) -> None:
    db = sqlite_db
    assert db.journal_mode() == "wal"
    with db.read() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192
    assert db.schema_version() == LATEST_VERSION
    assert db.quick_check() == []


def test_close_is_idempotent_and_use_after_close_is_a_bug(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "x.sqlite3")
    db.close()
    db.close()
    assert db.closed
    assert "closed" in repr(db)
    with pytest.raises(sqlite3.ProgrammingError), db.read():
        pass


# --- transactions ------------------------------------------------------------------


def _insert_setting_then_fail(db: Database, key: str) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, '1')", (key,))
        raise RuntimeError("boom")


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        _insert_setting_then_fail(store.db, "a")
    assert store.settings.get("a") is None


def test_nested_transaction_is_a_savepoint(store: Store) -> None:
    with store.db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('outer', '1')")
        with pytest.raises(RuntimeError):
            _insert_setting_then_fail(store.db, "inner")
    assert store.settings.get("outer") == 1
    assert store.settings.get("inner") is None


def test_sql_bugs_propagate_untranslated(sqlite_db: Database) -> None:
    db = sqlite_db
    with pytest.raises(sqlite3.OperationalError, match="no such table"), db.read() as conn:
        conn.execute("SELECT * FROM no_such_table")


def test_threads_share_one_database(store: Store) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(20):
                n = worker * 1000 + i
                store.opportunities.upsert_many([opportunity(n)])
                assert store.opportunities.get(opportunity(n).key) is not None
                store.settings.set(f"w{worker}", i)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.opportunities.count() == 80


# --- the environment failing ---------------------------------------------------------


def test_garbage_file_is_corrupt_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    path.write_bytes(b"this is not an SQLite database \x00\xff" * 500)
    with pytest.raises(CorruptDatabaseError) as caught:
        Database.open(path)
    _assert_sentence(caught.value, path)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_damaged_pages_are_corrupt(profile: Path) -> None:
    with Store.open(profile) as store:
        store.opportunities.upsert_many(opportunity(n) for n in range(300))
        path = store.path
        with store.db.read() as conn:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    # Keep page 1 (header and schema), overwrite the rest with noise.
    data = bytearray(path.read_bytes())
    data[page_size:] = bytes((i * 151 + 7) % 256 for i in range(len(data) - page_size))
    path.write_bytes(bytes(data))
    with (
        pytest.raises(CorruptDatabaseError) as caught,
        Store.open(profile, daily_backups=False) as damaged,  # its backup would fail too
    ):
        damaged.opportunities.all()
    _assert_sentence(caught.value, path)


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    with Database.open(path) as db, db.read() as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 7}")
    with pytest.raises(NewerSchemaError) as caught:
        Database.open(path)
    _assert_sentence(caught.value, path)
    assert caught.value.found == LATEST_VERSION + 7
    assert caught.value.known == LATEST_VERSION
    assert "newer BidDesk" in caught.value.user_message
    assert not (tmp_path / "backups").exists()  # refused before any copy
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 7
    raw.close()


def test_disk_full(sqlite_store: Store) -> None:
    store = sqlite_store
    with store.db.read() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        # The file may not grow by more than a few pages: the next big write fills it.
        conn.execute(f"PRAGMA max_page_count = {pages + 3}")
    before = store.opportunities.count()
    with pytest.raises(DiskFullError) as caught:
        store.opportunities.upsert_many(opportunity(n) for n in range(500))
    _assert_sentence(caught.value, store.path)
    assert caught.value.user_message.startswith("The disk holding")
    assert store.opportunities.count() == before  # the batch was rolled back as a whole
    with store.db.read() as conn:
        conn.execute("PRAGMA max_page_count = 1073741823")
    assert len(store.opportunities.upsert_many([opportunity(1)]).new) == 1


def test_locked_by_another_connection(profile: Path) -> None:
    with Store.open(profile, busy_timeout=0.05) as store:
        other = sqlite3.connect(store.path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(DatabaseLockedError) as caught:
                store.settings.set("k", "v")
            _assert_sentence(caught.value, store.path)
            with pytest.raises(DatabaseLockedError):
                Database.open(store.path, busy_timeout=0.05)
            other.execute("ROLLBACK")
        finally:
            other.close()
        store.settings.set("k", "v")
        assert store.settings.get("k") == "v"


@pytest.mark.skipif(
    not PERMISSIONS_BIND,
    reason="running as root (or with CAP_DAC_OVERRIDE): chmod does not stop writes; "
    "test_read_only_open_refuses_writes_with_a_sentence covers SQLITE_READONLY instead",
)
def test_read_only_file_and_folder(profile: Path) -> None:
    with Store.open(profile) as store:
        store.settings.set("k", "v")
        path = store.path
    path.chmod(0o400)
    profile.chmod(0o500)
    try:
        with pytest.raises(ReadOnlyError) as caught:
            Database.open(path)
        _assert_sentence(caught.value, path)
    finally:
        profile.chmod(0o700)
        path.chmod(0o600)


def test_read_only_open_refuses_writes_with_a_sentence(profile: Path) -> None:
    # Runs everywhere, root included: SQLite itself opens the file read-only (mode=ro),
    # so the write fails with SQLITE_READONLY exactly as on a read-only disk.
    with Store.open(profile) as store:
        store.settings.set("k", "v")
        path = store.path
    with Database.open(path, read_only=True) as db:
        read_only = Store(db)
        assert read_only.settings.get("k") == "v"
        with pytest.raises(ReadOnlyError) as caught:
            read_only.settings.set("k", "w")
        _assert_sentence(caught.value, path)
    with Store.open(profile) as store:
        assert store.settings.get("k") == "v"


def test_read_only_open_of_an_older_version_explains(tmp_path: Path) -> None:
    path = tmp_path / "biddesk.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("CREATE TABLE accounts (name TEXT)")
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    with pytest.raises(ReadOnlyError, match="needs upgrading"):
        Database.open(path, read_only=True)


def test_checkpoints_wait_for_writes_to_pause_unless_the_wal_outgrows_its_bound(
    sqlite_store: Store,
) -> None:
    store = sqlite_store
    store.opportunities.upsert_many([opportunity(i) for i in range(20)])
    path = store.path
    now, last_write = [100.0], [99.95]

    def checkpointer(force_bytes: int) -> _Checkpointer:
        return _Checkpointer(
            path, lambda: last_write[0], quiet=0.2, force_bytes=force_bytes, clock=lambda: now[0]
        )

    paced = checkpointer(force_bytes=1 << 30)
    assert paced._due() is None  # written 50 ms ago: a burst may be under way
    now[0] = 100.3
    assert paced._due() == "PASSIVE"  # writes paused for 350 ms
    assert paced._due() is None  # nothing written since that checkpoint
    last_write[0] = 100.31
    now[0] = 100.4
    assert paced._due() is None
    # A WAL past its bound is folded in and rewound even while writes go on.
    assert path.with_name(path.name + "-wal").stat().st_size > 1024
    assert checkpointer(force_bytes=1024)._due() == "RESTART"


def test_a_wal_past_its_soft_bound_is_folded_in_while_writes_go_on(sqlite_store: Store) -> None:
    store = sqlite_store  # the WAL is SQLite's
    # Webhooks at hundreds a second never pause for 200 ms: without this the WAL grew to
    # its hard bound, whose forced checkpoint held an acknowledgement for 3 s.
    store.opportunities.upsert_many([opportunity(i) for i in range(20)])
    now, last_write = [100.0], [99.99]
    steady = _Checkpointer(
        store.path, lambda: last_write[0], quiet=0.2, soft_bytes=1024, clock=lambda: now[0]
    )
    assert steady._due() == "PASSIVE"  # written 10 ms ago, but the WAL is past 1 KiB
    last_write[0], now[0] = 100.05, 100.1
    assert steady._due() is None  # not again within 250 ms
    last_write[0], now[0] = 100.3, 100.36
    assert steady._due() == "PASSIVE"
    small = _Checkpointer(
        store.path, lambda: last_write[0], quiet=0.2, soft_bytes=1 << 30, clock=lambda: now[0]
    )
    assert small._due() is None  # under its soft bound: waits for writes to pause
