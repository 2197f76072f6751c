"""The Team page's requests (Preferences), run as named tasks in a worker thread: a test
connection and the keyring may each block for seconds, the GUI loop never does."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from app.services.secrets import SecretError
from app.services.team_setup import TeamSetup
from app.ui.dialogs.preferences_team import TeamPage

log = logging.getLogger(__name__)

LOAD_TASK = "team-page:load"
TEST_TASK = "team-page:test"
SAVE_TASK = "team-page:save"
TASKS = (LOAD_TASK, TEST_TASK, SAVE_TASK)

T = TypeVar("T")


class Spawner(Protocol):
    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str, replace: bool = False
    ) -> asyncio.Task[Any]: ...

    def cancel(self, name: str) -> bool: ...


class TeamPageController:
    """A plain object, not a QObject child of the page (see ModelSettingsController)."""

    def __init__(self, page: TeamPage, setup: TeamSetup, tasks: Spawner) -> None:
        self._page = page
        self._setup = setup
        self._tasks = tasks
        page.test_requested.connect(self._on_page_test_requested)
        page.save_requested.connect(self._on_page_save_requested)
        self._spawn(self._load(), LOAD_TASK)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.spawn(coro, name=name, replace=True)

    def stop(self) -> None:
        """The dialog closed: nothing may report to a page that is gone."""
        for name in TASKS:
            self._tasks.cancel(name)

    @staticmethod
    async def _off_loop(call: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(call, *args)

    async def _load(self) -> None:
        self._page.set_form(await self._off_loop(self._setup.form))

    def _on_page_test_requested(self, url: str, password: str) -> None:
        async def run() -> None:
            try:
                checked = await self._off_loop(self._setup.check, url, password or None)
            except Exception:
                self._page.set_busy(None)  # an unforeseen failure must not leave it waiting
                raise
            self._page.set_result(checked.usable, checked.sentence)

        self._spawn(run(), TEST_TASK)

    def _on_page_save_requested(self, url: str, password: str, member: str) -> None:
        async def run() -> None:
            try:
                saved, sentence = await self._off_loop(
                    self._setup.save, url, password or None, member
                )
            except SecretError as exc:
                saved, sentence = False, f"Not saved: {exc}"
            except OSError as exc:
                saved, sentence = False, f"Not saved: the profile folder refused ({exc.strerror})."
            except Exception:
                self._page.set_busy(None)  # an unforeseen failure must not leave it waiting
                raise
            self._page.set_result(saved, sentence)

        self._spawn(run(), SAVE_TASK)
