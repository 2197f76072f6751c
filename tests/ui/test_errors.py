"""One error path for the window, dialogs that never outlive their C++ object, and a status
bar that tells the truth about webhooks.

The window tests run the real App on the real sandbox (as tests/ui/test_window.py does)
with the app's own excepthook installed, so an exception in a slot takes the path it
takes for a user: logged with its traceback, shown by the one presenter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QInputDialog,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from app.domain import Platform
from app.ingest.realtime import RealtimeConfig, Setup
from app.services.events import RealtimeStatus
from app.ui.app import App, GuiOptions, _install_excepthook
from app.ui.dialogs._lifetime import alive
from app.ui.dialogs.accounts import AccountsDialog
from app.ui.dialogs.error import MAX_OPEN, ErrorDialog, ErrorPresenter
from app.ui.dialogs.webhooks import WebhooksDialog
from app.ui.status_bar import describe_webhooks
from tests.ui.test_window import running, until

ERROR = logging.ERROR


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= ERROR]


def boxes(app: App) -> list[ErrorDialog]:
    assert app.window is not None
    return [d for d in app.window.findChildren(ErrorDialog) if alive(d) and d.isVisible()]


@pytest.fixture
def app_excepthook(monkeypatch: pytest.MonkeyPatch) -> list[App]:
    """The app's sys.excepthook, as `run_gui` installs it; restored after the test."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    ref: list[App] = []
    _install_excepthook(ref)
    return ref


class Emitter(QObject):
    fired = Signal(int)


def _raise_in_slot(n: int) -> None:
    raise KeyError(f"no row for opportunity {n % 1}")  # the same message each time


# -- the presenter ------------------------------------------------------------------------


def _fail(message: str) -> BaseException:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return exc


