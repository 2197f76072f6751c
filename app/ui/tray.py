"""BidDesk in the system tray: an icon that shows what waits, a menu, close-to-tray, and
the display end of notifications.

- The icon is the packaged glyph (light or dark by the palette), with a count badge for
  unread matching opportunities and a red (polling stopped) or amber (retrying) dot when
  an account is failing, drawn at runtime.
- The menu is rebuilt each time it opens (`aboutToShow`): open, the latest matches, pause
  or resume ingest, preferences, quit. A left click toggles the window, except on macOS
  where a click opens the menu as the platform expects.
- Closing the window hides it (one hint, the first time) only where a tray exists and the
  user wants it; otherwise closing quits. Without a tray the window stays the way back.
- Notifications go to the desktop's notification service first (on Linux
  `org.freedesktop.Notifications`, `app.services.desktop_notifications`: the desktop's
  own popups, its history, its do-not-disturb), then to a tray message (on Windows and
  macOS Qt hands that to the OS's notification centre), and, when there is no tray or it
  cannot show messages, to the window's banner, which cannot fail. Clicking any of them
  opens BidDesk on the opportunity.

The decisions (what to notify, when) live in `app.services.notifications`; this module
only displays and routes clicks.
"""

from __future__ import annotations

import logging
import os
import sys
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from app.services.desktop_notifications import (
    ClickHandler,
    DesktopNotifications,
    session_bus_address,
)
from app.services.events import AccountStatus
from app.services.notifications import UNREAD_TRACKED, Notification, NotificationService

if TYPE_CHECKING:
    from app.ui.bridge import Bridge
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

ICON_SIZES = (16, 22, 24, 32, 48, 64)
CLOSE_TO_TRAY_KEY = "ui.close_to_tray"
HINT_SHOWN_KEY = "ui.tray_hint_shown"
MENU_MATCHES = 5
MENU_TITLE_CHARS = 60
MESSAGE_MS = 8_000
BADGE_BLUE = QColor("#1a73e8")
FAILING_RED = QColor("#d93025")
RETRYING_AMBER = QColor("#f29900")


def tray_available() -> bool:
    """Whether the desktop has a system tray (tests replace this to try both cases)."""
    return QSystemTrayIcon.isSystemTrayAvailable()


def native_notifications(on_clicked: ClickHandler, icon: str) -> DesktopNotifications | None:
    """The desktop's notification service, where BidDesk talks to it directly: Linux and
    the other freedesktop desktops with a session bus (tests replace this). Windows and
    macOS have none here: Qt's tray message is the OS's notification there."""
    if sys.platform.startswith("win") or sys.platform == "darwin":
        return None
    if session_bus_address() is None:
        return None
    return DesktopNotifications(on_clicked, app_icon=icon)


def notification_icon(icons: Path) -> str:
    """The app icon for a notification: the packaged PNG (inside the bundle when frozen),
    which every daemon can read, or else the icon theme's name."""
    path = icons / "biddesk-128.png"
    return path.resolve().as_uri() if path.exists() else "biddesk"


