"""The drafting dialogs driven like a person would: profiles, templates, model settings.

Each works on a real Drafter over a real SQLite store; the model's Test button talks to
the sandbox model over loopback through the real openai SDK; keys go to the in-memory
keyring the test setup installs.
"""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from app.sandbox import Sandbox, SandboxConfig
from app.services.drafting import DEFAULT_SYSTEM_PROMPT, Drafter, ModelSettings
from app.services.secrets import SecretStore
from app.store import Store
from app.ui.controllers.model_settings import ModelSettingsController
from app.ui.dialogs._named_list import unique_name
from app.ui.dialogs.model_settings import ModelSettingsDialog
from app.ui.dialogs.profiles import ProfilesDialog
from app.ui.dialogs.templates import TemplatesDialog
from tests.drafting.conftest import make_job
from tests.helpers.memkeyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _no_quit_on_close(qapp) -> Iterator[None]:
    """As in the app: closing the only open dialog must not quit Qt (and stop the loop)."""
    was = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(was)


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """A test's finished tasks and qasync's thread executor leave reference cycles that
    hold Qt objects (the dialog, qasync's timers). Collected later on a worker thread they
    would be destroyed there, which Qt reports; collect them here, on the GUI thread."""
    yield
    gc.collect()


@pytest.fixture
def drafter(store: Store) -> Drafter:
    return Drafter(store, SecretStore())


def find(widget: QWidget, cls: type, name: str):  # -> an instance of cls
    found = widget.findChild(cls, name)
    assert found is not None, f"no {cls.__name__} named {name!r}"
    return found


def click_save(dialog: QWidget) -> None:
    box = dialog.findChild(QDialogButtonBox)
    box.button(QDialogButtonBox.StandardButton.Save).click()


def click_cancel(dialog: QWidget) -> None:
    box = dialog.findChild(QDialogButtonBox)
    box.button(QDialogButtonBox.StandardButton.Cancel).click()


def open_boxes(dialog: QWidget) -> list[QMessageBox]:
    return [b for b in dialog.findChildren(QMessageBox) if b.isVisible()]


def shown(qtbot, dialog: QWidget) -> QWidget:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


# -- profiles -------------------------------------------------------------------------------


