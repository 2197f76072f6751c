"""The editor's drafting controls as a user meets them: redraft buttons, drafted answers
that respect what the person wrote, the similarity warning, placeholders that block Submit.

The pane only renders and emits intents; the window tests drive the same controls against
the sandbox model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QPlainTextEdit, QToolButton

from app.domain import Answer
from app.ui.panes.editor import EditorPane
from tests.ui.test_editor_pane import (
    ACCOUNTS,
    ANSWER_1,
    ANSWER_2,
    LETTER,
    QUESTIONS,
    fill_ready,
    find,
    issues,
    make_opp,
    submit_button,
    visible_boxes,
)


@pytest.fixture
def pane(qtbot) -> Iterator[EditorPane]:
    widget = EditorPane()
    qtbot.addWidget(widget)
    widget.resize(620, 900)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    for box in widget.findChildren(QMessageBox):
        box.close()


def drafted() -> list[Answer]:
    return [
        Answer(question_id=q.id, question=q.text, answer=f"Drafted answer to {q.id}.")
        for q in QUESTIONS
    ]


def test_a_placeholder_blocks_submit_with_the_reason(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText("Hi [Client name], " + LETTER)
    qtbot.waitUntil(lambda: not submit_button(pane).isEnabled())
    [(icon, text)] = issues(pane)
    assert icon == "✖" and text.startswith("Fill in the placeholder “[Client name]” before")
    assert "Fix 1 problem before sending" in find(pane, QLabel, "submit_status").text()
    with qtbot.assertNotEmitted(pane.submit_requested):
        submit_button(pane).click()
        pane._on_submit_shortcut_activated()  # Ctrl+Enter refuses as well
    letter.setPlainText("Hi Dana, " + LETTER)
    qtbot.waitUntil(lambda: submit_button(pane).isEnabled())


def test_redraft_buttons_send_the_current_letter_and_wait_for_text(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    shorter = find(pane, QToolButton, "variant_shorter")
    assert not shorter.isEnabled()  # nothing to rewrite yet
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    assert shorter.isEnabled()
    with qtbot.waitSignal(pane.variant_requested) as signal:
        find(pane, QToolButton, "variant_formal").click()
        # The letter is the person's: a rewrite asks first.
        [box] = visible_boxes(pane)
        box.button(QMessageBox.StandardButton.Yes).click()
    assert signal.args == ["formal", LETTER]
    pane.begin_model_draft()
    assert not shorter.isEnabled()  # one model at a time
    pane.append_draft_text("Dear client,")
    pane.end_model_draft()
    assert shorter.isEnabled()


def test_drafted_answers_fill_only_the_empty_fields(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    mine = find(pane, QPlainTextEdit, "answer_q1")
    mine.setPlainText(ANSWER_1)
    with qtbot.waitSignal(pane.answers_draft_requested):
        find(pane, QToolButton, "draft_answers").click()
    pane.fill_drafted_answers(opp.key, drafted())
    assert find(pane, QPlainTextEdit, "answer_q2").toPlainText() == "Drafted answer to q2."
    assert mine.toPlainText() == ANSWER_1  # not replaced without asking
    [box] = visible_boxes(pane)
    assert "You already wrote 1 answer" in box.text()
    box.button(QMessageBox.StandardButton.No).click()  # "Keep mine"
    qtbot.waitUntil(lambda: not visible_boxes(pane))
    assert mine.toPlainText() == ANSWER_1


def test_drafted_answers_replace_typed_ones_when_agreed(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    find(pane, QPlainTextEdit, "answer_q1").setPlainText(ANSWER_1)
    find(pane, QPlainTextEdit, "answer_q2").setPlainText(ANSWER_2)
    pane.fill_drafted_answers(opp.key, drafted())
    [box] = visible_boxes(pane)
    assert "You already wrote 2 answers" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()  # "Replace"
    qtbot.waitUntil(lambda: not visible_boxes(pane))
    assert find(pane, QPlainTextEdit, "answer_q1").toPlainText() == "Drafted answer to q1."
    assert find(pane, QPlainTextEdit, "answer_q2").toPlainText() == "Drafted answer to q2."


def test_answers_for_a_job_left_meanwhile_are_dropped(pane: EditorPane) -> None:
    first = make_opp()
    pane.show_opportunity(first, None, (), ACCOUNTS)
    pane.show_opportunity(make_opp(external_id="op-2"), None, (), ACCOUNTS)
    pane.fill_drafted_answers(first.key, drafted())
    assert find(pane, QPlainTextEdit, "answer_q1").toPlainText() == ""


def test_the_similarity_check_waits_for_a_pause_in_typing(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    asked: list[tuple[str, str]] = []
    pane.similarity_check_requested.connect(lambda key, text: asked.append((key, text)))
    # The debounced check after showing the job runs first (an empty letter asks nothing).
    qtbot.waitUntil(lambda: not pane._letter._similarity_timer.isActive(), timeout=5000)
    asked.clear()
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setFocus()
    qtbot.keyClicks(letter, "Hello there, I can help")
    assert asked == []  # never on the keystroke path
    qtbot.waitUntil(lambda: bool(asked), timeout=2000)
    assert asked == [(opp.key, "Hello there, I can help")]
    pane.set_similarity(opp.key, "This letter is 93% like the one you sent for Logo design.")
    warning = find(pane, QLabel, "similarity_warning")
    assert warning.isVisible()
    assert warning.text() == "⚠ This letter is 93% like the one you sent for Logo design."
    pane.set_similarity("gigradar:someone-else", None)  # a stale verdict changes nothing
    assert warning.isVisible()
    pane.set_similarity(opp.key, None)
    assert not warning.isVisible()


def test_a_model_that_writes_nothing_gives_the_letter_back(pane: EditorPane) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText(LETTER)
    pane.begin_model_draft()
    assert letter.toPlainText() == "" and letter.isReadOnly()
    pane.end_model_draft()  # failed, or stopped before the first word
    assert letter.toPlainText() == LETTER and not letter.isReadOnly()
    pane.begin_model_draft()
    pane.append_draft_text("Dear client,")
    pane.end_model_draft()  # stopped after some words: those stay
    assert letter.toPlainText() == "Dear client,"