class Settings(Protocol):
    """The settings the tray and the preferences read and write (the store's repository)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...


def close_to_tray_enabled(settings: Settings) -> bool:
    return bool(settings.get(CLOSE_TO_TRAY_KEY, True))


def _palette_is_light() -> bool:
    palette = QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() >= 128


def base_icon(icons: Path, *, light: bool) -> QIcon:
    """The packaged tray glyph for a light or a dark panel, from its PNG sizes."""
    name = "tray-light" if light else "tray-dark"
    icon = QIcon()
    for size in ICON_SIZES:
        path = icons / f"{name}-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    if icon.isNull() and (icons / f"{name}.svg").exists():
        icon = QIcon(str(icons / f"{name}.svg"))
    return icon


def template_icon(icons: Path) -> QIcon:
    """The macOS menu-bar template (black + alpha; the system tints it), or a null icon.

    QIcon picks up the `@2x` file beside it for Retina screens by itself.
    """
    path = icons / "tray-template.png"
    if not path.exists():
        return QIcon()
    icon = QIcon(str(path))
    icon.setIsMask(True)
    return icon


def _blank(size: int, light: bool) -> QPixmap:
    """A plain disc, for a build without the packaged glyphs: never an empty icon."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#202124") if light else QColor("#e8eaed"))
    painter.drawEllipse(QRect(size // 8, size // 8, size * 3 // 4, size * 3 // 4))
    painter.end()
    return pixmap


def badge_text(unread: int) -> str:
    return "" if unread <= 0 else ("9+" if unread > 9 else str(unread))


def state_icon(base: QIcon, unread: int, failing: QColor | None, *, light: bool) -> QIcon:
    """`base` with a count badge (bottom right) and a failure dot (top right) painted on."""
    if unread <= 0 and failing is None and not base.isNull():
        return base
    icon = QIcon()
    text = badge_text(unread)
    for size in ICON_SIZES:
        glyph = base.pixmap(size, size) if not base.isNull() else QPixmap()
        if glyph.isNull():
            glyph = _blank(size, light)
        # A canvas of exactly this size: an icon hands back smaller pixmaps (it never
        # upscales), and the badge must sit in the corner of the size asked for.
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(QRect(0, 0, size, size), glyph)
        painter.setPen(Qt.PenStyle.NoPen)
        if text:
            d = max(9, size * 5 // 8)
            rect = QRect(size - d, size - d, d, d)
            painter.setBrush(BADGE_BLUE)
            painter.drawEllipse(rect)
            font = QFont()
            font.setBold(True)
            font.setPixelSize(max(7, d * (6 if len(text) == 1 else 5) // 10))
            painter.setFont(font)
            painter.setPen(QColor("white"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            painter.setPen(Qt.PenStyle.NoPen)
        if failing is not None:
            d = max(6, size * 3 // 8)
            painter.setBrush(failing)
            painter.drawEllipse(QRect(QPoint(size - d, 0), QSize(d, d)))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _elide(text: str, limit: int = MENU_TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Tray(QObject):
    """The tray icon, its menu, close-to-tray and notification display; see module doc."""

    quit_requested = Signal(int)
    preferences_requested = Signal()

    def __init__(
        self,
        window: MainWindow,
        bridge: Bridge,
        notifications: NotificationService,
        settings: Settings,
        *,
        icons: Path,
        available: bool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.window = window
        self.bridge = bridge
        self.notifications = notifications
        self.settings = settings
        self.icons = icons
        self.available = tray_available() if available is None else available
        self.macos = sys.platform == "darwin"
        self._failing: dict[str, QColor] = {}  # account -> dot colour
        self._message_key: str | None = None
        self._detached = False
        self._sent = count(1)
        self.desktop = native_notifications(self._on_desktop_clicked, notification_icon(icons))
        self.icon: QSystemTrayIcon | None = None
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.menu.aboutToShow.connect(self._rebuild_menu)
        self._rebuild_menu()
        if self.available:
            self.icon = QSystemTrayIcon(self)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._on_icon_activated)
            self.icon.messageClicked.connect(self._on_icon_message_clicked)
        self._unlisten = notifications.add_listener(self.refresh)
        window.banner.open_requested.connect(self.open_opportunity)
        window.inbox.current_key_changed.connect(self._on_inbox_current_key_changed)
        window.bridge.account_status_changed.connect(self._on_bridge_account_status_changed)
        window.close_handler = self.handle_close
        self.refresh()
        if self.icon is not None:
            self.icon.show()

    def detach(self) -> None:
        """The app is closing: take the icon off the panel and give closing back."""
        if self._detached:
            return
        self._detached = True
        self._unlisten()
        self.window.close_handler = None
        if self.icon is not None:
            self.icon.hide()
        self.menu.deleteLater()

    async def aclose(self) -> None:
        """After `detach`: close the connection to the desktop's notification service."""
        desktop, self.desktop = self.desktop, None
        if desktop is not None:
            await desktop.aclose()

    # -- state ----------------------------------------------------------------------------

    def unread_count(self) -> int:
        return len(self.notifications.unread_matches())

    def failing_colour(self) -> QColor | None:
        colours = set(c.name() for c in self._failing.values())
        if FAILING_RED.name() in colours:
            return FAILING_RED
        return RETRYING_AMBER if colours else None

    def tooltip(self, unread: int) -> str:
        lines = ["BidDesk"]
        if unread:
            count = f"{UNREAD_TRACKED}+" if unread >= UNREAD_TRACKED else str(unread)
            noun = "opportunity" if unread == 1 else "opportunities"
            lines.append(f"{count} unread matching {noun}")
        for account, colour in sorted(self._failing.items()):
            state = "stopped" if colour == FAILING_RED else "retrying"
            lines.append(f"{account}: polling {state}")
        if self.bridge.ingest_paused:
            lines.append("Ingest paused")
        return "\n".join(lines)

    def refresh(self) -> None:
        """Redraw the icon and tooltip from the current state."""
        if self.icon is None or self._detached:
            return
        light = _palette_is_light()
        unread, failing = self.unread_count(), self.failing_colour()
        template = template_icon(self.icons) if self.macos else QIcon()
        if not template.isNull() and not unread and failing is None:
            self.icon.setIcon(template)  # the menu bar tints it for light and dark
        else:
            base = base_icon(self.icons, light=light)
            self.icon.setIcon(state_icon(base, unread, failing, light=light))
        self.icon.setToolTip(self.tooltip(unread))

    def _on_bridge_account_status_changed(self, status: AccountStatus) -> None:
        if status.last_error:
            stopped = status.next_poll_at is None
            self._failing[status.account] = FAILING_RED if stopped else RETRYING_AMBER
        else:
            self._failing.pop(status.account, None)
        self.refresh()

    def _on_inbox_current_key_changed(self, _key: object) -> None:
        self.refresh()  # the window marked it read: the badge may drop

    # -- menu -----------------------------------------------------------------------------

    def _rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        open_action = menu.addAction("Open BidDesk")
        open_action.setObjectName("trayOpen")
        open_action.triggered.connect(self.show_window)
        menu.addSeparator()
        matches = self.notifications.recent_matches()
        unread = {m.key for m in self.notifications.unread_matches()}
        if matches:
            header = menu.addAction("Latest matches")
            header.setEnabled(False)
            shown: set[str] = set()
            for match in matches:
                if match.key in shown:
                    continue
                shown.add(match.key)
                action = menu.addAction(_elide(match.title))
                action.setObjectName("trayMatch")
                action.setData(match.key)
                action.setToolTip(f"Matches “{match.filter_name}”")
                if match.key in unread:
                    font = action.font()
                    font.setBold(True)
                    action.setFont(font)
                action.triggered.connect(lambda _=False, key=match.key: self.open_opportunity(key))
                if len(shown) == MENU_MATCHES:
                    break
            menu.addSeparator()
        pause = menu.addAction("Resume ingest" if self.bridge.ingest_paused else "Pause ingest")
        pause.setObjectName("trayPause")
        pause.triggered.connect(self.toggle_ingest)
        prefs = menu.addAction("Preferences…")
        prefs.setObjectName("trayPreferences")
        prefs.triggered.connect(self.preferences_requested.emit)
        menu.addSeparator()
        quit_action = menu.addAction("Quit BidDesk")
        quit_action.setObjectName("trayQuit")
        quit_action.triggered.connect(lambda: self.quit_requested.emit(0))

    def actions(self) -> dict[str, QAction]:
        """The menu's actions by object name (the last of each name), as rebuilt now."""
        self._rebuild_menu()
        return {a.objectName(): a for a in self.menu.actions() if a.objectName()}

    def toggle_ingest(self) -> None:
        if self.bridge.ingest_paused:
            self.bridge.resume_ingest()
            self.window.statusBar().showMessage("Ingest resumed.", 4000)
        else:
            self.bridge.pause_ingest()
            self.window.statusBar().showMessage(
                "Ingest paused: no account is polled until you resume.", 6000
            )
        self.refresh()

    # -- the window -----------------------------------------------------------------------

    def show_window(self) -> None:
        self.window.bring_to_front()

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            self.show_window()

    def open_opportunity(self, key: object) -> None:
        """A notification or a menu entry was clicked: BidDesk, on that opportunity."""
        self.show_window()
        if isinstance(key, str) and key:
            self.window.go_to_opportunity(key)

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # macOS opens the context menu on a click by itself; elsewhere a click toggles.
        if reason is QSystemTrayIcon.ActivationReason.Trigger and not self.macos:
            self.toggle_window()

    def handle_close(self) -> bool:
        """The window was asked to close: True if it went to the tray instead of quitting."""
        if self.icon is None or self._detached or not close_to_tray_enabled(self.settings):
            return False
        self.window.hide()
        if not self.settings.get(HINT_SHOWN_KEY, False):
            self.settings.set(HINT_SHOWN_KEY, True)
            self._show_message(
                "BidDesk is still running",
                "It keeps watching for new opportunities here. "
                "Quit from this icon's menu; turn this off in Preferences.",
                None,
            )
        return True

    # -- notifications --------------------------------------------------------------------

    def notify(self, notification: Notification) -> None:
        """Show `notification`: through the desktop's notification service if there is
        one, else a tray message if possible, else the window's banner."""
        self.refresh()
        if self.desktop is not None and not self._detached:
            self.bridge.services.tasks.spawn(
                self._notify_desktop(self.desktop, notification), name=f"notify:{next(self._sent)}"
            )
            return
        self._notify_here(notification)

    async def _notify_desktop(
        self, desktop: DesktopNotifications, notification: Notification
    ) -> None:
        n = notification
        try:
            shown = await desktop.notify(n.title, n.body, n.opportunity_key)
        except Exception:  # a broken bus must not lose the notice: it falls back below
            log.exception("the desktop's notification service failed")
            shown = False
        if not shown and not self._detached:
            self._notify_here(notification)

    def _notify_here(self, notification: Notification) -> None:
        """The fallbacks: a tray message, else the window's banner (which cannot fail)."""
        key = notification.opportunity_key
        if self._show_message(notification.title, notification.body, key):
            return
        self.window.banner.show_notice(notification.title, notification.body, key)

    def _on_desktop_clicked(self, key: str, token: str | None) -> None:
        """A click on BidDesk's notification in the desktop's popup or history."""
        if self._detached:
            return
        if token:
            # Wayland: the compositor lets a window take focus with the token the click
            # produced (xdg-activation); Qt's Wayland plugin reads it from here.
            os.environ["XDG_ACTIVATION_TOKEN"] = token
        self.open_opportunity(key)

    def _show_message(self, title: str, body: str, key: str | None) -> bool:
        icon = self.icon
        if icon is None or self._detached or not icon.isVisible():
            return False
        try:
            if not QSystemTrayIcon.supportsMessages():
                return False
            self._message_key = key
            icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)
        except Exception:  # a broken notification daemon must not lose the notice
            log.exception("the tray could not show a message")
            return False
        return True

    def _on_icon_message_clicked(self) -> None:
        key, self._message_key = self._message_key, None
        self.open_opportunity(key)


__all__ = [
    "Tray",
    "badge_text",
    "close_to_tray_enabled",
    "native_notifications",
    "state_icon",
    "tray_available",
]
