"""The real window on the real sandbox: what a user does every morning.

Each test starts the GUI's composition root (`App.start`) on the test's qasync loop with
an embedded sandbox at high speed, then drives the widgets like a person would.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from app.domain import Platform, SubmissionState
from app.domain.filters import FilterSpec
from app.services.inbox_text import TextIndex
from app.services.secrets import env_var_for
from app.ui.app import App, GuiOptions
from app.ui.controllers import inbox as inbox_controller
from tests.helpers.wait import wait_for as until  # other GUI tests import it from here

pytestmark = pytest.mark.integration

LETTER = (
    "Hello, I have shipped several projects very close to this one and can start this week. "
    "I would confirm the scope first, then deliver a working version within days, with "
    "weekly milestones you can review. Best regards, Alex"
)


async def start_app(profile: Path, **kw: object) -> App:
    options = GuiOptions(profile=profile, sandbox=True, sandbox_speed=600.0, sandbox_seed=21, **kw)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    return app


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[App]:
    # Not an async fixture: pytest-asyncio would run it on another loop than the test's
    # qasync loop, and the app's tasks would never run.
    app = await start_app(tmp_path / "profile")
    try:
        yield app
    finally:
        await app.stop()


def visible_keys(app: App) -> list[str]:
    model = app.window.model
    return [model.key_at(r) for r in range(model.rowCount())]


def texts(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


async def select_platform(app: App, platform: Platform, *, n: int = 0) -> str:
    """Select the n-th open opportunity of `platform` that can be sent as it stands."""
    store = app.services.store.opportunities

    def candidates() -> list[str]:
        chosen = []
        for key in visible_keys(app):
            if not key.startswith(platform.value + ":"):
                continue
            opp = store.get(key)
            if opp is None or opp.status.value != "open":
                continue
            if platform is Platform.GIGIAC and (
                opp.budget is None or opp.context.get("location_type") == "on_site"
            ):
                continue
            chosen.append(key)
        return chosen

    await until(lambda: len(candidates()) > n)
    key = candidates()[n]
    app.window.inbox.select_key(key)
    await until(lambda: app.window.current_key == key)
    return key


async def fill_and_submit(app: App, letter: str) -> None:
    """Type the letter, answer every question, bid, and press Submit, as a person would."""
    editor = app.window.editor
    editor.findChild(QPlainTextEdit, "letter").setPlainText(letter)
    for edit in editor.findChildren(QPlainTextEdit):
        if edit.objectName().startswith("answer_"):
            edit.setPlainText("Yes — in two recent projects.")
    amount = editor.findChild(QDoubleSpinBox, "bid_amount")
    if amount is not None and amount.isVisible() and amount.value() == 0:
        # A bid that fits the job: which job comes first depends on arrival order, and
        # $450 an hour on a $40-70 job is a warning that asks for confirmation first.
        opp = app.services.store.opportunities.get(app.window.current_key)
        fitting = opp.hourly_max or opp.budget if opp is not None else None
        amount.setValue(float(fitting or 450))
    submit = editor.findChild(QPushButton, "submit")
    await until(submit.isEnabled)  # the policy check is debounced
    submit.click()
    confirm = [b for b in editor.findChildren(QMessageBox) if b.isVisible()]
    assert not confirm, f"Submit asked first: {confirm[0].informativeText()}"


async def test_opportunities_stream_into_the_table(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 40)
        platforms = {k.split(":")[0] for k in visible_keys(desk)}
        assert platforms == {"gigradar", "gigiac"}
        # the status bar speaks for each polling account
        await until(lambda: desk.window.status.status_text("sandbox-gigradar"))
        assert "sandbox-gigradar" in desk.window.status.status_text("sandbox-gigradar")


async def test_filters_narrow_the_inbox(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 40)
        total = desk.window.model.rowCount()
        desk.window.filter_bar.set_spec(FilterSpec(platforms=frozenset({Platform.GIGIAC})))
        desk.window.inbox_controller.on_filter_changed(desk.window.filter_bar.spec())
        gigiac = visible_keys(desk)
        assert 0 < len(gigiac) < total
        assert all(k.startswith("gigiac:") for k in gigiac)
        title = desk.services.store.opportunities.get(gigiac[0]).title
        word = max(title.split(), key=len)
        desk.window.inbox_controller.on_filter_changed(FilterSpec(text=f'"{word}"'))
        # A word with punctuation in it ("Next.js") is checked on a worker: wait for it.
        await until(lambda: desk.window.model.spec().text == f'"{word}"')
        narrowed = visible_keys(desk)
        assert gigiac[0] in narrowed and len(narrowed) < total
        phrase = " ".join(title.split()[:2])  # a phrase: always checked on the worker
        desk.window.inbox_controller.on_filter_changed(FilterSpec(text=f'"{phrase}"'))
        await until(lambda: desk.window.model.spec().text == f'"{phrase}"')
        assert gigiac[0] in visible_keys(desk)
        assert all(
            phrase.lower() in desk.window.model.haystack_of_key(k) for k in visible_keys(desk)
        )


async def test_a_phrase_shows_its_first_rows_before_every_candidate_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase's whole answer reads the text of every candidate on a worker (seconds at a
    million rows): its first rows show at once, exact, and the rest below them later."""
    monkeypatch.setattr(inbox_controller, "PREVIEW_ROWS", 3)
    checking = threading.Event()
    original = TextIndex.compute

    def held(self: TextIndex, terms: list[str]) -> object:
        checking.wait(30)
        return original(self, terms)

    monkeypatch.setattr(TextIndex, "compute", held)
    checked_here: list[int] = []  # candidates read on the window's thread
    check = TextIndex._check

    def counted(self: TextIndex, candidates: object, term: str) -> object:
        if threading.current_thread() is threading.main_thread():
            checked_here.append(len(candidates))  # type: ignore[arg-type]
        return check(self, candidates, term)  # type: ignore[arg-type]

    monkeypatch.setattr(TextIndex, "_check", counted)
    # Rows stored before the start, so the inbox loads them in bulk (into the bitmaps,
    # where a phrase's candidates are read from the store to be checked).
    first_run = await start_app(tmp_path / "profile")
    try:
        await until(lambda: first_run.window.model.rowCount() >= 40)
    finally:
        await first_run.stop()
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 40)
        await until(desk.window.inbox_controller.loaded.is_set)
        model = desk.window.model
        hays = {key: model.haystack_of_key(key) or "" for key in visible_keys(desk)}
        # The two-word phrase most rows hold.
        pairs: dict[str, set[str]] = {}
        for key, hay in hays.items():
            words = hay.split()
            for first, second in itertools.pairwise(words):
                pairs.setdefault(f"{first} {second}", set()).add(key)
        phrase = max(pairs, key=lambda pair: len(pairs[pair]))
        expected = {key for key, hay in hays.items() if phrase in hay}
        assert len(expected) > 3
        # A condition the filter bar counts for ("hidden by"): it must not count the
        # phrase on this thread while the worker checks it.
        bar = desk.window.filter_bar
        counted_for: list[object] = []
        shown_counts = bar.set_facet_counts

        def record(hidden: object, *rest: object) -> None:
            if hidden is not None:
                counted_for.append(bar.spec())
            shown_counts(hidden, *rest)  # type: ignore[arg-type]

        monkeypatch.setattr(bar, "set_facet_counts", record)
        bar.set_spec(FilterSpec(text=f'"{phrase}"', budget_min=Decimal(1)))
        desk.window.inbox_controller.on_filter_changed(bar.spec())
        first = visible_keys(desk)  # at once: the worker is held
        assert len(first) >= 3 and set(first) <= expected
        assert "Searching" in desk.window.statusBar().currentMessage()
        assert bar.counts.text().startswith(f"{len(first)}+ of ")  # more may come
        desk.window.facets._on_timer_timeout()  # its delay is over
        assert not checked_here
        assert not counted_for
        checking.set()
        await until(lambda: "Searching" not in desk.window.statusBar().currentMessage())
        await until(lambda: counted_for == [bar.spec()])  # counted once it was known
        assert "+" not in bar.counts.text()
        assert not checked_here
        whole = visible_keys(desk)  # rows kept streaming in meanwhile: a superset
        assert expected <= set(whole)
        assert all(phrase in (model.haystack_of_key(key) or "") for key in whole)
        # The rest came in below the first rows (rows new since may be above them).
        assert [key for key in whole if key in first] == first
        above = whole[: whole.index(first[-1])]
        assert all(key in first or key not in hays for key in above)


