"""The tray, notifications on screen, close-to-tray and Preferences, on the real App.

Offscreen Qt has no system tray, so each test says which desktop it plays: with a tray
(`app.ui.tray.tray_available` patched to True — the icon is real, only not on a panel)
or without one (the default here). Notifications are then a tray message or the banner.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QSystemTrayIcon

from app.domain.filters import FilterSpec
from app.services.autostart import Autostart
from app.services.events import AccountStatus
from app.services.notifications import RULES_KEY, Notification, NotificationKind, NotificationRules
from app.store import Store
from app.store.paths import data_dir
from app.ui import tray as tray_module
from app.ui.app import App, GuiOptions
from app.ui.dialogs.preferences import PreferencesDialog
from app.ui.tray import BADGE_BLUE, FAILING_RED, HINT_SHOWN_KEY, RETRYING_AMBER, state_icon
from app.ui.widgets.banner import Banner
from tests.ui.test_window import until

pytestmark = pytest.mark.integration


def _prepare_profile(profile: Path) -> None:
    """A saved filter that every opportunity matches, chosen for notifications."""
    store = Store.open(data_dir(profile))
    try:
        store.settings.set("ui.saved_filters", {"Everything": FilterSpec().to_json()})
        rules = NotificationRules(filters=frozenset({"Everything"}), submissions=False)
        store.settings.set(RULES_KEY, rules.to_dict())
    finally:
        store.close()


def _app(tmp_path: Path) -> App:
    profile = tmp_path / "profile"
    _prepare_profile(profile)
    options = GuiOptions(profile=profile, sandbox=True, sandbox_speed=600.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    app.autostart = Autostart(
        ["biddesk"], platform="linux", environ={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    )
    return app


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[App]:
    app = _app(tmp_path)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@contextlib.asynccontextmanager
async def run_whole(tmp_path: Path) -> AsyncIterator[tuple[App, asyncio.Task[int]]]:
    """`App.run()` itself, so a test can see the shutdown future resolve."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    app = _app(tmp_path)
    task = asyncio.ensure_future(app.run())
    try:
        await until(lambda: app.tray is not None and app.window is not None)
        yield app, task
    finally:
        app.request_quit()
        await asyncio.wait_for(asyncio.shield(task), 10)
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.fixture
def with_tray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: True)


@pytest.fixture
def without_tray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tray_module, "tray_available", lambda: False)


# -- the menu -----------------------------------------------------------------------------


