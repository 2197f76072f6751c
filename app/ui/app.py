"""The GUI's composition root: Qt, one qasync loop, the services, the window.

Start-up order (STYLE.md §4): create the QApplication, then run ONE coroutine on
`asyncio.Runner(loop_factory=qasync.QEventLoop)` that builds the services, shows the
window, and awaits a shutdown future. Every way out (the window's Quit, closing the
window, SIGTERM, the session ending) resolves that future; the coroutine then cancels
background tasks, closes HTTP clients and the database within 2 s, and returns — which
stops the loop. `QApplication.quit()` is never called directly: qasync would stop the
loop before the cleanup coroutine finished ("Event loop stopped before Future completed").

A database that cannot be opened at start (damaged, from a newer BidDesk, locked,
unwritable) ends that coroutine's start with a `StoreError`; the same loop then shows the
database-problem dialog (`app.ui.controllers.database`) and starts again with the
user's answer — a restored backup or another profile — or quits. Never a silent exit.

One error path: every unexpected exception — uncaught (`sys.excepthook`, which PySide
also calls for an exception raised in a slot), a failed background task (the task
manager's failure listener), or one the asyncio loop reports (its exception handler) — is
logged with its traceback and shown by the window's one `ErrorPresenter`, which folds
repeats into one non-modal box with a count.
"""

# ruff: noqa: E402  (the first-party imports follow `drop_feature_import_hook()` on purpose)

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtCore import QSize, QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication


def drop_feature_import_hook() -> None:
    """Give `import` back to Python: PySide6 replaces `builtins.__import__` with a hook
    for its `from __feature__ import ...` (which BidDesk never uses) that reads the whole
    source of every module imported after Qt (`inspect.getsource`, PYSIDE-2029) — about
    a third of the window's import time in stack samples of the start. PySide's docs keep
    the original in `builtins.__orig_import__`. The hook is put back after any import made
    through it (the C side restores it on return), so the start calls this again before
    its late imports."""
    import builtins

    hook = getattr(builtins, "__feature_import__", None)
    original = getattr(builtins, "__orig_import__", None)
    if hook is not None and original is not None and builtins.__import__ is hook:
        builtins.__import__ = original


drop_feature_import_hook()  # before the imports below: they are most of the start's

from app import __version__
from app import instance as single_instance
from app.domain import Account, utcnow
from app.ingest.poller import Poller
from app.instance import AlreadyRunning, InstanceLock, instance_name
from app.services.container import Services, open_services
from app.services.drafting import MODEL_KEY, SECRET_NAME
from app.services.events import RealtimeStatus
from app.services.notifications import Notification, NotificationKind, NotificationService
from app.services.secrets import SecretStore, env_var_for
from app.store import database_url
from app.store.errors import StoreError
from app.store.paths import data_dir
from app.ui.bridge import Bridge
from app.ui.collector import MainThreadCollector
from app.ui.dialogs._lifetime import alive
from app.ui.loop import next_pass

if TYPE_CHECKING:
    from app.ingest.realtime import Realtime, RealtimeConfig
    from app.ingest.runtime import Runtime
    from app.ingest.webhooks import HookCredentials
    from app.sandbox import Sandbox
    from app.services.autostart import Autostart
    from app.ui.controllers.team_page import TeamPageController
    from app.ui.dialogs.preferences import PreferencesDialog, PreferenceValues
    from app.ui.dialogs.preferences_team import TeamPage
    from app.ui.main_window import MainWindow
    from app.ui.tray import Tray

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 2.0


def _resources_dir() -> Path:
    """`resources/` beside the source tree, or inside the bundle when frozen by PyInstaller."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


RESOURCES = _resources_dir()
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app icon from its rendered PNG sizes: crisp at each size, no SVG plugin needed."""
    icon = QIcon()
    for size in APP_ICON_SIZES:
        path = RESOURCES / "icons" / f"biddesk-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    return icon


WARM_UP_DELAY_MS = 4_000  # after the busy first seconds (inbox load, first polls)