async def test_a_draft_is_autosaved_and_restored_after_a_rebuild(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    app = await start_app(profile)
    try:
        await until(lambda: app.window.model.rowCount() >= 10)
        key = await select_platform(app, Platform.GIGRADAR)
        letter = app.window.editor.findChild(QPlainTextEdit, "letter")
        letter.setPlainText("Draft in progress: I built a freight rate engine last spring.")
        await until(lambda: app.services.store.drafts.get(key) is not None, timeout=3)
        assert (
            app.window.model.data(app.window.model.index(app.window.model.row_of(key), 0))
            is not None
        )
    finally:
        await app.stop()
    again = await start_app(profile)
    try:
        await until(lambda: again.window.model.row_of(key) is not None)
        again.window.inbox.select_key(key)
        await until(lambda: again.window.current_key == key)
        restored = again.window.editor.findChild(QPlainTextEdit, "letter").toPlainText()
        assert restored == "Draft in progress: I built a freight rate engine last spring."
    finally:
        await again.stop()


async def test_submit_shows_the_lifecycle_to_the_final_state(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        key = await select_platform(desk, Platform.GIGRADAR)
        await fill_and_submit(desk, LETTER + " [[sim:sent]]")
        await until(
            lambda: any(
                s.state is SubmissionState.SUBMITTED
                for s in desk.services.store.submissions.by_opportunity(key)
            )
        )
        await until(
            lambda: (
                "Submitted" in texts(desk.window.editor) or "submitted" in texts(desk.window.editor)
            )
        )
        pane = desk.window.submissions
        assert pane.model.rowCount() == 1
        row_state = desk.window.model.data(
            desk.window.model.index(desk.window.model.row_of(key), 9)
        )
        assert "ubmitted" in str(row_state)
        # the button cannot send twice
        assert not desk.window.editor.findChild(QPushButton, "submit").isEnabled()


@pytest.mark.parametrize(
    ("token", "words"),
    [("[[sim:error:2006]]", "requirements exclude"), ("[[sim:error:234]]", "sending hours")],
)
async def test_failure_states_show_their_reason(tmp_path: Path, token: str, words: str) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        key = await select_platform(desk, Platform.GIGRADAR, n=1)
        await fill_and_submit(desk, f"{LETTER} {token}")
        await until(
            lambda: any(
                s.state is SubmissionState.FAILED
                for s in desk.services.store.submissions.by_opportunity(key)
            )
        )
        await until(lambda: words in texts(desk.window.editor))


async def test_a_closed_job_is_a_clear_message(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        key = await select_platform(desk, Platform.GIGIAC)
        desk.sandbox.close_task(key.split(":", 1)[1])
        await fill_and_submit(desk, LETTER)
        await until(lambda: "no longer available" in texts(desk.window.editor))


async def test_a_429_storm_is_a_status_not_a_crash(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        desk.sandbox.faults.set_spec("429=1.0")
        desk.window.bridge.refresh(None)
        await until(lambda: "✖" in desk.window.status.status_text("sandbox-gigiac"), timeout=20)
        desk.sandbox.faults.set_spec("")
        desk.sandbox.faults.clear()
        assert desk.window.isVisible()


async def test_a_missing_key_is_a_sentence(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        # The sandbox handed its key over for this run only (never the environment).
        assert not os.environ.get(env_var_for("sandbox-gigiac"))
        desk.services.secrets.override("sandbox-gigiac", None)
        client = desk.services.accounts.cached_adapter("sandbox-gigiac")
        desk.services.accounts._adapters.pop("sandbox-gigiac", None)  # forget the loaded key
        if client is not None:
            await client.aclose()
        key = await select_platform(desk, Platform.GIGIAC, n=1)
        await fill_and_submit(desk, LETTER)
        await until(
            lambda: any(
                s.state is SubmissionState.FAILED
                for s in desk.services.store.submissions.by_opportunity(key)
            )
        )
        await until(lambda: "BIDDESK_API_KEY_SANDBOX_GIGIAC" in texts(desk.window.editor))


async def test_keyboard_moves_and_archives(tmp_path: Path, qtbot) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 10)
        view = desk.window.inbox
        view.setFocus()
        first = desk.window.current_key
        qtbot.keyClick(view, Qt.Key.Key_J)
        await until(lambda: desk.window.current_key != first)
        second = desk.window.current_key
        qtbot.keyClick(view, Qt.Key.Key_A)
        await until(lambda: desk.window.model.row_of(second) is None)
        assert desk.services.store.opportunities.flags(second).archived


def letter_text(app: App) -> str:
    return app.window.editor.findChild(QPlainTextEdit, "letter").toPlainText()


async def test_draft_from_the_template_fills_the_letter(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        key = await select_platform(desk, Platform.GIGRADAR)
        title = desk.services.store.opportunities.get(key).title
        desk.window.editor.findChild(QAction, "draft_template").trigger()
        assert title in letter_text(desk)
        assert "{" not in letter_text(desk)  # every variable filled


async def test_a_model_draft_streams_into_the_letter(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await select_platform(desk, Platform.GIGRADAR)
        lengths: list[int] = []
        letter = desk.window.editor.findChild(QPlainTextEdit, "letter")
        letter.textChanged.connect(lambda: lengths.append(len(letter.toPlainText())))
        desk.window.editor.findChild(QAction, "draft_model").trigger()
        await until(lambda: not desk.services.tasks.running("draft:model") and lengths)
        assert len(letter_text(desk)) > 200
        assert len({n for n in lengths if n > 0}) > 5  # it arrived in pieces, not at once
        assert not desk.window.editor.drafting
        assert "Drafted by biddesk-sandbox-writer" in desk.window.statusBar().currentMessage()
        # the rules ran on the finished letter at once: no stale "empty" error
        assert "The cover letter is empty." not in texts(desk.window.editor)


async def test_stop_keeps_what_the_model_wrote_so_far(tmp_path: Path) -> None:
    options = GuiOptions(profile=tmp_path / "p", sandbox=True, sandbox_speed=1.0, sandbox_seed=21)
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    await app.start()
    try:
        await select_platform(app, Platform.GIGRADAR)
        app.window.editor.findChild(QAction, "draft_model").trigger()
        await until(lambda: len(letter_text(app)) > 20)
        assert "The cover letter is empty." not in texts(app.window.editor)  # mid-stream
        app.window.editor.findChild(QPushButton, "draft_stop").click()
        await until(lambda: not app.window.editor.drafting)
        kept = letter_text(app)
        # The stream's task is gone, so nothing can write into the letter any more.
        await until(lambda: not app.services.tasks.running("draft:model"))
        assert letter_text(app) == kept and len(kept) > 20  # stopped, and the text stays
        assert not app.window.editor.findChild(QPlainTextEdit, "letter").isReadOnly()
        assert "Stopped" in app.window.statusBar().currentMessage()
    finally:
        await app.stop()
