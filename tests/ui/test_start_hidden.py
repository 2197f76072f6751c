"""Start at login can start hidden: `biddesk --hidden` (or `--minimized`) keeps the window
in the tray, or minimized where the desktop has no tray; Preferences writes the choice
into the login item itself (issue 16, item 6)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.cli.parser import build_parser
from app.launch import _plain_gui_start
from app.services.autostart import HIDDEN_FLAG, Autostart
from app.ui import tray as tray_module
from app.ui.app import App, GuiOptions
from app.ui.dialogs.preferences import PreferencesDialog
from tests.ui.test_window import until

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def started(tmp_path: Path, *, hidden: bool) -> AsyncIterator[App]:
    options = GuiOptions(profile=tmp_path / "profile", sandbox=True, hidden=hidden)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    app.autostart = Autostart(
        ["/usr/bin/biddesk"], platform="linux", environ={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    )
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def test_hidden_and_minimized_are_options_of_a_plain_window_start() -> None:
    assert build_parser().parse_args(["--hidden"]).hidden
    assert build_parser().parse_args(["--minimized", "--profile", "p"]).hidden
    assert not build_parser().parse_args([]).hidden
    # A second start at login still just asks the running BidDesk (no Qt loaded first).
    assert _plain_gui_start(["--hidden"]) == (True, None)
    assert _plain_gui_start(["--minimized", "--profile", "/p"]) == (True, "/p")


async def test_a_hidden_start_shows_only_the_tray_icon_until_clicked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: True)
    async with started(tmp_path, hidden=True) as desk:
        assert desk.tray is not None and desk.tray.icon is not None and desk.tray.icon.isVisible()
        await until(lambda: desk.window.model.rowCount() >= 1)  # it works while hidden
        assert not desk.window.isVisible()
        desk.tray.toggle_window()  # a click on the icon
        assert desk.window.isVisible() and not desk.window.isMinimized()


async def test_a_hidden_start_without_a_tray_is_minimized_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: False)
    async with started(tmp_path, hidden=True) as desk:
        assert desk.window.isMinimized()  # in the taskbar: the way back


async def test_a_normal_start_shows_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: True)
    async with started(tmp_path, hidden=False) as desk:
        assert desk.window.isVisible() and not desk.window.isMinimized()


async def test_preferences_write_start_hidden_into_the_login_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: True)
    async with started(tmp_path, hidden=False) as desk:
        dialog = desk.open_preferences()
        assert isinstance(dialog, PreferencesDialog)
        assert not dialog.start_hidden.isEnabled()  # only with start at login
        dialog.start_at_login.setChecked(True)
        assert dialog.start_hidden.isEnabled()
        dialog.start_hidden.setChecked(True)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
        assert desk.autostart.entry_command() == ["/usr/bin/biddesk", HIDDEN_FLAG]
        entry = (tmp_path / "xdg" / "autostart" / "biddesk.desktop").read_text()
        assert "TryExec=/usr/bin/biddesk\n" in entry

        again = desk.open_preferences()
        assert again is not None and again.start_hidden.isChecked()
        again.start_hidden.setChecked(False)  # open the window at login after all
        again.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
        assert desk.autostart.entry_command() == ["/usr/bin/biddesk"]


async def test_at_start_an_entry_left_by_a_removed_install_points_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: True)
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    gone = tmp_path / "biddesk-0.1.0" / "biddesk"
    Autostart([str(gone)], platform="linux", environ=xdg).set_enabled(True, hidden=True)
    async with started(tmp_path, hidden=False) as desk:
        assert desk.autostart.entry_command() == ["/usr/bin/biddesk", HIDDEN_FLAG]


def test_the_command_line_hands_hidden_to_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.ui.app as ui_app
    from app.cli import main as cli_main

    seen: list[GuiOptions] = []

    def fake_run_gui(options: GuiOptions, **_: object) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(ui_app, "run_gui", fake_run_gui)
    assert cli_main(["--profile", str(tmp_path / "p"), "--minimized"]) == 0
    assert cli_main(["--profile", str(tmp_path / "p")]) == 0
    assert [o.hidden for o in seen] == [True, False]
