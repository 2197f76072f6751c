"""The filter bar's "More filters" panel: the price, client, depth, country, age and state
conditions that do not fit on the bar's line.

The panel builds its fields, reads them as `FilterSpec` values (`values`), shows a spec
in them without a signal (`fill`), and counts the conditions set for the button's label
(`active_count`). It announces edits and leaves the debounce and the emitting to the bar:
`edited` for the number and country fields (debounced), `changed` for check boxes, the
combo and the state buttons (at once), `clear_requested` for "Clear all".
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.filters import FilterSpec
from app.services.inbox import LOCAL_STATES
from app.ui.widgets.filter_bar_values import (
    count_of,
    count_text,
    decimal_of,
    duration_text,
    fraction_of,
    money_text,
    names_of,
    names_text,
    percent_text,
)
from app.ui.widgets.layouts import FlowLayout

__all__ = ["BUDGET_HELP", "HOURLY_HELP", "MorePanel", "active_count", "select_data"]

_POSTED: tuple[tuple[str, timedelta | None], ...] = (
    ("Any time", None),
    ("Last hour", timedelta(hours=1)),
    ("Last 24 hours", timedelta(hours=24)),
    ("Last 3 days", timedelta(days=3)),
    ("Last 7 days", timedelta(days=7)),
)
BUDGET_HELP = (
    "A budget range applies to fixed-price jobs; hourly jobs pass it. "
    "Pick Fixed (or Hourly) beside the platforms to keep one kind only."
)
HOURLY_HELP = (
    "An hourly range applies to hourly jobs (their rate range overlaps it); "
    "fixed-price jobs pass it. Pick Hourly beside the platforms to keep hourly jobs only."
)
_MONEY_PATTERN = QRegularExpression(r"\d{0,9}([.,]\d{0,2})?")
_PERCENT_PATTERN = QRegularExpression(r"\d{0,3}([.,]\d{0,2})?")
_COUNT_PATTERN = QRegularExpression(r"\d{0,6}")


class MorePanel(QFrame):
    """The fields behind the bar's "More filters" button; see the module docstring."""

    edited = Signal(str)  # a number or country field's text changed
    changed = Signal()  # a check box, the age combo or a state button changed
    clear_requested = Signal()  # "Clear all" was clicked

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        # What a shown spec holds that no field shows; kept until the user edits it.
        self._extra_states: frozenset[str] = frozenset()  # states without a button
        self._unverified_only = False  # payment_verified=False (the box means True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setVisible(False)
        self._build()

    def _build(self) -> None:
        def number(placeholder: str, pattern: QRegularExpression, width: str) -> QLineEdit:
            edit = QLineEdit(self)
            edit.setPlaceholderText(placeholder)
            edit.setValidator(QRegularExpressionValidator(pattern, edit))
            edit.setFixedWidth(self.fontMetrics().horizontalAdvance(width) + 16)
            edit.setClearButtonEnabled(False)
            edit.textChanged.connect(self.edited)
            return edit

        def pair(first: QWidget, middle: str, second: QWidget, suffix: str = "") -> QWidget:
            box = QWidget(self)
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
        self.verified = QCheckBox("Payment verified only", self)
        self.verified.toggled.connect(self._on_verified_toggled)
        self.archived = QCheckBox("Show archived", self)
        self.archived.setToolTip("Archived opportunities show when no state is picked.")
        self.archived.toggled.connect(self.changed)
        self.countries_include = QLineEdit(self)
        self.countries_include.setPlaceholderText("any country (comma list)")
        self.countries_include.textChanged.connect(self.edited)
        self.countries_exclude = QLineEdit(self)
        self.countries_exclude.setPlaceholderText("none (comma list)")
        self.countries_exclude.textChanged.connect(self.edited)
        self.posted = QComboBox(self)
        for label, duration in _POSTED:
            self.posted.addItem(label, duration)
        self.posted.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.posted.currentIndexChanged.connect(self.changed)
        self.state_buttons: dict[str, QToolButton] = {}
        states = QWidget(self)
        states_row = FlowLayout(states, spacing=2)
        for state in LOCAL_STATES:
            button = QToolButton(states)
            button.setText(state.capitalize())
            button.setCheckable(True)
            button.setProperty("toggle", True)
            button.toggled.connect(self.changed)
            self.state_buttons[state] = button
            states_row.addWidget(button)
        self.clear_button = QPushButton("Clear all", self)
        self.clear_button.setToolTip("Show every opportunity again")
        self.clear_button.clicked.connect(self.clear_requested)

        # Label-and-field cells that wrap like text: two or three a line in a wide pane,
        # one a line in a narrow one — the panel never asks for more width than it has.
        cells: tuple[tuple[str, QWidget, str], ...] = (
            ("Budget $", pair(self.budget_min, "–", self.budget_max), BUDGET_HELP),
            ("Hourly $", pair(self.hourly_min, "–", self.hourly_max, "/h"), HOURLY_HELP),
            ("Client spent ≥ $", self.spend_min, ""),
            ("Hire rate ≥", pair(self.hire_rate_min, "%", QWidget(self)), ""),
            ("Match ≥", pair(self.score_min, "%", QWidget(self)), ""),
            ("Posted", self.posted, ""),
            ("Countries", self.countries_include, ""),
            ("Not from", self.countries_exclude, ""),
            ("Connects ≤", self.connects_max, ""),
            ("Proposals ≤", self.proposals_max, ""),
            ("Client hires ≥", self.hires_min, ""),
            ("Avg rate paid ≥ $", pair(self.avg_rate_min, "/h", QWidget(self)), ""),
        )
        fields = QWidget(self)
        flow = FlowLayout(fields, spacing=6)
        label_width = max(self.fontMetrics().horizontalAdvance(c[0]) for c in cells) + 8
        for text, field, help_text in cells:
            cell = QWidget(fields)
            row = QHBoxLayout(cell)
            row.setContentsMargins(0, 0, 8, 0)
            row.setSpacing(4)
            caption = QLabel(text, cell)
            caption.setFixedWidth(label_width)
            if help_text:
                caption.setToolTip(help_text)
                field.setToolTip(help_text)
            row.addWidget(caption)
            row.addWidget(field)
            flow.addWidget(cell)
        for edit in (self.countries_include, self.countries_exclude):
            edit.setFixedWidth(self.fontMetrics().horizontalAdvance(edit.placeholderText()) + 24)
        checks = QHBoxLayout()
        checks.addWidget(self.verified)
        checks.addWidget(self.archived)
        checks.addStretch(1)
        checks.addWidget(self.clear_button)
        state_row = QHBoxLayout()
        state_label = QLabel("State", self)
        state_label.setFixedWidth(label_width)
        state_row.addWidget(state_label)
        state_row.addWidget(states, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 6, 8, 6)
        column.setSpacing(4)
        column.addWidget(fields)
        column.addLayout(state_row)
        column.addLayout(checks)

    # -- the spec ------------------------------------------------------------------------

    def values(self) -> dict[str, object]:
        """The panel's part of the filter, as `FilterSpec` fields."""
        return {
            "budget_min": decimal_of(self.budget_min.text()),
            "budget_max": decimal_of(self.budget_max.text()),
            "hourly_min": decimal_of(self.hourly_min.text()),
            "hourly_max": decimal_of(self.hourly_max.text()),
            "client_spend_min": decimal_of(self.spend_min.text()),
            "hire_rate_min": fraction_of(self.hire_rate_min.text()),
            "payment_verified": True
            if self.verified.isChecked()
            else (False if self._unverified_only else None),
            "countries_include": names_of(self.countries_include.text()),
            "countries_exclude": names_of(self.countries_exclude.text()),
            "min_match_score": fraction_of(self.score_min.text()),
            "posted_within": self.posted.currentData(),
            "connects_max": count_of(self.connects_max.text()),
            "proposals_max": count_of(self.proposals_max.text()),
            "client_hires_min": count_of(self.hires_min.text()),
            "client_avg_rate_min": decimal_of(self.avg_rate_min.text()),
            "states": frozenset(
                state for state, button in self.state_buttons.items() if button.isChecked()
            )
            | self._extra_states,
            "include_archived": self.archived.isChecked(),
        }

    def fill(self, spec: FilterSpec) -> None:
        """Show `spec`'s conditions in the fields, without a signal."""
        widgets = [
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
            *self.state_buttons.values(),
        ]
        blockers = [QSignalBlocker(widget) for widget in widgets]
        try:
            self.budget_min.setText(money_text(spec.budget_min))
            self.budget_max.setText(money_text(spec.budget_max))
            self.hourly_min.setText(money_text(spec.hourly_min))
            self.hourly_max.setText(money_text(spec.hourly_max))
            self.spend_min.setText(money_text(spec.client_spend_min))
            self.hire_rate_min.setText(percent_text(spec.hire_rate_min))
            self.score_min.setText(percent_text(spec.min_match_score))
            self.connects_max.setText(count_text(spec.connects_max))
            self.proposals_max.setText(count_text(spec.proposals_max))
            self.hires_min.setText(count_text(spec.client_hires_min))
            self.avg_rate_min.setText(money_text(spec.client_avg_rate_min))
            self.verified.setChecked(spec.payment_verified is True)
            self._unverified_only = spec.payment_verified is False
            self.countries_include.setText(names_text(spec.countries_include))
            self.countries_exclude.setText(names_text(spec.countries_exclude))
            posted = spec.posted_within
            select_data(self.posted, posted, duration_text(posted) if posted else "Any time")
            for state, button in self.state_buttons.items():
                button.setChecked(state in spec.states)
            self._extra_states = frozenset(spec.states) - set(self.state_buttons)
            self.archived.setChecked(spec.include_archived)
        finally:
            del blockers

    def _on_verified_toggled(self, _checked: bool) -> None:
        self._unverified_only = False
        self.changed.emit()


def active_count(spec: FilterSpec) -> int:
    """How many of the panel's conditions `spec` sets (a range counts once)."""
    return sum(
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


def select_data(combo: QComboBox, data: object, label: str) -> None:
    """Select the item holding `data`, adding one (labelled `label`) if none does."""
    for index in range(combo.count()):
        if combo.itemData(index) == data:
            combo.setCurrentIndex(index)
            return
    combo.addItem(label, data)
    combo.setCurrentIndex(combo.count() - 1)
