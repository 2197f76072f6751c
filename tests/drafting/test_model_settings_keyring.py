"""The model settings dialog's key state and key save never call the keyring on the GUI
loop's thread (the controller goes through the Drafter's async key calls)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from app.services.drafting import SECRET_NAME, Drafter, ModelSettings
from app.services.secrets import SERVICE, SecretStore
from app.store import Store
from app.ui.controllers.model_settings import (
    KEY_STATE_TASK,
    SAVE_TASK,
    WARM_UP_TASK,
    ModelSettingsController,
)
from app.ui.dialogs.model_settings import ModelSettingsDialog
from tests.drafting.conftest import OffLoopKeyring


@pytest.fixture(autouse=True)
def _gui(qapp: Any) -> Iterator[None]:
    """As in the app: closing the dialog must not quit Qt; cycles holding Qt objects are
    collected here, on the GUI thread, not later on a worker."""
    was = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    gc.collect()
    qapp.setQuitOnLastWindowClosed(was)


async def test_the_dialog_shows_and_saves_the_key_off_the_loop(
    qtbot: Any, store: Store, off_loop_keyring: OffLoopKeyring
) -> None:
    drafter = Drafter(store, SecretStore())
    tasks: dict[str, asyncio.Task[None]] = {}

    class Spawner:
        """The window's task manager, as far as the controller uses it."""

        def spawn(
            self, coro: Coroutine[Any, Any, None], *, name: str, replace: bool = False
        ) -> asyncio.Task[None]:
            tasks[name] = asyncio.ensure_future(coro)
            return tasks[name]

    dialog = ModelSettingsDialog(drafter.model_settings())
    qtbot.addWidget(dialog)
    controller = ModelSettingsController(dialog, drafter, Spawner())  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(tasks[KEY_STATE_TASK], 10)
        assert dialog.key_state_text() == "No key is stored; the hosted API needs one."
        dialog.save_requested.emit(ModelSettings(model="gpt-4.1"), "sk-typed-5e6f7a8b9c0d")
        await asyncio.wait_for(tasks[SAVE_TASK], 10)
        assert off_loop_keyring.store[(SERVICE, SECRET_NAME)] == "sk-typed-5e6f7a8b9c0d"
        assert drafter.model_settings().model == "gpt-4.1"
        await asyncio.wait_for(tasks[WARM_UP_TASK], 10)
        assert drafter._client is not None  # built with the saved key
    finally:
        await drafter.aclose()
    assert controller is not None and off_loop_keyring.calls >= 2
    assert off_loop_keyring.on_main_thread == []
