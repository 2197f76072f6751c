"""The inbox filter bar: a search box, quick toggles, more filters, saved filters.

It edits a `FilterSpec` and emits it (`filter_changed`): debounced while the user types
(the search box and the number and country fields), at once for toggles, combos and
check boxes. Saved filters are named `FilterSpec` JSON; the bar announces every change
of them (`saved_filters_changed`) for the window to persist, and takes them back with
`set_saved_filters`. `set_spec` shows a spec without emitting it (the window restores
the last filter and applies it to the model itself); applying a saved filter from the
menu is the user's act, and emits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError
from PySide6.QtCore import QRegularExpression, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from app.domain.filters import FilterSpec
from app.domain.opportunity import JobKind, Platform
from app.services.inbox import LOCAL_STATES

__all__ = ["DEBOUNCE_MS", "FilterBar"]

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
SEARCH_PLACEHOLDER = 'Search: react AND "admin panel" -wordpress'
SEARCH_HELP = (
    "Words match anywhere, in any order, in the title, description, skills, country and "
    "category.\n"
    '"exact phrase"   a OR b   -word or NOT word to exclude   ( ) to group'
)
_KINDS: tuple[tuple[str, frozenset[JobKind]], ...] = (
    ("Any kind", frozenset()),
    ("Fixed", frozenset({JobKind.FIXED})),
    ("Hourly", frozenset({JobKind.HOURLY})),
)
_POSTED: tuple[tuple[str, timedelta | None], ...] = (
    ("Any time", None),
    ("Last hour", timedelta(hours=1)),
    ("Last 24 hours", timedelta(hours=24)),
    ("Last 3 days", timedelta(days=3)),
    ("Last 7 days", timedelta(days=7)),
)
# Checked toggles must read as "on" at a glance; the native look barely changes.
_TOGGLE_STYLE = """
QToolButton[toggle="true"] {
    padding: 2px 8px; border: 1px solid palette(mid); border-radius: 3px;
    background: palette(button);
}
QToolButton[toggle="true"]:hover { border-color: palette(highlight); }
QToolButton[toggle="true"]:checked {
    background: palette(highlight); color: palette(highlighted-text);
    border-color: palette(highlight);
}
"""
_MONEY_PATTERN = QRegularExpression(r"\d{0,9}([.,]\d{0,2})?")
_PERCENT_PATTERN = QRegularExpression(r"\d{0,3}([.,]\d{0,2})?")
_COUNT_PATTERN = QRegularExpression(r"\d{0,6}")
_HUNDRED = Decimal(100)


def _duration_text(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    if seconds % 86_400 == 0:
        return f"Last {int(seconds // 86_400)} days"
    if seconds % 3600 == 0:
        return f"Last {int(seconds // 3600)} hours"
    return f"Last {int(seconds // 60)} minutes"


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def _count(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdecimal() else None


def _count_text(value: int | None) -> str:
    return "" if value is None else str(value)


def _fraction(text: str) -> float | None:
    """A percentage typed as "85" as the fraction 0.85 (capped at 100%)."""
    value = _decimal(text)
    return None if value is None else float(min(value, _HUNDRED) / _HUNDRED)


def _money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.4g}"


def _names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def _names_text(names: frozenset[str]) -> str:
    return ", ".join(sorted(name.title() for name in names))


class FilterBar(QWidget):
    """Edits the inbox's `FilterSpec`; see the module docstring."""

    filter_changed = Signal(object)  # FilterSpec
    saved_filters_changed = Signal(object)  # dict[str, str]: name -> FilterSpec JSON

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._saved: dict[str, str] = {}
        self._last_emitted = FilterSpec()
        # What a restored spec holds that no widget shows; kept until the user edits it.
        self._extra_states: frozenset[str] = frozenset()  # states without a button
        self._unverified_only = False  # payment_verified=False (the box means True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search.setToolTip(SEARCH_HELP)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(
            self.fontMetrics().horizontalAdvance(SEARCH_PLACEHOLDER) * 2 // 3
        )
        self.search.textChanged.connect(self._on_edited)

        self.platform_buttons: dict[Platform, QToolButton] = {}
        for platform in Platform:
            button = QToolButton(self)
            button.setText(platform.label)
            button.setCheckable(True)
            button.setProperty("toggle", True)
            button.setToolTip(f"Only {platform.label} (none checked: every platform)")
            button.toggled.connect(self._emit)
            self.platform_buttons[platform] = button

        self.kind = QComboBox(self)
        for label, kinds in _KINDS:
            self.kind.addItem(label, kinds)
        self.kind.currentIndexChanged.connect(self._emit)

        self.more_button = QToolButton(self)
        self.more_button.setText("More filters")
        self.more_button.setCheckable(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setArrowType(Qt.ArrowType.DownArrow)
        self.more_button.toggled.connect(self._on_more_button_toggled)

        self.saved_button = QToolButton(self)
        self.saved_button.setText("Saved")
        self.saved_button.setToolTip("Save the current filter, apply or delete a saved one")
        self.saved_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_menu = QMenu(self.saved_button)
        self.saved_menu.aboutToShow.connect(self._rebuild_saved_menu)
        self.saved_button.setMenu(self.saved_menu)

        self.counts = QLabel(self)
        self.counts.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.counts.setToolTip("Opportunities shown of all stored")
        # A fixed size: a label whose size may change asks the whole window to lay itself
        # out again on every new text, and the window then repaints everything — during
        # a burst of arrivals that was most of the UI loop's time.
        widest = self.counts.fontMetrics().horizontalAdvance("999,999 of 999,999")
        self.counts.setFixedSize(widest + 8, self.counts.sizeHint().height())

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(4)
        bar.addWidget(self.search, 1)
        for button in self.platform_buttons.values():
            bar.addWidget(button)
        bar.addWidget(self.kind)
        bar.addWidget(self.more_button)
        bar.addWidget(self.saved_button)
        bar.addWidget(self.counts)

        self.more = QFrame(self)
        self.more.setFrameShape(QFrame.Shape.StyledPanel)
        self.more.setVisible(False)
        self._build_more(self.more)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.more)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setStyleSheet(_TOGGLE_STYLE)
        self.set_counts(0, 0)

    def _build_more(self, frame: QFrame) -> None:
        def number(placeholder: str, pattern: QRegularExpression, width: str) -> QLineEdit:
            edit = QLineEdit(frame)
            edit.setPlaceholderText(placeholder)
            edit.setValidator(QRegularExpressionValidator(pattern, edit))
            edit.setFixedWidth(self.fontMetrics().horizontalAdvance(width) + 16)
            edit.setClearButtonEnabled(False)
            edit.textChanged.connect(self._on_edited)
            return edit

        def pair(first: QWidget, middle: str, second: QWidget, suffix: str = "") -> QWidget:
            box = QWidget(frame)
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            row.addWidget(first)
            row.addWidget(QLabel(middle, box))
            row.addWidget(second)
            if suffix:
                row.addWidget(QLabel(suffix, box))
            row.addStretch(1)
            return box

        self.budget_min = number("min", _MONEY_PATTERN, "000000")
        self.budget_max = number("max", _MONEY_PATTERN, "000000")
        self.hourly_min = number("min", _MONEY_PATTERN, "0000")
        self.hourly_max = number("max", _MONEY_PATTERN, "0000")
        self.spend_min = number("any", _MONEY_PATTERN, "0000000")
        self.hire_rate_min = number("any", _PERCENT_PATTERN, "000")
        self.score_min = number("any", _PERCENT_PATTERN, "000")
        # Depth: Connects, the competition, the client's history.
        self.connects_max = number("any", _COUNT_PATTERN, "000")
        self.connects_max.setToolTip(
            "Jobs whose proposal costs at most this many Connects (tasks without a "
            "Connects price stay)"
        )
        self.proposals_max = number("any", _COUNT_PATTERN, "000")
        self.proposals_max.setToolTip(
            "Jobs with at most this many proposals so far: a tier counts by its upper end "
            "(“5 to 10” is within 10, not within 7); jobs whose platform does not report "
            "proposals are hidden"
        )
        self.hires_min = number("any", _COUNT_PATTERN, "0000")
        self.hires_min.setToolTip("Clients who hired at least this many times")
        self.avg_rate_min = number("any", _MONEY_PATTERN, "0000")
        self.avg_rate_min.setToolTip("Clients who paid at least this hourly rate on average")
        self.verified = QCheckBox("Payment verified only", frame)
        self.verified.toggled.connect(self._on_verified_toggled)
        self.archived = QCheckBox("Show archived", frame)
        self.archived.setToolTip("Archived opportunities show when no state is picked.")
        self.archived.toggled.connect(self._emit)
        self.countries_include = QLineEdit(frame)
        self.countries_include.setPlaceholderText("any country (comma list)")
        self.countries_include.textChanged.connect(self._on_edited)
        self.countries_exclude = QLineEdit(frame)
        self.countries_exclude.setPlaceholderText("none (comma list)")
        self.countries_exclude.textChanged.connect(self._on_edited)
        self.posted = QComboBox(frame)
        for label, duration in _POSTED:
            self.posted.addItem(label, duration)
        self.posted.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.posted.currentIndexChanged.connect(self._emit)
        self.state_buttons: dict[str, QToolButton] = {}
        states = QWidget(frame)
        states_row = QHBoxLayout(states)
        states_row.setContentsMargins(0, 0, 0, 0)
        states_row.setSpacing(2)
        for state in LOCAL_STATES:
            button = QToolButton(states)
            button.setText(state.capitalize())
            button.setCheckable(True)
            button.setProperty("toggle", True)
            button.toggled.connect(self._emit)
            self.state_buttons[state] = button
            states_row.addWidget(button)
        states_row.addStretch(1)
        self.clear_button = QPushButton("Clear all", frame)
        self.clear_button.setToolTip("Show every opportunity again")
        self.clear_button.clicked.connect(self.clear)

        grid = QGridLayout(frame)
        grid.setContentsMargins(8, 6, 8, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        cells: tuple[tuple[str, QWidget, str, QWidget], ...] = (
            ("Budget $", pair(self.budget_min, "–", self.budget_max), "Client spent ≥ $",
             self.spend_min),
            ("Hourly $", pair(self.hourly_min, "–", self.hourly_max, "/h"), "Hire rate ≥",
             pair(self.hire_rate_min, "%", QWidget(frame))),
            ("Match ≥", pair(self.score_min, "%", QWidget(frame)), "Posted", self.posted),
            ("Countries", self.countries_include, "Not from", self.countries_exclude),
            ("Connects ≤", self.connects_max, "Proposals ≤", self.proposals_max),
            ("Client hires ≥", self.hires_min, "Avg rate paid ≥ $",
             pair(self.avg_rate_min, "/h", QWidget(frame))),
        )  # fmt: skip
        for row, (left_label, left, right_label, right) in enumerate(cells):
            grid.addWidget(QLabel(left_label, frame), row, 0)
            grid.addWidget(left, row, 1)
            grid.addWidget(QLabel(right_label, frame), row, 2)
            grid.addWidget(right, row, 3)
        for edit in (self.countries_include, self.countries_exclude):
            edit.setMinimumWidth(self.fontMetrics().horizontalAdvance(edit.placeholderText()) + 24)
        checks = QHBoxLayout()
        checks.addWidget(self.verified)
        checks.addWidget(self.archived)
        checks.addStretch(1)
        checks.addWidget(self.clear_button)
        grid.addWidget(QLabel("State", frame), len(cells), 0)
        grid.addWidget(states, len(cells), 1, 1, 4)
        grid.addLayout(checks, len(cells) + 1, 0, 1, 5)
        grid.setColumnStretch(4, 1)  # the fields keep their size; the rest is margin
        grid.setColumnMinimumWidth(1, self.fontMetrics().horizontalAdvance("0" * 28))

    # -- the spec ------------------------------------------------------------------------

    def spec(self) -> FilterSpec:
        """The filter the widgets show now."""
        values: dict[str, object] = {
            "text": self.search.text(),
            "platforms": frozenset(
                platform for platform, button in self.platform_buttons.items() if button.isChecked()
            ),
            "kinds": self.kind.currentData() or frozenset(),
            "budget_min": _decimal(self.budget_min.text()),
            "budget_max": _decimal(self.budget_max.text()),
            "hourly_min": _decimal(self.hourly_min.text()),
            "hourly_max": _decimal(self.hourly_max.text()),
            "client_spend_min": _decimal(self.spend_min.text()),
            "hire_rate_min": _fraction(self.hire_rate_min.text()),
            "payment_verified": True
            if self.verified.isChecked()
            else (False if self._unverified_only else None),
            "countries_include": _names(self.countries_include.text()),
            "countries_exclude": _names(self.countries_exclude.text()),
            "min_match_score": _fraction(self.score_min.text()),
            "posted_within": self.posted.currentData(),
            "connects_max": _count(self.connects_max.text()),
            "proposals_max": _count(self.proposals_max.text()),
            "client_hires_min": _count(self.hires_min.text()),
            "client_avg_rate_min": _decimal(self.avg_rate_min.text()),
            "states": frozenset(
                state for state, button in self.state_buttons.items() if button.isChecked()
            )
            | self._extra_states,
            "include_archived": self.archived.isChecked(),
        }
        try:
            return FilterSpec.model_validate(values)
        except ValidationError:  # the validators keep this from happening; stay usable
            log.exception("filter bar: invalid values %r", values)
            return FilterSpec(text=self.search.text())

    def set_spec(self, spec: FilterSpec) -> None:
        """Show `spec` in the widgets, without emitting `filter_changed`."""
        self._show(spec)
        self._last_emitted = self.spec()

    def _show(self, spec: FilterSpec) -> None:
        self._debounce.stop()
        widgets = [
            self.search,
            self.kind,
            self.posted,
            self.verified,
            self.archived,
            self.budget_min,
            self.budget_max,
            self.hourly_min,
            self.hourly_max,
            self.spend_min,
            self.hire_rate_min,
            self.score_min,
            self.connects_max,
            self.proposals_max,
            self.hires_min,
            self.avg_rate_min,
            self.countries_include,
            self.countries_exclude,
            *self.platform_buttons.values(),
            *self.state_buttons.values(),
        ]
        blockers = [QSignalBlocker(widget) for widget in widgets]
        try:
            self.search.setText(spec.text)
            for platform, button in self.platform_buttons.items():
                button.setChecked(platform in spec.platforms)
            _select_data(self.kind, frozenset(spec.kinds), ", ".join(sorted(spec.kinds)) or "Any")
            self.budget_min.setText(_money_text(spec.budget_min))
            self.budget_max.setText(_money_text(spec.budget_max))
            self.hourly_min.setText(_money_text(spec.hourly_min))
            self.hourly_max.setText(_money_text(spec.hourly_max))
            self.spend_min.setText(_money_text(spec.client_spend_min))
            self.hire_rate_min.setText(_percent_text(spec.hire_rate_min))
            self.score_min.setText(_percent_text(spec.min_match_score))
            self.connects_max.setText(_count_text(spec.connects_max))
            self.proposals_max.setText(_count_text(spec.proposals_max))
            self.hires_min.setText(_count_text(spec.client_hires_min))
            self.avg_rate_min.setText(_money_text(spec.client_avg_rate_min))
            self.verified.setChecked(spec.payment_verified is True)
            self._unverified_only = spec.payment_verified is False
            self.countries_include.setText(_names_text(spec.countries_include))
            self.countries_exclude.setText(_names_text(spec.countries_exclude))
            posted = spec.posted_within
            _select_data(self.posted, posted, _duration_text(posted) if posted else "Any time")
            for state, button in self.state_buttons.items():
                button.setChecked(state in spec.states)
            self._extra_states = frozenset(spec.states) - set(self.state_buttons)
            self.archived.setChecked(spec.include_archived)
        finally:
            del blockers
        self._update_more_label()

    def clear(self) -> None:
        """Back to showing everything (but archived), and say so at once."""
        self._show(FilterSpec())
        self._emit()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_counts(self, visible: int, total: int) -> None:
        self.counts.setText(f"{visible:,} of {total:,}")

    # -- saved filters -------------------------------------------------------------------

    def set_saved_filters(self, saved: Mapping[str, str]) -> None:
        """Take the saved filters (name -> FilterSpec JSON) as the window stored them."""
        self._saved = {str(name): str(text) for name, text in saved.items()}

    def saved_filters(self) -> dict[str, str]:
        return dict(self._saved)

    def save_current(self, name: str) -> bool:
        """Save the current filter under `name` (replacing one of that name)."""
        name = name.strip()
        if not name:
            return False
        self._saved[name] = self.spec().to_json()
        self.saved_filters_changed.emit(dict(self._saved))
        return True

    def apply_saved(self, name: str) -> bool:
        """Show and emit the saved filter `name`; False if missing or unreadable."""
        text = self._saved.get(name)
        if text is None:
            return False
        try:
            spec = FilterSpec.from_json(text)
        except ValueError:
            log.warning("saved filter %r is unreadable", name)
            return False
        self._show(spec)
        self._emit()
        return True

    def delete_saved(self, name: str) -> bool:
        if self._saved.pop(name, None) is None:
            return False
        self.saved_filters_changed.emit(dict(self._saved))
        return True

    def _rebuild_saved_menu(self) -> None:
        menu = self.saved_menu
        menu.clear()
        name_edit = QLineEdit(menu)
        name_edit.setPlaceholderText("Name this filter, press Enter to save")
        name_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance(name_edit.placeholderText()))

        def save() -> None:
            if self.save_current(name_edit.text()):
                menu.close()

        name_edit.returnPressed.connect(save)
        holder = QWidget(menu)
        row = QHBoxLayout(holder)
        row.setContentsMargins(6, 3, 6, 3)
        row.addWidget(name_edit)
        field = QWidgetAction(menu)
        field.setDefaultWidget(holder)
        menu.addAction(field)
        if not self._saved:
            return
        menu.addSection("Apply")
        current = self.spec()
        for name in sorted(self._saved, key=str.casefold):
            action = menu.addAction(name)
            try:
                spec = FilterSpec.from_json(self._saved[name])
            except ValueError:
                action.setText(f"{name} (unreadable)")
                action.setEnabled(False)
                continue
            action.setCheckable(True)
            action.setChecked(spec == current)
            action.triggered.connect(lambda _checked=False, n=name: self.apply_saved(n))
        delete = menu.addMenu("Delete")
        for name in sorted(self._saved, key=str.casefold):
            action = delete.addAction(name)
            action.triggered.connect(lambda _checked=False, n=name: self.delete_saved(n))
        name_edit.setFocus()

    # -- emitting ------------------------------------------------------------------------

    def _on_edited(self, _text: str) -> None:
        self._debounce.start()

    def _emit(self, *_args: object) -> None:
        self._debounce.stop()
        self._update_more_label()
        spec = self.spec()
        if spec == self._last_emitted:
            return
        self._last_emitted = spec
        self.filter_changed.emit(spec)

    def _on_verified_toggled(self, _checked: bool) -> None:
        self._unverified_only = False
        self._emit()

    def _on_more_button_toggled(self, shown: bool) -> None:
        self.more.setVisible(shown)
        self.more_button.setArrowType(Qt.ArrowType.UpArrow if shown else Qt.ArrowType.DownArrow)

    def _update_more_label(self) -> None:
        spec = self.spec()
        active = sum(
            (
                spec.budget_min is not None or spec.budget_max is not None,
                spec.hourly_min is not None or spec.hourly_max is not None,
                spec.client_spend_min is not None,
                spec.hire_rate_min is not None,
                spec.payment_verified is not None,
                bool(spec.countries_include),
                bool(spec.countries_exclude),
                spec.min_match_score is not None,
                spec.posted_within is not None,
                spec.connects_max is not None,
                spec.proposals_max is not None,
                spec.client_hires_min is not None,
                spec.client_avg_rate_min is not None,
                bool(spec.states),
                spec.include_archived,
            )
        )
        self.more_button.setText(f"More filters ({active})" if active else "More filters")


def _select_data(combo: QComboBox, data: object, label: str) -> None:
    """Select the item holding `data`, adding one (labelled `label`) if none does."""
    for index in range(combo.count()):
        if combo.itemData(index) == data:
            combo.setCurrentIndex(index)
            return
    combo.addItem(label, data)
    combo.setCurrentIndex(combo.count() - 1)
