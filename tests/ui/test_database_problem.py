"""A database that cannot be opened shows a dialog, never a silent exit: restore the latest
backup (then the window opens with it), open another profile, or quit. And a damaged
setting does not stop the window."""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton
from pytestqt.qtbot import QtBot

from app.store import Store
from app.store.backup import BackupInfo, backup_file, list_backups
from app.store.migrations import LATEST_VERSION
from app.store.paths import db_path
from app.ui.app import App, GuiOptions, run_gui
from app.ui.controllers.database import recover
from app.ui.dialogs import database_problem
from app.ui.dialogs.database_problem import Choice, DatabaseProblemDialog, Decision
from tests.store.factories import damage_pages, profile_with, stored_keys, write_garbage

MESSAGE = "The database file /p/biddesk.sqlite3 is damaged or is not a BidDesk database."
TAKEN = datetime(2026, 12, 6, 21, 30, 0, tzinfo=UTC)
LATEST = BackupInfo(Path("/p/backups/biddesk-20261206T213000.000Z-v6.sqlite3"), TAKEN, 6)


# --- the dialog ----------------------------------------------------------------------


def _shown(qtbot: QtBot, latest: BackupInfo | None, **kwargs: object) -> DatabaseProblemDialog:
    dialog = DatabaseProblemDialog(MESSAGE, latest, **kwargs)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_dialog_says_what_is_wrong_and_offers_the_latest_backup(qtbot: QtBot) -> None:
    dialog = _shown(qtbot, LATEST)
    assert dialog.message.text() == MESSAGE
    assert dialog.restore_button.isVisible()
    local = TAKEN.astimezone()
    assert dialog.restore_button.text() == f"Restore the latest backup ({local:%Y-%m-%d %H:%M})"
    assert dialog.restore_button.isDefault()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.decision == Decision(Choice.RESTORE)


def test_without_a_good_backup_there_is_no_restore_button(qtbot: QtBot) -> None:
    dialog = _shown(qtbot, None)
    assert not dialog.restore_button.isVisible()
    assert dialog.other_button.isVisible() and dialog.quit_button.isVisible()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert dialog.decision == Decision(Choice.QUIT)


def test_another_profile_asks_for_a_folder(qtbot: QtBot, tmp_path: Path) -> None:
    answers: list[Path | None] = [None, tmp_path]  # None: the user cancels the chooser
    asked: list[object] = []

    def chooser(parent: object, chosen: Callable[[Path], None]) -> None:
        asked.append(parent)
        answer = answers.pop(0)
        if answer is not None:
            chosen(answer)

    dialog = _shown(qtbot, LATEST, choose_folder=chooser)
    qtbot.mouseClick(dialog.other_button, Qt.MouseButton.LeftButton)
    assert asked == [dialog] and dialog.isVisible()  # cancelled: still deciding
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.other_button, Qt.MouseButton.LeftButton)
    assert dialog.decision == Decision(Choice.OTHER_PROFILE, tmp_path)


def test_the_folder_chooser_opens_without_blocking(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _shown(qtbot, None)
    qtbot.mouseClick(dialog.other_button, Qt.MouseButton.LeftButton)  # returns at once
    chooser = dialog.findChild(QFileDialog, "profileFolderChooser")
    assert chooser is not None and chooser.isVisible()
    assert chooser.fileMode() is QFileDialog.FileMode.Directory
    with qtbot.waitSignal(dialog.accepted):
        chooser.fileSelected.emit(str(tmp_path))
    assert dialog.decision == Decision(Choice.OTHER_PROFILE, tmp_path)


def test_closing_the_dialog_is_quit(qtbot: QtBot) -> None:
    dialog = _shown(qtbot, LATEST)
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.decision == Decision(Choice.QUIT)


# --- the start path: run_gui with a database that cannot be opened -------------------


@dataclass
class GuiRun:
    """What happened during a `run_gui` call: the dialogs shown and the windows opened."""

    dialogs: list[dict[str, object]] = field(default_factory=list)
    windows: list[dict[str, object]] = field(default_factory=list)
    click: list[str] = field(default_factory=list)  # objectNames of buttons, in turn


@pytest.fixture
def gui_run(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[GuiRun]:
    """`run_gui` as the desktop runs it, with the problem dialog answered by clicking
    its buttons (in the order of `run.click`), and each window that opens recorded and
    closed at once."""
    run = GuiRun()
    # run_gui installs these process-wide: give them back afterwards.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    original_start = App.start

    async def recording_start(self: App) -> None:
        await original_start(self)
        assert self.window is not None and self.services is not None
        run.windows.append(
            {
                "directory": self.directory,
                "visible": self.window.isVisible(),
                "rows": self.window.model.total_count(),
                "keys": sorted(o.key for o in self.services.store.opportunities.all()),
            }
        )
        self.request_quit(0)

    monkeypatch.setattr(App, "start", recording_start)

    def answer() -> None:
        shown = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, DatabaseProblemDialog) and w.isVisible()
        ]
        if not shown or any(d["dialog"] is shown[0] for d in run.dialogs):
            return
        dialog = shown[0]
        run.dialogs.append(
            {
                "dialog": dialog,
                "message": dialog.message.text(),
                "restore": dialog.restore_button.isVisible(),
                "restore_text": dialog.restore_button.text(),
            }
        )
        # An unexpected dialog is quit, so that the test fails on what it saw, not hangs.
        button = dialog.findChild(QPushButton, run.click.pop(0) if run.click else "quitButton")
        assert button is not None
        button.click()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(answer)
    timer.start()
    try:
        yield run
    finally:
        timer.stop()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for shown in run.dialogs:
            shown.pop("dialog")