def type_into(qtbot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    else:
        widget.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(widget, text)


def test_a_new_profile_saves_and_becomes_one_accounts_default(qtbot, drafter: Drafter) -> None:
    dialog = shown(qtbot, ProfilesDialog(drafter.library, ["studio", "solo"]))
    find(dialog, QPushButton, "profile_add").click()
    type_into(qtbot, find(dialog, QLineEdit, "profile_name"), "Dana Reyes")
    type_into(qtbot, find(dialog, QLineEdit, "profile_skills"), "Python, Django, django, AWS")
    type_into(qtbot, find(dialog, QPlainTextEdit, "profile_signature"), "Thanks, Dana")
    find(dialog, QPushButton, "portfolio_add").click()
    table = find(dialog, QTableWidget, "profile_portfolio")
    table.item(0, 0).setText("Warehouse API")
    table.item(0, 2).setText("A Django REST API with PostgreSQL")
    combo = find(dialog, QComboBox, "account_profile_studio")
    combo.setCurrentIndex(combo.findData("Dana Reyes"))
    with qtbot.waitSignal(dialog.saved):
        click_save(dialog)
    assert not dialog.isVisible()

    dana = drafter.library.profile("Dana Reyes")
    assert dana.skills == ("Python", "Django", "AWS")  # duplicates folded
    assert dana.portfolio[0].title == "Warehouse API"
    # The studio account drafts as Dana; every other account keeps the default profile.
    studio_letter = drafter.library.draft_from_template(make_job(account="studio"))
    assert "Thanks, Dana" in studio_letter and "Warehouse API" in studio_letter
    assert "Alex" in drafter.library.draft_from_template(make_job(account="solo"))
    assert drafter.library.account_profiles() == {"studio": "Dana Reyes"}


def test_profile_mistakes_are_sentences_and_nothing_is_saved(qtbot, drafter: Drafter) -> None:
    dialog = shown(qtbot, ProfilesDialog(drafter.library, []))
    find(dialog, QLineEdit, "profile_name").clear()
    find(dialog, QLineEdit, "profile_name").textEdited.emit("")
    error = find(dialog, QLabel, "profiles_error")
    assert error.text() == "Give every profile a name."
    click_save(dialog)
    assert dialog.isVisible() and error.isVisible()
    type_into(qtbot, find(dialog, QLineEdit, "profile_name"), "Alex Morgan")
    find(dialog, QPushButton, "portfolio_add").click()
    table = find(dialog, QTableWidget, "profile_portfolio")
    row = table.rowCount() - 1
    table.item(row, 0).setText("Shop")
    table.item(row, 1).setText("shop.example.com")
    click_save(dialog)
    assert error.text() == "The link of portfolio item “Shop” must start with http:// or https://."
    assert drafter.library.account_profiles() == {}
    assert all(
        p.name == "Alex Morgan" and len(p.portfolio) == 3 for p in drafter.library.profiles()
    )


def test_duplicate_then_delete_then_cancel_asks_before_discarding(qtbot, drafter: Drafter) -> None:
    dialog = shown(qtbot, ProfilesDialog(drafter.library, []))
    find(dialog, QPushButton, "profile_duplicate").click()
    assert find(dialog, QLineEdit, "profile_name").text() == "Alex Morgan copy"
    click_cancel(dialog)
    [box] = open_boxes(dialog)
    box.button(QMessageBox.StandardButton.Cancel).click()  # "Keep editing"
    qtbot.waitUntil(lambda: not open_boxes(dialog))
    assert dialog.isVisible()
    assert find(dialog, QLineEdit, "profile_name").text() == "Alex Morgan copy"  # still there
    click_cancel(dialog)
    [box] = open_boxes(dialog)
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert [p.name for p in drafter.library.profiles()] == ["Alex Morgan"]


def test_a_renamed_default_stays_the_default(qtbot, drafter: Drafter) -> None:
    dialog = shown(qtbot, ProfilesDialog(drafter.library, []))
    find(dialog, QPushButton, "profile_duplicate").click()
    click_save(dialog)
    dialog = shown(qtbot, ProfilesDialog(drafter.library, []))
    dialog.select("Alex Morgan")
    type_into(qtbot, find(dialog, QLineEdit, "profile_name"), "Alex M.")
    click_save(dialog)
    assert drafter.library.profile().name == "Alex M."
    assert sorted(p.name for p in drafter.library.profiles()) == ["Alex M.", "Alex Morgan copy"]


# -- templates ------------------------------------------------------------------------------


def test_the_preview_follows_typing_and_unknown_variables_are_errors(
    qtbot, drafter: Drafter
) -> None:
    job = make_job()
    dialog = shown(qtbot, TemplatesDialog(drafter.library, job))
    assert "Hi Acme Corp," in dialog.preview_text()
    find(dialog, QPushButton, "template_add").click()
    body = find(dialog, QPlainTextEdit, "template_body")
    body.selectAll()
    body.setFocus()
    qtbot.keyClicks(body, "About ")
    find(dialog, QAction, "insert_job_title").trigger()
    assert dialog.preview_text() == f"About {job.title}\n"
    qtbot.keyClicks(body, " for {clinet_name}")
    assert dialog.error_text().startswith("The template uses an unknown variable {clinet_name}")
    assert dialog.preview_text() == ""
    [underline] = body.extraSelections()
    assert underline.cursor.selectedText() == "{clinet_name}"
    click_save(dialog)  # refused: nothing stored
    assert dialog.isVisible()
    assert [t.name for t in drafter.library.templates()] == ["Default"]
    for _ in "clinet_name}":
        qtbot.keyClick(body, Qt.Key.Key_Backspace)
    qtbot.keyClicks(body, "client_name}")
    assert dialog.error_text() == ""
    assert dialog.preview_text() == f"About {job.title} for Acme Corp\n"


def test_a_saved_template_can_become_the_default(qtbot, drafter: Drafter) -> None:
    dialog = shown(qtbot, TemplatesDialog(drafter.library, make_job()))
    find(dialog, QPushButton, "template_add").click()
    type_into(qtbot, find(dialog, QLineEdit, "template_name"), "Short")
    body = find(dialog, QPlainTextEdit, "template_body")
    body.setPlainText("Hello {client_name}, I know {skills_matched}. {signature}")
    find(dialog, QPushButton, "template_default").click()
    assert not find(dialog, QPushButton, "template_default").isEnabled()  # it is already
    with qtbot.waitSignal(dialog.saved):
        click_save(dialog)
    assert drafter.library.template().name == "Short"
    letter = drafter.library.draft_from_template(make_job())
    assert letter.startswith("Hello Acme Corp, I know Python, Django, PostgreSQL and AWS.")


def test_without_a_selected_job_the_preview_says_how_to_get_one(qtbot, drafter: Drafter) -> None:
    dialog = shown(qtbot, TemplatesDialog(drafter.library, None))
    preview = find(dialog, QPlainTextEdit, "template_preview")
    assert preview.toPlainText() == ""
    assert "Select a job in the inbox" in preview.placeholderText()
    dialog.set_opportunity(make_job())
    assert "Acme Corp" in dialog.preview_text()


# -- model settings -------------------------------------------------------------------------


class Tasks:
    """The dialog's tasks, run on the test's loop as the window's task manager would."""

    def __init__(self) -> None:
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.controller: ModelSettingsController | None = None

    def spawn(
        self, coro: Coroutine[Any, Any, None], *, name: str, replace: bool = False
    ) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self.tasks[name] = task
        return task

    async def done(self, name: str) -> None:
        await asyncio.wait_for(self.tasks[name], 10)


async def model_dialog(qtbot, drafter: Drafter) -> tuple[ModelSettingsDialog, Tasks]:
    tasks = Tasks()
    dialog = ModelSettingsDialog(drafter.model_settings())
    tasks.controller = ModelSettingsController(dialog, drafter, tasks)  # kept alive
    shown(qtbot, dialog)
    await tasks.done("model:key-state")
    return dialog, tasks


async def test_settings_save_and_the_key_goes_to_the_keyring_only(
    qtbot, drafter: Drafter, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog, tasks = await model_dialog(qtbot, drafter)
    assert dialog.key_state_text() == "No key is stored; the hosted API needs one."
    preset = find(dialog, QComboBox, "model_preset")
    preset.setCurrentIndex(preset.findData("Ollama (local)"))
    assert find(dialog, QLineEdit, "model_base_url").text() == "http://127.0.0.1:11434/v1"
    assert "does not need one" in dialog.key_state_text()
    type_into(qtbot, find(dialog, QLineEdit, "model_name"), "qwen2.5:7b")
    prompt = find(dialog, QPlainTextEdit, "model_system_prompt")
    prompt.setPlainText("Write short letters.")
    secret = "sk-test-93f0c2d1a7b84e65"
    type_into(qtbot, find(dialog, QLineEdit, "model_api_key"), secret)
    click_save(dialog)
    await tasks.done("model:save")
    assert not dialog.isVisible()
    settings = drafter.model_settings()
    assert (settings.base_url, settings.model) == ("http://127.0.0.1:11434/v1", "qwen2.5:7b")
    assert settings.system_prompt == "Write short letters."
    assert memory_keyring.store[("BidDesk", "openai")] == secret
    assert find(dialog, QLineEdit, "model_api_key").text() == ""  # forgotten at once
    await tasks.done("model:warm-up")  # the client for the next draft is built already
    assert drafter._client is not None
    files = [p for p in (tmp_path / "profile").rglob("*") if p.is_file()]
    assert files  # the database and its journal
    for path in files:
        assert secret.encode() not in path.read_bytes(), path.name


async def test_a_stored_key_is_never_shown_and_the_prompt_resets(qtbot, drafter: Drafter) -> None:
    drafter.set_api_key("sk-stored-0a1b2c3d")
    drafter.save_model_settings(ModelSettings(system_prompt="Be brief."))
    dialog, tasks = await model_dialog(qtbot, drafter)
    key = find(dialog, QLineEdit, "model_api_key")
    assert key.text() == "" and key.echoMode() is QLineEdit.EchoMode.Password
    assert dialog.key_state_text() == "A key is stored."
    assert "sk-stored" not in "".join(w.text() for w in dialog.findChildren(QLabel))
    find(dialog, QPushButton, "model_reset_prompt").click()
    click_save(dialog)
    await tasks.done("model:save")
    assert drafter.model_settings().system_prompt == DEFAULT_SYSTEM_PROMPT


async def test_a_bad_form_is_a_sentence_and_saves_nothing(qtbot, drafter: Drafter) -> None:
    dialog, tasks = await model_dialog(qtbot, drafter)
    find(dialog, QLineEdit, "model_base_url").setText("api.example.com/v1")
    click_save(dialog)
    error = find(dialog, QLabel, "model_settings_error")
    assert error.text() == "Enter a base URL that starts with http:// or https://."
    assert "model:save" not in tasks.tasks and dialog.isVisible()


async def test_without_a_keyring_the_dialog_says_so_and_keeps_the_key_out(
    qtbot, drafter: Drafter, tmp_path: Path
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        dialog, tasks = await model_dialog(qtbot, drafter)
        banner = find(dialog, QLabel, "keyring_banner")
        assert banner.isVisible() and banner.text().startswith("No system keyring is available")
        type_into(qtbot, find(dialog, QLineEdit, "model_api_key"), "sk-nowhere-123456")
        click_save(dialog)
        await tasks.done("model:save")
        error = find(dialog, QLabel, "model_settings_error")
        assert dialog.isVisible()
        assert error.text().startswith("No system keyring is available")
        for path in (p for p in (tmp_path / "profile").rglob("*") if p.is_file()):
            assert b"sk-nowhere" not in path.read_bytes()
    finally:
        keyring.set_keyring(previous)


async def test_the_test_button_reports_success_then_a_stopped_server(
    qtbot, drafter: Drafter
) -> None:
    sandbox = Sandbox(SandboxConfig(seed=3, speed=50.0, arrivals=False))
    info = await sandbox.start()
    try:
        model = info.openai
        assert model is not None
        dialog, tasks = await model_dialog(qtbot, drafter)
        find(dialog, QLineEdit, "model_base_url").setText(model.base_url)
        find(dialog, QLineEdit, "model_name").setText(model.model)
        find(dialog, QLineEdit, "model_api_key").setText(model.api_key)
        test = find(dialog, QPushButton, "model_test")
        test.click()
        assert not test.isEnabled()  # running, and the loop is free meanwhile
        await tasks.done("model:test")
        assert dialog.result_text().startswith(f"✔ The model “{model.model}” answered in")
        assert test.isEnabled()
    finally:
        await sandbox.stop()
    test.click()
    await tasks.done("model:test")
    result = dialog.result_text()
    assert result.startswith(f"✖ Nothing is answering at {model.base_url}")
    assert result.endswith("?") and not re.search(r"[.?!]\s+[A-Z]", result)  # one sentence
    assert model.api_key not in result


def test_new_items_get_the_first_free_name_whatever_its_case() -> None:
    assert unique_name("New profile", ["Alex"]) == "New profile"
    assert unique_name("New profile", ["new PROFILE", "New profile 2"]) == "New profile 3"