@pytest.mark.usefixtures("with_tray")
async def test_tray_menu_opens_pauses_and_lists_the_latest_matches(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        tray = desk.tray
        assert tray is not None and tray.icon is not None and tray.icon.isVisible()
        await until(lambda: len(desk.notifications.recent_matches()) >= 3)
        await until(lambda: tray.unread_count() >= 2)
        assert "unread matching opportunities" in tray.icon.toolTip()

        # The latest matches are in the menu; clicking one opens it in the window.
        tray.menu.aboutToShow.emit()
        entries = [a for a in tray.menu.actions() if a.objectName() == "trayMatch"]
        assert 1 <= len(entries) <= 5
        # Not simply the last one: the window may have opened (and so read) a match already.
        flags = desk.services.store.opportunities.flags
        unread = [a for a in entries if not flags(a.data()).read]
        assert unread and all(a.font().bold() for a in unread)  # unread is bold
        assert not any(a.font().bold() for a in entries if a not in unread)
        target = unread[-1]
        key = target.data()
        assert target.text()
        desk.window.hide()
        before = tray.unread_count()
        target.trigger()
        assert desk.window.isVisible()
        await until(lambda: desk.window.current_key == key)
        assert desk.services.store.opportunities.flags(key).read
        await until(lambda: tray.unread_count() < before)

        # A failing account puts a dot on the icon: amber while retrying, red once stopped.
        later = datetime.now(UTC) + timedelta(minutes=1)
        bridge = desk.window.bridge
        bridge.account_status_changed.emit(AccountStatus("acme", None, later, {}, "HTTP 503"))
        assert tray.failing_colour() == RETRYING_AMBER
        assert "acme: polling retrying" in tray.icon.toolTip()
        bridge.account_status_changed.emit(AccountStatus("acme", None, None, {}, "Key rejected"))
        assert tray.failing_colour() == FAILING_RED
        bridge.account_status_changed.emit(AccountStatus("acme", later, later, {}, None))
        assert tray.failing_colour() is None and "acme" not in tray.icon.toolTip()

        # Pause and resume ingest, the label following the poller.
        actions = tray.actions()
        assert actions["trayPause"].text() == "Pause ingest"
        actions["trayPause"].trigger()
        assert desk.poller.paused
        assert tray.actions()["trayPause"].text() == "Resume ingest"
        assert "Ingest paused" in tray.icon.toolTip()
        tray.actions()["trayPause"].trigger()
        assert not desk.poller.paused

        # Open brings a hidden window back; a left click toggles it.
        desk.window.hide()
        tray.actions()["trayOpen"].trigger()
        assert desk.window.isVisible()
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
        assert not desk.window.isVisible()
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
        assert desk.window.isVisible()

        # macOS: a click opens the menu, not the window; the idle icon is a tinted template.
        tray.macos = True
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
        assert desk.window.isVisible()
        desk.poller.pause()

        def all_read() -> bool:  # a round still in flight may bring one more match
            for match in desk.notifications.unread_matches():
                desk.services.store.opportunities.set_read(match.key)
            return tray.unread_count() == 0

        await until(all_read)
        tray.refresh()
        assert tray.icon.icon().isMask()


@pytest.mark.usefixtures("with_tray")
async def test_tray_quit_resolves_the_apps_shutdown(tmp_path: Path) -> None:
    async with run_whole(tmp_path) as (desk, task):
        desk.tray.actions()["trayQuit"].trigger()
        assert await asyncio.wait_for(asyncio.shield(task), 10) == 0
        assert desk.tray.icon is not None and not desk.tray.icon.isVisible()


# -- click-through --------------------------------------------------------------------------


@pytest.mark.usefixtures("with_tray")
async def test_a_tray_message_click_opens_the_opportunity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 5)
        key = desk.window.model.key_at(4)
        shown: list[tuple[Any, ...]] = []
        monkeypatch.setattr(QSystemTrayIcon, "supportsMessages", staticmethod(lambda: True))
        monkeypatch.setattr(desk.tray.icon, "showMessage", lambda *a: shown.append(a))
        desk.tray.notify(Notification("New match: X", "A job\nGigiac", key, NotificationKind.MATCH))
        assert shown and shown[0][:2] == ("New match: X", "A job\nGigiac")
        assert not desk.window.banner.isVisible()  # the tray showed it
        desk.window.hide()
        desk.tray.icon.messageClicked.emit()
        assert desk.window.isVisible()
        await until(lambda: desk.window.current_key == key)


