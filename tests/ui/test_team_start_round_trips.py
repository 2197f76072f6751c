"""The start on a team database: what the GUI thread waits on between the first rows
painted and the first row shown in the editor (issue 17 item 9).

On PostgreSQL every statement is a round trip, and the pool's check of a connection it
lends was one more; the worker that loads the rest of the inbox takes the GIL meanwhile,
so each of them also waits to take it back. The first row's selection made 25 of them on
the GUI thread (~55-75 ms at 100,000 rows, the start's longest stall after the first
paint), and a round trip per lend of a pooled connection made half of the rest.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from PySide6.QtWidgets import QApplication

from app.store import Store
from app.ui.app import App, GuiOptions
from app.ui.controllers.inbox import InboxController, InboxLoad
from tests.helpers.wait import wait_for as until
from tests.store.factories import opportunity

pytestmark = pytest.mark.integration

# Statements the GUI thread may still run while the first row is selected: the row's
# position in the index, and the time already spent on the job (Insights: its first
# opening recorded under the team's write lock, then read back).
MOST = 7


class _Statements:
    """Statements and pool checks run on the GUI thread while `on` is set."""

    def __init__(self) -> None:
        self.on = False
        self.seen: list[str] = []  # the pool's check of a lent connection is "" here

    def note(self, sql: object) -> None:
        if self.on and threading.current_thread() is threading.main_thread():
            self.seen.append(" ".join(str(sql).split())[:80])


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> _Statements:
    found = _Statements()
    for name in ("execute", "stream", "executemany"):
        original = getattr(psycopg.Cursor, name)

        def counted(self: Any, query: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            found.note(query)
            return _original(self, query, *args, **kw)

        monkeypatch.setattr(psycopg.Cursor, name, counted)
    select_first = InboxController._select_first

    def selecting(self: InboxController) -> None:
        first = self.current_key is None
        found.on = first
        try:
            select_first(self)
        finally:
            found.on = False

    monkeypatch.setattr(InboxController, "_select_first", selecting)
    return found


async def test_the_first_row_is_selected_with_few_round_trips_on_the_gui_thread(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, statements: _Statements
) -> None:
    profile = tmp_path / "profile"
    with Store.open(profile, url=pg_url) as store:
        # More than the first screen's rows: the start shows them, then selects.
        store.opportunities.upsert_many([opportunity(i) for i in range(InboxLoad.FIRST_ROWS + 50)])
    monkeypatch.setenv("BIDDESK_DATABASE_URL", pg_url)
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    try:
        window = app.window
        assert window is not None
        controller = window.inbox_controller
        await until(lambda: controller.current_key is not None)
        assert controller.current_key == window.model.key_at(0)
        shown = window.editor._opportunity
        assert shown is not None and shown.key == controller.current_key
        assert 0 < len(statements.seen) <= MOST, "\n".join(statements.seen)
        # No pool check, no BEGIN/COMMIT of the reads the editor needs: those are done.
        reads = [s for s in statements.seen if "FROM opportunities WHERE key =" in s]
        assert reads == [], reads
    finally:
        await app.stop()
