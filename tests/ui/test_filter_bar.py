"""The filter bar: debounced typing, immediate toggles, saved filters, restoring a spec."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit, QMenu, QToolButton, QWidget, QWidgetAction
from pytestqt.qtbot import QtBot

from app.domain.filters import FilterSpec
from app.domain.opportunity import JobKind, Platform
from app.ui.widgets.filter_bar import DEBOUNCE_MS, FilterBar


@pytest.fixture
def bar(qtbot: QtBot) -> FilterBar:
    widget = FilterBar()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def collect(bar: FilterBar) -> list[FilterSpec]:
    emitted: list[FilterSpec] = []
    bar.filter_changed.connect(emitted.append)
    return emitted


def test_typing_emits_one_debounced_spec(bar: FilterBar, qtbot: QtBot) -> None:
    emitted = collect(bar)
    with qtbot.waitSignal(bar.filter_changed, timeout=2000) as blocker:
        qtbot.keyClicks(bar.search, 'react "admin panel" -wordpress')
        assert emitted == []  # nothing while typing
    assert blocker.args[0] == FilterSpec(text='react "admin panel" -wordpress')
    with qtbot.assertNotEmitted(bar.filter_changed, wait=DEBOUNCE_MS * 3):
        pass
    assert len(emitted) == 1


def test_number_fields_are_debounced_too(bar: FilterBar, qtbot: QtBot) -> None:
    bar.more_button.click()
    with qtbot.waitSignal(bar.filter_changed, timeout=2000) as blocker:
        qtbot.keyClicks(bar.budget_min, "500")
    assert blocker.args[0] == FilterSpec(budget_min=Decimal(500))
    assert bar.more_button.text() == "More filters (1)"


def test_toggles_emit_at_once(bar: FilterBar, qtbot: QtBot) -> None:
    emitted = collect(bar)
    qtbot.mouseClick(bar.platform_buttons[Platform.GIGIAC], Qt.MouseButton.LeftButton)
    assert emitted == [FilterSpec(platforms=frozenset({Platform.GIGIAC}))]
    bar.kind.setCurrentIndex(bar.kind.findText("Hourly"))
    assert emitted[-1].kinds == {JobKind.HOURLY}
    bar.state_buttons["drafted"].click()
    bar.verified.click()
    bar.archived.click()
    bar.posted.setCurrentIndex(bar.posted.findText("Last 24 hours"))
    assert len(emitted) == 6
    assert emitted[-1] == FilterSpec(
        platforms=frozenset({Platform.GIGIAC}),
        kinds=frozenset({JobKind.HOURLY}),
        states=frozenset({"drafted"}),
        payment_verified=True,
        include_archived=True,
        posted_within=timedelta(hours=24),
    )


def test_a_toggle_during_typing_sends_one_spec_with_both(bar: FilterBar, qtbot: QtBot) -> None:
    emitted = collect(bar)
    qtbot.keyClicks(bar.search, "python")
    bar.platform_buttons[Platform.UPHUNT].click()
    assert emitted == [FilterSpec(text="python", platforms=frozenset({Platform.UPHUNT}))]
    with qtbot.assertNotEmitted(bar.filter_changed, wait=DEBOUNCE_MS * 3):
        pass


FULL = FilterSpec(
    text='react "admin panel" -wordpress',
    platforms=frozenset({Platform.GIGRADAR, Platform.UPHUNT}),
    kinds=frozenset({JobKind.FIXED}),
    budget_min=Decimal(500),
    budget_max=Decimal("12500.50"),
    hourly_min=Decimal(40),
    hourly_max=Decimal(90),
    client_spend_min=Decimal(10000),
    hire_rate_min=0.5,
    payment_verified=True,
    countries_include=frozenset({"united states", "germany"}),
    countries_exclude=frozenset({"india"}),
    min_match_score=0.75,
    posted_within=timedelta(days=3),
    states=frozenset({"new", "drafted", "failed"}),
    include_archived=True,
)


@pytest.mark.parametrize(
    "spec",
    [
        FULL,
        FilterSpec(),
        FilterSpec(kinds=frozenset({JobKind.UNKNOWN, JobKind.HOURLY})),  # no preset for it
        FilterSpec(posted_within=timedelta(hours=2)),  # nor for this
        FilterSpec(states=frozenset({"archived", "new"})),  # a state without a button
        FilterSpec(hire_rate_min=0.333),
        FilterSpec(payment_verified=False),  # the box only says "verified"
    ],
)
def test_set_spec_restores_the_widgets_without_emitting(
    bar: FilterBar, qtbot: QtBot, spec: FilterSpec
) -> None:
    with qtbot.assertNotEmitted(bar.filter_changed, wait=DEBOUNCE_MS * 2):
        bar.set_spec(spec)
    assert bar.spec() == spec


def test_set_spec_shows_values_as_typed(bar: FilterBar) -> None:
    bar.set_spec(FULL)
    assert bar.search.text() == FULL.text
    assert bar.platform_buttons[Platform.GIGRADAR].isChecked()
    assert not bar.platform_buttons[Platform.GIGIAC].isChecked()
    assert bar.kind.currentText() == "Fixed"
    assert bar.budget_max.text() == "12500.50"
    assert bar.hire_rate_min.text() == "50"
    assert bar.score_min.text() == "75"
    assert bar.countries_include.text() == "Germany, United States"
    assert bar.posted.currentText() == "Last 3 days"
    assert bar.more_button.text() == "More filters (11)"


def test_clear_shows_everything_again(bar: FilterBar) -> None:
    bar.set_spec(FULL)
    emitted = collect(bar)
    bar.clear_button.click()
    assert emitted == [FilterSpec()]
    assert bar.more_button.text() == "More filters"


def test_saved_filters_round_trip(bar: FilterBar, qtbot: QtBot) -> None:
    bar.set_spec(FULL)
    with qtbot.waitSignal(bar.saved_filters_changed) as blocker:
        assert bar.save_current("  Big react jobs ")
    saved = blocker.args[0]
    assert list(saved) == ["Big react jobs"]
    assert FilterSpec.from_json(saved["Big react jobs"]) == FULL
    assert not bar.save_current("   ")

    other = FilterBar()
    qtbot.addWidget(other)
    other.set_saved_filters(saved)
    with qtbot.waitSignal(other.filter_changed) as applied:
        assert other.apply_saved("Big react jobs")
    assert applied.args[0] == FULL
    assert other.spec() == FULL
    assert not other.apply_saved("missing")

    with qtbot.waitSignal(other.saved_filters_changed) as deleted:
        assert other.delete_saved("Big react jobs")
    assert deleted.args[0] == {}
    assert not other.delete_saved("Big react jobs")


def test_the_saved_menu_saves_applies_and_deletes(bar: FilterBar, qtbot: QtBot) -> None:
    bar.set_saved_filters({"Broken": "{not json", "Python": FilterSpec(text="python").to_json()})
    bar.saved_menu.aboutToShow.emit()
    actions = {action.text(): action for action in bar.saved_menu.actions()}
    assert not actions["Broken (unreadable)"].isEnabled()
    with qtbot.waitSignal(bar.filter_changed) as applied:
        actions["Python"].trigger()
    assert applied.args[0] == FilterSpec(text="python")

    bar.saved_menu.aboutToShow.emit()
    [field] = [a for a in bar.saved_menu.actions() if isinstance(a, QWidgetAction)]
    name_edit = field.defaultWidget().findChild(QLineEdit)
    assert isinstance(name_edit, QLineEdit)
    name_edit.setText("Mine")
    with qtbot.waitSignal(bar.saved_filters_changed) as saved:
        name_edit.returnPressed.emit()
    assert set(saved.args[0]) == {"Broken", "Python", "Mine"}

    bar.saved_menu.aboutToShow.emit()
    [delete] = [a.menu() for a in bar.saved_menu.actions() if isinstance(a.menu(), QMenu)]
    assert isinstance(delete, QMenu)
    [remove_python] = [a for a in delete.actions() if a.text() == "Python"]
    with qtbot.waitSignal(bar.saved_filters_changed) as removed:
        remove_python.trigger()
    assert set(removed.args[0]) == {"Broken", "Mine"}


def test_counts_and_focus(bar: FilterBar, qtbot: QtBot) -> None:
    bar.set_counts(1234, 100_000)
    assert bar.counts.text() == "1,234 of 100,000"
    bar.activateWindow()
    bar.search.setText("abc")
    bar.focus_search()
    qtbot.waitUntil(bar.search.hasFocus)
    assert bar.search.selectedText() == "abc"


def test_counts_of_a_million_fit_and_say_when_more_may_come(bar: FilterBar) -> None:
    bar.set_counts(970_264, 1_000_000)
    assert bar.counts.text() == "970,264 of 1,000,000"
    metrics = bar.counts.fontMetrics()
    assert metrics.horizontalAdvance(bar.counts.text()) <= bar.counts.contentsRect().width()
    bar.set_counts(120, 1_000_000, searching=True)  # a phrase's first rows
    assert bar.counts.text() == "120+ of 1,000,000"
    assert "searching" in bar.counts.toolTip()
    bar.set_counts(91_023, 1_000_000)
    assert bar.counts.text() == "91,023 of 1,000,000"


def test_the_placeholder_explains_the_syntax(bar: FilterBar) -> None:
    assert 'react AND "admin panel" -wordpress' in bar.search.placeholderText()
    assert bar.search.isClearButtonEnabled()


def test_the_more_filters_area_expands(bar: FilterBar) -> None:
    assert not bar.more.isVisible()
    bar.more_button.click()
    assert bar.more.isVisible()
    bar.more_button.click()
    assert not bar.more.isVisible()


def _name_field(bar: FilterBar) -> QLineEdit:
    [field] = [a for a in bar.saved_menu.actions() if isinstance(a, QWidgetAction)]
    edit = field.defaultWidget().findChild(QLineEdit)
    assert isinstance(edit, QLineEdit)
    return edit


def test_the_first_saved_filter_gets_what_is_typed(bar: FilterBar, qtbot: QtBot) -> None:
    # No saved filter yet: the menu holds only the name field, and typing goes there.
    bar.activateWindow()
    qtbot.waitActive(bar)
    # As the button opens it (popup, not the button's blocking exec()).
    bar.saved_menu.popup(bar.saved_button.mapToGlobal(bar.saved_button.rect().bottomLeft()))
    qtbot.waitUntil(bar.saved_menu.isVisible)
    name_edit = _name_field(bar)
    qtbot.waitUntil(name_edit.hasFocus)
    qtbot.keyClicks(name_edit, "Mine")
    with qtbot.waitSignal(bar.saved_filters_changed) as saved:
        qtbot.keyClick(name_edit, Qt.Key.Key_Return)
    assert set(saved.args[0]) == {"Mine"}
    bar.saved_menu.close()


def test_a_saved_filter_applies_in_one_click(bar: FilterBar, qtbot: QtBot) -> None:
    bar.set_saved_filters({"Python": FilterSpec(text="python").to_json(), "Broken": "{"})
    chips = {b.text(): b for b in bar.findChildren(QToolButton, "saved_filter_chip")}
    assert set(chips) == {"Python", "Broken"} and chips["Python"].isVisible()
    assert not chips["Broken"].isEnabled()
    with qtbot.waitSignal(bar.filter_changed) as applied:
        qtbot.mouseClick(chips["Python"], Qt.MouseButton.LeftButton)
    assert applied.args[0] == FilterSpec(text="python")
    assert chips["Python"].isChecked()  # it shows which one is applied
    qtbot.mouseClick(chips["Python"], Qt.MouseButton.LeftButton)  # again: stays applied
    assert chips["Python"].isChecked() and bar.spec() == FilterSpec(text="python")
    bar.search.setText("python django")
    qtbot.waitUntil(lambda: not chips["Python"].isChecked())


def test_a_price_range_says_how_it_treats_the_other_kind(bar: FilterBar, qtbot: QtBot) -> None:
    note = bar.facet_note
    assert not note.isVisible()
    bar.more_button.click()
    qtbot.keyClicks(bar.budget_min, "1000")
    qtbot.waitUntil(lambda: note.isVisible())
    assert "applies to fixed-price jobs; hourly jobs pass it" in note.text()
    bar.set_facet_counts({"Budget": 40}, {"Budget": 12})
    assert "Hidden by Budget: 40." in note.text()
    assert "12 hourly jobs pass it" in note.text()
    with qtbot.waitSignal(bar.filter_changed) as fixed_only:
        note.linkActivated.emit("kind:fixed")  # the note's "Fixed only" link
    assert fixed_only.args[0].kinds == {JobKind.FIXED}
    assert "hourly jobs pass it" not in note.text()  # no other kind left to explain
    bar.set_spec(FilterSpec(hourly_max=Decimal(30)))
    assert "applies to hourly jobs; fixed-price jobs pass it" in note.text()


def test_the_bar_wraps_instead_of_widening_its_pane(bar: FilterBar, qtbot: QtBot) -> None:
    def top(widget: QWidget) -> int:
        return widget.mapTo(bar, QPoint(0, 0)).y()

    gigiac = bar.platform_buttons[Platform.GIGIAC]
    one_line = bar.sizeHint().width()
    assert bar.minimumSizeHint().width() < one_line - 100
    bar.resize(bar.minimumSizeHint().width(), 60)
    qtbot.waitUntil(lambda: top(gigiac) > top(bar.search))
    for widget in (bar.search, bar.saved_button, bar.counts):
        right = widget.mapTo(bar, widget.rect().topRight()).x()
        assert right < bar.width(), widget
    bar.resize(one_line + 50, 60)
    qtbot.waitUntil(lambda: top(gigiac) == top(bar.search))