@pytest.mark.usefixtures("without_tray")
async def test_without_a_tray_the_banner_shows_and_its_open_button_goes_there(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as desk:
        assert desk.tray.icon is None
        await until(lambda: len(desk.notifications.recent_matches()) >= 1)
        banner = desk.window.banner
        await until(banner.isVisible)  # a real match, through the whole chain
        assert banner.title.text().startswith("New match: Everything")
        await until(lambda: desk.window.model.rowCount() >= 5)
        key = desk.window.model.key_at(4)
        title = desk.services.store.opportunities.get(key).title
        desk.tray.notify(
            Notification("Proposal sent", f"{title}\nGigiac", key, NotificationKind.SUBMITTED)
        )
        assert banner.title.text() == "Proposal sent"
        assert title in banner.text.text()
        banner.open_button.click()
        assert not banner.isVisible()
        await until(lambda: desk.window.current_key == key)


# -- close to tray --------------------------------------------------------------------------


@pytest.mark.usefixtures("with_tray")
async def test_with_a_tray_closing_hides_and_hints_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with run_whole(tmp_path) as (desk, task):
        messages: list[tuple[Any, ...]] = []
        monkeypatch.setattr(QSystemTrayIcon, "supportsMessages", staticmethod(lambda: True))
        monkeypatch.setattr(desk.tray.icon, "showMessage", lambda *a: messages.append(a))

        def hints() -> list[tuple[Any, ...]]:  # match notifications arrive meanwhile
            return [m for m in messages if m[0] == "BidDesk is still running"]

        def quit_asked() -> bool:  # closing quits by resolving the shutdown future at once
            return desk._shutdown is None or desk._shutdown.done()

        desk.window.close()
        await until(lambda: not desk.window.isVisible())
        assert not quit_asked() and not task.done()  # still running, in the tray
        assert len(hints()) == 1
        assert desk.services.store.settings.get(HINT_SHOWN_KEY) is True
        desk.tray.show_window()
        await until(desk.window.isVisible)
        desk.window.close()
        await until(lambda: not desk.window.isVisible())
        assert not quit_asked() and not task.done() and len(hints()) == 1  # the hint only once

        # Turned off in the settings, closing quits even with a tray.
        desk.services.store.settings.set(tray_module.CLOSE_TO_TRAY_KEY, False)
        desk.tray.show_window()
        desk.window.close()
        assert await asyncio.wait_for(asyncio.shield(task), 10) == 0


@pytest.mark.usefixtures("without_tray")
async def test_without_a_tray_closing_the_window_quits(tmp_path: Path) -> None:
    async with run_whole(tmp_path) as (desk, task):
        desk.window.close()
        assert await asyncio.wait_for(asyncio.shield(task), 10) == 0


# -- preferences ----------------------------------------------------------------------------


@pytest.mark.usefixtures("with_tray")
async def test_preferences_save_rules_tray_and_login(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        desk.services.store.settings.set(
            "ui.saved_filters",
            {"Everything": FilterSpec().to_json(), "React": FilterSpec(text="react").to_json()},
        )
        desk.window.action_preferences.trigger()
        dialog = desk.window.findChild(PreferencesDialog)
        assert dialog is not None and dialog.isVisible()
        assert dialog.filter_boxes["Everything"].isChecked()
        assert not dialog.filter_boxes["React"].isChecked()
        assert not dialog.submissions.isChecked()
        assert dialog.close_to_tray.isEnabled() and dialog.close_to_tray.isChecked()
        assert not dialog.start_at_login.isChecked()
        dialog.filter_boxes["Everything"].setChecked(False)
        dialog.filter_boxes["React"].setChecked(True)
        dialog.submissions.setChecked(True)
        dialog.quiet.setChecked(True)
        dialog.quiet_from.setTime(dialog.quiet_from.time().fromString("23:15", "HH:mm"))
        dialog.close_to_tray.setChecked(False)
        dialog.start_at_login.setChecked(True)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

        rules = desk.notifications.rules
        assert rules.filters == frozenset({"React"}) and rules.submissions
        assert rules.quiet_from == time(23, 15) and rules.quiet_to == time(7, 0)
        stored = NotificationRules.from_dict(desk.services.store.settings.get(RULES_KEY))
        assert stored == rules
        assert desk.services.store.settings.get(tray_module.CLOSE_TO_TRAY_KEY) is False
        assert (tmp_path / "xdg" / "autostart" / "biddesk.desktop").is_file()

        desk.tray.actions()["trayPreferences"].trigger()  # from the tray as well
        again = desk._preferences
        assert again is not None and again.start_at_login.isChecked()
        assert not again.close_to_tray.isChecked()
        again.reject()


@pytest.mark.usefixtures("without_tray")
async def test_preferences_without_a_tray_grey_out_close_to_tray(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        dialog = desk.open_preferences()
        assert dialog is not None
        assert not dialog.close_to_tray.isEnabled() and not dialog.close_to_tray.isChecked()
        assert "no system tray" in dialog.close_to_tray.toolTip()
        dialog.reject()


# -- widgets alone --------------------------------------------------------------------------


def test_banner_shows_opens_and_dismisses(qtbot: Any) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_notice("3 new matching opportunities", "One\nTwo\nThree", None)
    assert banner.isVisible() and banner.text.text() == "One — Two — Three"
    with qtbot.waitSignal(banner.open_requested) as blocker:
        banner.show_notice("New match: React", "React dashboard", "gigiac:1")
        banner.open_button.click()
    assert blocker.args == ["gigiac:1"] and not banner.isVisible()
    banner.show_notice("Again", "x", "gigiac:2")
    banner.close_button.click()
    assert not banner.isVisible() and banner.key is None


def test_the_icon_shows_a_count_badge_and_a_failure_dot(qtbot: Any) -> None:
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    base = QIcon(pixmap)
    assert state_icon(base, 0, None, light=True) is base
    drawn = state_icon(base, 4, FAILING_RED, light=True).pixmap(32, 32).toImage()
    badge = drawn.pixelColor(26, 26)
    dot = drawn.pixelColor(29, 3)
    assert _close(badge, BADGE_BLUE) and _close(dot, FAILING_RED)
    assert drawn.pixelColor(4, 4).alpha() == 0  # the glyph's own area is untouched


def _close(a: QColor, b: QColor) -> bool:
    return all(abs(x - y) <= 40 for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def test_preferences_dialog_lists_saved_filters_or_says_how(qtbot: Any) -> None:
    from app.ui.dialogs.preferences import PreferenceValues

    empty = PreferencesDialog(PreferenceValues((), NotificationRules(), True, False), tray=True)
    qtbot.addWidget(empty)
    hint = empty.findChild(QLabel, "noSavedFilters")
    assert hint is not None and "Saved menu" in hint.text()
    assert empty.filter_boxes == {}
    assert empty.values().rules.filters == frozenset()
