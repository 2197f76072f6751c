"""Nothing typed is lost: the draft autosave as a throttle, and every moment it saves at once.

Steady typing must reach the store within a second of each key press, however long it goes
on (a debounce alone never fired while someone typed); focus leaving a field, switching
job, the window losing activation and quitting save at once. Typing "for three seconds"
runs on a fake clock; the real-time test only checks that saves happen while keys keep
coming. The kill -9 version of the promise is tests/integration/test_crash_while_typing.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QPlainTextEdit,
    QWidget,
)

import app.ui.panes.editor as editor_module
from app.domain import Draft
from app.ingest.poller import Poller
from app.services.container import open_services
from app.store import Store
from app.store.errors import DiskFullError
from app.ui.app import App, GuiOptions
from app.ui.bridge import Bridge
from app.ui.panes.editor import DRAFT_MAX_DELAY_MS, EditorPane
from tests.ui.test_editor_pane import ACCOUNTS, find, make_opp

TEXT = "i would start with the carrier clients and their retries then the cache and the api "


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def shown_pane(qtbot, clock: Callable[[], float] | None = None) -> EditorPane:
    pane = EditorPane(clock=clock) if clock is not None else EditorPane()
    qtbot.addWidget(pane)
    pane.resize(620, 900)
    pane.show()
    qtbot.waitExposed(pane)
    return pane


@pytest.fixture
def active_pane(qtbot) -> Iterator[tuple[EditorPane, QWidget]]:
    """A pane in an active window, beside a field that is not the pane's."""
    window = QWidget()
    qtbot.addWidget(window)
    pane = EditorPane(window)
    outside = QPlainTextEdit(window)
    layout = QHBoxLayout(window)
    layout.addWidget(outside)
    layout.addWidget(pane)
    window.resize(900, 800)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    yield pane, outside  # the frame keeps the window alive (qtbot only closes it)
    window.close()


def test_max_delay_keeps_the_promise_of_a_second() -> None:
    assert editor_module.DRAFT_IDLE_MS < DRAFT_MAX_DELAY_MS < 1000


def test_steady_typing_reaches_the_store_within_a_second_of_each_key(
    qtbot, clock: FakeClock, store: Store
) -> None:
    pane = shown_pane(qtbot, clock)
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    pane.draft_changed.connect(store.drafts.save)
    letter = find(pane, QPlainTextEdit, "letter")
    stored_lengths: list[int] = []
    for i in range(30):  # a key every 100 ms for 3 s, by the pane's clock
        clock.now = i * 0.1
        qtbot.keyClick(letter, TEXT[i])
        draft = store.drafts.get(opp.key)
        saved = draft.cover_letter if draft is not None else ""
        assert TEXT[: i + 1].startswith(saved)
        stored_lengths.append(len(saved))
        # Every key pressed a second or more ago is in the store.
        pressed_a_second_ago = sum(1 for k in range(i + 1) if k * 0.1 <= clock.now - 1.0 + 1e-9)
        assert len(saved) >= pressed_a_second_ago, f"at {clock.now:.1f} s"
    assert len(set(stored_lengths)) >= 4  # it was written again and again while typing


def test_steady_typing_in_real_time_is_saved_while_the_keys_keep_coming(qtbot) -> None:
    pane = shown_pane(qtbot)
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    letter = find(pane, QPlainTextEdit, "letter")
    typed = 0
    saves: list[str] = []
    pane.draft_changed.connect(lambda d: saves.append(d.cover_letter))

    def press() -> None:
        nonlocal typed
        qtbot.keyClick(letter, TEXT[typed % len(TEXT)])
        typed += 1

    keys = QTimer()
    keys.setInterval(50)  # faster than the idle delay: a debounce would never fire
    keys.timeout.connect(press)
    keys.start()
    try:
        qtbot.waitUntil(lambda: len(saves) >= 2, timeout=20_000)
        second = len(saves[1])
        qtbot.waitUntil(lambda: typed >= second + 3, timeout=20_000)  # and typing goes on
    finally:
        keys.stop()
    assert 0 < len(saves[0]) < len(saves[1]) < typed
    for saved in saves:
        assert saved == (TEXT * 2)[: len(saved)]  # what was typed up to that moment


def test_a_pause_in_typing_saves_after_the_idle_delay(qtbot, clock: FakeClock) -> None:
    pane = shown_pane(qtbot, clock)  # the fake clock stands still: only the idle timer runs
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    with qtbot.waitSignal(pane.draft_changed, timeout=5000) as saved:
        qtbot.keyClicks(find(pane, QPlainTextEdit, "letter"), "Hello")
    assert saved.args[0].cover_letter == "Hello"


def test_focus_leaving_any_field_saves_at_once(qtbot, active_pane) -> None:
    pane, _ = active_pane
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    pane.focus_letter()
    letter = find(pane, QPlainTextEdit, "letter")
    answer = find(pane, QPlainTextEdit, "answer_q1")
    amount = find(pane, QDoubleSpinBox, "bid_amount")
    qtbot.waitUntil(letter.hasFocus)
    qtbot.keyClicks(letter, "Dear client")
    # To another field of the same pane: saved before the next key is pressed.
    with qtbot.waitSignal(pane.draft_changed, timeout=100) as saved:
        answer.setFocus()
    assert saved.args[0].cover_letter == "Dear client"
    qtbot.keyClicks(answer, "Twice before")
    with qtbot.waitSignal(pane.draft_changed, timeout=100) as saved:
        amount.setFocus()
    assert saved.args[0].answers[0].answer == "Twice before"
    amount.selectAll()
    qtbot.keyClicks(amount, "55")
    with qtbot.waitSignal(pane.draft_changed, timeout=100) as saved:
        letter.setFocus()
    assert saved.args[0].bid.amount == Decimal("55.00")


