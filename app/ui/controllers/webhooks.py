"""Webhooks: the dialog that turns them on and shows each account's URL, fed live.

`WebhooksController` holds the running receiver (`realtime`, set by the App while
webhooks are on), reads and writes the keyring only through async calls (the ngrok
authtoken, each account's URL token and signing secret), and feeds the open dialog the
live status for exactly the dialog's life.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.services.container import Services
from app.services.events import RealtimeStatus
from app.services.secrets import SecretError
from app.services.webhook_settings import RealtimeConfig, Setup
from app.ui.bridge import Bridge
from app.ui.controllers.feedback import Feedback
from app.ui.dialogs._lifetime import DialogFeed, OpenDialog, alive

if TYPE_CHECKING:  # the receiver's module brings aiohttp: imported when the dialog opens
    from app.ingest.realtime import Realtime
    from app.ui.dialogs.webhooks import WebhooksDialog

log = logging.getLogger(__name__)

TOKEN_TASK = "webhooks:ngrok-token"
SETUPS_TASK = "webhooks:setups"
SAVE_TASK = "webhooks:save"


def _setups_shape(status: RealtimeStatus | None) -> tuple[object, ...] | None:
    """What the Webhooks dialog's account rows depend on (not the delivery counters)."""
    if status is None:
        return None
    return (
        status.state,
        status.public_url,
        status.healthy_accounts,
        status.registering,
        status.registration_failures,
    )


class WebhooksController(QObject):
    changed = Signal()  # the webhook settings were saved: restart the receiver

    def __init__(
        self,
        services: Services,
        bridge: Bridge,
        *,
        feedback: Feedback,
        keep: Callable[[QWidget], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.bridge = bridge
        self.feedback = feedback
        self._keep = keep
        self._window = parent
        self.realtime: Realtime | None = None  # set by the App while webhooks are on
        self._dialog: OpenDialog[WebhooksDialog] = OpenDialog()
        self._shape: tuple[object, ...] | None = None

    def _spawn(self, coro: object, name: str) -> None:
        self.services.tasks.spawn(coro, name=name, replace=True)  # type: ignore[arg-type]

    @property
    def dialog(self) -> WebhooksDialog | None:
        """The open Webhooks dialog, or None (it is deleted when it closes)."""
        return self._dialog.get()

    def open(self) -> None:
        from app.ingest.realtime import SETTINGS_KEY
        from app.ui.dialogs.webhooks import WebhooksDialog

        current = self._dialog.get()
        if current is not None:
            current.raise_()
            current.activateWindow()
            return
        realtime = self.realtime
        # What is running (the sandbox turns webhooks on by itself), else what is saved.
        config = (
            realtime.config
            if realtime is not None
            else RealtimeConfig.from_settings(self.services.store.settings.get(SETTINGS_KEY))
        )
        dialog = WebhooksDialog(config, self._window)
        status = realtime.status() if realtime is not None else None
        dialog.set_status(status)
        self._shape = _setups_shape(status)
        dialog.saved.connect(lambda cfg, token: self._save(dialog, cfg, token))
        dialog.copy_secret_requested.connect(self._copy_secret)
        dialog.set_secret_requested.connect(
            lambda account, secret: self._set_secret(dialog, account, secret)
        )
        dialog.rotate_requested.connect(lambda account: self._rotate(dialog, account))
        self._keep(dialog)
        self._dialog.set(dialog)
        # Live status for exactly the dialog's life: never a call on a deleted dialog.
        DialogFeed(dialog, self.bridge.realtime_status_changed, self._feed)
        self._refresh_setups(dialog)
        self._spawn(self._load_token_state(dialog), TOKEN_TASK)
        dialog.open()

    async def _load_token_state(self, dialog: WebhooksDialog) -> None:
        from app.ingest.realtime import NGROK_SECRET

        try:
            await self.services.secrets.aget(NGROK_SECRET)
            stored = True
        except SecretError:
            stored = False
        if alive(dialog):
            dialog.set_has_ngrok_token(stored)

    def _refresh_setups(self, dialog: WebhooksDialog) -> None:
        """Each enabled account's URL and steps; its credentials read off the loop first."""
        realtime = self.realtime
        if realtime is None:
            dialog.set_setups([])
            return

        async def run() -> None:
            setups: list[Setup] = []
            for account in self.services.accounts.list():
                if account.enabled:
                    await realtime.keys.aensure(account.name)  # then `setup` needs no keyring
                    setups.append(realtime.setup(account))
            if alive(dialog):
                dialog.set_setups(setups)

        self._spawn(run(), SETUPS_TASK)

    def _feed(self, dialog: WebhooksDialog, status: RealtimeStatus) -> None:
        dialog.set_status(status)
        # The accounts' rows only change with the tunnel, their health or registration;
        # not at each delivery (rebuilding them four times a second would flicker and
        # lose focus).
        shape = _setups_shape(status)
        if self.realtime is not None and shape != self._shape:
            self._shape = shape
            self._refresh_setups(dialog)

    def _save(self, dialog: WebhooksDialog, config: RealtimeConfig, token: str | None) -> None:
        if not token:
            self._store(config)
            return

        async def run() -> None:
            from app.ingest.realtime import NGROK_SECRET

            try:
                await self.services.secrets.aset(NGROK_SECRET, token)
            except SecretError as exc:
                if alive(dialog):
                    dialog.show_error(str(exc))
                return
            self._store(config)

        self._spawn(run(), SAVE_TASK)

    def _store(self, config: RealtimeConfig) -> None:
        from app.ingest.realtime import SETTINGS_KEY

        self.services.store.settings.set(SETTINGS_KEY, config.to_settings())
        self.changed.emit()

    def _copy_secret(self, account: str) -> None:
        realtime = self.realtime
        if realtime is None:
            self.feedback.notice("Turn webhooks on first.", 5_000)
            return

        async def run() -> None:
            creds, _ = await realtime.keys.aensure(account)
            QGuiApplication.clipboard().setText(creds.secret or "")
            self.feedback.notice(f"The signing secret of {account} is on the clipboard.", 5_000)

        self._spawn(run(), f"webhooks:copy:{account}")

    def _set_secret(self, dialog: WebhooksDialog, account: str, secret: str) -> None:
        realtime = self.realtime
        if realtime is None:
            self.feedback.notice("Turn webhooks on first.", 5_000)
            return

        async def run() -> None:
            _, warning = await realtime.keys.amerge(account, secret=secret.strip() or None)
            done = "Saved the signing secret" if secret else "Removed the signing secret"
            self.feedback.notice(warning or f"{done} of {account}.", 8_000)
            if alive(dialog):
                self._refresh_setups(dialog)

        self._spawn(run(), f"webhooks:secret:{account}")

    def _rotate(self, dialog: WebhooksDialog, account: str) -> None:
        realtime = self.realtime
        if realtime is None:
            self.feedback.notice("Turn webhooks on first.", 5_000)
            return

        async def rotate() -> None:
            await realtime.rotate(self.services.accounts.get(account))
            self.feedback.notice(f"{account} has a new webhook URL.", 8_000)
            if alive(dialog):
                self._refresh_setups(dialog)

        self._spawn(rotate(), f"webhooks:rotate:{account}")
