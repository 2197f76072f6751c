"""A model letter cut at its token limit, in the real window on the sandbox model: the
editor flags it ("The model stopped at its length limit") and Continue appends the rest
until the letter is whole; a letter that ended on its own carries no flag."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolButton

from app.domain import Platform
from app.domain.drafting import LENGTH_NOTICE
from tests.ui.test_window import letter_text, running, select_platform, until

pytestmark = pytest.mark.integration


async def test_a_cut_letter_is_flagged_and_continue_finishes_it(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        key = await select_platform(desk, Platform.GIGRADAR)
        drafter, editor = desk.services.drafter, desk.window.editor
        opp = desk.services.store.opportunities.get(key)
        assert opp is not None
        whole = (await drafter.draft(opp)).text  # what the model writes without a limit
        drafter.save_model_settings(replace(drafter.model_settings(), max_tokens=70))

        editor.findChild(QAction, "draft_model").trigger()
        await until(lambda: not desk.services.tasks.running("draft:model") and letter_text(desk))
        start = letter_text(desk)
        assert whole.startswith(start) and len(start) < len(whole)
        assert editor.cut_off_text().startswith(f"⚠ {LENGTH_NOTICE}")
        assert LENGTH_NOTICE in desk.window.statusBar().currentMessage()
        button = editor.findChild(QToolButton, "draft_continue")
        assert button.isVisible()

        for _ in range(40):  # each Continue adds at most 70 tokens' worth
            if not editor.cut_off_text():
                break
            before = letter_text(desk)
            button.click()
            await until(
                lambda before=before: (
                    not desk.services.tasks.running("draft:model")
                    and not editor.drafting
                    and letter_text(desk) != before
                )
            )
            assert letter_text(desk).startswith(before)  # appended, never replaced
        assert letter_text(desk) == whole
        assert editor.cut_off_text() == ""
        assert "Drafted by" in desk.window.statusBar().currentMessage()


async def test_a_letter_that_ends_on_its_own_is_not_flagged(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await select_platform(desk, Platform.GIGRADAR)
        editor = desk.window.editor
        editor.findChild(QAction, "draft_model").trigger()
        await until(lambda: not desk.services.tasks.running("draft:model") and letter_text(desk))
        assert len(letter_text(desk)) > 200
        assert editor.cut_off_text() == ""
        assert not editor.findChild(QToolButton, "draft_continue").isVisible()


def test_the_flag_belongs_to_its_job_and_continue_sends_the_letter(qtbot) -> None:
    from app.ui.panes.editor import EditorPane
    from tests.ui.test_editor_pane import ACCOUNTS, LETTER, make_opp

    pane = EditorPane()
    qtbot.addWidget(pane)
    pane.resize(620, 900)
    pane.show()
    first, second = make_opp(), make_opp(external_id="op-2")
    pane.show_opportunity(first, None, (), ACCOUNTS)
    pane.set_cut_off(second.key)  # a late verdict for another job: ignored
    assert pane.cut_off_text() == ""
    pane.begin_model_draft()
    pane.append_draft_text(LETTER)
    pane.set_cut_off(first.key)
    pane.end_model_draft()
    assert LENGTH_NOTICE in pane.cut_off_text()
    with qtbot.waitSignal(pane.continue_requested) as signal:
        pane.findChild(QToolButton, "draft_continue").click()
    assert signal.args == [LETTER]
    pane.begin_model_draft(append=True)  # Continue writes after the letter
    pane.append_draft_text(" More.")
    pane.end_model_draft()
    assert pane.current_draft().cover_letter == LETTER + " More."
    assert pane.cut_off_text() == ""  # a new stream clears the flag
    pane.set_cut_off(first.key)
    pane.show_opportunity(second, None, (), ACCOUNTS)
    assert pane.cut_off_text() == ""  # another job: no flag
