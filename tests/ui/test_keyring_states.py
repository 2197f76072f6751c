"""The Accounts windows show the same truthful keyring states as `biddesk account list`."""

from __future__ import annotations

from pathlib import Path

import keyring
from PySide6.QtWidgets import QApplication, QLabel, QTreeWidget

from app.domain import Account, Platform
from app.services.secrets import (
    LOCKED_MESSAGE,
    UNREACHABLE_MESSAGE,
    KeyState,
    KeyStatus,
    SecretState,
)
from app.store import Store
from app.ui.app import App, GuiOptions
from app.ui.dialogs.accounts import AccountDialog, AccountsDialog
from tests.helpers.memkeyring import LockedKeyring, UnreachableKeyring
from tests.ui.test_window import until


def test_the_add_dialog_names_an_unreachable_keyring(qtbot) -> None:
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.set_keyring_status(SecretState.UNREACHABLE, UNREACHABLE_MESSAGE)
    banner = dialog.findChild(QLabel, "keyringBanner")
    assert banner.isVisible()
    assert "cannot be reached" in banner.text()
    assert "dbus-run-session" in banner.text()


def test_the_accounts_list_shows_each_state_and_its_fix(qtbot) -> None:
    dialog = AccountsDialog()
    qtbot.addWidget(dialog)
    a = Account(name="a", platform=Platform.GIGRADAR, base_url="https://a.io")
    b = Account(name="b", platform=Platform.GIGIAC, base_url="https://b.io")
    dialog.set_accounts(
        [
            (a, KeyStatus(KeyState.LOCKED, LOCKED_MESSAGE)),
            (b, KeyStatus(KeyState.STORED, "The key for “b” is in the system keyring.")),
        ]
    )
    tree = dialog.findChild(QTreeWidget, "accountsList")
    assert tree.topLevelItem(0).text(3) == "keyring locked"
    assert tree.topLevelItem(0).toolTip(3) == LOCKED_MESSAGE
    assert tree.topLevelItem(1).text(3) == "stored in the keyring"


async def test_the_window_says_locked_not_missing(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    with Store.open(profile) as store:
        store.accounts.add(
            Account(name="gr", platform=Platform.GIGRADAR, base_url="http://127.0.0.1:9")
        )
    for backend, sentence, label in (
        (LockedKeyring(), LOCKED_MESSAGE, "keyring locked"),
        (None, UNREACHABLE_MESSAGE, "keyring unreachable"),
    ):
        keyring.set_keyring(backend or UnreachableKeyring())
        app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
        await app.start()
        try:
            app.window.open_accounts()
            dialog = app.window.findChildren(AccountsDialog)[-1]
            tree = dialog.findChild(QTreeWidget, "accountsList")
            assert tree.topLevelItemCount() == 1  # filled when it opens
            # The key's state as soon as the keyring answered, off the loop: its state in
            # the column, the sentence with the fix in the tooltip.
            await until(lambda t=tree, s=sentence: t.topLevelItem(0).toolTip(3) == s)
            assert tree.topLevelItem(0).text(3) == label
            dialog.close()
        finally:
            await app.stop()