def test_the_same_error_again_is_one_non_modal_box_with_a_count(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    presenter = ErrorPresenter(parent)
    for _ in range(5):
        box = presenter.present_exception(_fail("Internal C++ object already deleted"))
    assert presenter.dialogs() == [box]
    assert box.isVisible()
    assert box.windowModality() is Qt.WindowModality.NonModal
    assert QApplication.activeModalWidget() is None
    assert "This happened 5 times." in box.informativeText()
    assert "Traceback" in box.detailedText()
    # The same title and sentence from elsewhere is the same error too.
    presenter.present("Not sent", "The platform refused it.")
    presenter.present("Not sent", "The platform refused it.")
    assert len(presenter.dialogs()) == 2
    assert "2 times" in presenter.dialogs()[1].informativeText()
    # Closed, the next occurrence opens a fresh box counting from one.
    box.close()
    again = presenter.present_exception(_fail("Internal C++ object already deleted"))
    assert again is not box and again.informativeText() == ""


def test_a_flood_of_different_errors_never_stacks_more_than_a_few_boxes(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    presenter = ErrorPresenter(parent)
    for n in range(40):  # a different message AND a different origin each time
        presenter.present(f"Error {n}", f"Something else went wrong ({n}).", keys=[("o", str(n))])
    open_boxes = presenter.dialogs()
    assert len(open_boxes) == MAX_OPEN
    assert f"{40 - MAX_OPEN} other errors followed" in open_boxes[-1].informativeText()


def test_the_same_origin_counts_as_the_same_error(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    presenter = ErrorPresenter(parent)
    for n in range(3):  # one task failing with a different message each time
        presenter.present_exception(_fail(f"attempt {n}"), origin="task startup:reconcile")
    [box] = presenter.dialogs()
    assert "3 times" in box.informativeText()


# -- the webhooks dialog's lifetime -------------------------------------------------------


async def test_closing_the_webhooks_dialog_then_many_status_updates_is_quiet(
    tmp_path: Path, app_excepthook: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path) as app:
        app_excepthook.append(app)
        assert app.window is not None and app.realtime is not None
        await until(lambda: "Webhooks: up" in app.window.status.webhooks.text())
        app.window.open_webhooks()
        dialog = app.window.webhooks.dialog
        assert isinstance(dialog, WebhooksDialog) and dialog.isVisible()
        dialog.reject()  # Close
        await until(lambda: not alive(dialog))  # deleted: WA_DeleteOnClose
        assert app.window.webhooks.dialog is None

        caplog.clear()
        status = app.realtime.status()
        for n in range(60):  # as the bridge delivers them during a burst of deliveries
            app.window.bridge.realtime_status_changed.emit(status)
            app.services.bus.publish(app.realtime.status())
            if n % 10 == 0:
                await asyncio.sleep(0)  # let queued events and deferred deletes run
        assert boxes(app) == []
        assert errors_logged(caplog) == []
        assert "Webhooks:" in app.window.status.webhooks.text()

        # Opened again, the new dialog gets the live status; the old one never does.
        app.window.open_webhooks()
        second = app.window.webhooks.dialog
        assert second is not None and second is not dialog
        app.window.bridge.realtime_status_changed.emit(
            RealtimeStatus(enabled=True, provider="none", state="restarting", message="probe")
        )
        assert "probe" in second.state.text()
        app.window.open_webhooks()  # a second click raises the open one
        assert app.window.webhooks.dialog is second
        assert len([d for d in app.window.findChildren(WebhooksDialog) if d.isVisible()]) == 1
        second.reject()
        await until(lambda: not alive(second))
        assert boxes(app) == [] and errors_logged(caplog) == []


async def test_dialogs_closed_before_their_work_ends_are_never_called(
    tmp_path: Path, app_excepthook: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    """The accounts list refreshed after its dialog closed, the templates preview after
    the selection moved: no call reaches a deleted dialog."""
    from app.ui.dialogs.accounts import AccountForm
    from app.ui.dialogs.templates import TemplatesDialog

    async with running(tmp_path) as app:
        app_excepthook.append(app)
        window = app.window
        assert window is not None and app.sandbox is not None
        window.open_accounts()
        [accounts] = [d for d in window.findChildren(AccountsDialog) if d.isVisible()]
        accounts.reject()
        await until(lambda: not alive(accounts))
        window.open_templates()
        [templates] = [d for d in window.findChildren(TemplatesDialog) if d.isVisible()]
        templates.reject()
        await until(lambda: not alive(templates))
        caplog.clear()
        # Saving an account (the first-run dialog's path) refreshes an accounts list only
        # if one is open; moving the selection previews only in open templates.
        gigiac = app.sandbox.info.gigiac
        form = AccountForm(
            name="later-account",
            platform=Platform.GIGIAC,
            base_url=gigiac.base_url,
            api_key=gigiac.api_key,
        )
        window.accounts.save(form, editing=None)
        await until(lambda: window.model.rowCount() > 1)
        window.inbox.select_key(window.model.key_at(1))
        await asyncio.sleep(0)
        assert boxes(app) == [] and errors_logged(caplog) == []
        assert app.services.accounts.get("later-account").platform is Platform.GIGIAC


def _uphunt_setup() -> Setup:
    return Setup(
        "uh", Platform.UPHUNT, "https://x.example/hooks/uphunt/uh", False, False, ("Open UpHunt",)
    )


def test_the_signing_secret_is_asked_without_a_nested_event_loop(qtbot) -> None:
    dialog = WebhooksDialog(RealtimeConfig(enabled=True))
    qtbot.addWidget(dialog)
    dialog.set_setups([_uphunt_setup()])
    dialog.show()
    row = dialog.rows["uh"]
    row.set_secret.click()  # returns at once: the box is open()ed, not exec()ed
    box = row.findChild(QInputDialog, "signingSecretBox")
    assert box is not None and box.isVisible()
    assert box.textEchoMode() is QLineEdit.EchoMode.Password
    with qtbot.waitSignal(dialog.set_secret_requested) as got:
        box.setTextValue("  whsec_123  ")
        box.accept()
    assert got.args == ["uh", "whsec_123"]

    # The rows rebuilt while the box is open (the tunnel changed): the box goes with its
    # row; nothing is called on a deleted one.
    row.set_secret.click()
    box = row.findChild(QInputDialog, "signingSecretBox")
    assert box is not None
    dialog.set_setups([_uphunt_setup()])
    qtbot.waitUntil(lambda: not alive(box))


# -- one error path -----------------------------------------------------------------------


@pytest.mark.allow_error_log("the slot's exception is logged on purpose", logger="app.ui.app")
async def test_an_exception_in_a_slot_is_logged_with_its_traceback_and_shown_once(
    tmp_path: Path, app_excepthook: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path) as app:
        app_excepthook.append(app)
        emitter = Emitter()
        emitter.fired.connect(_raise_in_slot)
        caplog.clear()
        for n in range(4):
            emitter.fired.emit(n)
        records = [r for r in errors_logged(caplog) if r.exc_info is not None]
        assert len(records) == 4
        assert all(r.exc_info[0] is KeyError for r in records)  # type: ignore[index]
        assert "_raise_in_slot" in caplog.text and "Traceback" in caplog.text
        [box] = boxes(app)
        assert "no row for opportunity 0" in box.text()
        assert "This happened 4 times." in box.informativeText()
        assert "_raise_in_slot" in box.detailedText()
        caplog.clear()  # the errors were the point of the test


@pytest.mark.allow_error_log("the failed task is logged on purpose", logger="app.services.tasks")
@pytest.mark.allow_error_log("the loop's error is logged on purpose", logger="app.ui.app")
async def test_a_failed_task_and_a_loop_error_take_the_same_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path) as app:
        caplog.clear()

        async def broken() -> None:
            raise LookupError("the opportunity vanished")

        for _ in range(3):
            task = app.services.tasks.spawn(broken(), name="refresh:42")
            await asyncio.gather(task, return_exceptions=True)
        await until(lambda: len(boxes(app)) == 1)
        await until(lambda: "3 times" in boxes(app)[0].informativeText())
        logged = [r for r in errors_logged(caplog) if r.exc_info is not None]
        assert len(logged) == 3 and "refresh:42" in logged[0].getMessage()

        try:
            raise OSError("a socket closed under a callback")
        except OSError as exc:
            asyncio.get_running_loop().call_exception_handler(
                {"message": "Exception in callback", "exception": exc}
            )
        await until(lambda: len(boxes(app)) == 2)
        assert "a socket closed under a callback" in boxes(app)[1].text()
        assert any(
            r.exc_info is not None and r.exc_info[0] is OSError for r in errors_logged(caplog)
        )
        caplog.clear()  # these errors were the point of the test


def click(box: ErrorDialog) -> None:
    """A click through the window system, where a modal dialog blocks what it blocks
    (a click sent to the widget itself would bypass that)."""
    button = box.button(QMessageBox.StandardButton.Close)
    position = button.mapTo(box, button.rect().center())
    QTest.mouseClick(
        box.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, position
    )


def test_an_error_while_a_modal_dialog_is_open_can_be_closed(qtbot) -> None:
    """Not on the app's loop: a click through the window system processes events inside
    QTest, which must not happen inside a running asyncio task."""
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    presenter = ErrorPresenter(window)
    settings = QDialog(window)  # a settings dialog, opened window-modal as they all are
    settings.resize(400, 300)
    settings.open()
    assert QApplication.activeModalWidget() is settings
    box = presenter.present("Not sent", "The platform refused it.")
    qtbot.waitExposed(box)
    assert box.parentWidget() is settings  # over the modal dialog, not blocked by it
    click(box)
    qtbot.waitUntil(lambda: not alive(box) or not box.isVisible())
    assert settings.isVisible()  # only the error went away
    settings.reject()
    again = presenter.present("Not sent", "Again.")
    assert again.parentWidget() is window
    qtbot.waitExposed(again)
    click(again)
    qtbot.waitUntil(lambda: not alive(again) or not again.isVisible())


@pytest.mark.allow_error_log(
    "what the broad handler caught is logged", logger="app.ui.controllers.accounts"
)
async def test_a_broad_handler_logs_what_it_caught_with_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path) as app:
        assert app.window is not None and app.services is not None
        accounts = app.services.accounts

        async def broken(name: str) -> None:
            raise sqlite3.InterfaceError("bad parameter binding")  # a bug, not bad input

        monkeypatch.setattr(accounts, "aremove", broken)
        caplog.clear()
        await app.window.accounts.remove("sandbox-gigiac", AccountsDialog(app.window))
        [record] = errors_logged(caplog)
        assert record.exc_info is not None and record.exc_info[0] is sqlite3.InterfaceError
        assert "sandbox-gigiac" in record.getMessage()
        [box] = boxes(app)
        assert box.windowTitle() == "Account not removed"
        assert box.text() == "bad parameter binding"
        caplog.clear()  # the error was the point of the test

        # Expected errors keep their sentence and log no traceback.
        monkeypatch.undo()
        await app.window.accounts.remove("nobody", AccountsDialog(app.window))
        assert errors_logged(caplog) == []
        assert any("no account named" in b.text() for b in boxes(app))


@pytest.mark.allow_error_log("the thread's exception is logged on purpose", logger="app.ui.app")
async def test_an_exception_in_a_thread_is_logged_and_shown_on_the_loop(
    tmp_path: Path, app_excepthook: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path) as app:
        app_excepthook.append(app)

        def work() -> None:
            raise MemoryError("the import worker ran out of memory")

        worker = threading.Thread(target=work, name="import-worker")
        worker.start()
        await asyncio.to_thread(worker.join)
        await until(lambda: len(boxes(app)) == 1)
        assert "the import worker ran out of memory" in boxes(app)[0].text()
        [record] = errors_logged(caplog)
        assert "import-worker" in record.getMessage() and record.exc_info is not None
        caplog.clear()  # the error was the point of the test


@contextlib.asynccontextmanager
async def run_whole(tmp_path: Path) -> AsyncIterator[tuple[App, asyncio.Task[int]]]:
    """`App.run()` itself: the quit path a user takes, up to the loop's coroutine ending."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    options = GuiOptions(
        profile=tmp_path / "profile", sandbox=True, sandbox_speed=600.0, sandbox_seed=21
    )
    app = App(QApplication.instance(), options)  # type: ignore[arg-type]
    task = asyncio.ensure_future(app.run())
    try:
        await until(lambda: app.window is not None and app.window.isVisible())
        yield app, task
    finally:
        app.request_quit()
        await asyncio.wait_for(asyncio.shield(task), 15)
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.mark.allow_error_log("the error behind the open box is logged", logger="app.ui.app")
async def test_quit_while_an_error_box_is_open_quits(
    tmp_path: Path, app_excepthook: list[App], caplog: pytest.LogCaptureFixture
) -> None:
    async with run_whole(tmp_path) as (app, task):
        app_excepthook.append(app)
        window = app.window
        assert window is not None
        window.show_error("Not sent", "The platform refused it.")
        emitter = Emitter()
        emitter.fired.connect(_raise_in_slot)
        emitter.fired.emit(1)
        [first, second] = boxes(app)
        assert first.isVisible() and second.isVisible()
        assert QApplication.activeModalWidget() is None  # nothing blocks the window
        assert window.action_quit.isEnabled()
        caplog.clear()

        window.action_quit.trigger()  # the toolbar's Quit / Ctrl+Q
        code = await asyncio.wait_for(asyncio.shield(task), 15)
        assert code == 0
        assert app.services is not None and app.services.tasks.names() == []
        await until(lambda: not alive(first) and not alive(second))
        assert errors_logged(caplog) == []


# -- the status bar tells the truth -------------------------------------------------------


def test_describe_webhooks_is_up_only_when_every_registration_is_done() -> None:
    base = dict(enabled=True, provider="none", state="up", public_url="http://127.0.0.1:1")
    up = RealtimeStatus(**base, healthy_accounts=("gr", "uh"))  # type: ignore[arg-type]
    assert describe_webhooks(up)[0] == "⇄ Webhooks: up"
    busy = RealtimeStatus(**base, registering=("gr",))  # type: ignore[arg-type]
    assert describe_webhooks(busy)[0] == "… Webhooks: registering"
    failed = RealtimeStatus(
        **base,  # type: ignore[arg-type]
        registration_failures=(("gr", "GigRadar refused the webhook: HTTP 500"),),
    )
    text, tip = describe_webhooks(failed)
    assert text == "✖ Webhooks: registration failed"
    assert tip.splitlines()[0] == "Registration failed — gr: GigRadar refused the webhook: HTTP 500"


async def test_the_status_bar_shows_a_failed_gigradar_registration_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(tmp_path) as app:
        assert app.window is not None and app.realtime is not None and app.sandbox is not None
        label = app.window.status.webhooks
        await until(lambda: label.text().startswith("⇄ Webhooks: up"))
        # GigRadar answers 500 to every new webhook from now on; the settings are applied
        # again (Save and apply), so BidDesk registers afresh and fails.
        app.sandbox.faults.inject(
            "500", platform="gigradar", method="POST", path_contains="webhooks", count=1_000
        )
        old = app.realtime
        app._on_window_webhooks_changed()
        await until(lambda: app.realtime is not None and app.realtime is not old)
        await until(lambda: "registration failed" in label.text(), timeout=30)
        assert "Webhooks: up" not in label.text()
        assert "color: #b3261e" in label.styleSheet()
        first = label.toolTip().splitlines()[0]
        assert first.startswith("Registration failed — sandbox-gigradar: GigRadar refused")
        assert not app.realtime.healthy("sandbox-gigradar")
        # UpHunt and Gigiac need no registration: they are not reported as failing.
        assert "sandbox-uphunt" not in label.toolTip().split("Tunnel:")[0]

        # The fault gone, the next registration succeeds and the bar says up again.
        app.sandbox.faults.clear()
        await app.realtime.register_all()
        await until(lambda: label.text().startswith("⇄ Webhooks: up"))
        assert "Registration failed" not in label.toolTip()
        assert errors_logged(caplog) == []  # a refused registration is no bug: no ERROR
