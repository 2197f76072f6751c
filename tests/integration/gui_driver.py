"""Drives the real desktop app from inside its own process, for tests that kill it.

Run as a script: `python gui_driver.py MODE -- BIDDESK-ARGS…`. It creates the
QApplication, then hands over to the real entry point (`app.cli.main(BIDDESK-ARGS)`), which
reuses that QApplication; a timer here waits for the main window and then acts like a person:

- `type`: select the first open GigRadar job, put the cursor in the letter and type TEXT
  one key press every `--interval-ms`, for ever (until the test kills the process);
- `submit`: select the first open GigRadar job, write the letter (with the sandbox token
  in `--letter`), answer the questions, bid, and press Submit once. With
  `--die-before-send` the process SIGKILLs itself the moment the submission is in the
  store and its request is about to leave (the one instant a parent cannot aim at);
- `retry`: select the job `--key`, wait until its lifecycle strip offers Retry, press it.

Progress goes to stdout as one JSON object per line, flushed at once, so the test can wait
on it: {"event": "ready", "key": …}, then for `type` {"event": "typed", "n": N, "t": T}
after each key press (T: `time.monotonic()`, which on Linux is one clock for every process),
for `submit` {"event": "submitted", "key": …} once the submission is in the store, and
for `retry` {"event": "retried", "key": …}.
Not collected by pytest (no `test_` prefix).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
)

TEXT = (
    "dear client i have built three quote engines like this one and would start with the "
    "carrier apis then the cache and the service behind it with tests at every step "
)


def report(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Driver(QObject):
    def __init__(self, mode: str, options: argparse.Namespace) -> None:
        super().__init__()
        self.mode = mode
        self.options = options
        self.window = None
        self.key: str | None = options.key
        self.typed = 0
        self.clicked = False
        self.poll = QTimer(self)
        self.poll.setInterval(50)
        self.poll.timeout.connect(self._on_poll_timeout)
        self.poll.start()
        self.keys = QTimer(self)
        self.keys.setInterval(options.interval_ms)
        self.keys.timeout.connect(self._on_keys_timeout)

    # -- waiting for the window, a job, the Submit button ------------------------------------

    def _on_poll_timeout(self) -> None:
        from app.ui.main_window import MainWindow

        if self.window is None:
            found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
            if not found:
                return
            self.window = found[0]
        window = self.window
        if self.key is None:
            self.key = self._open_gigradar_job()
            if self.key is None:
                return
        if window.current_key != self.key:
            if window.model.row_of(self.key) is not None:
                window.inbox.select_key(self.key)
            else:  # not in the inbox (yet, or filtered out): straight to the editor
                window.show_opportunity(self.key)
            return
        editor = window.editor
        letter = editor.findChild(QPlainTextEdit, "letter")
        if self.mode == "type":
            self.poll.stop()
            editor.focus_letter()
            report(event="ready", key=self.key)
            self.keys.start()
            return
        if self.mode == "retry":
            retry = editor.findChild(QPushButton, "retry")
            if retry is not None and retry.isVisible() and retry.isEnabled():
                self.poll.stop()
                retry.click()
                report(event="retried", key=self.key)
            return
        if not letter.toPlainText():
            letter.setPlainText(self.options.letter)
            for edit in editor.findChildren(QPlainTextEdit):
                if edit.objectName().startswith("answer_"):
                    edit.setPlainText("Yes, in two recent projects of the same kind.")
            amount = editor.findChild(QDoubleSpinBox, "bid_amount")
            if amount is not None and amount.isVisible() and amount.value() == 0:
                amount.setValue(450.0)
            report(event="ready", key=self.key)
            return
        box = editor.findChild(QMessageBox, "confirm_warnings")
        if box is not None and box.isVisible():
            box.button(QMessageBox.StandardButton.Yes).click()  # "Send anyway"
            return
        if window.services.store.submissions.by_opportunity(self.key):
            self.poll.stop()
            report(event="submitted", key=self.key)
            return
        submit = editor.findChild(QPushButton, "submit")
        if submit.isEnabled() and not self.clicked:  # the policy check is debounced
            self.clicked = True
            submit.click()

    def _open_gigradar_job(self) -> str | None:
        window = self.window
        store = window.services.store.opportunities
        model = window.model
        for row in range(model.rowCount()):
            key = model.key_at(row)
            if key is None or not key.startswith("gigradar:"):
                continue
            opp = store.get(key)
            if opp is not None and opp.status.value == "open":
                return key
        return None

    # -- typing ------------------------------------------------------------------------------

    def _on_keys_timeout(self) -> None:
        letter = self.window.editor.findChild(QPlainTextEdit, "letter")
        QTest.keyClick(letter, TEXT[self.typed % len(TEXT)])
        self.typed += 1
        report(event="typed", n=self.typed, t=time.monotonic())


def die_before_send() -> None:
    """kill -9 of this process after the submission is persisted, before its request."""
    from app.domain import Submission
    from app.services.submissions import SubmissionService

    async def killed(self: object, sub: Submission, *args: object, **kwargs: object) -> object:
        report(event="dying", key=sub.opportunity_key)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    SubmissionService._send = killed  # type: ignore[method-assign,assignment]


def main() -> int:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("type", "submit", "retry"))
    parser.add_argument("--interval-ms", type=int, default=30)
    parser.add_argument("--letter", default="")
    parser.add_argument("--key")
    parser.add_argument("--die-before-send", action="store_true")
    options = parser.parse_args(argv[:split])
    if options.die_before_send:
        die_before_send()
    qapp = QApplication(sys.argv[:1])
    driver = Driver(options.mode, options)
    from app.cli import main as biddesk

    code = biddesk(argv[split + 1 :])
    del driver, qapp
    return code


if __name__ == "__main__":
    sys.exit(main())
