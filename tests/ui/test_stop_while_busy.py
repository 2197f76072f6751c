"""Stopping the app in the middle of work: nothing touches the closed database, nothing
fails unobserved (the autouse error check in tests/conftest.py judges it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from app.domain import Platform
from app.ui.app import App, GuiOptions
from tests.ui.test_window import letter_text, select_platform, until

pytestmark = pytest.mark.integration


async def test_stopping_while_the_model_writes(tmp_path: Path) -> None:
    options = GuiOptions(profile=tmp_path / "p", sandbox=True, sandbox_speed=1.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    try:
        await select_platform(app, Platform.GIGRADAR)
        app.window.editor.findChild(QAction, "draft_model").trigger()
        await until(lambda: len(letter_text(app)) > 20)  # mid-stream
    finally:
        await app.stop()
    assert app.services.store.db.closed


async def test_stopping_with_an_edit_not_yet_saved(tmp_path: Path) -> None:
    options = GuiOptions(profile=tmp_path / "p", sandbox=True, sandbox_speed=600.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    try:
        key = await select_platform(app, Platform.GIGRADAR)
        letter = app.window.editor.findChild(QPlainTextEdit, "letter")
        letter.setFocus()
        letter.setPlainText("Typed a moment before quitting.")
    finally:
        await app.stop()
    assert app.services.store.db.closed
    from app.store import Store

    with Store.open(app.services.data_dir) as reopened:
        saved = reopened.drafts.get(key)
    assert saved is not None and saved.cover_letter == "Typed a moment before quitting."


async def test_editor_timers_that_fire_after_the_store_closed_do_nothing(tmp_path: Path) -> None:
    """On a busy machine the sandbox takes a while to stop, after the store has closed:
    the editor's debounced similarity check and autosave then fire with nothing left to
    write to. They must not reach the closed database ("database is closed")."""
    app = App(
        QApplication.instance(),  # type: ignore[arg-type]
        GuiOptions(profile=tmp_path / "p", sandbox=True, sandbox_speed=600.0, sandbox_seed=21),
    )
    await app.start()
    editor = app.window.editor
    letter = editor.findChild(QPlainTextEdit, "letter")
    try:
        await select_platform(app, Platform.GIGRADAR)
        letter.setPlainText("Typed just before quitting.")  # the similarity check is pending
        sandbox = app.sandbox
        stop_sandbox = sandbox.stop

        async def slow_stop() -> None:
            assert app.services.store.db.closed
            letter.setPlainText("And a change after the last save.")  # autosave pending too
            await until(
                lambda: (
                    not editor._similarity_timer.isActive() and not editor._draft_timer.isActive()
                )
            )
            await stop_sandbox()

        sandbox.stop = slow_stop  # type: ignore[method-assign]
    finally:
        await app.stop()


async def test_a_sandbox_stop_cut_short_leaves_nothing_firing_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shutdown gives the sandbox SHUTDOWN_TIMEOUT to stop. On a busy machine that
    was not enough, and its periodic save of the world went on firing: after the test's
    loop ended, in qasync's last pass of Qt events, where its thread hand-off fails with
    "no running event loop". A stop cut short must still halt the clock and the save."""
    from app.ui import app as app_module

    monkeypatch.setattr(app_module, "SHUTDOWN_TIMEOUT", 0.2)
    app = App(
        QApplication.instance(),  # type: ignore[arg-type]
        GuiOptions(profile=tmp_path / "p", sandbox=True, sandbox_speed=600.0, sandbox_seed=5),
    )
    await app.start()
    sandbox = app.sandbox
    assert sandbox is not None
    saver = sandbox._saver
    assert saver is not None and not saver.done()

    async def stuck() -> None:
        await asyncio.Event().wait()  # never stops by itself; the timeout cancels it

    real_stop = sandbox.stop
    sandbox.stop = stuck  # type: ignore[method-assign]
    try:
        await app.stop()
        await until(saver.done)
        assert saver.cancelled()
        assert sandbox.scheduler._loop is None  # the lifecycle clock is detached
    finally:
        await real_stop()  # its sockets, which the stuck stop never reached
