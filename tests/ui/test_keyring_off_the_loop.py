"""No keyring call from the window runs on the GUI thread.

With qasync the GUI thread is the network thread: a Secret Service that waits for an
unlock prompt would freeze the window, the polling and the webhooks together. This test
installs a keyring backend that refuses to be called on the main thread, then drives the
real window through every dialog that reads or writes a key: the accounts list, adding an
account (with a connection test), editing it (a new key, and a test with the stored key),
the model's key, and the ngrok authtoken in the Webhooks dialog.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QTreeWidget

from app.domain import Platform
from app.sandbox import Sandbox, SandboxConfig
from app.services.secrets import SERVICE
from app.ui.app import App, GuiOptions
from app.ui.dialogs._lifetime import alive
from app.ui.dialogs.accounts import AccountDialog, AccountsDialog
from app.ui.dialogs.model_settings import ModelSettingsDialog
from app.ui.dialogs.webhooks import WebhooksDialog
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.test_window import until


class OffTheLoopKeyring(MemoryKeyring):
    """A working keyring that records (and refuses) every call made on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.on_gui_thread: list[str] = []
        self.off_thread = 0

    def _check(self) -> None:
        super()._check()
        if threading.current_thread() is threading.main_thread():
            import traceback

            self.on_gui_thread.append("".join(traceback.format_stack(limit=12)))
            raise RuntimeError("a keyring call on the GUI thread")
        self.off_thread += 1


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(seed=3, speed=600.0, arrivals=False, initial_opportunities=2)
    async with Sandbox(config) as sb:
        yield sb


def visible(cls: type, app: App) -> list:
    return [d for d in app.window.findChildren(cls) if d.isVisible()]


async def test_no_dialog_of_the_window_calls_the_keyring_on_the_gui_thread(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    backend = OffTheLoopKeyring()
    keyring.set_keyring(backend)  # the autouse memory keyring puts its own back afterwards
    gigiac = sandbox.info.gigiac
    app = App(QApplication.instance(), GuiOptions(profile=tmp_path / "profile"))  # type: ignore[arg-type]
    await app.start()
    try:
        window = app.window
        # First run: no account. The first-run offer is open; the accounts list too.
        window.open_accounts()
        [accounts] = visible(AccountsDialog, app)

        # Add an account: a connection test with the typed key, then OK stores the key.
        window.accounts.add_account()
        [dialog] = visible(AccountDialog, app)
        dialog.findChild(QComboBox, "platformCombo").setCurrentIndex(
            dialog.findChild(QComboBox, "platformCombo").findData(Platform.GIGIAC)
        )
        dialog.findChild(QLineEdit, "nameEdit").setText("gg")
        dialog.findChild(QLineEdit, "baseUrlEdit").setText(gigiac.base_url)
        dialog.findChild(QLineEdit, "apiKeyEdit").setText(gigiac.api_key)
        dialog.test_requested.emit(dialog.form())
        result = dialog.findChild(QLabel, "testResult")
        await until(lambda: result.text().startswith("✓"))
        dialog.accept()
        await until(lambda: backend.store.get((SERVICE, "gg")) == gigiac.api_key)
        await until(lambda: app.services.accounts.find("gg") is not None)
        tree = accounts.findChild(QTreeWidget, "accountsList")
        await until(lambda: tree.topLevelItemCount() == 1 and tree.topLevelItem(0).text(3))

        # Edit it: a test with the stored key read afresh, then a new key.
        app.services.secrets._cache.clear()  # as after a restart: the keyring must answer
        window.accounts.edit_account("gg")
        [edit] = visible(AccountDialog, app)
        edit.test_requested.emit(edit.form())
        result = edit.findChild(QLabel, "testResult")
        await until(lambda: result.text().startswith("✓"))
        edit.findChild(QLineEdit, "apiKeyEdit").setText("a-new-key")
        edit.accept()
        await until(lambda: backend.store.get((SERVICE, "gg")) == "a-new-key")

        # Remove it: its key goes too.
        await window.accounts.remove("gg", accounts)
        assert (SERVICE, "gg") not in backend.store

        # The model's key.
        window.drafting.open_model_settings()
        [model] = visible(ModelSettingsDialog, app)
        state = model.findChild(QLabel, "model_key_state")
        await until(lambda: bool(state.text()))
        model.findChild(QLineEdit, "model_api_key").setText("sk-model")
        model._on_buttons_accepted()
        await until(lambda: any(v == "sk-model" for v in backend.store.values()))
        await until(lambda: not alive(model))  # saved and closed

        # The ngrok authtoken in the Webhooks dialog (webhooks stay off).
        window.open_webhooks()
        hooks = window.webhooks.dialog
        assert isinstance(hooks, WebhooksDialog)
        hooks.tunnel.setCurrentIndex(hooks.tunnel.findData("ngrok"))
        hooks.detail.setText("ngrok-token")
        hooks._save()
        await until(lambda: any(v == "ngrok-token" for v in backend.store.values()))
    finally:
        await app.stop()
    assert backend.on_gui_thread == [], backend.on_gui_thread[0]
    assert backend.off_thread >= 6  # the keyring was used, each time from a worker thread
