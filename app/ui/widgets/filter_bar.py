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

from pydantic import ValidationError
from PySide6.QtCore import QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from app.domain.filters import FilterSpec
from app.domain.opportunity import JobKind, Platform
from app.ui.widgets.filter_bar_facets import facet_note, facets_of
from app.ui.widgets.filter_bar_more import MorePanel, active_count, select_data
from app.ui.widgets.layouts import FlowLayout

__all__ = ["DEBOUNCE_MS", "FilterBar", "facets_of"]

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
ONE_LINE_SEARCH_WIDTH = 300  # narrower than this, the toggles go on a line of their own
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


class FilterBar(QWidget):
    """Edits the inbox's `FilterSpec`; see the module docstring."""

    filter_changed = Signal(object)  # FilterSpec
    saved_filters_changed = Signal(object)  # dict[str, str]: name -> FilterSpec JSON

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._saved: dict[str, str] = {}
        self._hidden: dict[str, int] | None = None  # rows each condition hides
        self._other_kind: dict[str, int] | None = None  # jobs a price range lets through
        self._last_emitted = FilterSpec()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search.setToolTip(SEARCH_HELP)
        self.search.setClearButtonEnabled(True)
        # Narrow enough for a laptop's inbox pane; the field stretches when there is room.
        self.search.setMinimumWidth(self.fontMetrics().horizontalAdvance(SEARCH_PLACEHOLDER) // 2)
        self.search.textChanged.connect(self._on_edited)

        self.platform_buttons: dict[Platform, QToolButton] = {}
        for platform in Platform:
            button = QToolButton(self)
            button.setText(platform.label)
            button.setCheckable(True)
            button.setProperty("toggle", True)
            button.setToolTip(f"Only jobs {platform.label} found (none checked: every platform)")
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
        widest = self.counts.fontMetrics().horizontalAdvance("9,999,999+ of 9,999,999")
        self.counts.setFixedSize(widest + 8, self.counts.sizeHint().height())

        # The toggles sit beside the search box when the pane is wide enough, and on a
        # line of their own below it when it is not (a laptop, a wide editor): the bar
        # must never ask for more width than the inbox pane has (`_arrange`).
        self._facets = QWidget(self)
        facets = QHBoxLayout(self._facets)
        facets.setContentsMargins(0, 0, 0, 0)
        facets.setSpacing(4)
        for button in self.platform_buttons.values():
            facets.addWidget(button)
        facets.addWidget(self.kind)
        facets.addWidget(self.more_button)
        facets.addWidget(self.saved_button)
        self._top = QHBoxLayout()
        self._top.setContentsMargins(0, 0, 0, 0)
        self._top.setSpacing(4)
        self._top.addWidget(self.search, 1)
        self._top.addWidget(self._facets)
        self._top.addWidget(self.counts)
        self._second = QHBoxLayout()
        self._second.setContentsMargins(0, 0, 0, 0)
        self._second.addStretch(1)
        self._one_line = True

        # Saved filters, one click each (the menu saves and deletes them).
        self._chips = QWidget(self)
        self._chips.setObjectName("saved_filters")
        self._chips_layout = FlowLayout(self._chips, spacing=4)
        self._chips.setVisible(False)
        self._chip_buttons: dict[str, QToolButton] = {}

        # What the structured conditions hide, and how a price range treats the other kind
        # of job (`set_facet_notes`).
        self.facet_note = QLabel(self)
        self.facet_note.setObjectName("facet_note")
        self.facet_note.setWordWrap(True)
        self.facet_note.setTextFormat(Qt.TextFormat.RichText)
        self.facet_note.linkActivated.connect(self._on_facet_note_link_activated)
        self.facet_note.setVisible(False)

        self.more = MorePanel(self)
        self.more.edited.connect(self._on_edited)
        self.more.changed.connect(self._emit)
        self.more.clear_requested.connect(self.clear)
        # The panel's fields stay reachable as the bar's own, as they always were.
        more = self.more
        self.budget_min, self.budget_max = more.budget_min, more.budget_max
        self.hourly_min, self.hourly_max = more.hourly_min, more.hourly_max
        self.spend_min, self.hire_rate_min = more.spend_min, more.hire_rate_min
        self.score_min, self.connects_max = more.score_min, more.connects_max
        self.proposals_max, self.hires_min = more.proposals_max, more.hires_min
        self.avg_rate_min, self.posted = more.avg_rate_min, more.posted
        self.verified, self.archived = more.verified, more.archived
        self.countries_include = more.countries_include
        self.countries_exclude = more.countries_exclude
        self.state_buttons, self.clear_button = more.state_buttons, more.clear_button

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        # The bar's minimum is `minimumSizeHint` (two lines), not the one-line layout's.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addLayout(self._top)
        layout.addLayout(self._second)
        layout.addWidget(self._chips)
        layout.addWidget(self.facet_note)
        layout.addWidget(self.more)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setStyleSheet(_TOGGLE_STYLE)
        self.set_counts(0, 0)

    # -- fitting the pane ----------------------------------------------------------------

    def _one_line_width(self) -> int:
        spacing = self._top.spacing()
        return (
            max(self.search.minimumWidth(), ONE_LINE_SEARCH_WIDTH)
            + self._facets.sizeHint().width()
            + self.counts.width()
            + 2 * spacing
        )

    def minimumSizeHint(self) -> QSize:
        """As narrow as the two-line layout allows, whichever layout shows now."""
        hint = super().minimumSizeHint()
        two_lines = max(
            self.search.minimumWidth() + self._top.spacing() + self.counts.width(),
            self._facets.sizeHint().width(),
            self.more.minimumSizeHint().width() if self.more.isVisibleTo(self) else 0,
        )
        return QSize(two_lines, hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._one_line_width()), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(event.size().width())
        super().resizeEvent(event)

    def _arrange(self, width: int) -> None:
        one_line = width >= self._one_line_width()
        if one_line == self._one_line:
            return
        self._one_line = one_line
        if one_line:
            self._second.removeWidget(self._facets)
            self._top.insertWidget(1, self._facets)
        else:
            self._top.removeWidget(self._facets)
            self._second.insertWidget(0, self._facets)
        self.updateGeometry()

    # -- the spec ------------------------------------------------------------------------

    def spec(self) -> FilterSpec:
        """The filter the widgets show now."""
        values: dict[str, object] = {
            "text": self.search.text(),
            "platforms": frozenset(
                platform for platform, button in self.platform_buttons.items() if button.isChecked()
            ),
            "kinds": self.kind.currentData() or frozenset(),
            **self.more.values(),
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
        self._update_chips()
        self._update_facet_note()

    def _show(self, spec: FilterSpec) -> None:
        self._debounce.stop()
        widgets = [
            self.search,
            self.kind,
            *self.platform_buttons.values(),
        ]
        blockers = [QSignalBlocker(widget) for widget in widgets]
        try:
            self.search.setText(spec.text)
            for platform, button in self.platform_buttons.items():
                button.setChecked(platform in spec.platforms)
            select_data(self.kind, frozenset(spec.kinds), ", ".join(sorted(spec.kinds)) or "Any")
        finally:
            del blockers
        self.more.fill(spec)
        self._update_more_label()

    def clear(self) -> None:
        """Back to showing everything (but archived), and say so at once."""
        self._show(FilterSpec())
        self._emit()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_counts(self, visible: int, total: int, *, searching: bool = False) -> None:
        """Rows shown of all stored; `searching`: the first rows of the answer are shown,
        the rest is still being checked ("120+ of 1,000,000")."""
        self.counts.setText(f"{visible:,}{'+' if searching else ''} of {total:,}")
        tip = (
            "The first rows found are shown; searching the rest…"
            if searching
            else "Opportunities shown of all stored"
        )
        if self.counts.toolTip() != tip:  # the counts change at each arrival; this rarely
            self.counts.setToolTip(tip)

    # -- saved filters -------------------------------------------------------------------

    def set_saved_filters(self, saved: Mapping[str, str]) -> None:
        """Take the saved filters (name -> FilterSpec JSON) as the window stored them."""
        self._saved = {str(name): str(text) for name, text in saved.items()}
        self._rebuild_chips()

    def saved_filters(self) -> dict[str, str]:
        return dict(self._saved)

    def save_current(self, name: str) -> bool:
        """Save the current filter under `name` (replacing one of that name)."""
        name = name.strip()
        if not name:
            return False
        self._saved[name] = self.spec().to_json()
        self._rebuild_chips()
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
        self._rebuild_chips()
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
        # Focus before any early return: with no saved filter yet, the first name typed
        # went nowhere. Again once the menu shows (a hidden menu cannot hold the focus).
        name_edit.setFocus(Qt.FocusReason.PopupFocusReason)
        QTimer.singleShot(0, name_edit, lambda: name_edit.setFocus(Qt.FocusReason.PopupFocusReason))
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

    def _rebuild_chips(self) -> None:
        """One button per saved filter under the bar: a click applies it."""
        while (item := self._chips_layout.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self._chip_buttons = {}
        for name in sorted(self._saved, key=str.casefold):
            button = QToolButton(self._chips)
            button.setObjectName("saved_filter_chip")
            button.setText(name)
            button.setCheckable(True)
            button.setProperty("toggle", True)
            try:
                FilterSpec.from_json(self._saved[name])
            except ValueError:
                button.setEnabled(False)
                button.setToolTip("This saved filter cannot be read; delete it from Saved")
            else:
                button.setToolTip(f"Apply the saved filter “{name}”")
            button.clicked.connect(lambda _checked=False, n=name: self._on_chip_clicked(n))
            self._chips_layout.addWidget(button)
            self._chip_buttons[name] = button
        self._chips.setVisible(bool(self._saved))
        self._update_chips()

    def _update_chips(self) -> None:
        current = self.spec()
        for name, button in self._chip_buttons.items():
            try:
                applied = FilterSpec.from_json(self._saved[name]) == current
            except (KeyError, ValueError):
                applied = False
            with QSignalBlocker(button):
                button.setChecked(applied)

    def _on_chip_clicked(self, name: str) -> None:
        self.apply_saved(name)
        self._update_chips()  # a click on the applied one keeps it applied

    # -- what the conditions hide ------------------------------------------------------

    def active_facets(self) -> list[tuple[str, FilterSpec]]:
        """Each structured condition of the current filter, named as the bar shows it,
        with the filter as it would be without that condition."""
        return facets_of(self.spec())

    def set_facet_counts(
        self, hidden: Mapping[str, int] | None, other_kind: Mapping[str, int] | None = None
    ) -> None:
        """How many rows each condition hides (`active_facets` names), and how many jobs of
        the other kind a price range lets through ("Budget": hourly jobs shown, "Hourly":
        fixed-price jobs shown). None: not counted (the note then only explains)."""
        self._hidden = dict(hidden) if hidden is not None else None
        self._other_kind = dict(other_kind) if other_kind is not None else None
        self._update_facet_note()

    def _update_facet_note(self) -> None:
        text = facet_note(self.spec(), self._hidden, self._other_kind)
        self.facet_note.setText(text)
        self.facet_note.setVisible(bool(text))

    def _on_facet_note_link_activated(self, link: str) -> None:
        kinds = {"kind:fixed": "Fixed", "kind:hourly": "Hourly"}
        label = kinds.get(link)
        if label is not None:
            self.kind.setCurrentIndex(self.kind.findText(label))

    # -- emitting ------------------------------------------------------------------------

    def _on_edited(self, _text: str) -> None:
        self._debounce.start()

    def _emit(self, *_args: object) -> None:
        self._debounce.stop()
        self._update_more_label()
        self._update_chips()
        self._update_facet_note()
        spec = self.spec()
        if spec == self._last_emitted:
            return
        self._last_emitted = spec
        self.filter_changed.emit(spec)

    def _on_more_button_toggled(self, shown: bool) -> None:
        self.more.setVisible(shown)
        self.more_button.setArrowType(Qt.ArrowType.UpArrow if shown else Qt.ArrowType.DownArrow)

    def _update_more_label(self) -> None:
        active = active_count(self.spec())
        self.more_button.setText(f"More filters ({active})" if active else "More filters")
