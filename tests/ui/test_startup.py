"""Start-up behaviours: one instance per profile, window state restored, the first run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app import instance
from app.store.paths import data_dir
from app.ui.app import App, GuiOptions
from app.ui.dialogs.first_run import FirstRunDialog
from tests.ui.test_window import until


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


@pytest.mark.skipif(not instance.SUPPORTED, reason="Windows: Qt's named pipe")
async def test_a_second_launch_raises_the_first_window(tmp_path: Path, runtime: Path) -> None:
    profile = data_dir(tmp_path / "profile")
    with instance.claim(profile):  # free before
        pass
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    try:
        raised: list[bool] = []
        app.window.bring_to_front = lambda: raised.append(True)  # type: ignore[method-assign]
        with pytest.raises(instance.AlreadyRunning) as caught:
            instance.claim(profile)  # what a second `biddesk` does before loading Qt
        assert caught.value.answered
        await until(lambda: raised)
    finally:
        await app.stop()
    with instance.claim(profile):  # released at exit
        pass


async def test_window_geometry_and_splitter_are_restored(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    try:
        width = app.window.width()
        app.window.resize(width, 700)
        app.window.splitter.setSizes([width - 520, 500])
        sizes = app.window.splitter.sizes()
        app.window.inbox.horizontalHeader().resizeSection(4, 333)
    finally:
        await app.stop()
    again = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await again.start()
    try:
        # (The offscreen platform's virtual screen clamps a restored width; height holds.)
        assert again.window.height() == 700
        assert again.window.inbox.horizontalHeader().sectionSize(4) == 333
        restored = again.window.splitter.sizes()
        assert abs(restored[0] / sum(restored) - sizes[0] / sum(sizes)) < 0.02
    finally:
        await again.stop()


async def test_first_run_offers_the_sandbox_and_it_works(tmp_path: Path) -> None:
    app = App(
        QApplication.instance(),  # type: ignore[arg-type]
        GuiOptions(profile=tmp_path / "profile", sandbox_speed=600.0),
    )
    await app.start()
    try:
        dialogs = app.window.findChildren(FirstRunDialog)
        assert len(dialogs) == 1 and dialogs[0].isVisible()
        dialogs[0].sandbox_chosen.emit()
        await until(lambda: len(app.services.accounts.list()) == 3)
        await until(lambda: app.window.model.rowCount() > 10)
    finally:
        await app.stop()


async def test_a_big_inbox_shows_its_newest_rows_first_then_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.store import Store
    from app.ui.controllers.inbox import InboxLoad
    from app.ui.models.opportunities import OpportunityTableModel
    from tests.benchmarks.bench_core import synthetic

    profile = tmp_path / "profile"
    with Store.open(profile) as store:
        store.opportunities.upsert_many(synthetic(900, seed=3))
    monkeypatch.setattr(InboxLoad, "FIRST_ROWS", 100)
    loads: list[int] = []
    original = OpportunityTableModel.adopt

    def recording(self: OpportunityTableModel, data: object) -> None:
        original(self, data)  # type: ignore[arg-type]
        loads.append(self.total_count())

    monkeypatch.setattr(OpportunityTableModel, "adopt", recording)
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    try:
        assert loads[0] == 100  # the window is up with the newest hundred
        await asyncio.wait_for(app.window.inbox_controller.loaded.wait(), 60)
        assert loads == [100, 900]  # then everything
        selected = app.window.current_key
        assert selected is not None
        assert app.window.inbox.current_key() == selected  # kept across the swap
        assert app.window.model.rowCount() == 900
    finally:
        await app.stop()


async def test_the_newest_rows_are_shown_without_reading_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first screen's records come with the first rows from the loading thread: the
    paint reads none back from the store (on a team database that read was two round
    trips on the GUI thread, inside the first frame of rows)."""
    from PySide6.QtCore import Qt

    from app.services.inbox_source import StoreSource
    from app.store import Store
    from app.ui.controllers.inbox import InboxLoad
    from app.ui.models.opportunities import Column, OpportunityTableModel
    from tests.benchmarks.bench_core import synthetic

    profile = tmp_path / "profile"
    with Store.open(profile) as store:
        store.opportunities.upsert_many(synthetic(300, seed=5))
        newest = [row.key for row in store.opportunities.load_all_rows()[:100]]
    monkeypatch.setattr(InboxLoad, "FIRST_ROWS", 100)
    fetched: list[int] = []
    fetch = StoreSource.fetch

    def counting(self: StoreSource, refs: Any) -> Any:
        fetched.append(len(refs))
        return fetch(self, refs)

    monkeypatch.setattr(StoreSource, "fetch", counting)
    first: list[tuple[list[int], dict[str, str]]] = []
    original = OpportunityTableModel.adopt

    def recording(self: OpportunityTableModel, data: Any) -> None:
        original(self, data)
        if not first:  # the newest hundred: what the first frame paints
            title = Qt.ItemDataRole.DisplayRole
            shown = {
                str(self.key_at(row)): self.data(self.index(row, Column.TITLE), title)
                for row in range(60)
            }
            first.append((list(fetched), shown))

    monkeypatch.setattr(OpportunityTableModel, "adopt", recording)
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    try:
        await asyncio.wait_for(app.window.inbox_controller.loaded.wait(), 60)
    finally:
        await app.stop()
    reads, shown = first[0]
    assert reads == []
    assert len(shown) == 60 and set(shown) <= set(newest)
    with Store.open(profile) as store:
        assert shown == {key: store.opportunities.get(key).title for key in shown}  # type: ignore[union-attr]


