"""The inbox's marks through the window: the keys and the selection write them through
`Inbox`, and the table shows them (the star in the title, the state column's word)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.domain import LocalState
from app.ui.models.opportunities import Column
from tests.ui.test_window import running, until


async def test_star_toggles_and_selecting_marks_read(tmp_path: Path, qtbot) -> None:
    async with running(tmp_path) as desk:
        window, store = desk.window, desk.services.store.opportunities
        await until(lambda: window.model.rowCount() >= 10)
        view = window.inbox
        view.setFocus()
        first = window.current_key
        # Selected for the person at start: not read until they stay on it or act.
        assert first is not None and not store.flags(first).read

        def cell(key: str, column: Column) -> str:
            row = window.model.row_of(key)
            assert row is not None
            return str(window.model.data(window.model.index(row, column)))

        assert not cell(first, Column.STATE).endswith(LocalState.READ.value.capitalize())
        qtbot.keyClick(view, Qt.Key.Key_J)
        await until(lambda: window.current_key != first)
        second = window.current_key
        await until(lambda: store.flags(second).read)  # the person stayed on it
        assert not store.flags(first).read
        assert LocalState.READ.value.capitalize() in cell(second, Column.STATE)

        qtbot.keyClick(view, Qt.Key.Key_S)
        await until(lambda: store.flags(second).starred)
        assert cell(second, Column.TITLE).startswith("★ ")
        assert "Starred." in window.status.currentMessage()
        qtbot.keyClick(view, Qt.Key.Key_S)
        await until(lambda: not store.flags(second).starred)
        assert not cell(second, Column.TITLE).startswith("★ ")
        assert desk.services.inbox.state_of(second) is LocalState.READ
