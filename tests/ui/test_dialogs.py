"""The dialogs: validation, intents they emit, what they show — and that none blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QToolButton,
    QTreeWidget,
)

from app.domain import DEFAULT_BASE_URLS, Account, Platform
from app.services.secrets import SecretState
from app.ui.dialogs.accounts import AccountDialog, AccountForm, AccountsDialog
from app.ui.dialogs.error import ErrorDialog, show_error
from app.ui.dialogs.first_run import FirstRunDialog
from app.ui.dialogs.shortcuts import ShortcutsDialog

UNAVAILABLE = (
    "No system keyring is available (on Linux, install and unlock GNOME Keyring or "
    "KWallet). Until then, pass each key in the environment as BIDDESK_API_KEY_<ACCOUNT>; "
    "it is used for that run only."
)


def child(parent, kind, name):
    widget = parent.findChild(kind, name)
    assert widget is not None, name
    return widget


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    edit.del_()
    qtbot.keyClicks(edit, text)  # real typing: emits textEdited like a user


@pytest.fixture
def add_dialog(qtbot) -> AccountDialog:
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


# --- AccountDialog --------------------------------------------------------------------


def test_name_validation_disables_ok_and_says_why(qtbot, add_dialog) -> None:
    ok = child(add_dialog, QPushButton, "okButton")
    error = child(add_dialog, QLabel, "nameError")
    name = child(add_dialog, QLineEdit, "nameEdit")
    assert not ok.isEnabled()  # empty name
    assert not error.isVisible()  # not yet touched: no scolding
    type_into(qtbot, name, "-studio")
    assert not ok.isEnabled()
    assert error.isVisible()
    assert "starting with a letter or digit" in error.text()
    type_into(qtbot, name, "studio.main_2")
    assert ok.isEnabled()
    assert not error.isVisible()
    type_into(qtbot, name, "x" * 65)  # capped at 64 characters by the field itself
    assert len(name.text()) == 64
    assert ok.isEnabled()


def test_url_validation_disables_ok(qtbot, add_dialog) -> None:
    type_into(qtbot, child(add_dialog, QLineEdit, "nameEdit"), "studio")
    ok = child(add_dialog, QPushButton, "okButton")
    url = child(add_dialog, QLineEdit, "baseUrlEdit")
    error = child(add_dialog, QLabel, "baseUrlError")
    for bad in ("ftp://example.com", "example.com", "https://exa mple.com"):
        type_into(qtbot, url, bad)
        assert not ok.isEnabled(), bad
        assert error.isVisible()
        assert not child(add_dialog, QPushButton, "testButton").isEnabled()
    type_into(qtbot, url, "http://127.0.0.1:8700/")
    assert ok.isEnabled()
    assert add_dialog.form().base_url == "http://127.0.0.1:8700"


def test_platform_change_prefills_an_untouched_url_only(qtbot, add_dialog) -> None:
    combo = child(add_dialog, QComboBox, "platformCombo")
    url = child(add_dialog, QLineEdit, "baseUrlEdit")
    assert url.text() == DEFAULT_BASE_URLS[Platform.GIGRADAR]
    combo.setCurrentIndex(combo.findData("gigiac"))
    assert url.text() == DEFAULT_BASE_URLS[Platform.GIGIAC]
    type_into(qtbot, url, "http://127.0.0.1:8700")
    combo.setCurrentIndex(combo.findData("uphunt"))
    assert url.text() == "http://127.0.0.1:8700"  # the user's own address stays
    type_into(qtbot, url, "")
    combo.setCurrentIndex(combo.findData("gigradar"))
    assert url.text() == DEFAULT_BASE_URLS[Platform.GIGRADAR]  # emptied: follows again


def test_test_connection_emits_the_form_and_shows_the_result(qtbot, add_dialog) -> None:
    type_into(qtbot, child(add_dialog, QLineEdit, "nameEdit"), "studio")
    type_into(qtbot, child(add_dialog, QLineEdit, "apiKeyEdit"), "sk-test-123")
    button = child(add_dialog, QPushButton, "testButton")
    with qtbot.waitSignal(add_dialog.test_requested) as request:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert request.args == [
        AccountForm(
            name="studio",
            platform=Platform.GIGRADAR,
            base_url=DEFAULT_BASE_URLS[Platform.GIGRADAR],
            api_key="sk-test-123",
        )
    ]
    add_dialog.set_testing(True)
    assert not button.isEnabled()
    assert child(add_dialog, QProgressBar, "testBusy").isVisible()
    with qtbot.assertNotEmitted(add_dialog.test_requested):
        button.click()  # no second test while one runs
    result = child(add_dialog, QLabel, "testResult")
    add_dialog.set_test_result(True, "Connected as Studio Ltd.")
    assert result.text() == "✓ Connected as Studio Ltd."
    assert button.isEnabled()
    assert not child(add_dialog, QProgressBar, "testBusy").isVisible()
    add_dialog.set_test_result(False, "The API key was rejected (401).")
    assert result.text() == "✖ The API key was rejected (401)."
    type_into(qtbot, child(add_dialog, QLineEdit, "apiKeyEdit"), "sk-other")
    assert result.text() == ""  # a result about other values would mislead


def test_keyring_banner_shows_the_message_when_keys_cannot_be_saved(qtbot, add_dialog) -> None:
    banner = child(add_dialog, QLabel, "keyringBanner")
    add_dialog.set_keyring_status(SecretState.UNAVAILABLE, UNAVAILABLE)
    assert banner.isVisible()
    assert "API keys will not be saved." in banner.text()
    assert "BIDDESK_API_KEY_&lt;ACCOUNT&gt;" in banner.text()
    type_into(qtbot, child(add_dialog, QLineEdit, "nameEdit"), "ana.dev")
    assert "BIDDESK_API_KEY_ANA_DEV" in banner.text()  # the exact variable for this account
    add_dialog.set_keyring_status("locked", "Unlock it and try again.")
    assert "locked" in banner.text()
    add_dialog.set_keyring_status("available", "Keys are kept in the system keyring.")
    assert not banner.isVisible()
    assert child(add_dialog, QLabel, "keyringLine").text() == "Keys are kept in the system keyring."


def test_api_key_is_hidden_until_shown(qtbot, add_dialog) -> None:
    key = child(add_dialog, QLineEdit, "apiKeyEdit")
    toggle = child(add_dialog, QToolButton, "showKeyButton")
    assert key.echoMode() is QLineEdit.EchoMode.Password
    toggle.click()
    assert key.echoMode() is QLineEdit.EchoMode.Normal
    assert toggle.text() == "Hide"
    toggle.click()
    assert key.echoMode() is QLineEdit.EchoMode.Password


def test_editing_keeps_name_and_an_empty_key_means_keep(qtbot) -> None:
    account = Account(name="studio", platform=Platform.GIGIAC, base_url="http://127.0.0.1:9")
    dialog = AccountDialog(account=account, existing_names=["studio", "other"])
    qtbot.addWidget(dialog)
    dialog.open()
    assert child(dialog, QLineEdit, "nameEdit").isReadOnly()
    assert not child(dialog, QComboBox, "platformCombo").isEnabled()
    ok = child(dialog, QPushButton, "okButton")
    assert ok.isEnabled()  # its own name is not a duplicate
    with qtbot.waitSignal(dialog.accepted):
        ok.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    form = dialog.accepted_form()
    assert form.api_key is None
    assert form.base_url == "http://127.0.0.1:9"
    assert form.platform is Platform.GIGIAC


def test_a_taken_name_is_refused(qtbot) -> None:
    dialog = AccountDialog(existing_names=["studio"])
    qtbot.addWidget(dialog)
    dialog.open()
    type_into(qtbot, child(dialog, QLineEdit, "nameEdit"), "studio")
    assert not child(dialog, QPushButton, "okButton").isEnabled()
    assert "already exists" in child(dialog, QLabel, "nameError").text()
    dialog.accept()  # Enter in a field cannot slip past the disabled OK either
    assert dialog.isVisible()


# --- AccountsDialog -------------------------------------------------------------------


@pytest.fixture
def accounts(qtbot) -> AccountsDialog:
    dialog = AccountsDialog()
    qtbot.addWidget(dialog)
    dialog.set_accounts(
        [
            (Account(name="studio", platform=Platform.GIGRADAR, base_url="https://a.io"), "Stored"),
            (Account(name="ana.dev", platform=Platform.GIGIAC, base_url="https://b.io"), "Missing"),
        ]
    )
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def test_accounts_list_and_edit(qtbot, accounts) -> None:
    tree = child(accounts, QTreeWidget, "accountsList")
    assert tree.topLevelItemCount() == 2
    assert [tree.topLevelItem(1).text(c) for c in range(4)] == [
        "ana.dev",
        "Gigiac",
        "https://b.io",
        "Missing",
    ]
    edit = child(accounts, QPushButton, "editButton")
    assert not edit.isEnabled()
    with qtbot.waitSignal(accounts.add_requested):
        child(accounts, QPushButton, "addButton").click()
    accounts.select_account("ana.dev")
    with qtbot.waitSignal(accounts.edit_requested) as edited:
        edit.click()
    assert edited.args == ["ana.dev"]
    accounts.set_accounts(
        [(Account(name="ana.dev", platform=Platform.GIGIAC, base_url="https://b.io"), "Stored")]
    )
    assert accounts.selected_name() == "ana.dev"  # a refresh keeps the selection


def test_remove_asks_first(qtbot, accounts) -> None:
    accounts.select_account("studio")
    remove = child(accounts, QPushButton, "removeButton")
    with qtbot.assertNotEmitted(accounts.remove_requested):
        remove.click()
        box = child(accounts, QMessageBox, "confirmRemove")
        assert box.isVisible()
        assert "studio" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: accounts.findChild(QMessageBox, "confirmRemove") is None)

    remove.click()
    box = child(accounts, QMessageBox, "confirmRemove")
    confirm = next(b for b in box.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(accounts.remove_requested) as removed:
        confirm.click()
    assert removed.args == ["studio"]


# --- FirstRunDialog -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "signal"),
    [("sandboxChoice", "sandbox_chosen"), ("addAccountChoice", "add_account_chosen")],
)
def test_first_run_emits_the_chosen_path(qtbot, choice, signal) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    button = child(dialog, QPushButton, choice)
    assert button.accessibleName()
    with qtbot.waitSignal(getattr(dialog, signal)):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()


def test_first_run_dismissed_chooses_nothing(qtbot) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    box = child(dialog, QDialogButtonBox, "firstRunButtons")
    with (
        qtbot.assertNotEmitted(dialog.sandbox_chosen),
        qtbot.assertNotEmitted(dialog.add_account_chosen),
        qtbot.waitSignal(dialog.rejected),
    ):
        box.buttons()[0].click()


def test_first_run_choices_are_not_clipped(qtbot) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    for name in ("sandboxChoice", "addAccountChoice"):
        button = child(dialog, QPushButton, name)
        assert button.height() >= button.heightForWidth(button.width())


# --- ShortcutsDialog and ErrorDialog --------------------------------------------------


def test_shortcuts_are_listed_in_two_columns_that_fit(qtbot) -> None:
    rows = [("Ctrl+F", "Search opportunities"), ("R", "Retry the selected submission")]
    dialog = ShortcutsDialog(rows)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = child(dialog, QTableWidget, "shortcutsTable")
    assert table.columnCount() == 2
    assert dialog.shortcuts() == rows
    for column in (0, 1):
        assert table.columnWidth(column) >= table.sizeHintForColumn(column)
    assert table.viewport().height() >= table.rowViewportPosition(1) + table.rowHeight(1)


def test_error_dialog_is_non_modal_with_folded_details(qtbot) -> None:
    dialog = show_error(None, "Submit failed", "The platform refused it.", "Traceback …")
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    assert isinstance(dialog, ErrorDialog)
    assert dialog.isVisible()
    assert dialog.windowModality() is Qt.WindowModality.NonModal
    assert dialog.text() == "The platform refused it."
    assert dialog.detailedText() == "Traceback …"
    assert dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def test_error_dialog_can_be_window_modal_without_blocking(qtbot) -> None:
    dialog = show_error(None, "Could not save", "The disk is full.", modal=True)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()  # open() returned: nothing waited for the user
    assert dialog.windowModality() is Qt.WindowModality.WindowModal
    assert dialog.detailedText() == ""


def test_ui_code_never_spins_a_nested_event_loop() -> None:
    ui = Path(__file__).resolve().parents[2] / "app" / "ui"
    files = sorted(ui.rglob("*.py"))  # the window, the app, the tray: Quit must answer
    assert ui / "dialogs" / "webhooks.py" in files
    for path in files:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\.exec\(|processEvents\(", source), path.name
        # The static helpers (QInputDialog.getText, QMessageBox.warning…) exec() inside.
        static = r"QInputDialog\.get\w+\(|QMessageBox\.(warning|question|critical|information)\("
        assert not re.search(static, source), path.name
