"""Drafting in the real window on the real sandbox and its model: redrafts, drafted
answers, the similarity warning, the menu entries, and warming the model up after start.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QToolButton,
)

import app.ui.app as app_module
from app.domain import Platform, SubmissionState
from app.ui.app import App, GuiOptions
from app.ui.dialogs.error import ErrorDialog
from app.ui.dialogs.model_settings import ModelSettingsDialog
from app.ui.dialogs.profiles import ProfilesDialog
from app.ui.dialogs.templates import TemplatesDialog
from tests.ui.test_window import (
    LETTER,
    fill_and_submit,
    letter_text,
    running,
    select_platform,
    start_app,
    until,
    visible_keys,
)

pytestmark = pytest.mark.integration


def answer_edits(app: App) -> list[QPlainTextEdit]:
    editor = app.window.editor
    return [
        e
        for e in editor.findChildren(QPlainTextEdit)
        if e.objectName().startswith("answer_") and e.isVisible()
    ]


async def test_a_redraft_streams_and_stop_keeps_its_text(tmp_path: Path) -> None:
    options = GuiOptions(profile=tmp_path / "p", sandbox=True, sandbox_speed=1.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    try:
        await select_platform(app, Platform.GIGRADAR)
        editor = app.window.editor
        editor.findChild(QAction, "draft_template").trigger()
        original = letter_text(app)
        assert original.strip()
        lengths: list[int] = []
        letter = editor.findChild(QPlainTextEdit, "letter")
        letter.textChanged.connect(lambda: lengths.append(len(letter.toPlainText())))
        editor.findChild(QToolButton, "variant_shorter").click()
        await until(lambda: editor.drafting and len(letter_text(app)) > 20)
        assert letter.isReadOnly()
        assert not editor.findChild(QToolButton, "variant_formal").isEnabled()
        editor.findChild(QPushButton, "draft_stop").click()
        await until(lambda: not editor.drafting)
        kept = letter_text(app)
        # The stream's task is gone, so nothing can write into the letter any more.
        await until(lambda: not app.services.tasks.running("draft:model"))
        assert letter_text(app) == kept and len(kept) > 20 and kept != original
        assert len({n for n in lengths if n > 0}) > 2  # it streamed in, piece by piece
        assert not letter.isReadOnly()
        assert "Stopped" in app.window.statusBar().currentMessage()
    finally:
        await app.stop()


async def test_draft_answers_fills_the_empty_ones_and_asks_for_the_rest(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as desk:
        store = desk.services.store.opportunities

        def with_questions() -> list[str]:
            return [k for k in visible_keys(desk) if len(store.get(k).questions) >= 2]

        await until(lambda: bool(with_questions()))
        key = with_questions()[0]
        desk.window.inbox.select_key(key)
        await until(lambda: desk.window.current_key == key)
        first, *others = answer_edits(desk)
        first.setPlainText("I wrote this one myself.")
        desk.window.editor.findChild(QToolButton, "draft_answers").click()
        await until(lambda: all(e.toPlainText().strip() for e in others))
        await until(lambda: not desk.services.tasks.running("draft:answers"))
        assert first.toPlainText() == "I wrote this one myself."
        [box] = [b for b in desk.window.editor.findChildren(QMessageBox) if b.isVisible()]
        assert box.text().startswith("You already wrote 1 answer.")
        box.button(QMessageBox.StandardButton.No).click()
        await until(lambda: not box.isVisible())
        assert first.toPlainText() == "I wrote this one myself."
        assert "Answers drafted" in desk.window.statusBar().currentMessage()


async def test_a_letter_like_one_already_sent_is_flagged(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        sent_key = await select_platform(desk, Platform.GIGRADAR)
        sent_title = desk.services.store.opportunities.get(sent_key).title
        await fill_and_submit(desk, LETTER + " [[sim:sent]]")
        await until(
            lambda: any(
                s.state is SubmissionState.SUBMITTED
                for s in desk.services.store.submissions.by_opportunity(sent_key)
            )
        )
        # Another job (a newer one may have arrived on top, making the sent one the second).
        if await select_platform(desk, Platform.GIGRADAR, n=1) == sent_key:
            await select_platform(desk, Platform.GIGRADAR, n=0)
        assert desk.window.current_key != sent_key
        warning = desk.window.editor.findChild(QLabel, "similarity_warning")
        assert not warning.isVisible()
        letter = desk.window.editor.findChild(QPlainTextEdit, "letter")
        letter.setPlainText(LETTER.replace("this week", "this very week"))
        await until(warning.isVisible)
        assert "% like the one you sent for " + sent_title in warning.text()
        letter.setPlainText("A completely different letter about my approach to your data model.")
        await until(lambda: not warning.isVisible())


async def test_the_drafting_menu_opens_each_dialog(tmp_path: Path, qtbot) -> None:
    async with running(tmp_path) as desk:
        await select_platform(desk, Platform.GIGRADAR)
        window = desk.window
        for name, cls in (
            ("action_profiles", ProfilesDialog),
            ("action_templates", TemplatesDialog),
            ("action_model_settings", ModelSettingsDialog),
        ):
            window.findChild(QAction, name).trigger()
            [dialog] = [d for d in window.findChildren(cls) if d.isVisible()]
            dialog.reject()
            await until(lambda d=dialog: not d.isVisible())
        # The templates preview follows the job selected in the inbox.
        window.action_templates.trigger()
        [dialog] = [d for d in window.findChildren(TemplatesDialog) if d.isVisible()]

        def selected_title() -> str:
            # Read afresh each time: at speed 600 the selected job can close and leave the
            # inbox, and the selection then moves to its neighbour.
            return desk.services.store.opportunities.get(window.current_key).title

        def previewed() -> bool:
            return selected_title() in dialog.preview_text()

        def why() -> str:
            return f"{selected_title()!r} not in the preview {dialog.preview_text()[:200]!r}"

        first = window.current_key
        await until(previewed, message=why())
        other = await select_platform(desk, Platform.GIGRADAR, n=1)
        if other == first:  # a newer job arrived on top: the first one is now the second
            await select_platform(desk, Platform.GIGRADAR, n=0)
        assert window.current_key != first
        await until(previewed, message=why())
        dialog.reject()
        # The shortcuts are listed where F1 shows them (a window shortcut: the window must
        # be the active one, which the platform may grant a moment later).
        window.activateWindow()
        await until(window.isActiveWindow)
        qtbot.keyClick(window, Qt.Key.Key_F1)

        def shortcut_dialogs() -> list[QDialog]:
            return [d for d in window.findChildren(QDialog) if d.objectName() == "shortcutsDialog"]

        await until(shortcut_dialogs)
        [shortcuts] = shortcut_dialogs()
        table = shortcuts.findChild(QTableWidget)
        keys = {table.item(r, 0).text() for r in range(table.rowCount())}
        assert {"Ctrl+Shift+P", "Ctrl+Shift+T", "Ctrl+Shift+M", "Ctrl+Shift+D"} <= keys
        menu = window.findChild(QToolButton, "drafting_menu").menu()
        assert [a.text() for a in menu.actions()] == [
            "Profiles…",
            "Templates…",
            "Model settings…",
        ]


async def test_the_model_client_is_built_a_moment_after_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "WARM_UP_DELAY_MS", 200)
    app = await start_app(tmp_path / "profile")
    try:
        drafter = app.services.drafter
        assert drafter._client is None  # not during the busy start
        await until(lambda: drafter._client is not None, timeout=5)
    finally:
        await app.stop()


async def test_a_redraft_that_fails_keeps_the_letter_and_says_why(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await select_platform(desk, Platform.GIGRADAR)
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
        drafter = desk.services.drafter
        drafter.save_model_settings(replace(drafter.model_settings(), base_url=dead))
        editor = desk.window.editor
        letter = editor.findChild(QPlainTextEdit, "letter")
        letter.setPlainText(LETTER)
        editor.findChild(QToolButton, "variant_friendlier").click()
        # The letter is the person's: the rewrite asks first.
        [ask] = [b for b in editor.findChildren(QMessageBox) if b.isVisible()]
        assert ask.objectName() == "replace_letter"
        ask.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: not desk.services.tasks.running("draft:model"))
        assert letter_text(desk) == LETTER  # nothing written: the letter comes back
        assert not letter.isReadOnly()
        [error] = [d for d in desk.window.findChildren(ErrorDialog) if d.isVisible()]
        assert error.text().startswith(f"Nothing is answering at {dead}")
        error.close()


async def test_a_closed_templates_dialog_deleted_late_leaves_the_new_one_following(
    tmp_path: Path,
) -> None:
    """The first dialog's deferred deletion may come after a second one opened (on a busy
    machine it does): the second must still follow the inbox selection."""
    async with running(tmp_path) as desk:
        window = desk.window
        first_key = await select_platform(desk, Platform.GIGRADAR)
        window.action_templates.trigger()
        [old] = [d for d in window.findChildren(TemplatesDialog) if d.isVisible()]
        old.reject()  # WA_DeleteOnClose: deleted on a later pass of the loop
        window.action_templates.trigger()
        [new] = [d for d in window.findChildren(TemplatesDialog) if d.isVisible()]
        QApplication.sendPostedEvents(old, QEvent.Type.DeferredDelete)  # now, after the new
        other = await select_platform(desk, Platform.GIGRADAR, n=1)
        if other == first_key:
            other = await select_platform(desk, Platform.GIGRADAR, n=0)
        title = desk.services.store.opportunities.get(window.current_key).title
        assert title in new.preview_text()
        new.reject()