async def test_the_rest_of_the_inbox_waits_for_the_newest_rows_to_be_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loading thread counts and indexes the rest only once the first rows are
    painted and the first row is in the editor: the count held the first rows back (a
    scan of the table, 100-200 ms at 1,000,000 rows on a team database), and indexing
    the rest took the GIL from their first frame."""
    import threading

    from app.store import Store
    from app.store.opportunities import OpportunityRepo
    from app.ui.controllers.inbox import InboxController, InboxLoad
    from tests.benchmarks.bench_core import synthetic

    profile = tmp_path / "profile"
    with Store.open(profile) as store:
        store.opportunities.upsert_many(synthetic(300, seed=5))
    monkeypatch.setattr(InboxLoad, "FIRST_ROWS", 100)
    # Long enough never to be why the rest goes on.
    monkeypatch.setattr(InboxLoad, "FIRST_WAIT", 30.0, raising=False)
    shown = threading.Event()
    counted_after: list[bool] = []
    count, select = OpportunityRepo.count, InboxController._select_first_read_off_the_loop

    def counting(self: OpportunityRepo) -> int:
        if threading.current_thread() is not threading.main_thread():
            counted_after.append(shown.is_set())
        return count(self)

    async def selecting(self: InboxController) -> None:
        await select(self)
        shown.set()

    monkeypatch.setattr(OpportunityRepo, "count", counting)
    monkeypatch.setattr(InboxController, "_select_first_read_off_the_loop", selecting)
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    try:
        await asyncio.wait_for(app.window.inbox_controller.loaded.wait(), 60)
        assert app.window.current_key is not None
    finally:
        await app.stop()
    assert counted_after == [True]
    assert app.window.model.total_count() == 300


# The excepthook under test logs the uncaught error before showing it.
@pytest.mark.allow_error_log("the excepthook logs it", logger="app.ui.app", match="uncaught")
async def test_an_uncaught_error_is_logged_and_shown_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    from app.ui.app import _install_excepthook
    from app.ui.dialogs.error import ErrorDialog

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    app = App(QApplication.instance(), GuiOptions(profile=tmp_path / "p"))  # type: ignore[arg-type]
    await app.start()
    try:
        _install_excepthook([app])
        try:
            raise ValueError("the draft could not be rendered")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)  # returns: nothing waits on it
        dialogs = [d for d in app.window.findChildren(ErrorDialog) if d.isVisible()]
        assert len(dialogs) == 1
        assert "the draft could not be rendered" in caplog.text
        assert app.window.isVisible()
    finally:
        await app.stop()
