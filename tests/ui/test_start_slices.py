"""The start after the first rows (issue 15): the runtime (polling, webhooks, the tray's
notifications) is built in a slice of its own, after the first-run dialog is offered. What
the window asks of it meanwhile waits for it or carries over."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.app import App, GuiOptions
from app.ui.dialogs.first_run import FirstRunDialog
from tests.helpers.wait import wait_for as until


def _hold_runtime(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The runtime is built only once the returned event is set."""
    gate = asyncio.Event()
    build = App._build_runtime

    async def held(self: App) -> None:
        await gate.wait()
        await build(self)

    monkeypatch.setattr(App, "_build_runtime", held)
    return gate


async def test_the_sandbox_chosen_before_the_runtime_exists_starts_once_it_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = _hold_runtime(monkeypatch)
    app = App(
        QApplication.instance(),  # type: ignore[arg-type]
        GuiOptions(profile=tmp_path / "profile", sandbox_speed=600.0),
    )
    starting = asyncio.ensure_future(app.start())
    try:
        await until(lambda: app.window is not None and app.window.findChildren(FirstRunDialog))
        assert app.runtime is None  # the dialog is up before the runtime
        app.window.findChildren(FirstRunDialog)[0].sandbox_chosen.emit()
        await until(lambda: len(app.services.accounts.list()) == 3)  # the sandbox's
        gate.set()
        await starting
        assert app.runtime is not None
        await until(lambda: app.window.model.rowCount() > 10)  # polled through the runtime
    finally:
        gate.set()
        await starting
        await app.stop()


async def test_polling_paused_before_the_runtime_exists_stays_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = _hold_runtime(monkeypatch)
    app = App(QApplication.instance(), GuiOptions(profile=tmp_path / "profile"))  # type: ignore[arg-type]
    starting = asyncio.ensure_future(app.start())
    try:
        await until(lambda: app.window is not None and app.window.findChildren(FirstRunDialog))
        app.bridge.pause_ingest()  # what the tray's and the status bar's Pause do
        gate.set()
        await starting
        assert app.poller is not None and app.poller.paused
        assert app.bridge.ingest_paused
    finally:
        gate.set()
        await starting
        await app.stop()
