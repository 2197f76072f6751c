"""Notifications through the desktop's own service: `org.freedesktop.Notifications`.

On Linux the desktop (GNOME Shell, Plasma, dunst, mako, xfce4-notifyd…) owns the
`org.freedesktop.Notifications` name on the session bus. A notification sent there is
shown the desktop's way, kept in its history and held back while the user has do not
disturb on: all of that is the daemon's job once BidDesk goes through it. A click on the
notification (its "default" action) comes back as the `ActionInvoked` signal, and BidDesk
opens the job.

Why dbus-fast and not the alternatives (issue 16, item 5):
- QtDBus (in PySide6-Essentials) cannot send `Notify` from Python: the `replaces_id`
  argument is a D-Bus `uint32`, and PySide6 marshals a Python int as `int32` or `uint16`
  (`QDBusArgument << 0` writes `q`); GLib-based daemons refuse the call ("does not match
  expected type (susssasa{sv}i)").
- desktop-notifier (built on dbus-fast) logs and swallows every failure, so the fallback
  chain could not tell a refused notification from a shown one, and it forgets a
  notification when its popup closes, so a click in the history opens nothing. On macOS
  it needs a signed app bundle and rubicon-objc, on Windows six WinRT packages; there
  Qt's tray message already goes to the OS's notification centre.
- dbus-fast itself is typed, asyncio-native (it runs on the window's qasync loop through
  `add_reader`) and what desktop-notifier and Home Assistant use underneath.

No Qt here: the tray decides the fallback (tray message, then the window's banner) when
`notify` answers False, and the tests drive this module against a real daemon on a
private bus.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a Linux-only dependency, imported where it is used
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
DEFAULT_ACTION = "default"
CALL_TIMEOUT = 5.0  # a daemon that does not answer by then is treated as absent
REMEMBERED = 500  # notifications whose click still opens their job (history included)
_MATCH_RULE = f"type='signal',sender='{SERVICE}',path='{PATH}',interface='{INTERFACE}'"

# (job key, activation token or None): a click on a notification that named a job.
ClickHandler = Callable[[str, str | None], None]


def session_bus_address(environ: dict[str, str] | None = None) -> str | None:
    """The session bus: `DBUS_SESSION_BUS_ADDRESS`, else systemd's per-user bus socket.

    None when there is neither (a bare server, a container): no desktop to notify."""
    env = os.environ if environ is None else environ
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={Path(runtime, 'bus')}"
    return None


class DesktopNotifications:
    """One connection to the session bus, for `Notify` calls and the click signals."""

    def __init__(
        self,
        on_clicked: ClickHandler,
        *,
        address: str | None = None,
        app_name: str = "BidDesk",
        app_icon: str = "biddesk",
        desktop_entry: str = "biddesk",
    ) -> None:
        self._on_clicked = on_clicked
        self._address = address
        self.app_name = app_name
        self.app_icon = app_icon
        self.desktop_entry = desktop_entry
        self._bus: MessageBus | None = None
        self._connecting: asyncio.Task[MessageBus | None] | None = None
        self._keys: OrderedDict[int, str] = OrderedDict()  # notification id -> job key
        self._tokens: dict[int, str] = {}  # notification id -> xdg activation token
        self._markup: bool | None = None  # whether the server parses markup in bodies
        self.server: str | None = None  # "dunst 1.9.0", once known
        self._closed = False

    # -- connection -----------------------------------------------------------------------

    async def _connection(self) -> MessageBus | None:
        if self._closed:
            return None
        if self._bus is not None and self._bus.connected:
            return self._bus
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.ensure_future(self._connect())
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> MessageBus | None:
        address = self._address or session_bus_address()
        if address is None:
            return None
        try:
            from dbus_fast import BusType, Message
            from dbus_fast.aio import MessageBus

            bus = MessageBus(bus_address=address, bus_type=BusType.SESSION)
            await asyncio.wait_for(bus.connect(), CALL_TIMEOUT)
        except Exception as exc:  # no bus there, refused, timed out: no native service
            log.info("no session bus for notifications (%s): %s", address, exc)
            return None
        bus.add_message_handler(self._on_message)
        self._bus = bus
        await self._call(
            bus,
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="AddMatch",
                signature="s",
                body=[_MATCH_RULE],
            ),
        )
        return bus

    async def _call(self, bus: MessageBus, message: Message) -> list[object] | None:
        """The reply's body, or None when the call failed (logged at INFO: the caller
        falls back, this is not an error of BidDesk's)."""
        from dbus_fast import MessageType

        try:
            reply = await asyncio.wait_for(bus.call(message), CALL_TIMEOUT)
        except Exception as exc:
            log.info("%s.%s failed: %s", message.interface, message.member, exc)
            return None
        if reply is None or reply.message_type is MessageType.ERROR:
            detail = reply.error_name if reply is not None else "no reply"
            log.info("%s.%s refused: %s", message.interface, message.member, detail)
            return None
        return list(reply.body)

    def _method(
        self, member: str, signature: str = "", body: list[object] | None = None
    ) -> Message:
        from dbus_fast import Message

        return Message(
            destination=SERVICE,
            path=PATH,
            interface=INTERFACE,
            member=member,
            signature=signature,
            body=body or [],
        )

    async def _probe_server(self, bus: MessageBus) -> bool:
        """Ask the daemon who it is and what it can do, once; False if nobody answers."""
        if self._markup is not None:
            return True
        info = await self._call(bus, self._method("GetServerInformation"))
        if info is None:
            return False
        caps = await self._call(bus, self._method("GetCapabilities"))
        capabilities = caps[0] if caps and isinstance(caps[0], list) else []
        self._markup = "body-markup" in capabilities
        self.server = " ".join(str(part) for part in info[:3] if part)
        log.info("notifications go to %s (%s)", self.server, ", ".join(map(str, capabilities)))
        return True

    async def available(self) -> bool:
        """Whether a notification service answers on the session bus now."""
        bus = await self._connection()
        if bus is None:
            return False
        return await self._probe_server(bus)

    async def aclose(self) -> None:
        self._closed = True
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        bus, self._bus = self._bus, None
        if bus is not None and bus.connected:
            bus.disconnect()
            try:
                await asyncio.wait_for(
                    bus.wait_for_disconnect(),  # type: ignore[no-untyped-call]
                    CALL_TIMEOUT,
                )
            except Exception:  # disconnecting is best effort at shutdown
                log.debug("the session bus did not close cleanly", exc_info=True)

    # -- notifications --------------------------------------------------------------------

    async def notify(self, title: str, body: str, key: str | None) -> bool:
        """Show a notification; True once the service took it, False when there is none
        (or it refused): the caller then shows it another way."""
        bus = await self._connection()
        if bus is None or not await self._probe_server(bus):
            self._markup = None  # ask again next time: the daemon may have restarted
            return False
        from dbus_fast import Variant

        text = escape(body, quote=False) if self._markup else body
        hints = {
            "desktop-entry": Variant("s", self.desktop_entry),
            "urgency": Variant("y", 1),
            "category": Variant("s", "x-biddesk.job"),
        }
        actions = [DEFAULT_ACTION, "Open in BidDesk"] if key else []
        reply = await self._call(
            bus,
            self._method(
                "Notify",
                "susssasa{sv}i",
                [self.app_name, 0, self.app_icon, title, text, actions, hints, -1],
            ),
        )
        if not reply:
            self._markup = None
            return False
        nid = reply[0]
        if key and isinstance(nid, int):
            self._keys[nid] = key
            while len(self._keys) > REMEMBERED:
                self._keys.popitem(last=False)
        return True

    # -- signals --------------------------------------------------------------------------

    def _on_message(self, message: Message) -> None:
        from dbus_fast import MessageType

        if message.message_type is not MessageType.SIGNAL or message.interface != INTERFACE:
            return
        body = message.body
        if message.member == "ActivationToken" and len(body) == 2:
            nid, token = body
            if nid in self._keys and isinstance(token, str):
                self._tokens[nid] = token
        elif message.member == "ActionInvoked" and len(body) == 2:
            nid, action = body
            key = self._keys.get(nid)
            if key is None or action != DEFAULT_ACTION:
                return  # another app's notification, or not ours to open
            token = self._tokens.pop(nid, None)
            try:
                self._on_clicked(key, token)
            except Exception:  # the handler's bug, not the bus's: keep listening
                log.exception("opening the job of a clicked notification failed")
        elif message.member == "NotificationClosed" and len(body) == 2:
            # The popup went to the history: its job is still a click away there.
            self._tokens.pop(body[0], None)


__all__ = ["DesktopNotifications", "session_bus_address"]
