"""The window's side of issue 16, item 4, on the real sandbox: Ctrl+Enter from the inbox
and from the Submissions tab, Archive for a job that closed, the filter bar's "hidden by"
counts, and the key sentences of the model dialog and the Accounts list."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit, QPushButton, QTreeWidget

from app.domain import Account, Platform, SubmissionState
from app.domain.filters import FilterSpec
from app.domain.opportunity import JobKind
from app.services.drafting import SECRET_NAME
from app.services.secrets import env_var_for
from app.store import Store
from app.ui.app import App, GuiOptions
from app.ui.controllers.accounts import RUN_ONLY
from app.ui.dialogs.accounts import AccountsDialog
from app.ui.dialogs.model_settings import ModelSettingsDialog
from tests.ui.test_window import LETTER, running, select_platform, texts, until

pytestmark = pytest.mark.integration


def _ready(app: App) -> None:
    editor = app.window.editor
    editor.findChild(QPlainTextEdit, "letter").setPlainText(LETTER)
    for edit in editor.findChildren(QPlainTextEdit):
        if edit.objectName().startswith("answer_"):
            edit.setPlainText("Yes — in two recent projects.")


async def _focus(widget, qtbot) -> None:
    widget.window().activateWindow()
    widget.setFocus()
    await until(widget.hasFocus)


async def test_ctrl_enter_sends_from_the_inbox(tmp_path: Path, qtbot) -> None:
    async with running(tmp_path) as desk:
        window = desk.window
        key = await select_platform(desk, Platform.GIGIAC)
        _ready(desk)
        submit = window.editor.findChild(QPushButton, "submit")
        await until(submit.isEnabled)
        await _focus(window.inbox, qtbot)
        qtbot.keyClick(window.inbox, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: desk.services.store.submissions.by_opportunity(key))


async def test_blocked_ctrl_enter_says_why_and_focuses_the_letter(tmp_path: Path, qtbot) -> None:
    async with running(tmp_path) as desk:
        window = desk.window
        key = await select_platform(desk, Platform.GIGIAC)
        window.tabs.setCurrentIndex(1)  # the Submissions tab: it goes back to the job
        await _focus(window.submissions, qtbot)
        qtbot.keyClick(window.submissions, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == 0
        assert "Not sent:" in window.status.currentMessage()
        assert "problem" in window.status.currentMessage()
        letter = window.editor.findChild(QPlainTextEdit, "letter")
        await until(letter.hasFocus)
        assert not desk.services.store.submissions.by_opportunity(key)


async def test_a_closed_job_offers_archive(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        window = desk.window
        key = await select_platform(desk, Platform.GIGIAC)
        desk.sandbox.close_task(key.split(":", 1)[1])
        _ready(desk)
        submit = window.editor.findChild(QPushButton, "submit")
        await until(submit.isEnabled)
        submit.click()
        await until(
            lambda: any(
                s.state is SubmissionState.FAILED
                for s in desk.services.store.submissions.by_opportunity(key)
            )
        )
        status = window.editor.findChild(QLabel, "submit_status")
        await until(lambda: "no longer available" in status.text())
        assert "Ready to send" not in texts(window.editor)
        archive = window.editor.findChild(QPushButton, "archive_job")
        await until(archive.isVisible)
        archive.click()
        await until(lambda: window.model.row_of(key) is None)
        assert desk.services.store.opportunities.flags(key).archived


async def test_the_filter_bar_counts_what_each_condition_hides(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        window, bar = desk.window, desk.window.filter_bar
        await until(lambda: window.model.rowCount() >= 20)
        bar.more_button.click()
        bar.budget_min.setText("1000")
        note = bar.facet_note
        await until(lambda: "Hidden by Budget:" in note.text())
        spec = bar.spec()
        model = window.model

        def said() -> str:
            # Rows keep arriving: what the note says now, against a count taken now.
            hidden = model.count_matching(FilterSpec()) - model.count_matching(spec)
            return f"Hidden by Budget: {hidden:,}."

        await until(lambda: said() in note.text())
        hourly = model.count_matching(
            spec.model_copy(update={"kinds": frozenset({JobKind.HOURLY})})
        )
        assert hourly > 0 and "hourly jobs pass it" in note.text()
        assert spec.budget_min == Decimal(1000)


async def test_the_model_key_from_the_environment_without_a_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No keyring, the variable set, --sandbox: the variable's key is the model's, and the
    dialog says that one thing (not "no keyring" beside "a key is stored")."""
    monkeypatch.setenv(env_var_for(SECRET_NAME), "sk-env-4d5e6f")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        async with running(tmp_path) as desk:
            assert desk.services.secrets.get(SECRET_NAME) == "sk-env-4d5e6f"
            desk.window.drafting.open_model_settings()
            dialog = desk.window.findChildren(ModelSettingsDialog)[-1]
            state = dialog.findChild(QLabel, "model_key_state")
            await until(lambda: env_var_for(SECRET_NAME) in state.text())
            assert state.text().startswith("The key comes from BIDDESK_API_KEY_OPENAI")
            assert not dialog.findChild(QLabel, "keyring_banner").isVisible()
            assert "stored" not in state.text()
            assert "sk-env" not in "".join(w.text() for w in dialog.findChildren(QLabel))
            dialog.close()
    finally:
        keyring.set_keyring(previous)


async def test_the_accounts_list_tells_where_each_key_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile"
    with Store.open(profile) as store:
        for name in ("from-env", "nowhere"):
            store.accounts.add(
                Account(name=name, platform=Platform.GIGIAC, base_url="http://127.0.0.1:9")
            )
    monkeypatch.setenv(env_var_for("from-env"), "gg-env-key-1")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    options = GuiOptions(profile=profile, sandbox=True, sandbox_speed=600.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    try:
        app.window.open_accounts()
        dialog = app.window.findChildren(AccountsDialog)[-1]
        tree = dialog.findChild(QTreeWidget, "accountsList")

        def column() -> dict[str, str]:
            items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
            return {item.text(0): item.text(3) for item in items if item is not None}

        await until(lambda: column().get("nowhere") == "no keyring")
        shown = column()
        assert shown["from-env"] == "from the environment"
        assert shown["sandbox-gigiac"] == RUN_ONLY
        assert "stored" not in " ".join(shown.values())
        dialog.close()
    finally:
        await app.stop()
        keyring.set_keyring(previous)


async def test_a_row_is_read_by_staying_on_it_not_by_being_selected(tmp_path: Path, qtbot) -> None:
    async with running(tmp_path) as desk:
        window, flags = desk.window, desk.services.store.opportunities.flags
        await until(lambda: window.model.rowCount() >= 5 and window.current_key is not None)
        first = window.current_key
        # Selected for the person at start, and left alone: still unread a dwell later.
        # Any other row (rows keep arriving: the first may no longer be at the top).
        other = next(k for r in range(5) if (k := window.model.key_at(r)) != first)
        window.inbox.select_key(other)  # the person moves on before the dwell ends
        await until(lambda: window.current_key == other)
        await until(lambda: flags(other).read)
        assert not flags(first).read
        # Clicking the row back is choosing it: read once they stay.
        row = window.model.row_of(first)
        rect = window.inbox.visualRect(window.model.index(row, 2))
        qtbot.mouseClick(window.inbox.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        await until(lambda: window.current_key == first)
        await until(lambda: flags(first).read)
