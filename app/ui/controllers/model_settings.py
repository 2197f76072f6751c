"""The model settings dialog's requests, run against the Drafter as named tasks."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from app.services.drafting import SECRET_NAME, Drafter, DraftingError, ModelSettings
from app.services.secrets import KeyState, SecretError, SecretStore, env_var_for
from app.services.tasks import TaskManager
from app.ui.dialogs.model_settings import ModelSettingsDialog

KEY_STATE_TASK = "model:key-state"
TEST_TASK = "model:test"
SAVE_TASK = "model:save"
TASKS = (KEY_STATE_TASK, TEST_TASK, SAVE_TASK)  # report to the dialog: stopped with it
WARM_UP_TASK = "model:warm-up"


class ModelSettingsController:
    """Runs the dialog's requests against the Drafter: the keyring through a worker
    thread (it may block on an unlock prompt), the model test on the loop.

    A plain object, not a QObject child of the dialog: that would make a reference cycle
    the collector may break on a worker thread, destroying the dialog there."""

    def __init__(
        self,
        dialog: ModelSettingsDialog,
        drafter: Drafter,
        tasks: TaskManager,
        secrets: SecretStore | None = None,
    ) -> None:
        self._dialog = dialog
        self._drafter = drafter
        self._tasks = tasks
        self._secrets = secrets  # where the key comes from (without it: stored or not)
        dialog.test_requested.connect(self._on_dialog_test_requested)
        dialog.save_requested.connect(self._on_dialog_save_requested)
        self._spawn(self._load_key_state(), KEY_STATE_TASK)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.spawn(coro, name=name, replace=True)

    def stop(self) -> None:
        """The dialog closed: what still waits would report to a dialog that is gone."""
        for name in TASKS:
            self._tasks.cancel(name)

    async def _load_key_state(self) -> None:
        problem = await self._drafter.akeyring_problem()
        secrets = self._secrets
        if secrets is None:
            stored = await self._drafter.ahas_api_key()
            self._dialog.set_key_state(stored, problem)
            return
        status = await secrets.akey_status(SECRET_NAME)
        if secrets.overridden(SECRET_NAME):
            source = "run"
        elif status.state is KeyState.ENVIRONMENT:
            source = "environment"
        elif status.state is KeyState.STORED:
            source = "keyring"
        else:
            source = "missing"
        self._dialog.set_key_source(source, problem, env_var_for(SECRET_NAME))

    def _on_dialog_test_requested(self, settings: ModelSettings, key: str | None) -> None:
        async def run() -> None:
            try:
                message = await self._drafter.check_model(settings, key)
            except DraftingError as exc:
                ok, message = False, str(exc)
            else:
                ok = True
            self._dialog.set_test_result(ok, message)
            self._dialog.set_testing(False)

        self._spawn(run(), TEST_TASK)

    def _on_dialog_save_requested(self, settings: ModelSettings, key: str | None) -> None:
        async def run() -> None:
            try:
                self._drafter.save_model_settings(settings)
                if key:
                    await self._drafter.aset_api_key(key)
            except (DraftingError, SecretError) as exc:
                self._dialog.save_failed(str(exc))
                return
            # The next Draft should not pay for the new client (~0.3 s): build it now.
            self._spawn(self._drafter.warm_up(), WARM_UP_TASK)
            self._dialog.save_succeeded(bool(key))

        self._spawn(run(), SAVE_TASK)
