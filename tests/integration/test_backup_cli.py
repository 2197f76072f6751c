"""`biddesk backup`, `restore` and `check` in-process, and the commands that read the
webhook settings (`webhooks status`, `serve`) with those settings damaged."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import cli
from app.cli.commands import webhooks as serve_command
from app.store import Store
from app.store.backup import backup_file, list_backups
from app.store.migrations import LATEST_VERSION
from app.store.paths import db_path
from tests.helpers.cli import run
from tests.store.factories import damage_pages, profile_with, stored_keys, write_garbage

pytestmark = pytest.mark.integration


def _one_sentence(err: str) -> str:
    assert err.startswith("biddesk: error: "), err
    assert err.count("\n") == 1 and err.endswith(".\n"), err
    assert "Traceback" not in err
    return err


# --- backup --------------------------------------------------------------------------


def test_backup_makes_one_and_prints_its_path(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 3)
    code, out, err = run(["--profile", str(profile), "backup"], capsys)
    assert code == 0, err
    [made] = list_backups(db_file)
    assert out == f"{made.path}\n"
    assert made.version == LATEST_VERSION
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.path.parent.stat().st_mode) == 0o700
    assert stored_keys(made.path) == stored_keys(db_file)


def test_backup_of_a_damaged_database_is_refused(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 300)
    damage_pages(db_file)
    code, out, err = run(["--profile", str(profile), "backup"], capsys)
    assert code == 1 and out == ""
    assert "damaged" in _one_sentence(err)
    assert list_backups(db_file) == []


# --- check ---------------------------------------------------------------------------


def test_check_a_sound_database(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    profile_with(profile, 2)
    code, out, err = run(["--profile", str(profile), "check"], capsys)
    assert code == 0 and err == ""
    assert f"is sound (schema version {LATEST_VERSION})" in out
    assert "no backups yet" in out


@pytest.mark.parametrize("breakage", [write_garbage, damage_pages], ids=["garbage", "pages"])
def test_check_a_damaged_database(tmp_path: Path, capsys, breakage) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 300)
    breakage(db_file)
    before = db_file.read_bytes()
    code, out, err = run(["--profile", str(profile), "check"], capsys)
    assert code == 1 and out == ""
    assert "is damaged" in _one_sentence(err) and "biddesk restore" in err
    assert db_file.read_bytes() == before  # checking changes nothing


def test_check_a_database_from_a_newer_biddesk(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 1)
    with sqlite3.connect(db_file) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 2}")
    conn.close()
    code, _, err = run(["--profile", str(profile), "check"], capsys)
    assert code == 1 and "newer BidDesk" in _one_sentence(err)


def test_check_without_a_database(tmp_path: Path, capsys) -> None:
    code, _, err = run(["--profile", str(tmp_path / "empty"), "check"], capsys)
    assert code == 1 and "There is no database" in _one_sentence(err)


# --- restore -------------------------------------------------------------------------


def test_restore_the_latest_backup(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 2)
    backup_file(db_file, now=datetime.now(UTC) - timedelta(days=2))
    profile_with(profile, 1, first=3)
    latest = backup_file(db_file, now=datetime.now(UTC) - timedelta(days=1))
    write_garbage(db_file)
    code, out, err = run(["--profile", str(profile), "restore"], capsys)
    assert code == 0, err
    assert f"from {latest.path}" in out
    assert stored_keys(db_file) == ["gigradar:opp-1", "gigradar:opp-2", "gigradar:opp-3"]
    [aside] = profile.glob("biddesk.sqlite3.before-restore-*")
    assert str(aside) in out
    assert aside.read_bytes().startswith(b"this is not an SQLite database")
    code, out, _ = run(["--profile", str(profile), "check"], capsys)
    assert code == 0 and "is sound" in out


def test_restore_a_given_file(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 1)
    older = backup_file(db_file, now=datetime.now(UTC) - timedelta(days=2))
    profile_with(profile, 5, first=2)
    backup_file(db_file, now=datetime.now(UTC) - timedelta(days=1))
    code, _, err = run(["--profile", str(profile), "restore", str(older.path)], capsys)
    assert code == 0, err
    assert stored_keys(db_file) == ["gigradar:opp-1"]


def test_restore_refuses_a_damaged_backup(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 1)
    bad = backup_file(db_file)
    write_garbage(bad.path)
    before = db_file.read_bytes()
    code, out, err = run(["--profile", str(profile), "restore", str(bad.path)], capsys)
    assert code == 1 and out == ""
    assert str(bad.path) in _one_sentence(err) and "damaged" in err
    assert db_file.read_bytes() == before
    # Without a FILE, a damaged latest backup is skipped: there is no good one here.
    code, _, err = run(["--profile", str(profile), "restore"], capsys)
    assert code == 1
    assert "no usable backup" in err.splitlines()[-1]
    assert "Traceback" not in err


def test_restore_refuses_while_biddesk_has_the_profile_open(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    db_file = profile_with(profile, 1)
    backup_file(db_file)
    with Store.open(profile, daily_backups=False):
        code, _, err = run(["--profile", str(profile), "restore"], capsys)
    assert code == 1 and "open in another BidDesk" in _one_sentence(err)
    assert list(profile.glob("*.before-restore-*")) == []


# --- damaged webhook settings --------------------------------------------------------


def _damage_webhook_settings(profile: Path) -> None:
    conn = sqlite3.connect(db_path(profile))
    try:
        conn.execute(
            "INSERT OR REPLACE INTO settings VALUES ('webhooks', '{\"enabled\": true, \"port\": ')"
        )
        conn.execute("INSERT OR REPLACE INTO settings VALUES ('webhooks.registered', '[42]')")
        conn.commit()
    finally:
        conn.close()


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("biddesk: WARNING:")]


def test_webhooks_status_with_damaged_settings(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    profile_with(profile, 1)
    _damage_webhook_settings(profile)
    code, out, err = run(["--profile", str(profile), "webhooks", "status"], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert out.startswith("Webhooks off; port any free; tunnel none.")
    warned = _warnings(err)
    assert len(warned) == 2 and len(err.splitlines()) == 2
    assert "'webhooks'" in warned[0] and "'webhooks.registered'" in warned[1]
    # Set aside once: the next run is quiet, and --json works too.
    code, out, err = run(["--profile", str(profile), "webhooks", "status", "--json"], capsys)
    assert code == 0 and err == ""
    status = json.loads(out)
    assert status["config"]["enabled"] is False and status["registered"] == {}
    with Store.open(profile, daily_backups=False) as store:
        kept = sorted(store.settings.damaged().values())
    assert kept == ["[42]", '{"enabled": true, "port": ']


def _refused_port() -> int:
    """A loopback port nothing listens on: every request to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_with_damaged_settings(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The account's platform is unreachable: registering and polling fail with a sentence
    # and serve keeps running, and no delivery connection is left to race the shutdown.
    profile = tmp_path / "p"
    monkeypatch.setenv("BIDDESK_API_KEY_GR", "gr_live_unused")
    base_url = f"http://127.0.0.1:{_refused_port()}/gigradar/public-api/v1"
    code, _, err = run(
        [
            "--profile",
            str(profile),
            "account",
            "add",
            "gr",
            "--platform",
            "gigradar",
            "--base-url",
            base_url,
        ],
        capsys,
    )
    assert code == 0, err
    _damage_webhook_settings(profile)

    lines: list[str] = []
    polling = threading.Event()
    real_out = cli._out

    def recording_out(text: str = "") -> None:
        lines.append(text)
        if text.startswith("Polling"):
            polling.set()
        real_out(text)

    monkeypatch.setattr(serve_command, "_out", recording_out)

    finished = threading.Event()

    def stop_when_serving() -> None:
        polling.wait(60)
        if not finished.is_set():  # a serve that failed early has nothing to stop
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl+C does; serve stops cleanly

    stopper = threading.Thread(target=stop_when_serving)
    stopper.start()
    try:
        code, _, err = run(["--profile", str(profile), "serve", "--port", "0"], capsys)
    finally:
        finished.set()
        polling.set()
        stopper.join(60)
    assert code == 0, err
    assert "Traceback" not in err
    assert any(line.startswith("Receiver: http://127.0.0.1:") for line in lines)
    assert any(line.startswith("  gr (GigRadar):") for line in lines)
    assert "Stopping…" in lines
    warned = _warnings(err)
    assert sum("The setting 'webhooks' is damaged" in w for w in warned) == 1
    assert sum("The setting 'webhooks.registered' is damaged" in w for w in warned) == 1
    with Store.open(profile, daily_backups=False) as store:
        assert len(store.settings.damaged()) == 2