def _newer(db_file: Path) -> None:
    conn = sqlite3.connect(db_file)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "breakage",
    [write_garbage, damage_pages, _newer],
    ids=["not-a-database", "damaged-pages", "newer-version"],
)
def test_restore_puts_the_backup_back_and_the_window_opens_with_it(
    gui_run: GuiRun, tmp_path: Path, breakage: Callable[[Path], None]
) -> None:
    profile = tmp_path / "profile"
    db_file = profile_with(profile, 300)
    good = backup_file(db_file, now=datetime.now(UTC) - timedelta(hours=2))
    profile_with(profile, 2, first=1000)  # written after the backup: lost by the restore
    breakage(db_file)
    gui_run.click = ["restoreBackupButton"]

    assert run_gui(GuiOptions(profile=profile)) == 0

    [shown] = gui_run.dialogs
    assert shown["restore"] is True
    assert f"{good.taken_at.astimezone():%Y-%m-%d %H:%M}" in str(shown["restore_text"])
    assert str(db_file) in str(shown["message"])
    [window] = gui_run.windows
    assert window["visible"] is True
    assert window["directory"] == profile
    assert window["rows"] == 300
    assert window["keys"] == sorted(f"gigradar:opp-{n}" for n in range(1, 301))
    assert len(list(profile.glob("biddesk.sqlite3.before-restore-*"))) == 1


def test_quit_leaves_everything_as_it_was(gui_run: GuiRun, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    db_file = profile_with(profile, 1)
    write_garbage(db_file)
    before = db_file.read_bytes()
    gui_run.click = ["quitButton"]

    assert run_gui(GuiOptions(profile=profile)) == 1

    [shown] = gui_run.dialogs
    assert shown["restore"] is False  # no backup: nothing to offer
    assert gui_run.windows == []
    assert db_file.read_bytes() == before
    assert list(profile.glob("*.before-restore-*")) == []


def test_another_profile_opens_the_window_on_it(
    gui_run: GuiRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken"
    write_garbage(profile_with(broken, 1))
    other = tmp_path / "other"
    profile_with(other, 4, first=50)
    monkeypatch.setattr(
        database_problem, "choose_profile_folder", lambda parent, chosen: chosen(other)
    )
    gui_run.click = ["otherProfileButton"]

    assert run_gui(GuiOptions(profile=broken)) == 0

    assert len(gui_run.dialogs) == 1
    [window] = gui_run.windows
    assert window["directory"] == other
    assert window["keys"] == sorted(f"gigradar:opp-{n}" for n in range(50, 54))


def test_a_refused_restore_asks_again_with_the_reason(
    gui_run: GuiRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile"
    db_file = profile_with(profile, 1)
    backup_file(db_file, now=datetime.now(UTC) - timedelta(hours=1))
    write_garbage(db_file)
    # Another BidDesk (say) opens the file between the question and the restore.
    monkeypatch.setattr("app.store.backup.database_in_use", lambda path: True)
    gui_run.click = ["restoreBackupButton", "quitButton"]

    assert run_gui(GuiOptions(profile=profile)) == 1

    first, second = gui_run.dialogs
    assert "damaged" in str(first["message"])
    assert "open in another BidDesk" in str(second["message"])
    assert gui_run.windows == []


def test_a_scripted_run_is_never_held_by_the_dialog(tmp_path: Path) -> None:
    from app.store.errors import CorruptDatabaseError

    profile = tmp_path / "profile"
    write_garbage(profile_with(profile, 1))
    with pytest.raises(CorruptDatabaseError):
        run_gui(GuiOptions(profile=profile, screenshot=tmp_path / "shot.png"))


# --- a damaged setting and the window ------------------------------------------------


async def test_a_damaged_webhooks_setting_does_not_stop_the_window(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    profile = tmp_path / "profile"
    with Store.open(profile, daily_backups=False) as store, store.db.transaction() as conn:
        conn.execute("INSERT INTO settings VALUES ('webhooks', '{\"enabled\": tru')")
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="app.store.settings"):
        await app.start()
    try:
        assert app.window is not None and app.window.isVisible()
        assert app.realtime is None  # the default: webhooks off
        warnings = [r for r in caplog.records if r.name == "app.store.settings"]
        assert len(warnings) == 1 and "'webhooks'" in warnings[0].getMessage()
        assert app.services is not None
        assert list(app.services.store.settings.damaged().values()) == ['{"enabled": tru']
    finally:
        await app.stop()


async def test_recover_offers_no_restore_for_a_problem_a_backup_cannot_fix(
    tmp_path: Path,
) -> None:
    from app.store.errors import DiskFullError

    db_file = profile_with(tmp_path / "p", 1)
    backup_file(db_file)
    offered: list[BackupInfo | None] = []

    async def ask(message: str, latest: BackupInfo | None) -> Decision:
        offered.append(latest)
        return Decision(Choice.QUIT)

    recovered = await recover(DiskFullError(db_file), tmp_path / "p", ask=ask)
    assert recovered is None
    assert offered == [None]
    assert stored_keys(db_file) == ["gigradar:opp-1"]
    assert list_backups(db_path(tmp_path / "p"))
