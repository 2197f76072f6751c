"""What the editor pane does when the person acts (issue 16, item 4): Ctrl+Enter from
anywhere says why it cannot send and puts the focus on the first thing to fix; a model
draft asks before replacing a typed letter and Ctrl+Z takes it back in one step; a job
that failed for good offers Archive, not "Ready to send"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from app.domain import Failure, FailureReason, SubmissionState, utcnow
from app.ui.panes.editor import EditorPane
from tests.ui.test_editor_pane import (
    ACCOUNTS,
    ANSWER_1,
    ANSWER_2,
    LETTER,
    find,
    make_opp,
    pane,  # noqa: F401 - the fixture
    submission,
    submit_button,
    visible_boxes,
)


@pytest.fixture
def beside(qtbot) -> Iterator[tuple[EditorPane, QLineEdit]]:
    """The pane in a window beside another field (as the inbox is beside the editor),
    that field focused: it is not inside the pane."""
    window = QWidget()
    qtbot.addWidget(window)
    layout = QHBoxLayout(window)
    elsewhere = QLineEdit(window)
    elsewhere.setObjectName("elsewhere")
    editor = EditorPane(window)
    layout.addWidget(elsewhere)
    layout.addWidget(editor)
    window.resize(1000, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    assert not editor.isAncestorOf(elsewhere)
    yield editor, elsewhere
    for box in editor.findChildren(QMessageBox):
        box.close()


def _focus(widget: QWidget, qtbot) -> None:
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def test_ctrl_enter_from_elsewhere_sends(beside, qtbot) -> None:
    editor, elsewhere = beside
    editor.show_opportunity(make_opp(), None, (), ACCOUNTS)
    find(editor, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(editor, QPlainTextEdit, "answer_q1").setPlainText(ANSWER_1)
    find(editor, QPlainTextEdit, "answer_q2").setPlainText(ANSWER_2)
    qtbot.waitUntil(lambda: submit_button(editor).isEnabled())
    _focus(elsewhere, qtbot)
    with qtbot.waitSignal(editor.submit_requested, timeout=2000):
        qtbot.keyClick(elsewhere, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_blocked_ctrl_enter_says_why_and_focuses_the_problem(beside, qtbot) -> None:
    editor, elsewhere = beside
    editor.show_opportunity(make_opp(), None, (), ACCOUNTS)
    find(editor, QPlainTextEdit, "answer_q1").setPlainText(ANSWER_1)
    find(editor, QPlainTextEdit, "answer_q2").setPlainText(ANSWER_2)
    _focus(elsewhere, qtbot)
    reasons: list[str] = []
    editor.submit_blocked.connect(reasons.append)
    with qtbot.assertNotEmitted(editor.submit_requested):
        qtbot.keyClick(elsewhere, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert reasons and "Fix 1 problem" in reasons[0]
    letter = find(editor, QPlainTextEdit, "letter")
    qtbot.waitUntil(letter.hasFocus)  # the empty letter is the problem

    # The letter is fine now; an unanswered question is the first problem.
    letter.setPlainText(LETTER)
    second = find(editor, QPlainTextEdit, "answer_q2")
    second.clear()
    _focus(elsewhere, qtbot)
    qtbot.keyClick(elsewhere, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(second.hasFocus)
    assert len(reasons) == 2


def test_a_model_draft_asks_before_replacing_a_typed_letter_and_undoes_in_one_step(
    pane: EditorPane,  # noqa: F811
    qtbot,
) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText(LETTER)
    asked: list[str] = []
    pane.draft_requested.connect(asked.append)
    pane.request_draft("model")
    [box] = visible_boxes(pane)
    assert "replaces the letter you wrote" in box.text()
    box.button(QMessageBox.StandardButton.No).click()  # "Keep mine"
    qtbot.waitUntil(lambda: not visible_boxes(pane))
    assert asked == [] and letter.toPlainText() == LETTER

    pane.request_draft("model")
    [box] = visible_boxes(pane)
    box.button(QMessageBox.StandardButton.Yes).click()  # "Replace"
    assert asked == ["model"]
    pane.begin_model_draft()
    for piece in ("Dear client, ", "I can start ", "this week."):
        pane.append_draft_text(piece)
    pane.end_model_draft()
    assert letter.toPlainText() == "Dear client, I can start this week."
    # What the model wrote is not "typed": a redraft of it does not ask again.
    pane.request_draft("model")
    assert not visible_boxes(pane) and asked == ["model", "model"]
    # One Ctrl+Z brings the person's letter back.
    letter.setFocus()
    qtbot.waitUntil(letter.hasFocus)
    qtbot.keyClick(letter, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert letter.toPlainText() == LETTER


def test_a_template_draft_is_one_undo_step_too(pane: EditorPane, qtbot) -> None:  # noqa: F811
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText(LETTER)
    pane.set_letter_text("From the template.")
    assert letter.toPlainText() == "From the template."
    letter.undo()
    assert letter.toPlainText() == LETTER


def test_a_final_failure_offers_archive_instead_of_ready_to_send(
    pane: EditorPane,  # noqa: F811
    qtbot,
) -> None:
    opp = make_opp()
    final = submission(opp).transition(
        SubmissionState.FAILED,
        failure=Failure.of(FailureReason.JOB_UNAVAILABLE, "Job is closed"),
    )
    pane.show_opportunity(opp, None, [final], ACCOUNTS)
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(pane, QPlainTextEdit, "answer_q1").setPlainText(ANSWER_1)
    find(pane, QPlainTextEdit, "answer_q2").setPlainText(ANSWER_2)
    status = find(pane, QLabel, "submit_status")
    qtbot.waitUntil(lambda: "no longer available" in status.text())
    assert "Ready to send" not in status.text()
    assert not submit_button(pane).isEnabled()
    archive = find(pane, QPushButton, "archive_job")
    assert archive.isVisible()
    with qtbot.waitSignal(pane.archive_requested) as archived:
        archive.click()
    assert archived.args == [opp.key]

    # A retryable failure later on: Retry, not Archive.
    later = submission(opp).transition(
        SubmissionState.FAILED, failure=Failure.of(FailureReason.RATE_LIMITED)
    )
    pane.show_submission(later.model_copy(update={"created_at": utcnow() + timedelta(seconds=1)}))
    assert not archive.isVisible()
    assert find(pane, QPushButton, "retry").isVisible()


def test_an_editable_final_failure_says_so_and_still_sends(pane: EditorPane, qtbot) -> None:  # noqa: F811
    opp = make_opp()
    refused = submission(opp).transition(
        SubmissionState.FAILED, failure=Failure.of(FailureReason.VALIDATION, "Letter too long")
    )
    pane.show_opportunity(opp, None, [refused], ACCOUNTS)
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(pane, QPlainTextEdit, "answer_q1").setPlainText(ANSWER_1)
    find(pane, QPlainTextEdit, "answer_q2").setPlainText(ANSWER_2)
    qtbot.waitUntil(lambda: submit_button(pane).isEnabled())
    status = find(pane, QLabel, "submit_status").text()
    assert status.startswith("Not sent: The platform refused") and "Ready to send" not in status
    assert find(pane, QPushButton, "archive_job").isVisible()
    assert isinstance(pane.findChild(QWidget, "archive_job"), QPushButton)
