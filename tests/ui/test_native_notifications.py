"""BidDesk's notifications through the desktop's own service, on the real App: a real
daemon (dunst) on a private session bus shows them and keeps them in its history, and a
click on one opens the job in the window. Without a service they fall back to the banner
(no tray, as on stock GNOME).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.desktop_notifications import ClickHandler, DesktopNotifications
from app.services.notifications import Notification, NotificationKind
from app.ui import tray as tray_module
from tests.helpers.desktop_session import DesktopSession, desktop_session
from tests.ui.test_tray import running
from tests.ui.test_window import until

pytestmark = pytest.mark.integration


def _use_bus(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """The App's tray talks to the private bus's notification service."""

    def native(on_clicked: ClickHandler, icon: str) -> DesktopNotifications:
        return DesktopNotifications(on_clicked, address=address, app_icon=icon)

    monkeypatch.setattr(tray_module, "native_notifications", native)
    monkeypatch.setattr(tray_module, "tray_available", lambda: False)  # stock GNOME


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DesktopSession]:
    with desktop_session(tmp_path) as running_session:
        _use_bus(monkeypatch, running_session.address)
        yield running_session


def _biddesk(session: DesktopSession) -> list[dict[str, object]]:
    return [e for e in session.history() if e["appname"] == "BidDesk"]


async def test_a_match_reaches_the_daemons_history_and_a_click_opens_the_job(
    tmp_path: Path, session: DesktopSession
) -> None:
    async with running(tmp_path) as desk:
        # A real match, through the whole chain: the rules, the tray, the daemon.
        await until(lambda: session.count("displayed") >= 1)
        assert not desk.window.banner.isVisible()  # the desktop showed it, not the banner
        await asyncio.to_thread(session.dunstctl, "close-all")
        history = await asyncio.to_thread(_biddesk, session)
        assert history and str(history[0]["summary"]).startswith("New match: Everything")
        assert history[0]["icon_path"]  # the app's icon came with it

        # The window is hidden (in the tray, or another workspace); the user clicks the
        # popup of a sent proposal: BidDesk comes back, on that job.
        await until(lambda: desk.window.model.rowCount() >= 5)
        key = desk.window.model.key_at(4)
        assert key != desk.window.current_key
        desk.window.hide()
        desk.tray.notify(
            Notification("Proposal sent", "A job\nGigiac, main", key, NotificationKind.SUBMITTED)
        )
        await until(lambda: session.count("displayed") == 1)
        await asyncio.to_thread(session.dunstctl, "action", "0")
        await until(lambda: desk.window.isVisible() and desk.window.current_key == key)
        assert not desk.window.banner.isVisible()


async def test_without_a_notification_service_the_banner_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desktop_session(tmp_path, daemon=False) as bare:
        _use_bus(monkeypatch, bare.address)
        async with running(tmp_path) as desk:
            assert desk.tray.desktop is not None
            # A real match, through the whole chain: nobody answers on the bus, so the
            # banner shows it (no tray here), and its button opens the job.
            banner = desk.window.banner
            await until(lambda: banner.isVisible() and banner.key is not None)
            assert banner.title.text().startswith("New match: Everything")
            key = banner.key
            banner.open_button.click()
            await until(lambda: desk.window.current_key == key)
