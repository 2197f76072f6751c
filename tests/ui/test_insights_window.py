"""The Insights tab in the real window, on a profile with a hand-built history, and the
editor's speed-to-proposal line, measured while the user works."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.domain.opportunity import utcnow
from app.domain.submission import Outcome, StatusUpdate
from app.services.notifications import Notification, NotificationKind
from app.store import Store
from app.ui.app import App, GuiOptions
from app.ui.panes.insights import PERIODS
from tests.helpers.wait import wait_for
from tests.insights.conftest import build_history
from tests.store.factories import opportunity

pytestmark = pytest.mark.integration


async def _start(profile: Path) -> App:
    with Store.open(profile) as store:
        build_history(store)
    options = GuiOptions(profile=profile, sandbox=True, sandbox_speed=600.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    return app


async def test_ctrl_3_opens_insights_and_filters_change_the_numbers(tmp_path: Path) -> None:
    app = await _start(tmp_path / "profile")
    try:
        window = app.window
        assert window is not None
        pane, controller = window.insights, window.insights_controller
        QTest.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentWidget() is pane
        await wait_for(lambda: controller.reports >= 1)

        # The history is from early 2026: "All time" shows it.
        pane.period.setCurrentIndex([days for _, days in PERIODS].index(None))
        await wait_for(lambda: controller.reports >= 2)
        await wait_for(lambda: pane.cards["sent"].text().startswith("5 of"))
        assert pane.cards["replied"].text() == "3/5 (few)"  # counts, never a bare percentage
        assert pane.cards["accepted"].text() == "1/5 (few)"
        assert pane.funnel.has_data() and pane.distribution.has_data()
        rows = {
            pane.table.item(r, 0).text(): pane.table.item(r, 1).text()
            for r in range(pane.table.rowCount())
        }
        assert rows == {"A": "2", "(typed by hand)": "2", "B": "1"}
        assert "Grey rows" in pane.breakdown_note.text()

        pane.platform.setCurrentIndex(pane.platform.findData("gigiac"))
        await wait_for(lambda: pane.cards["sent"].text().startswith("1 of"))
        pane.breakdown.setCurrentIndex(pane.breakdown.findData("verified"))
        await wait_for(
            lambda: pane.table.rowCount() == 1 and pane.table.item(0, 0).text() == "unknown"
        )
        # A desktop of its own: one member, this desktop's user, with every proposal.
        member = app.services.team.member  # type: ignore[union-attr]
        pane.breakdown.setCurrentIndex(pane.breakdown.findData("member"))
        await wait_for(
            lambda: (
                pane.table.rowCount() == 1
                and pane.table.item(0, 0).text() == member
                and pane.table.item(0, 1).text() == "1"
            )
        )

        # A proposal's outcome changes while the tab is showing: the numbers follow.
        pane.platform.setCurrentIndex(0)
        await wait_for(lambda: pane.cards["accepted"].text() == "1/5 (few)")
        store = app.services.store  # type: ignore[union-attr]
        sub = store.submissions.by_opportunity("gigradar:opp-3")[0]
        won = sub.apply(StatusUpdate(outcome=Outcome.ACCEPTED), via="webhook")
        store.submissions.save(won)
        app.bridge.submission_changed.emit(won)  # type: ignore[union-attr]
        await wait_for(lambda: pane.cards["accepted"].text() == "2/5 (few)")

        # A job arrives while the tab is showing: it is counted as seen, without a click.
        def seen() -> int | None:
            text = pane.status.text()
            return int(text.split()[0].replace(",", "")) if text.endswith("jobs seen") else None

        await wait_for(lambda: seen() is not None)
        shown = seen()
        assert shown is not None
        job = opportunity(9001, upwork_job_id=None, url=None, detected_at=utcnow())
        store.opportunities.upsert_many([job])
        app.bridge.opportunities_added.emit((job,))  # type: ignore[union-attr]
        await wait_for(lambda: (seen() or 0) > shown)
    finally:
        await app.stop()


async def test_the_editor_shows_speed_and_the_store_records_the_work(tmp_path: Path) -> None:
    app = await _start(tmp_path / "profile")
    try:
        window = app.window
        assert window is not None
        controller = window.insights_controller
        key = "gigradar:opp-4"  # drafted, never sent
        # A notification announced it: the start of "notification → opened".
        app._show_notification(
            Notification("New match: Qt", "Build a Qt dashboard", key, NotificationKind.MATCH)
        )
        window.show_opportunity(key)
        speed = window.editor._header.speed
        await wait_for(lambda: speed.isVisible())
        assert speed.text().startswith("Detected ") and "ago" in speed.text()
        activity = controller.insights.activity_of(key)
        assert activity is not None and activity.opened_at is not None
        assert activity.notified_at is not None and activity.notified_at <= activity.opened_at

        # The template fills the letter; its autosave marks the draft ready, by "Default".
        window.editor.draft_requested.emit("template")
        await wait_for(
            lambda: (
                (a := controller.insights.activity_of(key)) is not None
                and a.draft_ready_at is not None
            )
        )
        assert controller.insights.activity_of(key).template == "Default"  # type: ignore[union-attr]

        # Time counts only while the user works on it (offscreen, the window is never
        # "active": the check is swapped for a yes).
        controller._working = lambda: True
        await wait_for(lambda: controller._unsaved_ms >= 1000, timeout=30)
        controller._save_active()
        controller._show_speed()
        assert "on it" in speed.text()
        stored = controller.insights.activity_of(key)
        assert stored is not None and stored.active_ms >= 1000
    finally:
        await app.stop()