def test_switching_job_saves_letter_answers_and_bid_at_once(qtbot, active_pane) -> None:
    pane, _ = active_pane
    first, second = make_opp(), make_opp(external_id="op-2", upwork_job_id="~02def")
    pane.show_opportunity(first, None, (), ACCOUNTS)
    saved: list[Draft] = []
    pane.draft_changed.connect(saved.append)
    answer = find(pane, QPlainTextEdit, "answer_q2")
    answer.setFocus()
    qtbot.waitUntil(answer.hasFocus)
    qtbot.keyClicks(answer, "Thirty hours")
    find(pane, QDoubleSpinBox, "bid_amount").setValue(61)
    pane.show_opportunity(second, None, (), ACCOUNTS)  # before any timer could fire
    [draft] = saved
    assert draft.opportunity_key == first.key
    assert draft.answers[1].answer == "Thirty hours"
    assert draft.bid.amount == Decimal("61.00")


# -- the window: deactivation and quit ------------------------------------------------------


async def until(predicate: Callable[[], object], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.02)


@pytest.fixture
def no_autosave_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the moment under test may save: the throttle's timers wait for ten minutes."""
    monkeypatch.setattr(editor_module, "DRAFT_IDLE_MS", 600_000)
    monkeypatch.setattr(editor_module, "DRAFT_MAX_DELAY_MS", 600_000)


async def start_on(profile: Path) -> tuple[App, str]:
    """The real window on a profile holding one job (no accounts, no sandbox)."""
    opp = make_opp()
    with Store.open(profile) as store:
        store.opportunities.upsert_many([opp])
    app = App(QApplication.instance(), GuiOptions(profile=profile))  # type: ignore[arg-type]
    await app.start()
    for dialog in app.window.findChildren(QDialog):  # the first-run offer: not needed here
        dialog.reject()
    app.window.show_opportunity(opp.key)
    return app, opp.key


async def test_the_window_losing_activation_saves_at_once(
    tmp_path: Path, qtbot, no_autosave_timer: None
) -> None:
    app, key = await start_on(tmp_path / "profile")
    other = QWidget()
    qtbot.addWidget(other)
    try:
        window = app.window
        window.activateWindow()
        await until(window.isActiveWindow)
        window.inbox.setFocus()  # not in an editor field: its focus-out would save too
        await until(window.inbox.hasFocus)
        # Edits without the keyboard (a streamed model draft, a wheel on the bid).
        window.editor.findChild(QPlainTextEdit, "letter").setPlainText("Written meanwhile")
        assert app.services.store.drafts.get(key) is None
        other.show()
        other.activateWindow()
        await until(lambda: not window.isActiveWindow())
        draft = app.services.store.drafts.get(key)
        assert draft is not None and draft.cover_letter == "Written meanwhile"
    finally:
        await app.stop()


async def test_quitting_saves_the_pending_draft_before_the_store_closes(
    tmp_path: Path, no_autosave_timer: None
) -> None:
    profile = tmp_path / "profile"
    app, key = await start_on(profile)
    try:
        window = app.window
        window.editor.focus_letter()
        letter = window.editor.findChild(QPlainTextEdit, "letter")
        letter.insertPlainText("The last words before quitting")
        assert app.services.store.drafts.get(key) is None
    finally:
        await app.stop()
    with Store.open(profile) as store:
        draft = store.drafts.get(key)
    assert draft is not None and draft.cover_letter == "The last words before quitting"


async def test_a_failing_store_is_reported_once_not_at_every_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    services = open_services(tmp_path / "profile")
    bridge = Bridge(
        services, Poller(services.accounts, services.inbox, services.tasks, services.bus)
    )
    errors: list[tuple[str, str]] = []
    bridge.error_occurred.connect(lambda title, text: errors.append((title, text)))
    real_save = services.store.drafts.save
    full = True

    def save(draft: Draft) -> None:
        if full:
            raise DiskFullError(tmp_path)
        real_save(draft)

    monkeypatch.setattr(services.store.drafts, "save", save)
    try:
        draft = Draft(opportunity_key="gigradar:op-1", cover_letter="Typing on")
        with caplog.at_level(logging.WARNING, logger="app.ui.bridge"):
            for _ in range(3):  # three throttled saves of steady typing
                bridge.save_draft(draft)
        assert errors == [("Draft not saved", DiskFullError(tmp_path).user_message)]
        assert len(caplog.records) == 1  # nor is the log flooded
        full = False
        bridge.save_draft(draft)
        assert services.store.drafts.get(draft.opportunity_key) is not None
        full = True
        bridge.save_draft(draft)  # failing again after a success: said again
        assert len(errors) == 2
    finally:
        bridge.detach()
        await services.aclose()
