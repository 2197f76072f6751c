"""Error messages: one sentence, the technical details folded away, and never a storm.

The sentence is for the user; the details (a traceback, a platform's answer) are for a bug
report and stay behind QMessageBox's "Show Details…" button. Nothing here logs: the caller
already did, with the redaction filter in place.

`ErrorPresenter` is the window's one way to show an error. The same error again (same
type and message, or raised at the same place, or from the same origin such as a task's
name) does not open another box: the open one counts ("This happened 5 times."). Boxes
are never modal, so Quit and the rest of the window keep working behind them; while one of
the window's dialogs is modal, a box opens over that dialog so it still answers clicks.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

Key = tuple[str, ...]

MAX_OPEN = 3  # distinct error boxes at once; more errors are counted in the newest box


class ErrorDialog(QMessageBox):
    """An error box that is not modal unless asked: the app keeps working behind it."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        message: str,
        details: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setAccessibleDescription(message)
        self.setTextFormat(Qt.TextFormat.PlainText)  # a platform's message may hold "<"
        self.setText(message)
        if details:
            self.setDetailedText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Close)
        self.setDefaultButton(QMessageBox.StandardButton.Close)
        self.setEscapeButton(QMessageBox.StandardButton.Close)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.count = 1
        self.others = 0  # different errors counted here because enough boxes were open

    def add_occurrence(self, details: str | None = None) -> None:
        """The same error happened again: count it, keep the latest details."""
        self.count += 1
        if details:
            self.setDetailedText(details)
        self._show_counts()

    def add_other(self) -> None:
        """Another error, while enough boxes are open already: count it here."""
        self.others += 1
        self._show_counts()

    def _show_counts(self) -> None:
        lines = []
        if self.count > 1:
            lines.append(f"This happened {self.count} times.")
        if self.others:
            noun = "error" if self.others == 1 else "errors"
            lines.append(f"{self.others} other {noun} followed; the log has them all.")
        self.setInformativeText(" ".join(lines))


def show_error(
    parent: QWidget | None,
    title: str,
    message: str,
    details: str | None = None,
    *,
    modal: bool = False,
) -> ErrorDialog:
    """Show an error without blocking the loop; the dialog deletes itself when closed.

    Non-modal by default (`show()`): an error from a background task should not lock the
    window. `modal=True` uses `open()` — window-modal, still non-blocking — for an error
    that answers something the user just did in that window. The window shows its errors
    through its `ErrorPresenter` instead, which folds repeats into one box.
    """
    dialog = ErrorDialog(parent, title, message, details)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if modal:
        dialog.open()
    else:
        dialog.show()
    return dialog


def exception_keys(exc: BaseException) -> list[Key]:
    """What makes two exceptions "the same": type and message, or the place raised."""
    keys: list[Key] = [("exception", type(exc).__qualname__, str(exc))]
    tb = exc.__traceback__
    if tb is not None:
        frame = traceback.extract_tb(tb)[-1]
        keys.append(("raised", frame.filename, str(frame.lineno), type(exc).__qualname__))
    return keys


def exception_details(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class ErrorPresenter(QObject):
    """The one place the window shows errors from; see the module docstring."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._open: list[tuple[ErrorDialog, list[Key]]] = []  # oldest first

    def dialogs(self) -> list[ErrorDialog]:
        """The error boxes open now, oldest first."""
        self._prune()
        return [dialog for dialog, _ in self._open]

    def present(
        self,
        title: str,
        message: str,
        details: str | None = None,
        *,
        keys: Iterable[Key] = (),
    ) -> ErrorDialog:
        """Show this error, or count it in the box already showing the same one."""
        self._prune()
        own = [("message", title, message), *keys]
        for dialog, known in self._open:
            if any(key in known for key in own):
                known.extend(key for key in own if key not in known)
                dialog.add_occurrence(details)
                return dialog
        if len(self._open) >= MAX_OPEN:
            newest = self._open[-1][0]
            newest.add_other()
            return newest
        dialog = ErrorDialog(self._host(), title, message, details)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_dialog_finished)
        self._open.append((dialog, own))
        dialog.show()  # never exec(), never modal: Quit works while it is open
        return dialog

    def present_exception(
        self, exc: BaseException, *, origin: str | None = None, title: str | None = None
    ) -> ErrorDialog:
        """An unexpected exception (already logged by the caller) as a sentence + details."""
        keys = exception_keys(exc)
        if origin:
            keys.append(("origin", origin))
        message = str(exc) or type(exc).__name__
        return self.present(
            title or "Something went wrong",
            f"{message}\n\nBidDesk keeps running; the details are in the log.",
            exception_details(exc),
            keys=keys,
        )

    def _host(self) -> QWidget:
        """The window's open modal dialog, if any: a box parented to the window itself
        would be blocked by it (shown, but deaf to clicks) until that dialog closed."""
        modal = QApplication.activeModalWidget()
        widget = modal
        while widget is not None:
            if widget is self._parent:
                return modal if modal is not None else self._parent
            widget = widget.parentWidget()
        return self._parent

    def close_all(self) -> None:
        for dialog in self.dialogs():
            dialog.close()
        self._open.clear()

    def _on_dialog_finished(self, _result: int) -> None:
        sender = self.sender()
        self._open = [(d, k) for d, k in self._open if d is not sender]
        self._prune()

    def _prune(self) -> None:
        # Not by visibility: a box hidden with the window (to the tray) is still open.
        self._open = [(d, k) for d, k in self._open if shiboken6.isValid(d)]
