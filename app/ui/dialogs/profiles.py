"""The freelancer profiles editor: who the letters speak for, and which profile each
account drafts with.

Every change stays in the dialog until Save; Save checks every profile first and then
writes them through the library in one go, so a half-valid set never lands. Cancel with
unsaved changes asks before throwing them away (a non-blocking box: the GUI loop is the
asyncio loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import pydantic
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.drafting import FreelancerProfile, PortfolioItem
from app.services.drafting import DraftingError
from app.ui.dialogs._named_list import named_list_panel, unique_name
from app.ui.dialogs._unsaved import UnsavedChangesDialog

__all__ = ["ProfilesDialog", "profile_errors"]

ERROR_COLOR = "#c62828"
MAX_RATE = 10_000.0
USE_GLOBAL = ""  # the account combo's "use the default profile" entry


def _split_skills(text: str) -> tuple[str, ...]:
    seen: set[str] = set()
    skills: list[str] = []
    for part in text.replace(";", ",").split(","):
        skill = " ".join(part.split())
        if skill and skill.lower() not in seen:
            seen.add(skill.lower())
            skills.append(skill)
    return tuple(skills)


def profile_errors(profiles: Sequence[FreelancerProfile]) -> list[str]:
    """Sentences for what stops a set of profiles from being saved: names must differ."""
    errors: list[str] = []
    seen: set[str] = set()
    for profile in profiles:
        key = profile.name.strip().lower()
        if key in seen:
            errors.append(f"Two profiles are called “{profile.name}”; give each its own name.")
        seen.add(key)
    return errors


class ProfileLibrary(Protocol):
    """Where the profiles are kept (the `Library`): all the dialog needs of it."""

    def profiles(self) -> list[FreelancerProfile]: ...
    def profile(self, name: str | None = None) -> FreelancerProfile: ...
    def account_profiles(self) -> dict[str, str]: ...
    def save_profile(self, profile: FreelancerProfile) -> None: ...
    def delete_profile(self, name: str) -> bool: ...
    def set_default_profile(self, name: str, account: str | None = None) -> None: ...
    def clear_account_profile(self, account: str) -> None: ...


class ProfilesDialog(UnsavedChangesDialog):
    """Lists the profiles, edits one at a time, and saves them all through the library."""

    DISCARD_QUESTION = "The profiles have changes that are not saved. Discard them?"
    DISCARD_BOX_NAME = "discard_profiles"

    saved = Signal()

    def __init__(
        self,
        library: ProfileLibrary,
        accounts: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("profilesDialog")
        self.setWindowTitle("Freelancer profiles")
        self._library = library
        self._accounts = list(accounts)
        self._profiles: list[FreelancerProfile] = list(library.profiles())
        self._original_names = {p.name for p in self._profiles}
        self._default = library.profile().name
        self._account_defaults = library.account_profiles()
        self._current = -1
        self._loading = False
        self._dirty = False
        self._row_errors: dict[int, str] = {}
        self._discard_box: QMessageBox | None = None

        panel = named_list_panel(
            "profile",
            on_row=self._on_list_current_row_changed,
            on_add=self._on_add_clicked,
            on_duplicate=self._on_duplicate_clicked,
            on_delete=self._on_delete_clicked,
        )
        self._list, self._duplicate, self._delete = panel.list, panel.duplicate, panel.delete

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(panel.widget)
        splitter.addWidget(self._build_form())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 560])

        self._error = QLabel()
        self._error.setObjectName("profiles_error")
        self._error.setWordWrap(True)
        self._error.setStyleSheet(f"color: {ERROR_COLOR};")
        self._error.hide()
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.accepted.connect(self._on_buttons_accepted)
        self._buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._build_defaults())
        layout.addWidget(self._error)
        layout.addWidget(self._buttons)
        self._refresh_list(0)

    def sizeHint(self) -> QSize:
        return QSize(860, 720)

    # -- building ---------------------------------------------------------------------------

    def _build_form(self) -> QWidget:
        host = QWidget()
        form = QFormLayout(host)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self._name = QLineEdit()
        self._name.setObjectName("profile_name")
        self._name.setPlaceholderText("The name clients see, e.g. Alex Morgan")
        self._headline = QLineEdit()
        self._headline.setObjectName("profile_headline")
        self._headline.setPlaceholderText("e.g. Full-stack developer: Python, React")
        self._bio = QPlainTextEdit()
        self._bio.setObjectName("profile_bio")
        self._bio.setTabChangesFocus(True)
        self._bio.setFixedHeight(70)
        self._skills = QLineEdit()
        self._skills.setObjectName("profile_skills")
        self._skills.setPlaceholderText("Comma-separated, e.g. Python, Django, AWS")
        self._rate = QDoubleSpinBox()
        self._rate.setObjectName("profile_rate")
        self._rate.setRange(0.0, MAX_RATE)
        self._rate.setDecimals(2)
        self._rate.setPrefix("$")
        self._rate.setSuffix("/h")
        self._rate.setSpecialValueText("Not stated")
        self._portfolio = QTableWidget(0, 3)
        self._portfolio.setObjectName("profile_portfolio")
        self._portfolio.setHorizontalHeaderLabels(["Title", "Link", "Summary"])
        self._portfolio.verticalHeader().hide()
        self._portfolio.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self._portfolio.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._portfolio.setColumnWidth(0, 180)
        self._portfolio.setColumnWidth(1, 140)
        self._portfolio.setMinimumHeight(120)
        self._portfolio.setWordWrap(True)
        add_item = QPushButton("Add item")
        add_item.setObjectName("portfolio_add")
        add_item.clicked.connect(self._on_portfolio_add_clicked)
        remove_item = QPushButton("Remove item")
        remove_item.setObjectName("portfolio_remove")
        remove_item.clicked.connect(self._on_portfolio_remove_clicked)
        portfolio = QWidget()
        portfolio_layout = QVBoxLayout(portfolio)
        portfolio_layout.setContentsMargins(0, 0, 0, 0)
        portfolio_layout.addWidget(self._portfolio, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add_item)
        buttons.addWidget(remove_item)
        buttons.addStretch(1)
        portfolio_layout.addLayout(buttons)
        self._signature = QPlainTextEdit()
        self._signature.setObjectName("profile_signature")
        self._signature.setTabChangesFocus(True)
        self._signature.setFixedHeight(54)
        self._signature.setPlaceholderText("How letters end, e.g. Best regards, Alex")
        form.addRow("Name", self._name)
        form.addRow("Headline", self._headline)
        form.addRow("Bio", self._bio)
        form.addRow("Skills", self._skills)
        form.addRow("Hourly rate", self._rate)
        form.addRow("Portfolio", portfolio)
        form.addRow("Signature", self._signature)
        for line in (self._name, self._headline, self._skills):
            line.textEdited.connect(self._on_field_edited)
        for edit in (self._bio, self._signature):
            edit.textChanged.connect(self._on_field_edited)
        self._rate.valueChanged.connect(self._on_field_edited)
        self._portfolio.itemChanged.connect(self._on_field_edited)
        self._form_host = host
        return host

    def _build_defaults(self) -> QGroupBox:
        box = QGroupBox("Which profile drafts for…")
        form = QFormLayout(box)
        self._default_combo = QComboBox()
        self._default_combo.setObjectName("default_profile")
        self._default_combo.currentIndexChanged.connect(self._on_default_combo_changed)
        form.addRow("Every account (default)", self._default_combo)
        self._account_combos: dict[str, QComboBox] = {}
        for account in self._accounts:
            combo = QComboBox()
            combo.setObjectName(f"account_profile_{account}")
            combo.currentIndexChanged.connect(self._on_default_combo_changed)
            form.addRow(account, combo)
            self._account_combos[account] = combo
        return box

    # -- public -----------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        return self._dirty

    def select(self, name: str) -> None:
        for row, profile in enumerate(self._profiles):
            if profile.name == name:
                self._list.setCurrentRow(row)
                return

    # -- the working copy -------------------------------------------------------------------

    def _names(self) -> list[str]:
        return [profile.name for profile in self._profiles]

    def _refresh_list(self, select: int) -> None:
        self._loading = True
        try:
            self._list.clear()
            for name in self._names():
                suffix = " (default)" if name == self._default else ""
                self._list.addItem(QListWidgetItem(name + suffix))
            self._refresh_combos()
        finally:
            self._loading = False
        self._current = -1
        if self._profiles:
            self._list.setCurrentRow(max(0, min(select, len(self._profiles) - 1)))
        else:
            self._show_profile(None)
        self._delete.setEnabled(len(self._profiles) > 1)
        self._duplicate.setEnabled(bool(self._profiles))

    def _refresh_combos(self) -> None:
        names = self._names()
        was = self._loading
        self._loading = True
        try:
            self._default_combo.clear()
            for name in names:
                self._default_combo.addItem(name, name)
            index = self._default_combo.findData(self._default)
            self._default_combo.setCurrentIndex(max(index, 0))
            for account, combo in self._account_combos.items():
                combo.clear()
                combo.addItem("The default profile", USE_GLOBAL)
                for name in names:
                    combo.addItem(name, name)
                chosen = self._account_defaults.get(account, USE_GLOBAL)
                combo.setCurrentIndex(max(combo.findData(chosen), 0))
        finally:
            self._loading = was

    def _show_profile(self, profile: FreelancerProfile | None) -> None:
        self._loading = True
        try:
            self._form_host.setEnabled(profile is not None)
            p = profile or FreelancerProfile(name="-")
            self._name.setText(p.name if profile is not None else "")
            self._headline.setText(p.headline)
            self._bio.setPlainText(p.bio)
            self._skills.setText(", ".join(p.skills))
            self._rate.setValue(float(p.hourly_rate) if p.hourly_rate is not None else 0.0)
            self._portfolio.setRowCount(0)
            for item in p.portfolio:
                self._append_portfolio_row(item.title, item.link or "", item.summary)
            self._signature.setPlainText(p.signature)
        finally:
            self._loading = False

    def _append_portfolio_row(self, title: str, link: str, summary: str) -> None:
        row = self._portfolio.rowCount()
        self._portfolio.insertRow(row)
        for column, text in enumerate((title, link, summary)):
            self._portfolio.setItem(row, column, QTableWidgetItem(text))

    def _cell(self, row: int, column: int) -> str:
        item = self._portfolio.item(row, column)
        return item.text().strip() if item is not None else ""

    def _read_form(self) -> FreelancerProfile | str:
        """The profile the form holds, or a sentence saying what is wrong with it."""
        name = " ".join(self._name.text().split())
        if not name:
            return "Give every profile a name."
        items: list[PortfolioItem] = []
        for row in range(self._portfolio.rowCount()):
            title, link, summary = (self._cell(row, column) for column in range(3))
            if not (title or link or summary):
                continue
            if not title:
                return f"Portfolio item {row + 1} of “{name}” needs a title."
            if link and not link.lower().startswith(("http://", "https://")):
                return f"The link of portfolio item “{title}” must start with http:// or https://."
            # The form does not show an item's skills; an edited item keeps them.
            old = self._current_profile()
            skills: tuple[str, ...] = ()
            if old is not None:
                skills = next((i.skills for i in old.portfolio if i.title == title), ())
            items.append(
                PortfolioItem(title=title, link=link or None, summary=summary, skills=skills)
            )
        rate = self._rate.value()
        try:
            return FreelancerProfile(
                name=name,
                headline=self._headline.text().strip(),
                bio=self._bio.toPlainText().strip(),
                skills=_split_skills(self._skills.text()),
                hourly_rate=Decimal(str(rate)).quantize(Decimal("0.01")) if rate > 0 else None,
                portfolio=tuple(items),
                signature=self._signature.toPlainText().strip(),
            )
        except pydantic.ValidationError:
            return f"The profile “{name}” has a field BidDesk cannot read."

    def _current_profile(self) -> FreelancerProfile | None:
        if 0 <= self._current < len(self._profiles):
            return self._profiles[self._current]
        return None

    def _commit_form(self) -> None:
        """Keep what the form shows in the working copy (an invalid form keeps its error)."""
        row = self._current
        if not 0 <= row < len(self._profiles):
            return
        read = self._read_form()
        old = self._profiles[row]
        if isinstance(read, str):
            self._row_errors[row] = read
            return
        self._row_errors.pop(row, None)
        self._profiles[row] = read
        if old.name != read.name:
            # A renamed profile keeps its place as the default and for its accounts.
            if self._default == old.name:
                self._default = read.name
            for account, name in list(self._account_defaults.items()):
                if name == old.name:
                    self._account_defaults[account] = read.name
        item = self._list.item(row)
        if item is not None:
            suffix = " (default)" if read.name == self._default else ""
            item.setText(read.name + suffix)

    def _set_error(self, message: str | None) -> None:
        self._error.setText(message or "")
        self._error.setVisible(bool(message))

    # -- saving -----------------------------------------------------------------------------

    def save(self) -> bool:
        """Validate everything and write it through the library; False (with the reason
        shown) when something stops it."""
        self._commit_form()
        if self._row_errors:
            row, message = next(iter(sorted(self._row_errors.items())))
            self._list.setCurrentRow(row)
            self._set_error(message)
            return False
        profiles = list(self._profiles)
        errors = profile_errors(profiles)
        if errors:
            self._set_error(errors[0])
            return False
        try:
            names = {p.name for p in profiles}
            for name in self._original_names - names:
                self._library.delete_profile(name)
            for profile in profiles:
                self._library.save_profile(profile)
            if self._default in names:
                self._library.set_default_profile(self._default)
            for account, combo in self._account_combos.items():
                chosen = combo.currentData()
                if chosen:
                    self._library.set_default_profile(str(chosen), account)
                else:
                    self._library.clear_account_profile(account)
        except DraftingError as exc:
            self._set_error(str(exc))
            return False
        self._original_names = names
        self._dirty = False
        self._set_error(None)
        self.saved.emit()
        return True

    # -- slots ------------------------------------------------------------------------------

    def _on_list_current_row_changed(self, row: int) -> None:
        if self._loading:
            return
        if row == self._current:
            return
        self._commit_form()
        self._current = row
        profile = self._profiles[row] if 0 <= row < len(self._profiles) else None
        self._show_profile(profile)
        self._set_error(self._row_errors.get(row))

    def _on_field_edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._dirty = True
        self._commit_form()
        self._set_error(self._row_errors.get(self._current))
        self._refresh_combos()

    def _unique_name(self, base: str) -> str:
        return unique_name(base, self._names())

    def _insert(self, profile: FreelancerProfile) -> None:
        self._commit_form()
        self._profiles.append(profile)
        self._dirty = True
        self._refresh_list(len(self._profiles) - 1)
        self._name.setFocus()
        self._name.selectAll()

    def _on_add_clicked(self) -> None:
        self._insert(FreelancerProfile(name=self._unique_name("New profile")))

    def _on_duplicate_clicked(self) -> None:
        self._commit_form()
        current = self._current_profile()
        if current is None:
            return
        copy = current.model_copy(update={"name": self._unique_name(f"{current.name} copy")})
        self._insert(copy)

    def _on_delete_clicked(self) -> None:
        row = self._current
        if not 0 <= row < len(self._profiles) or len(self._profiles) <= 1:
            return
        removed = self._profiles.pop(row)
        self._row_errors = {
            (r if r < row else r - 1): m for r, m in self._row_errors.items() if r != row
        }
        name = removed.name
        remaining = self._names()
        if self._default == name and remaining:
            self._default = remaining[0]
        self._account_defaults = {a: n for a, n in self._account_defaults.items() if n != name}
        self._dirty = True
        self._current = -1
        self._refresh_list(min(row, len(self._profiles) - 1))

    def _on_portfolio_add_clicked(self) -> None:
        self._append_portfolio_row("", "", "")
        row = self._portfolio.rowCount() - 1
        self._portfolio.setCurrentCell(row, 0)
        item = self._portfolio.item(row, 0)
        if item is not None:
            self._portfolio.editItem(item)

    def _on_portfolio_remove_clicked(self) -> None:
        row = self._portfolio.currentRow()
        if row < 0:
            return
        self._portfolio.removeRow(row)
        self._on_field_edited()

    def _on_default_combo_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._default = str(self._default_combo.currentData() or self._default)
        for account, combo in self._account_combos.items():
            chosen = combo.currentData()
            if chosen:
                self._account_defaults[account] = str(chosen)
            else:
                self._account_defaults.pop(account, None)
        self._dirty = True
        for row, name in enumerate(self._names()):
            item = self._list.item(row)
            if item is not None:
                item.setText(name + (" (default)" if name == self._default else ""))

    def _on_buttons_accepted(self) -> None:
        if self.save():
            self.accept()
