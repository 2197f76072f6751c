"""The submissions table model and pane: row bookkeeping, looks, actions and signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import QComboBox, QLabel, QToolButton, QTreeWidget

from app.domain import (
    Failure,
    FailureReason,
    Outcome,
    Platform,
    StatusUpdate,
    Submission,
    SubmissionState,
)
from app.ui.models.submissions import (
    OBJECT_ROLE,
    SORT_ROLE,
    Column,
    SubmissionTableModel,
    Tone,
    tone_color,
)
from app.ui.panes.submissions import FILTERS, SubmissionsPane

# Icons and fonts need a QGuiApplication, as in the app.
pytestmark = pytest.mark.usefixtures("qapp")

T0 = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
DISPLAY = Qt.ItemDataRole.DisplayRole


def make(
    number: int,
    *,
    state: SubmissionState = SubmissionState.SUBMITTED,
    outcome: Outcome = Outcome.NONE,
    failure: Failure | None = None,
    updated: datetime | None = None,
    platform: Platform = Platform.GIGIAC,
    platform_status: str | None = None,
) -> Submission:
    at = updated or T0 + timedelta(hours=number)
    return Submission(
        id=f"sub-{number}",
        opportunity_key=f"{platform.value}:job-{number}",
        platform=platform,
        account="studio",
        dedupe_key=f"{platform.value}:job-{number}",
        cover_letter="Hello",
        state=state,
        outcome=outcome,
        failure=failure,
        platform_status=platform_status,
        attempts=1,
        created_at=at - timedelta(minutes=5),
        updated_at=at,
    )


def failed(number: int, *, retryable: bool) -> Submission:
    reason = FailureReason.TRANSIENT if retryable else FailureReason.JOB_UNAVAILABLE
    return make(
        number,
        state=SubmissionState.FAILED,
        failure=Failure.of(reason, "Task is not open"),
    )


def mixed() -> list[Submission]:
    return [
        make(1, outcome=Outcome.ACCEPTED),
        failed(2, retryable=True),
        failed(3, retryable=False),
        make(4, state=SubmissionState.UNKNOWN),
        make(5, state=SubmissionState.SCHEDULED),
        make(6, outcome=Outcome.VIEWED, platform_status="viewed"),
    ]


def titles(subs: list[Submission]) -> dict[str, str]:
    return {sub.opportunity_key: f"Job number {sub.id[4:]}" for sub in subs}


def ids(model: SubmissionTableModel) -> list[str]:
    return [model.submission_at(row).id for row in range(model.rowCount())]


# --- the model ------------------------------------------------------------------------


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "py-tester"])
def test_model_stays_consistent_through_every_kind_of_change(qtmodeltester, force_py) -> None:
    model = SubmissionTableModel()
    subs = mixed()
    model.set_submissions(subs, titles(subs))  # reset
    # Checks now, then again on every signal the model emits from here on.
    qtmodeltester.check(model, force_py=force_py)
    model.upsert(make(7, state=SubmissionState.SUBMITTING), "A new job")  # new
    model.upsert(subs[3].transition(SubmissionState.SUBMITTED, via="reconcile"))  # existing
    model.set_state_filter(frozenset({"failed", "unknown"}))  # filter
    model.upsert(make(8, state=SubmissionState.UNKNOWN))  # enters the filter
    model.upsert(subs[1].transition(SubmissionState.SUBMITTING))  # leaves it
    model.set_state_filter(None)
    for column in Column:  # sort, both ways
        model.sort(column, Qt.SortOrder.DescendingOrder)
        model.sort(column, Qt.SortOrder.AscendingOrder)
    model.sort(Column.UPDATED, Qt.SortOrder.DescendingOrder)
    model.upsert(make(1, outcome=Outcome.ACCEPTED, updated=T0 + timedelta(days=3)))  # moves
    model.upsert(make(9, updated=T0 - timedelta(days=3)), "An old one")  # sorted insert
    model.upsert(make(6, outcome=Outcome.REPLIED), "A new title for job 6")
    model.sort(-1)
    model.set_submissions(subs[:2], titles(subs))  # reset again
    assert model.rowCount() == model.total_count() == 2


def test_sorting_by_updated_compares_datetimes_not_text() -> None:
    model = SubmissionTableModel()
    # As text "02 Feb" < "28 Jan" < "30 Dec"; in time it is the other way round.
    subs = [
        make(1, updated=datetime(2023, 12, 30, 8, tzinfo=UTC)),
        make(2, updated=datetime(2024, 2, 2, 8, tzinfo=UTC)),
        make(3, updated=datetime(2024, 1, 28, 8, tzinfo=UTC)),
    ]
    model.set_submissions(subs, titles(subs))
    model.sort(Column.UPDATED, Qt.SortOrder.AscendingOrder)
    assert ids(model) == ["sub-1", "sub-3", "sub-2"]
    model.sort(Column.UPDATED, Qt.SortOrder.DescendingOrder)
    assert ids(model) == ["sub-2", "sub-3", "sub-1"]
    value = model.index(0, Column.UPDATED).data(SORT_ROLE)
    assert isinstance(value, datetime)
    assert value == datetime(2024, 2, 2, 8, tzinfo=UTC)
    assert isinstance(model.index(0, Column.ATTEMPTS).data(SORT_ROLE), int)
    model.sort(-1)  # no sort: back to the order given
    assert ids(model) == ["sub-1", "sub-2", "sub-3"]


def test_sort_keeps_persistent_indexes_on_their_submission() -> None:
    model = SubmissionTableModel()
    subs = mixed()
    model.set_submissions(subs, titles(subs))
    kept = [model.index(row, Column.TITLE) for row in range(model.rowCount())]
    persistent = [QPersistentModelIndex(index) for index in kept]
    model.sort(Column.TITLE, Qt.SortOrder.DescendingOrder)
    assert [p.data(OBJECT_ROLE).id for p in persistent] == [s.id for s in subs]
    assert all(p.column() == Column.TITLE for p in persistent)


def test_upsert_of_a_new_submission_inserts_one_row_at_the_top(qtbot) -> None:
    model = SubmissionTableModel()
    subs = mixed()
    model.set_submissions(subs, titles(subs))
    with qtbot.waitSignal(
        model.rowsInserted, check_params_cb=lambda parent, first, last: (first, last) == (0, 0)
    ):
        model.upsert(make(9, state=SubmissionState.SUBMITTING), "Fresh job")
    assert model.submission_at(0).id == "sub-9"
    assert model.index(0, Column.TITLE).data() == "Fresh job"
    assert model.row_of("sub-9") == 0


def test_upsert_of_a_known_submission_changes_its_whole_row(qtbot) -> None:
    model = SubmissionTableModel()
    subs = mixed()
    model.set_submissions(subs, titles(subs))
    row = model.row_of("sub-4")
    assert row is not None

    def whole_row(top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> bool:
        return (top_left.row(), top_left.column(), bottom_right.row(), bottom_right.column()) == (
            row,
            0,
            row,
            len(Column) - 1,
        )

    updated = subs[3].transition(SubmissionState.SUBMITTED, via="reconcile")
    with (
        qtbot.waitSignal(model.dataChanged, check_params_cb=whole_row),
        qtbot.assertNotEmitted(model.rowsInserted),
        qtbot.assertNotEmitted(model.modelReset),
    ):
        model.upsert(updated)
    assert model.index(row, Column.STATE).data() == "Submitted"
    assert model.index(row, 0).data(OBJECT_ROLE) is updated


def test_upsert_under_a_sort_moves_the_row_into_place(qtbot) -> None:
    model = SubmissionTableModel()
    subs = mixed()
    model.set_submissions(subs, titles(subs))
    model.sort(Column.UPDATED, Qt.SortOrder.DescendingOrder)
    assert ids(model)[-1] == "sub-1"
    with qtbot.waitSignal(model.rowsMoved):
        model.upsert(make(1, outcome=Outcome.ACCEPTED, updated=T0 + timedelta(days=2)))
    assert ids(model)[0] == "sub-1"
    # A new one under this sort goes where it belongs, not blindly on top.
    model.upsert(make(10, updated=T0 - timedelta(days=1)))
    assert ids(model)[-1] == "sub-10"


def test_state_filter_is_computed_in_python_and_follows_updates(qtbot) -> None:
    model = SubmissionTableModel()
    subs = mixed()
    model.set_submissions(subs, titles(subs))
    with qtbot.waitSignal(model.modelReset):
        model.set_state_filter(frozenset({"failed"}))
    assert ids(model) == ["sub-2", "sub-3"]
    assert model.row_of("sub-1") is None
    assert model.total_count() == 6
    with qtbot.waitSignal(model.rowsRemoved):
        model.upsert(subs[1].transition(SubmissionState.SUBMITTING))  # retried: not failed now
    with qtbot.waitSignal(model.rowsInserted):
        model.upsert(
            subs[3].transition(SubmissionState.FAILED, failure=Failure.of(FailureReason.DUPLICATE))
        )
    assert ids(model) == ["sub-3", "sub-4"]  # the given order, not the order of arrival
    model.set_filter(states={"submitted"}, outcomes={"accepted"})
    assert ids(model) == ["sub-1"]


def test_columns_show_route_title_and_reason() -> None:
    model = SubmissionTableModel()
    subs = [failed(2, retryable=False), make(6, platform_status="viewed", platform=Platform.UPHUNT)]
    model.set_submissions(subs, {"gigiac:job-2": "Fix flaky Playwright tests"})
    assert model.index(0, Column.TITLE).data() == "Fix flaky Playwright tests"
    assert model.index(0, Column.REASON).data() == subs[0].failure.describe()
    assert model.index(0, Column.PLATFORM).data() == "Gigiac"
    assert model.index(1, Column.PLATFORM).data() == "UpHunt"
    assert model.index(1, Column.TITLE).data() == "uphunt:job-6"  # no title known: the key
    assert model.index(1, Column.REASON).data() == "viewed"
    assert model.index(1, Column.STATE).data(OBJECT_ROLE) is subs[1]
    assert model.headerData(Column.REASON, Qt.Orientation.Horizontal, DISPLAY)


def test_failed_unknown_submitted_and_accepted_rows_look_different() -> None:
    model = SubmissionTableModel()
    subs = [
        failed(1, retryable=True),
        make(2, state=SubmissionState.UNKNOWN),
        make(3),
        make(4, outcome=Outcome.ACCEPTED),
    ]
    model.set_submissions(subs, titles(subs))
    fg = Qt.ItemDataRole.ForegroundRole

    def color(row: int, column: Column = Column.STATE) -> QColor:
        return model.index(row, column).data(fg)

    assert color(0) == tone_color(Tone.FAILED)
    assert color(0).red() > 150  # red
    assert color(0).green() < 80
    assert color(1) == tone_color(Tone.UNKNOWN)
    assert color(2) == tone_color(Tone.SUBMITTED)
    assert len({color(0).name(), color(1).name(), color(2).name()}) == 3
    assert color(0, Column.REASON) == tone_color(Tone.FAILED)  # the reason reads red too
    assert model.index(2, Column.TITLE).data(fg) is None  # ordinary text stays ordinary

    icons = [
        model.index(row, Column.STATE).data(Qt.ItemDataRole.DecorationRole) for row in range(4)
    ]
    assert all(isinstance(icon, QIcon) and not icon.isNull() for icon in icons)
    assert len({icon.cacheKey() for icon in icons}) == 4

    font = model.index(3, Column.TITLE).data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont)
    assert font.bold()
    assert model.index(0, Column.TITLE).data(Qt.ItemDataRole.FontRole) is None


def test_tooltip_carries_the_full_reason_and_the_history() -> None:
    sub = make(1, state=SubmissionState.STAGED)
    sub = sub.apply(StatusUpdate(state=SubmissionState.SCHEDULED), via="poll", at=T0)
    sub = sub.transition(
        SubmissionState.FAILED,
        via="api",
        failure=Failure.of(FailureReason.INSUFFICIENT_FUNDS, "2 credits needed"),
        detail="HTTP 402 <payment>",
        at=T0 + timedelta(minutes=3),
    )
    model = SubmissionTableModel()
    model.set_submissions([sub], {sub.opportunity_key: "Data pipeline"})
    tip = model.index(0, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)
    assert "Data pipeline" in tip
    assert "top up, then retry (2 credits needed)" in tip
    assert "HTTP 402 &lt;payment&gt;" in tip  # escaped: it is rich text
    assert "Scheduled" in tip
    assert "Failed" in tip


# --- the pane -------------------------------------------------------------------------


@pytest.fixture
def pane(qtbot) -> SubmissionsPane:
    widget = SubmissionsPane()
    qtbot.addWidget(widget)
    widget.resize(1000, 420)
    subs = mixed()
    widget.set_submissions(subs, titles(subs))
    widget.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the given order
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _button(pane: SubmissionsPane, name: str) -> QToolButton:
    button = pane.findChild(QToolButton, name)
    assert button is not None
    return button


@pytest.mark.parametrize(
    ("sub_id", "go", "retry", "reconcile"),
    [
        ("sub-1", True, False, False),  # accepted: final
        ("sub-2", True, True, False),  # failed, retryable
        ("sub-3", True, False, False),  # failed for good
        ("sub-4", True, False, True),  # unknown: reconcile before anything
        ("sub-5", True, False, True),  # scheduled
        ("sub-6", True, False, True),  # submitted, outcome not final yet
    ],
)
def test_actions_follow_the_selected_submission(pane, sub_id, go, retry, reconcile) -> None:
    assert not _button(pane, "retryButton").isEnabled()  # nothing selected yet
    assert pane.select_submission(sub_id)
    assert pane.selected_submission().id == sub_id
    assert _button(pane, "goButton").isEnabled() is go
    assert _button(pane, "retryButton").isEnabled() is retry
    assert _button(pane, "reconcileButton").isEnabled() is reconcile


def test_action_enablement_follows_an_update_of_the_selected_row(pane) -> None:
    pane.select_submission("sub-4")
    assert not _button(pane, "retryButton").isEnabled()
    pane.upsert(
        pane.model.submission("sub-4").transition(
            SubmissionState.FAILED, via="reconcile", failure=Failure.of(FailureReason.TRANSIENT)
        )
    )
    assert pane.selected_submission().state is SubmissionState.FAILED
    assert _button(pane, "retryButton").isEnabled()
    assert not _button(pane, "reconcileButton").isEnabled()


def test_buttons_emit_the_selected_ids(qtbot, pane) -> None:
    pane.select_submission("sub-2")
    with qtbot.waitSignal(pane.retry_requested) as retry:
        _button(pane, "retryButton").click()
    assert retry.args == ["sub-2"]
    with qtbot.waitSignal(pane.opportunity_requested) as go:
        _button(pane, "goButton").click()
    assert go.args == ["gigiac:job-2"]
    pane.select_submission("sub-4")
    with qtbot.waitSignal(pane.reconcile_requested) as reconcile:
        _button(pane, "reconcileButton").click()
    assert reconcile.args == ["sub-4"]


def test_double_click_goes_to_the_opportunity(qtbot, pane) -> None:
    view = pane.view
    rect = view.visualRect(pane.model.index(pane.model.row_of("sub-5"), Column.TITLE))
    # A real double-click starts with a press; QTest's mouseDClick sends only the second.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(pane.opportunity_requested) as go:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert go.args == ["gigiac:job-5"]


def test_enter_goes_to_the_opportunity_and_r_retries(qtbot, pane) -> None:
    pane.activateWindow()
    qtbot.waitActive(pane)
    pane.view.setFocus()
    pane.select_submission("sub-3")  # not retryable: R does nothing
    with qtbot.assertNotEmitted(pane.retry_requested):
        qtbot.keyClick(pane.view, Qt.Key.Key_R)
    pane.select_submission("sub-2")
    with qtbot.waitSignal(pane.retry_requested) as retry:
        qtbot.keyClick(pane.view, Qt.Key.Key_R)
    assert retry.args == ["sub-2"]
    with qtbot.waitSignal(pane.opportunity_requested) as go:
        qtbot.keyClick(pane.view, Qt.Key.Key_Return)
    assert go.args == ["gigiac:job-2"]


def test_details_show_the_failure_sentence_and_history(pane) -> None:
    history = pane.findChild(QTreeWidget, "submissionHistory")
    reason = pane.findChild(QLabel, "detailReason")
    sub = pane.model.submission("sub-4")
    sub = sub.transition(
        SubmissionState.FAILED,
        via="reconcile",
        failure=Failure.of(FailureReason.DUPLICATE, "Already applied"),
        detail="found no trace",
    )
    pane.upsert(sub)
    pane.select_submission("sub-4")
    assert reason.text() == sub.failure.describe()
    assert not reason.isHidden()
    assert history.topLevelItemCount() == 1
    item = history.topLevelItem(0)
    assert [item.text(column) for column in (1, 3, 4)] == ["Failed", "reconcile", "found no trace"]
    assert pane.findChild(QLabel, "detailTitle").text() == "Job number 4"


def test_filter_keeps_the_selection_and_counts_rows(qtbot, pane) -> None:
    combo = pane.findChild(QComboBox, "stateFilter")
    count = pane.findChild(QLabel, "submissionCount")
    assert count.text() == "6 submissions"
    pane.select_submission("sub-2")
    combo.setCurrentIndex([f.label for f in FILTERS].index("Failed"))
    assert pane.model.rowCount() == 2
    assert count.text() == "2 of 6 submissions"
    assert pane.selected_submission().id == "sub-2"  # still selected after the reset
    combo.setCurrentIndex([f.label for f in FILTERS].index("Accepted"))
    assert [pane.model.submission_at(r).id for r in range(pane.model.rowCount())] == ["sub-1"]
    assert pane.selected_submission() is None
    assert not _button(pane, "goButton").isEnabled()


def test_header_click_sorts_and_the_view_is_set_up_for_reading(qtbot, pane) -> None:
    view = pane.view
    assert not view.verticalHeader().isVisible()
    assert view.alternatingRowColors()
    assert view.textElideMode() == Qt.TextElideMode.ElideRight
    header = view.horizontalHeader()
    x = header.sectionViewportPosition(Column.ATTEMPTS) + header.sectionSize(Column.ATTEMPTS) // 2
    pane.upsert(make(7, state=SubmissionState.SUBMITTING).model_copy(update={"attempts": 5}))
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    first, last = pane.model.submission_at(0), pane.model.submission_at(pane.model.rowCount() - 1)
    assert {first.attempts, last.attempts} == {1, 5}