@dataclass(frozen=True)
class GuiOptions:
    profile: Path | None = None
    sandbox: bool = False
    sandbox_speed: float = 20.0
    sandbox_seed: int = 7
    sandbox_history: bool = False  # past proposals for Insights (always in a temporary profile)
    screenshot: Path | None = None
    quit_after: float | None = None
    hidden: bool = False  # start in the tray (minimized without one): login starts


def _server_name(directory: Path) -> str:
    return instance_name(directory)


def _another_instance_raised(name: str) -> bool:
    """Windows only (elsewhere `app.instance` answers before Qt loads): ask a running
    BidDesk on this profile, through Qt's named pipe, to show its window."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(300):
        return False
    socket.write(b"raise\n")
    socket.flush()
    socket.waitForBytesWritten(300)
    socket.disconnectFromServer()
    return True


class App:
    """Owns the running GUI session: services, sandbox, window, shutdown."""

    def __init__(
        self, qapp: QApplication, options: GuiOptions, *, instance: InstanceLock | None = None
    ) -> None:
        self.qapp = qapp
        self.options = options
        # The profile's single-instance claim: made by `app.launch` before Qt loaded
        # (then closed by it), or here in `start` (then closed by `stop`).
        self._instance = instance
        self._owns_instance = False
        self._instance_notifier: QSocketNotifier | None = None
        self.services: Services | None = None
        self.window: MainWindow | None = None
        self.bridge: Bridge | None = None
        self.runtime: Runtime | None = None  # polling, webhooks, notifications, tracking
        # Set once `runtime` exists (after the first rows): what the window asks of it
        # before then (the first-run dialog's sandbox, saved webhooks) waits for it.
        self._runtime_built = asyncio.Event()
        self.sandbox: Sandbox | None = None
        self.tray: Tray | None = None
        self._autostart: Autostart | None = None  # made when first needed (after the paint)
        self._preferences: PreferencesDialog | None = None
        self._server: QLocalServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._shutdown: asyncio.Future[int] | None = None
        self._warm_up_timer: QTimer | None = None
        self.directory: Path | None = None  # the profile folder, once start() chose it
        self._unhook_errors: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._collector: MainThreadCollector | None = None
        self.exit_code = 0

    @property
    def autostart(self) -> Autostart:
        """The start-at-login entry (tests give one writing to a temporary folder)."""
        if self._autostart is None:
            from app.services.autostart import Autostart

            self._autostart = Autostart()
        return self._autostart

    @autostart.setter
    def autostart(self, autostart: Autostart) -> None:
        self._autostart = autostart

    @property
    def poller(self) -> Poller | None:
        return None if self.runtime is None else self.runtime.poller

    @property
    def realtime(self) -> Realtime | None:
        return None if self.runtime is None else self.runtime.realtime

    @property
    def notifications(self) -> NotificationService | None:
        return None if self.runtime is None else self.runtime.notifications

    # -- lifecycle ------------------------------------------------------------------------

    def request_quit(self, code: int = 0) -> None:
        if self._shutdown is not None and not self._shutdown.done():
            self._shutdown.set_result(code)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._shutdown = loop.create_future()
        self.qapp.aboutToQuit.connect(lambda: self.request_quit(self.exit_code))
        with contextlib.suppress(ValueError, OSError, RuntimeError):
            signal.signal(signal.SIGTERM, lambda *_: loop.call_soon_threadsafe(self.request_quit))
            signal.signal(signal.SIGINT, lambda *_: loop.call_soon_threadsafe(self.request_quit))
        try:
            await self.start()
            code = await self._shutdown
        finally:
            await self.stop()
        return code

    async def start(self) -> None:
        """Build everything and show the window (tests call this on their own loop)."""
        drop_feature_import_hook()  # an importer may have put it back (see there)
        profile = self.options.profile
        if profile is None and self.options.sandbox:
            self._tmp = tempfile.TemporaryDirectory(prefix="biddesk-sandbox-")
            profile = Path(self._tmp.name)
        directory = self.directory = data_dir(profile)
        # From here on worker threads allocate: garbage cycles holding Qt objects must be
        # collected on this thread, never on theirs (app/ui/collector.py).
        self._collector = MainThreadCollector(self.qapp)
        # On a team database, opening the services reads the team's password from the
        # keyring, whose first use looks for its backend (plugins, a compiler run to find
        # macOS' library: 0.15 s of the PostgreSQL start in a profile); that runs on a
        # worker while the window's modules import here.
        keyring_ready = (
            asyncio.ensure_future(asyncio.to_thread(SecretStore().status))
            if database_url(None, directory)
            else None
        )
        from app.ui.main_window import MainWindow

        self._listen(directory)
        if keyring_ready is not None:
            with contextlib.suppress(Exception):  # opening the services says what is wrong
                await keyring_ready
        self.services = open_services(directory)
        if self.options.sandbox:
            await self._start_sandbox()
        services = self.services
        # The bridge polls through the runtime's poller, which comes with the runtime after
        # the first rows are painted (`_build_runtime`); until then, an unstarted one.
        self.bridge = Bridge(
            services, Poller(services.accounts, services.inbox, services.tasks, services.bus)
        )
        self.window = MainWindow(services, self.bridge, sandbox=self.sandbox is not None)
        self._hook_errors()
        self.window.quit_requested.connect(self.request_quit)
        self.window.sandbox_requested.connect(self._on_window_sandbox_requested)
        self.window.webhooks_changed.connect(self._on_window_webhooks_changed)
        self.window.preferences_requested.connect(self.open_preferences)
        if self.options.hidden:
            await self._build_runtime()  # the tray is the window's way back: before it
        self.window.restore_state()
        hidden = self._show_window()
        await self.window.load()  # the inbox, drafts, submissions (off the loop)
        # The rest in slices of its own, each after a pass of the loop: the first rows are
        # painted before any of it (each was a part of the start's longest stall).
        await next_pass()
        if (
            not services.accounts.list()
            and self.sandbox is None
            and self.options.screenshot is None
            and not hidden
        ):
            self.window.offer_first_run()
            await next_pass()
        if self.runtime is None:
            await self._build_runtime()
        assert self.runtime is not None
        await self.runtime.start()  # tracking, webhooks, polling
        await next_pass()
        self._repair_autostart()
        self._show_realtime()
        self._schedule_warm_up()
        if self.options.screenshot is not None or self.options.quit_after is not None:
            QTimer.singleShot(
                int((self.options.quit_after or 3.0) * 1000), self._finish_scripted_run
            )

    async def _build_runtime(self) -> None:
        """Polling, webhooks, notifications, tracking (`Runtime`), and the tray that shows
        the notifications. The runtime's module brings the webhook receiver and aiohttp,
        whose import alone builds an SSL context: a tenth of a second or more of the start
        that the first screen of rows does not need. It is imported on a worker (the
        loop keeps painting; the collector is the GUI thread's, app/ui/collector.py)."""
        await asyncio.to_thread(importlib.import_module, "app.ingest.runtime")
        from app.ingest.runtime import Runtime

        assert self.services is not None and self.bridge is not None
        runtime = self.runtime = Runtime(
            self.services,
            adjust_config=self._adjust_realtime_config,
            notify=self._show_notification,
            dashboard_hook=self._sandbox_dashboard,
        )
        # The bridge's interim poller never started; a pause asked of it meanwhile holds.
        interim, self.bridge.poller = self.bridge.poller, runtime.poller
        if interim.paused:
            runtime.poller.pause()
        self._runtime_built.set()
        await next_pass()
        self._start_tray()

    # -- errors ---------------------------------------------------------------------------

    def report_exception(self, exc: BaseException, *, origin: str | None = None) -> None:
        """Show an unexpected exception the caller has logged (one box per repeat)."""
        window = self.window
        if window is None or not alive(window):
            return  # before the window or after it: the log has it
        try:
            window.errors.present_exception(exc, origin=origin)
        except Exception:  # showing an error must never raise where it was caught
            log.exception("showing an error failed")

    def report_exception_threadsafe(self, exc: BaseException) -> None:
        """From another thread: show it on the window's loop (the caller logged it)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self.report_exception, exc)

    def _hook_errors(self) -> None:
        """Task failures and the loop's exceptions go to the log and the one presenter."""
        assert self.services is not None
        loop = asyncio.get_running_loop()
        self._loop = loop
        previous = loop.get_exception_handler()

        def on_task_failed(name: str, exc: BaseException) -> None:
            # The task manager logged it with its traceback already.
            self.report_exception(exc, origin=f"task {name}")

        def on_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            message = context.get("message") or "an error on the event loop"
            if isinstance(exc, BaseException):
                log.error("%s", message, exc_info=exc)
                task = context.get("task") or context.get("future")
                origin = task.get_name() if isinstance(task, asyncio.Task) else None
                self.report_exception(exc, origin=f"task {origin}" if origin else None)
            else:
                log.error("%s: %r", message, context)

        unlisten = self.services.tasks.add_failure_listener(on_task_failed)
        loop.set_exception_handler(on_loop_exception)

        def unhook() -> None:
            unlisten()
            loop.set_exception_handler(previous)
            self._loop = None

        self._unhook_errors = unhook

    def _adjust_realtime_config(self, config: RealtimeConfig) -> RealtimeConfig:
        if self.sandbox is not None and not config.enabled:
            # The sandbox delivers webhooks on loopback: no tunnel, nothing to set up.
            config = replace(config, enabled=True, tunnel="none")
        return config

    def _show_realtime(self) -> None:
        """The window after the receiver (re)started: its Webhooks window, and the status
        bar when webhooks are off or could not start (BidDesk keeps polling)."""
        runtime, window = self.runtime, self.window
        if runtime is None or window is None:
            return
        window.webhooks.realtime = runtime.realtime
        exc = runtime.realtime_error
        if exc is not None:
            window.status.update_realtime(
                RealtimeStatus(
                    enabled=True,
                    provider=runtime.config.tunnel if runtime.config else "none",
                    state="failed",
                    message=f"Webhooks could not start: {exc}",
                )
            )
            window.show_error("Webhooks are off", f"{exc} BidDesk keeps polling.")
        elif runtime.realtime is None:
            window.status.update_realtime(None)

    async def _restart_realtime(self) -> None:
        await self._runtime_built.wait()
        assert self.runtime is not None
        if self.window is not None:
            self.window.webhooks.realtime = None
        await self.runtime.restart_realtime()
        self._show_realtime()  # the status bar, on or off

    async def _sandbox_dashboard(self, account: Account, url: str, creds: HookCredentials) -> None:
        """What a user does in UpHunt's or Gigiac's dashboard, done for them in the sandbox
        (only for the accounts that point at it)."""
        sandbox = self.sandbox
        if sandbox is None:
            return
        if account.base_url.startswith(f"http://127.0.0.1:{sandbox.info.port}/"):
            # The URL carries the account's token; a signing secret only if the user set one.
            sandbox.deliverer.set_dashboard(account.platform.value, url, creds.secret)

    def _on_window_webhooks_changed(self) -> None:
        assert self.services is not None
        self.services.tasks.spawn(self._restart_realtime(), name="webhooks:restart", replace=True)

    def _start_tray(self) -> None:
        """Notifications decide in the core; the tray (or the banner) shows them."""
        from app.ui.tray import Tray

        assert self.services is not None and self.window is not None and self.bridge is not None
        store = self.services.store
        assert self.notifications is not None  # the runtime's, with this sink
        self.tray = Tray(
            self.window,
            self.bridge,
            self.notifications,
            store.settings,
            icons=RESOURCES / "icons",
        )
        self.tray.quit_requested.connect(self.request_quit)
        self.tray.preferences_requested.connect(self.open_preferences)

    def _show_window(self) -> bool:
        """Show the window, or with `--hidden` keep it in the tray (minimized where the
        desktop has no tray, so the taskbar is the way back); True when hidden."""
        assert self.window is not None
        if not self.options.hidden or self.options.screenshot is not None:
            self.window.show()
            return False
        if self.tray is not None and self.tray.icon is not None:
            log.info("started hidden in the tray")
        else:
            self.window.showMinimized()
        return True

    def _repair_autostart(self) -> None:
        """A login item left pointing at a BidDesk that is gone now starts this one."""
        try:
            self.autostart.repair()
        except OSError as exc:  # AutostartError says where; BidDesk runs on regardless
            log.info("could not repair the start-at-login entry: %s", exc)

    def _show_notification(self, notification: Notification) -> None:
        if self.tray is not None:
            self.tray.notify(notification)
        if notification.kind is NotificationKind.MATCH and self.window is not None:
            key = notification.opportunity_key
            if key is not None:  # Insights: notification → editor shown
                self.window.insights_controller.note_notified(key)

    def open_preferences(self) -> PreferencesDialog | None:
        from app.ui.dialogs.preferences import PreferencesDialog, current_preferences

        if self.window is None or self.services is None or self.notifications is None:
            return None
        self.window.bring_to_front()
        if self._preferences is not None:
            self._preferences.raise_()
            return self._preferences
        has_tray = self.tray is not None and self.tray.icon is not None
        settings = self.services.store.settings
        values = current_preferences(self.notifications, settings, self.autostart)
        team_page, team_controller = self._team_page()
        dialog = PreferencesDialog(values, tray=has_tray, parent=self.window, team=team_page)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.accepted.connect(lambda: self._apply_preferences(dialog.values(), has_tray))
        dialog.finished.connect(lambda _: setattr(self, "_preferences", None))
        dialog.finished.connect(lambda _: team_controller.stop())
        self._preferences = dialog
        dialog.open()
        return dialog

    def _team_page(self) -> tuple[TeamPage, TeamPageController]:
        """Preferences' Team page and what runs its test and save (off the GUI loop)."""
        from app.services.team_setup import TeamSetup
        from app.ui.controllers.team_page import TeamPageController
        from app.ui.dialogs.preferences_team import TeamPage

        services = self.services
        assert services is not None
        setup = TeamSetup(
            services.data_dir,
            services.secrets,
            running_url=services.team.database_url,
            running_member=services.team.member,
        )
        page = TeamPage()
        return page, TeamPageController(page, setup, services.tasks)

    def _apply_preferences(self, values: PreferenceValues, has_tray: bool) -> None:
        from app.ui.dialogs.preferences import apply_preferences

        assert self.services is not None and self.notifications is not None
        problem = apply_preferences(
            values, self.notifications, self.services.store.settings, self.autostart, tray=has_tray
        )
        if problem is not None and self.window is not None:
            self.window.show_error("Start at login not changed", problem)
        if self.tray is not None:
            self.tray.refresh()

    def _schedule_warm_up(self) -> None:
        """Build the model client a few seconds after start, so the first Draft answers at
        once; only when a model has been set up (its settings were saved)."""
        timer = QTimer()
        timer.setSingleShot(True)
        timer.setInterval(WARM_UP_DELAY_MS)
        timer.timeout.connect(self._on_warm_up_timer_timeout)
        timer.start()
        self._warm_up_timer = timer

    def _on_warm_up_timer_timeout(self) -> None:
        services = self.services
        if services is None or services.store.settings.get(MODEL_KEY) is None:
            return
        services.tasks.spawn(services.drafter.warm_up(), name="startup:model", replace=True)

    async def _start_sandbox(self) -> None:
        from app.sandbox import Sandbox, SandboxConfig
        from app.sandbox.provision import provision

        assert self.services is not None
        speed = self.options.sandbox_speed
        # A kept profile keeps the sandbox's world beside its database, so a restart shows
        # the same jobs under the same ids and yesterday's drafts can still be sent.
        kept = self.directory / "sandbox" if self._tmp is None and self.directory else None
        config = SandboxConfig(seed=self.options.sandbox_seed, speed=speed, state_dir=kept)
        # On the loop, not in a thread: building allocates enough to run the cyclic GC,
        # which there would destroy Qt objects off their thread. A fresh world takes ~10 ms;
        # a kept one that ran for hours at speed 20 (6,000 arrivals) about a second.
        self.sandbox = Sandbox(config)
        info = await self.sandbox.start()
        # Its accounts, and its model too: drafting works with no account and no model
        # server. The keys are handed over for this run only.
        provision(
            info,
            self.services,
            speed=speed,
            model_secret=SECRET_NAME,
            model_key_given=bool(os.environ.get(env_var_for(SECRET_NAME))),
        )
        if self.options.sandbox_history or self._tmp is not None:
            await self._seed_sandbox_history()

    async def _seed_sandbox_history(self) -> None:
        """Weeks of generated past proposals, so Insights has something true to show in a
        profile that has sent none (app/sandbox/history.py)."""
        from app.sandbox.history import generate_history
        from app.services.insights import seed_history

        services = self.services
        assert services is not None
        if services.store.read_only or services.store.submissions.count() > 0:
            return
        seed = self.options.sandbox_seed
        await asyncio.to_thread(
            seed_history, services.store, lambda: generate_history(utcnow(), seed=seed)
        )

    def _on_window_sandbox_requested(self) -> None:
        async def run() -> None:
            await self._start_sandbox()
            await self._runtime_built.wait()
            assert self.window is not None and self.runtime is not None
            self.window.accounts_changed()
            await self._restart_realtime()
            self.runtime.poller.start()

        assert self.services is not None
        self.services.tasks.spawn(run(), name="sandbox:start")

    def _finish_scripted_run(self) -> None:
        if self.options.screenshot is not None and self.window is not None:
            if self.bridge is not None:
                self.bridge.flush_now()
            path = self.options.screenshot
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self.window.grab().save(str(path)):
                log.error("could not write the screenshot to %s", path)
                self.exit_code = 1
        self.request_quit(self.exit_code)

    async def stop(self) -> None:
        """Save window state and drafts, cancel tasks, close clients, the store, the sandbox."""
        if self._warm_up_timer is not None:
            self._warm_up_timer.stop()
        if self._unhook_errors is not None:
            self._unhook_errors()  # what fails while closing is logged, not shown
            self._unhook_errors = None
        if self.window is not None:
            # Drafts first and on their own: a failure to save the window's layout must
            # not cost the letter being typed. The store is still open here.
            try:
                self.window.flush_drafts()
            except Exception:
                log.exception("the draft being edited could not be saved at quit")
            with contextlib.suppress(Exception):
                self.window.save_state()
            with contextlib.suppress(Exception):
                self.window.insights_controller.close()  # the time on the open job
            # From here on the editor's requests (a debounced autosave or similarity check,
            # a cancelled draft's last words) would reach a store that closes below while
            # the loop still runs: the drafts are saved, so the editor goes quiet.
            self.window.editor.blockSignals(True)
        if self.sandbox is not None:
            # Its deliveries first: a connection accepted while the receiver closes would
            # be left half-open (aiohttp registers it after the shutdown's sweep).
            with contextlib.suppress(Exception):
                await self.sandbox.deliverer.stop()
        if self.window is not None:
            self.window.webhooks.realtime = None
        if self.runtime is not None:
            await self.runtime.stop(SHUTDOWN_TIMEOUT)  # the receiver, then the notifications
        if self.tray is not None:
            self.tray.detach()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.tray.aclose(), SHUTDOWN_TIMEOUT)
        if self.bridge is not None:
            self.bridge.detach()
        if self.services is not None:
            try:
                await asyncio.wait_for(self.services.aclose(SHUTDOWN_TIMEOUT / 2), SHUTDOWN_TIMEOUT)
            except TimeoutError:
                log.warning("shutdown took longer than %.1f s", SHUTDOWN_TIMEOUT)
        if self.sandbox is not None:
            try:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.sandbox.stop(), SHUTDOWN_TIMEOUT)
            finally:
                self.sandbox.halt()  # a stop cut short leaves nothing firing by itself
        if self._server is not None:
            self._server.close()
        if self._instance_notifier is not None:
            self._instance_notifier.setEnabled(False)
            self._instance_notifier.deleteLater()  # its parent is the QApplication
            self._instance_notifier = None
        if self._instance is not None and self._owns_instance:
            self._instance.close()
            self._instance = None
        if self.window is not None:
            self.window.errors.close_all()
            self.window.hide()
            self.window.deleteLater()
        if self._tmp is not None:
            self._tmp.cleanup()
        if self._collector is not None:
            self._collector.close()  # the window's garbage goes here, on the GUI thread
            self._collector.deleteLater()
            self._collector = None

    # -- single instance ------------------------------------------------------------------

    def _listen(self, directory: Path) -> None:
        """Answer later starts on this profile by raising the window.

        Linux/macOS: the claim `app.instance` made (or makes now). Windows: Qt's named
        pipe. Neither ever removes a live instance's socket: when another instance holds
        the profile (two `App`s in one test, a --screenshot run beside the window) this
        one simply does not answer."""
        if single_instance.SUPPORTED:
            if self._instance is None:
                try:
                    self._instance = single_instance.claim(directory)
                    self._owns_instance = True
                except AlreadyRunning:
                    log.warning("another BidDesk holds this profile; later starts raise it")
                except OSError as exc:
                    log.warning("no single-instance check: %s", exc)
            if self._instance is not None:
                notifier = QSocketNotifier(
                    self._instance.fileno(), QSocketNotifier.Type.Read, self.qapp
                )
                notifier.activated.connect(self._on_instance_notifier_activated)
                self._instance_notifier = notifier
            return
        server = QLocalServer()
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if server.listen(_server_name(directory)):
            server.newConnection.connect(self._on_server_new_connection)
            self._server = server
        else:  # a pipe exists only while its process lives: another instance has it
            log.warning("another BidDesk holds this profile; later starts raise it")

    def _on_instance_notifier_activated(self) -> None:
        asked = self._instance is not None and self._instance.accept_pending()
        if asked and self.window is not None:
            self.window.bring_to_front()

    def _on_server_new_connection(self) -> None:
        assert self._server is not None
        socket = self._server.nextPendingConnection()
        if socket is not None:
            socket.disconnected.connect(socket.deleteLater)
        if self.window is not None:
            self.window.bring_to_front()


