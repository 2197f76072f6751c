"""Dialogs to add, edit, list and remove platform accounts.

They only collect and show: the window stores accounts, puts keys in the keyring and runs
the connection test (through the bridge), then reports back with `set_test_result`,
`set_keyring_status` and `set_accounts`. Nothing here touches the keyring or the network.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pydantic
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.account import DEFAULT_BASE_URLS, Account
from app.domain.opportunity import Platform
from app.services.secrets import KeyState, KeyStatus, SecretState, env_var_for
from app.ui.dialogs._sizing import fitted_hint, grow_to_fit

_ERROR_COLOR = "#c62828"
_OK_COLOR = "#2e7d32"
_BANNER_STYLE = (
    "QLabel#keyringBanner { background: #fff4e0; color: #5c3b00;"
    " border: 1px solid #f0c36d; border-radius: 4px; padding: 6px 8px; }"
)


@dataclass(frozen=True, slots=True)
class AccountForm:
    """What the user entered. `api_key` None: no new key (when editing: keep the stored one)."""

    name: str
    platform: Platform
    base_url: str
    api_key: str | None


def _validation_errors(form: AccountForm) -> dict[str, str]:
    """Field → sentence, judged by the domain model itself so the rules cannot drift."""
    try:
        Account(name=form.name, platform=form.platform, base_url=form.base_url)
    except pydantic.ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    else:
        fields = set()
    if any(ch.isspace() for ch in form.base_url):
        fields.add("base_url")
    errors: dict[str, str] = {}
    if "name" in fields:
        errors["name"] = (
            "Enter a name, e.g. studio or ana.dev."
            if not form.name
            else "Use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
    if "base_url" in fields:
        errors["base_url"] = "Enter an address that starts with http:// or https://."
    return errors


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    # One short line each; unwrapped, so the form never guesses a wrapped height.
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setStyleSheet(f"color: {_ERROR_COLOR};")
    return label


_KEY_LABELS = {
    KeyState.STORED: "stored in the keyring",
    KeyState.ENVIRONMENT: "from the environment",
    KeyState.MISSING: "missing",
    KeyState.LOCKED: "keyring locked",
    KeyState.UNAVAILABLE: "no keyring",
    KeyState.UNREACHABLE: "keyring unreachable",
}


class AccountDialog(QDialog):
    """Add one account, or edit one (then its name and platform are fixed)."""

    test_requested = Signal(object)  # AccountForm

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        account: Account | None = None,
        existing_names: Collection[str] = (),
    ) -> None:
        super().__init__(parent)
        self._editing = account is not None
        self._existing = frozenset(existing_names) - ({account.name} if account else set())
        self._touched: set[str] = set()
        self._testing = False
        self._keyring_state = SecretState.AVAILABLE
        self._keyring_message = ""
        self.setObjectName("accountDialog")
        self.setWindowTitle(f"Edit account {account.name}" if account else "Add account")
        self.setAccessibleName(self.windowTitle())

        self._banner = QLabel()
        self._banner.setObjectName("keyringBanner")
        self._banner.setWordWrap(True)
        self._banner.setTextFormat(Qt.TextFormat.RichText)
        self._banner.setStyleSheet(_BANNER_STYLE)
        self._banner.setAccessibleName("Keyring status")
        self._banner.hide()
        self._keyring_line = QLabel()
        self._keyring_line.setObjectName("keyringLine")
        self._keyring_line.setWordWrap(True)
        self._keyring_line.setTextFormat(Qt.TextFormat.PlainText)
        self._keyring_line.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._keyring_line.hide()

        self._platform = QComboBox()
        self._platform.setObjectName("platformCombo")
        self._platform.setAccessibleName("Platform")
        self._platform.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        for platform in Platform:
            self._platform.addItem(platform.label, platform.value)
        self._name = QLineEdit()
        self._name.setObjectName("nameEdit")
        self._name.setAccessibleName("Account name")
        self._name.setPlaceholderText("e.g. studio")
        self._name.setMaxLength(64)
        self._name_error = _error_label("nameError")
        self._url = QLineEdit()
        self._url.setObjectName("baseUrlEdit")
        self._url.setAccessibleName("Base URL")
        self._url_error = _error_label("baseUrlError")
        self._key = QLineEdit()
        self._key.setObjectName("apiKeyEdit")
        self._key.setAccessibleName("API key")
        self._key.setEchoMode(QLineEdit.EchoMode.Password)
        self._key.setPlaceholderText(
            "Leave empty to keep the stored key" if account else "Paste the platform's API key"
        )
        self._show_key = QToolButton()
        self._show_key.setObjectName("showKeyButton")
        self._show_key.setText("Show")
        self._show_key.setCheckable(True)
        self._show_key.setAccessibleName("Show API key")
        self._show_key.setToolTip("Show or hide the key")
        key_row = QHBoxLayout()
        key_row.setSpacing(4)
        key_row.addWidget(self._key, 1)
        key_row.addWidget(self._show_key)

        self._test_button = QPushButton("&Test connection")
        self._test_button.setObjectName("testButton")
        self._test_button.setAccessibleName("Test connection")
        self._busy = QProgressBar()
        self._busy.setObjectName("testBusy")
        self._busy.setRange(0, 0)
        self._busy.setTextVisible(False)
        self._busy.setFixedWidth(72)
        self._busy.setAccessibleName("Testing")
        self._busy.hide()
        self._test_result = QLabel()
        self._test_result.setObjectName("testResult")
        self._test_result.setWordWrap(True)
        self._test_result.setTextFormat(Qt.TextFormat.PlainText)
        self._test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self._test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self._busy, 0, Qt.AlignmentFlag.AlignVCenter)
        test_row.addWidget(self._test_result, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form = form
        form.addRow("&Platform:", self._platform)
        form.addRow("&Name:", self._name)
        form.addRow("", self._name_error)  # each message sits in its own row, shown on need
        form.addRow("Base &URL:", self._url)
        form.addRow("", self._url_error)
        form.addRow("API &key:", key_row)
        key_label = form.labelForField(key_row)
        if isinstance(key_label, QLabel):
            key_label.setBuddy(self._key)
        form.setRowVisible(self._name_error, False)
        form.setRowVisible(self._url_error, False)

        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._ok.setText("Save" if account else "Add account")
        self._ok.setObjectName("okButton")

        layout = QVBoxLayout(self)
        layout.addWidget(self._banner)
        layout.addWidget(self._keyring_line)
        layout.addLayout(form)
        layout.addLayout(test_row)
        layout.addStretch(1)
        layout.addWidget(self._buttons)

        if account is not None:
            self._platform.setCurrentIndex(self._platform.findData(account.platform.value))
            self._platform.setEnabled(False)
            self._name.setText(account.name)
            self._name.setReadOnly(True)
            self._name.setToolTip("An account keeps its name; to rename it, add a new one.")
            self._url.setText(account.base_url)
            self._touched.add("base_url")
        else:
            self._url.setText(DEFAULT_BASE_URLS[self._current_platform()])

        self._platform.currentIndexChanged.connect(self._on_platform_current_index_changed)
        self._name.textEdited.connect(self._on_name_text_edited)
        self._url.textEdited.connect(self._on_url_text_edited)
        self._key.textEdited.connect(self._on_key_text_edited)
        self._show_key.toggled.connect(self._on_show_key_toggled)
        self._test_button.clicked.connect(self._on_test_button_clicked)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        chars = self.fontMetrics().averageCharWidth()
        self._preferred_width = chars * 92
        self.setMinimumWidth(chars * 64)
        self._revalidate()

    # --- public ---------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return fitted_hint(self, super().sizeHint(), self._preferred_width)

    def form(self) -> AccountForm:
        """The values as entered now (trimmed)."""
        key = self._key.text().strip()
        return AccountForm(
            name=self._name.text().strip(),
            platform=self._current_platform(),
            base_url=self._url.text().strip().rstrip("/"),
            api_key=key or None,
        )

    def accepted_form(self) -> AccountForm:
        """The values the user confirmed with OK (valid: OK is disabled otherwise)."""
        return self.form()

    def is_valid(self) -> bool:
        return not self._errors()

    def accept(self) -> None:
        if self.is_valid():  # Enter in a field must not slip past the disabled OK
            super().accept()

    def set_keyring_status(self, state: str, message: str) -> None:
        """Say where keys go; a clear warning when they cannot be saved."""
        self._keyring_state = SecretState(state)
        self._keyring_message = message
        self._refresh_keyring()

    def set_testing(self, testing: bool) -> None:
        self._testing = testing
        self._busy.setVisible(testing)
        self._test_button.setText("Testing…" if testing else "&Test connection")
        if testing:
            self._show_result("Connecting to the platform…", None)
        self._revalidate()

    def set_test_result(self, ok: bool, message: str) -> None:
        self.set_testing(False)
        self._show_result(f"✓ {message}" if ok else f"✖ {message}", ok)

    # --- slots ----------------------------------------------------------------------

    def _on_platform_current_index_changed(self, _index: int) -> None:
        if "base_url" not in self._touched:
            self._url.setText(DEFAULT_BASE_URLS[self._current_platform()])
        self._clear_result()
        self._revalidate()

    def _on_name_text_edited(self, _text: str) -> None:
        self._touched.add("name")
        self._clear_result()
        self._revalidate()
        self._refresh_keyring()

    def _on_url_text_edited(self, text: str) -> None:
        # An emptied field, or one put back to a default, follows the platform again.
        if text.strip().rstrip("/") in {"", *DEFAULT_BASE_URLS.values()}:
            self._touched.discard("base_url")
        else:
            self._touched.add("base_url")
        self._clear_result()
        self._revalidate()

    def _on_key_text_edited(self, _text: str) -> None:
        self._clear_result()

    def _on_show_key_toggled(self, shown: bool) -> None:
        self._key.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self._show_key.setText("Hide" if shown else "Show")

    def _on_test_button_clicked(self) -> None:
        if self.is_valid() and not self._testing:
            self.test_requested.emit(self.form())

    # --- state ----------------------------------------------------------------------

    def _current_platform(self) -> Platform:
        return Platform(self._platform.currentData())

    def _errors(self) -> dict[str, str]:
        form = self.form()
        errors = _validation_errors(form)
        if "name" not in errors and form.name in self._existing:
            errors["name"] = f"An account named “{form.name}” already exists."
        return errors

    def _revalidate(self) -> None:
        errors = self._errors()
        name = self._name.text()
        for key, edit, label, show in (
            ("name", self._name, self._name_error, bool(name) or "name" in self._touched),
            ("base_url", self._url, self._url_error, True),
        ):
            message = errors.get(key, "") if show else ""
            label.setText(message)
            self._form.setRowVisible(label, bool(message))
            edit.setAccessibleDescription(message)
        self._ok.setEnabled(not errors)
        self._test_button.setEnabled(not errors and not self._testing)
        grow_to_fit(self)

    def _refresh_keyring(self) -> None:
        state, message = self._keyring_state, self._keyring_message
        if state is SecretState.AVAILABLE:
            self._banner.hide()
            self._keyring_line.setText(message)
            self._keyring_line.setVisible(bool(message))
            return
        self._keyring_line.hide()
        lead = {
            SecretState.LOCKED: "The system keyring is locked: API keys will not be saved.",
            SecretState.UNREACHABLE: (
                "The system keyring cannot be reached: API keys will not be saved."
            ),
        }.get(state, "API keys will not be saved.")
        parts = [f"<b>{html.escape(lead)}</b> {html.escape(message)}"]
        name = self._name.text().strip()
        if name and "name" not in _validation_errors(self.form()):
            parts.append(f"For this account: <code>{html.escape(env_var_for(name))}</code>.")
        self._banner.setText(" ".join(parts))
        self._banner.show()
        grow_to_fit(self)

    def _show_result(self, text: str, ok: bool | None) -> None:
        color = None if ok is None else (_OK_COLOR if ok else _ERROR_COLOR)
        self._test_result.setStyleSheet(f"color: {color};" if color else "")
        self._test_result.setText(text)
        grow_to_fit(self)

    def _clear_result(self) -> None:
        if not self._testing:
            self._show_result("", None)


class AccountsDialog(QDialog):
    """The account list, with Add / Edit / Remove; the window does the work."""

    add_requested = Signal()
    edit_requested = Signal(str)  # account name
    remove_requested = Signal(str)  # account name

    _HEADERS = ("Name", "Platform", "Base URL", "API key")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountsDialog")
        self.setWindowTitle("Accounts")
        self.setAccessibleName("Accounts")
        self._confirm: QMessageBox | None = None
        self._confirm_remove_button: QPushButton | None = None
        self._pending_removal: str | None = None

        self._tree = QTreeWidget()
        self._tree.setObjectName("accountsList")
        self._tree.setAccessibleName("Accounts")
        self._tree.setColumnCount(len(self._HEADERS))
        self._tree.setHeaderLabels(list(self._HEADERS))
        self._tree.setRootIsDecorated(False)
        self._tree.setUniformRowHeights(True)
        self._tree.setAlternatingRowColors(True)
        self._tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._tree.setAllColumnsShowFocus(True)
        metrics = self._tree.fontMetrics()
        header = self._tree.header()
        header.setStretchLastSection(False)
        chars = metrics.averageCharWidth()
        header.resizeSection(0, chars * 16)
        header.resizeSection(1, metrics.horizontalAdvance("GigRadar") + 24)
        header.resizeSection(2, chars * 40)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        self._empty = QLabel(
            "No accounts yet. Add one with the API key from GigRadar, UpHunt or Gigiac."
        )
        self._empty.setObjectName("accountsEmpty")
        self._empty.setWordWrap(True)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self._tree)

        self._add = QPushButton("&Add…")
        self._add.setObjectName("addButton")
        self._edit = QPushButton("&Edit…")
        self._edit.setObjectName("editButton")
        self._remove = QPushButton("&Remove…")
        self._remove.setObjectName("removeButton")
        for button, name in (
            (self._add, "Add account"),
            (self._edit, "Edit account"),
            (self._remove, "Remove account"),
        ):
            button.setAccessibleName(name)
            button.setAutoDefault(False)
        side = QVBoxLayout()
        side.addWidget(self._add)
        side.addWidget(self._edit)
        side.addWidget(self._remove)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self._stack, 1)
        body.addLayout(side)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)

        self._add.clicked.connect(self._on_add_clicked)
        self._edit.clicked.connect(self._on_edit_clicked)
        self._remove.clicked.connect(self._on_remove_clicked)
        self._tree.itemSelectionChanged.connect(self._on_tree_item_selection_changed)
        self._tree.itemDoubleClicked.connect(self._on_tree_item_double_clicked)
        buttons.rejected.connect(self.reject)
        self.resize(chars * 128, metrics.height() * 18)
        self.set_accounts([])

    def set_accounts(self, rows: Sequence[tuple[Account, str | KeyStatus]]) -> None:
        """Show these accounts with the key status for each; keeps the selection.

        A `KeyStatus` shows its state in the column (stored, locked, missing…) and its
        sentence, with the fix, in the tooltip; a plain string is shown as it is."""
        selected = self.selected_name()
        self._tree.clear()
        for account, key_status in rows:
            if isinstance(key_status, KeyStatus):
                shown, tip = _KEY_LABELS[key_status.state], key_status.message
            else:
                shown = tip = key_status
            item = QTreeWidgetItem([account.name, account.platform.label, account.base_url, shown])
            item.setData(0, Qt.ItemDataRole.UserRole, account.name)
            item.setToolTip(2, account.base_url)
            item.setToolTip(3, tip)
            self._tree.addTopLevelItem(item)
            if account.name == selected:
                item.setSelected(True)
                self._tree.setCurrentItem(item)
        self._stack.setCurrentWidget(self._tree if rows else self._empty)
        self._on_tree_item_selection_changed()

    def selected_name(self) -> str | None:
        items = self._tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def select_account(self, name: str) -> bool:
        for number in range(self._tree.topLevelItemCount()):
            item = self._tree.topLevelItem(number)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == name:
                self._tree.setCurrentItem(item)
                return True
        return False

    # --- slots ----------------------------------------------------------------------

    def _on_add_clicked(self) -> None:
        self.add_requested.emit()

    def _on_edit_clicked(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.edit_requested.emit(name)

    def _on_tree_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        self.edit_requested.emit(item.data(0, Qt.ItemDataRole.UserRole))

    def _on_tree_item_selection_changed(self) -> None:
        has = self.selected_name() is not None
        self._edit.setEnabled(has)
        self._remove.setEnabled(has)

    def _on_remove_clicked(self) -> None:
        name = self.selected_name()
        if name is None or self._confirm is not None:
            return
        box = QMessageBox(self)
        box.setObjectName("confirmRemove")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Remove account")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Remove the account “{name}”?")
        box.setInformativeText("Its API key is deleted from the keyring too.")
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._on_confirm_finished)
        self._confirm, self._confirm_remove_button, self._pending_removal = box, remove, name
        box.open()

    def _on_confirm_finished(self, _result: int) -> None:
        box, name = self._confirm, self._pending_removal
        confirmed = box is not None and box.clickedButton() is self._confirm_remove_button
        self._confirm = self._confirm_remove_button = self._pending_removal = None
        if confirmed and name is not None:
            self.remove_requested.emit(name)
