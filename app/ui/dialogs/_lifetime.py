"""Dialogs that delete themselves on close, and the code that outlives them.

A WA_DeleteOnClose dialog's C++ object is gone a moment after it closes; its Python
wrapper stays, and any call on it raises "Internal C++ object already deleted". Two
tools keep the window from ever making that call:

- `OpenDialog` remembers the one open dialog of a kind and forgets it as soon as it
  finishes (or is destroyed some other way), so the window asks `get()` and gets None.
- `DialogFeed` delivers a long-lived signal (the bridge's realtime status, the inbox's
  selection) to a dialog for exactly the dialog's life: it is a child of the dialog, and
  Qt drops a connection when its receiver is destroyed.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, SignalInstance
from PySide6.QtWidgets import QDialog

D = TypeVar("D", bound=QDialog)


def alive(obj: QObject | None) -> bool:
    """True while the C++ object behind `obj` exists (a coroutine may outlive a dialog)."""
    return obj is not None and shiboken6.isValid(obj)


class OpenDialog(Generic[D]):
    """The one open dialog of a kind, forgotten when it finishes or is destroyed."""

    def __init__(self) -> None:
        self._dialog: D | None = None

    def set(self, dialog: D) -> D:
        self._dialog = dialog
        ref = weakref.ref(dialog)  # no cycle between the dialog and its own signals
        dialog.finished.connect(lambda *_: self._forget(ref))
        dialog.destroyed.connect(lambda *_: self._forget(ref))
        return dialog

    def get(self) -> D | None:
        dialog = self._dialog
        if dialog is not None and not alive(dialog):
            self._dialog = dialog = None
        return dialog

    def _forget(self, ref: weakref.ref[D]) -> None:
        if self._dialog is ref():
            self._dialog = None


class DialogFeed(QObject):
    """Calls `handler(dialog, *args)` for each emission of `signal` while `dialog` is open.

    A child of the dialog, so it dies with it and Qt disconnects it: nothing is called on
    a deleted dialog. Between closing and deletion (deleteLater) the handler is skipped.
    """

    def __init__(
        self, dialog: QDialog, signal: SignalInstance, handler: Callable[..., None]
    ) -> None:
        super().__init__(dialog)
        self._handler = handler
        signal.connect(self._on_signal)

    def _on_signal(self, *args: Any) -> None:
        dialog = self.parent()
        if isinstance(dialog, QDialog) and not dialog.isHidden():
            self._handler(dialog, *args)
