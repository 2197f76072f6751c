"""Backups: made private and rotated, daily on a thread of their own, checked before they
are kept; restored only after the backup passes its checks and nobody has the file open."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.store import Database, Store
from app.store import backup as backup_module
from app.store.backup import (
    KEEP,
    BackupInfo,
    DailyBackups,
    Problem,
    backup_due,
    backup_file,
    backup_name,
    backups_dir,
    database_in_use,
    inspect,
    latest_good_backup,
    list_backups,
    parse_backup_name,
    restore,
    restore_latest,
)
from app.store.errors import BackupError, ProfileInUseError, StoreError
from app.store.migrations import LATEST_VERSION
from tests.store.factories import damage_pages, profile_with, stored_keys, write_garbage

NOW = datetime(2026, 12, 7, 5, 4, 3, 123456, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- names, rotation, permissions ----------------------------------------------------


def test_names_sort_by_time_and_carry_the_version(tmp_path: Path) -> None:
    db_file = tmp_path / "biddesk.sqlite3"
    name = backup_name(db_file, NOW, 6)
    assert name == "biddesk-20261207T050403.123Z-v6.sqlite3"
    info = parse_backup_name(tmp_path / name, "biddesk")
    assert info == BackupInfo(tmp_path / name, NOW.replace(microsecond=123000), 6)
    # Fixed width: name order is time order, across digits that change length elsewhere.
    times = [NOW + timedelta(days=d, milliseconds=m) for d in (0, 1, 30, 400) for m in (0, 9)]
    names = [backup_name(db_file, t, 10) for t in times]
    assert sorted(names) == names
    # Other files in the folder are not backups of this database.
    for other in ("notes.txt", name + ".partial", name.replace("biddesk", "other", 1)):
        assert parse_backup_name(tmp_path / other, "biddesk") is None


def test_rotation_keeps_the_newest_seven_private(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 3)
    folder = backups_dir(db_file)
    made = [backup_file(db_file, now=NOW + timedelta(days=d)) for d in range(KEEP + 3)]
    kept = list_backups(db_file)
    assert KEEP == 7
    assert [b.path for b in kept] == [b.path for b in reversed(made[-KEEP:])]
    assert all(not b.path.exists() for b in made[:3])
    assert sorted(p.name for p in folder.iterdir()) == sorted(b.path.name for b in kept)
    assert _mode(folder) == 0o700
    for info in kept:
        assert _mode(info.path) == 0o600
        assert info.version == LATEST_VERSION
        assert stored_keys(info.path) == stored_keys(db_file)
        assert inspect(info.path, LATEST_VERSION).ok


def test_an_existing_backups_folder_is_made_private(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    folder = backups_dir(db_file)
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    backup_file(db_file, now=NOW)
    assert _mode(folder) == 0o700


def test_two_backups_in_one_millisecond_do_not_overwrite_each_other(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    first = backup_file(db_file, now=NOW)
    second = backup_file(db_file, now=NOW)
    assert first.path != second.path and first.path.exists() and second.path.exists()
    assert list_backups(db_file)[0] == second


def test_a_backup_is_consistent_while_the_app_keeps_writing(tmp_path: Path) -> None:
    # The app's connection holds rows in its WAL: the copy sees what a reader sees.
    with Store.open(tmp_path / "p", daily_backups=False) as store:
        store.settings.set("late", "in the wal")
        info = backup_file(store.path, now=NOW)
        store.settings.set("later", "not in the copy")
    conn = sqlite3.connect(info.path)
    try:
        assert conn.execute("SELECT key FROM settings").fetchall() == [("late",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()


def test_a_damaged_database_is_not_backed_up_and_good_backups_stay(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 300)
    good = [backup_file(db_file, now=NOW + timedelta(days=d)) for d in range(KEEP)]
    damage_pages(db_file)
    with pytest.raises(StoreError) as caught:  # BackupError, or SQLite noticing first
        backup_file(db_file, now=NOW + timedelta(days=30))
    assert "damaged" in caught.value.user_message and "\n" not in caught.value.user_message
    assert [b.path for b in list_backups(db_file)] == [b.path for b in reversed(good)]
    assert list(backups_dir(db_file).glob("*.partial*")) == []


def test_no_database_no_backup(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database"):
        backup_file(tmp_path / "biddesk.sqlite3")


# --- the daily backup ----------------------------------------------------------------


def test_a_backup_is_due_once_the_newest_is_a_day_old(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    assert backup_due(db_file, NOW)  # none yet
    backup_file(db_file, now=NOW)
    assert not backup_due(db_file, NOW + timedelta(hours=23, minutes=59))
    assert backup_due(db_file, NOW + timedelta(hours=24))


def test_the_daily_backup_follows_the_clock(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 2)
    clock = FakeClock(NOW)
    daily = DailyBackups(db_file, clock=clock)
    first = daily.run_once()
    assert first is not None and first.taken_at == NOW.replace(microsecond=123000)
    clock.now = NOW + timedelta(hours=12)
    assert daily.run_once() is None
    clock.now = NOW + timedelta(hours=25)
    second = daily.run_once()
    assert second is not None
    assert [b.path for b in list_backups(db_file)] == [second.path, first.path]


def test_opening_a_database_backs_it_up_on_another_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = profile_with(tmp_path / "p", 2)
    backup_file(db_file, now=datetime.now(UTC) - timedelta(hours=25))
    started = threading.Event()
    release = threading.Event()
    threads: list[str] = []
    real_backup_file = backup_module.backup_file

    def held_backup(path: Path, **kwargs: object) -> BackupInfo:
        threads.append(threading.current_thread().name)
        started.set()
        assert release.wait(30)
        return real_backup_file(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backup_module, "backup_file", held_backup)
    # open() returns while the backup is still held: it never waits for one.
    with Database.open(db_file) as db:
        assert started.wait(30)
        assert db.schema_version() == LATEST_VERSION
        release.set()
        daily = db.daily_backups
        assert daily is not None and daily.checked.wait(30)
    assert threads == ["daily-backup"]
    assert len(list_backups(db_file)) == 2


def test_opening_with_a_recent_backup_makes_none(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 2)
    recent = backup_file(db_file, now=datetime.now(UTC) - timedelta(hours=1))
    with Database.open(db_file) as db:
        daily = db.daily_backups
        assert daily is not None and daily.checked.wait(30)
        assert daily.last is None
    assert list_backups(db_file) == [recent]


def test_a_failed_daily_backup_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_file = profile_with(tmp_path / "p", 300)
    damage_pages(db_file)
    daily = DailyBackups(db_file, clock=FakeClock(NOW))
    with caplog.at_level("WARNING", logger="app.store.backup"):
        assert daily.run_once() is None
    # (Another test's store, still closing on its own thread, may log too: not counted.)
    found = [
        r for r in caplog.records if r.name == "app.store.backup" and str(db_file) in r.getMessage()
    ]
    assert len(found) == 1, [(r.name, r.levelname, r.getMessage()) for r in found]
    [record] = found
    assert record.levelname == "WARNING" and record.exc_info is None
    assert "damaged" in record.getMessage()


def test_read_only_opens_make_no_backup(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    with Database.open(db_file, read_only=True) as db:
        assert db.daily_backups is None


# --- checking a file -----------------------------------------------------------------


def test_inspect_tells_what_is_wrong(tmp_path: Path) -> None:
    good = profile_with(tmp_path / "good", 3)
    assert inspect(good, LATEST_VERSION) == inspect(good, LATEST_VERSION, quick=True)
    assert inspect(good, LATEST_VERSION).ok
    assert inspect(good, LATEST_VERSION).version == LATEST_VERSION

    assert inspect(tmp_path / "none.sqlite3", LATEST_VERSION).problem is Problem.MISSING

    garbage = tmp_path / "garbage.sqlite3"
    write_garbage(garbage)
    found = inspect(garbage, LATEST_VERSION)
    assert found.problem is Problem.DAMAGED and "not a database" in found.detail

    damaged = profile_with(tmp_path / "damaged", 300)
    damage_pages(damaged)
    assert inspect(damaged, LATEST_VERSION).problem is Problem.DAMAGED

    newer = profile_with(tmp_path / "newer", 1)
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    assert inspect(newer, LATEST_VERSION).problem is Problem.NEWER

    foreign = tmp_path / "photos.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    assert inspect(foreign, LATEST_VERSION).problem is Problem.FOREIGN


# --- restoring -----------------------------------------------------------------------


def test_restore_latest_puts_it_back_and_keeps_the_current_file(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 3)
    backup_file(db_file, now=NOW - timedelta(days=1))
    profile_with(tmp_path / "p", 2, first=10)  # written after the backup
    assert len(stored_keys(db_file)) == 5
    latest, aside = restore_latest(db_file, LATEST_VERSION, now=NOW)
    assert latest == list_backups(db_file)[0]
    assert len(stored_keys(db_file)) == 3
    assert aside == db_file.with_name("biddesk.sqlite3.before-restore-20261207T050403Z")
    assert len(stored_keys(aside)) == 5
    assert _mode(db_file) == 0o600
    with Store.open(tmp_path / "p", daily_backups=False) as store:  # opens, writes
        assert store.opportunities.count() == 3
        store.settings.set("after", "restore")


def test_restore_a_given_file(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    older = backup_file(db_file, now=NOW - timedelta(days=2))
    profile_with(tmp_path / "p", 1, first=2)
    backup_file(db_file, now=NOW - timedelta(days=1))
    restore(db_file, older.path, LATEST_VERSION, now=NOW)
    assert stored_keys(db_file) == ["gigradar:opp-1"]


def test_the_wal_of_the_replaced_file_goes_aside_with_it(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    info = backup_file(db_file, now=NOW - timedelta(days=1))
    writer = sqlite3.connect(db_file, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO settings VALUES ('only-in-wal', '1')")
    # A crash leaves the WAL beside the file: copy the pair as the crash would leave it.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for suffix in ("", "-wal"):
        source = db_file.with_name(db_file.name + suffix)
        (crashed / source.name).write_bytes(source.read_bytes())
    writer.close()
    crashed_db = crashed / db_file.name
    aside = restore(crashed_db, info.path, LATEST_VERSION, now=NOW)
    assert aside is not None
    assert not crashed_db.with_name(crashed_db.name + "-wal").exists()
    assert stored_keys(crashed_db) == ["gigradar:opp-1"]
    conn = sqlite3.connect(f"{aside.as_uri()}?mode=ro", uri=True)
    try:
        assert ("only-in-wal",) in conn.execute("SELECT key FROM settings").fetchall()
    finally:
        conn.close()


def test_restore_refuses_a_damaged_backup_and_changes_nothing(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 2)
    good = backup_file(db_file, now=NOW - timedelta(days=2))
    bad = backup_file(db_file, now=NOW - timedelta(days=1))
    write_garbage(bad.path)
    before = db_file.read_bytes()
    with pytest.raises(BackupError) as caught:
        restore(db_file, bad.path, LATEST_VERSION, now=NOW)
    message = caught.value.user_message
    assert str(bad.path) in message and "damaged" in message and "\n" not in message
    assert db_file.read_bytes() == before
    assert list(db_file.parent.glob("*.before-restore-*")) == []
    # The latest GOOD backup is the older one.
    assert latest_good_backup(db_file, LATEST_VERSION) == good


def test_restore_refuses_a_backup_from_a_newer_bidDesk(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    info = backup_file(db_file, now=NOW)
    with sqlite3.connect(info.path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(BackupError, match="newer BidDesk"):
        restore(db_file, info.path, LATEST_VERSION)
    assert latest_good_backup(db_file, LATEST_VERSION) is None


def test_restore_refuses_while_the_database_is_open(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    info = backup_file(db_file, now=NOW)
    assert not database_in_use(db_file)
    with Store.open(tmp_path / "p", daily_backups=False):
        assert database_in_use(db_file)
        with pytest.raises(ProfileInUseError) as caught:
            restore(db_file, info.path, LATEST_VERSION)
        assert "open in another BidDesk" in caught.value.user_message
        assert list(db_file.parent.glob("*.before-restore-*")) == []
    assert not database_in_use(db_file)


def test_restore_without_any_backup_is_a_sentence(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 1)
    with pytest.raises(BackupError, match="There is no usable backup"):
        restore_latest(db_file, LATEST_VERSION)


def test_a_damaged_database_is_replaced_by_its_backup(tmp_path: Path) -> None:
    db_file = profile_with(tmp_path / "p", 4)
    backup_file(db_file, now=NOW)
    write_garbage(db_file)
    restore_latest(db_file, LATEST_VERSION)
    assert len(stored_keys(db_file)) == 4


def test_a_process_that_exits_finishes_the_daily_copy_first(tmp_path: Path) -> None:
    # The thread is a daemon (a store left open never keeps a process alive), yet a copy
    # under way when the process exits is finished, not left as a partial file.
    db_file = profile_with(tmp_path / "p", 2)
    backup_file(db_file, now=datetime.now(UTC) - timedelta(days=2))
    script = f"""
import threading, time
from pathlib import Path
from app.store import Database
from app.store import backup

real = backup.backup_file
copying = threading.Event()

def slow(path, **kwargs):
    copying.set()
    time.sleep(1.0)  # a big database
    return real(path, **kwargs)

backup.backup_file = slow
db = Database.open(Path({str(db_file)!r}))
assert copying.wait(60)
assert db.daily_backups._thread.daemon
# exits here, without closing, in the middle of the copy
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert len(list_backups(db_file)) == 2
    assert list(backups_dir(db_file).glob("*.partial*")) == []
