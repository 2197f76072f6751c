"""A non-blocking error message: one sentence, with the technical details folded away.

The sentence is for the user; the details (a traceback, a platform's answer) are for a bug
report and stay behind QMessageBox's "Show Details…" button. Nothing here logs: the caller
already did, with the redaction filter in place.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


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
    that answers something the user just did in that window.
    """
    dialog = ErrorDialog(parent, title, message, details)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if modal:
        dialog.open()
    else:
        dialog.show()
    return dialog