def _install_excepthook(app_ref: list[App]) -> None:
    """Log an uncaught exception (PySide hands over those raised in slots too; a thread's
    come through threading.excepthook) and show it through the window's one presenter,
    without blocking; never crash the loop."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            if app_ref:
                app_ref[0].request_quit(130)
            return
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        if app_ref:
            if exc.__traceback__ is None and tb is not None:
                exc = exc.with_traceback(tb)
            app_ref[0].report_exception(exc)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        if app_ref:
            app_ref[0].report_exception_threadsafe(args.exc_value)

    sys.excepthook = hook
    threading.excepthook = thread_hook


class NoDisplayError(RuntimeError):
    """There is no screen to open a window on; the message says what to do instead."""


def check_display() -> None:
    """On Linux without X11 or Wayland, Qt would abort the process; say why instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise NoDisplayError(
        "There is no display to open the window on. On a server, `biddesk demo` walks "
        "through BidDesk in the terminal, and QT_QPA_PLATFORM=offscreen with --screenshot "
        "renders the window to a file."
    )


def run_gui(options: GuiOptions, *, instance: InstanceLock | None = None) -> int:
    """Run the desktop app until the user quits; returns the exit code.

    `instance` is the profile's claim when the caller made it before importing Qt."""
    check_display()
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("BidDesk")
    qapp.setOrganizationName("BidDesk")
    qapp.setApplicationVersion(__version__)
    qapp.setDesktopFileName("biddesk")
    qapp.setWindowIcon(app_icon())
    qapp.setQuitOnLastWindowClosed(False)  # closing the window asks the App to shut down
    single = not options.sandbox and options.screenshot is None
    with contextlib.suppress(StoreError):  # an unusable folder: the start below says so
        if (
            single
            and not single_instance.SUPPORTED
            and _another_instance_raised(_server_name(data_dir(options.profile)))
        ):
            log.info("BidDesk is already running on this profile; raised its window")
            return 0
    app_ref: list[App] = []
    _install_excepthook(app_ref)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(_run_app(qapp, options, app_ref, instance))


async def _run_app(
    qapp: QApplication, options: GuiOptions, app_ref: list[App], instance: InstanceLock | None
) -> int:
    """Run the app until it quits. When its database cannot be opened (or read) at start,
    say so in a dialog, with what can be done, and start again with the answer: never a
    silent exit. A scripted run (--screenshot) has nobody to ask."""
    while True:
        app = App(qapp, options, instance=instance)
        app_ref[:] = [app]
        try:
            return await app.run()
        except StoreError as error:
            if options.screenshot is not None:
                raise
            from app.ui.controllers.database import recover  # its dialog: only when needed

            chosen = await recover(error, app.directory)
            if chosen is None:
                return 1
            if instance is not None and chosen != app.directory:
                instance = None  # the caller's claim is on the old profile; claim the new
            options = replace(options, profile=chosen)
