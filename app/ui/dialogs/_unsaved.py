"""A dialog that asks before its unsaved edits are thrown away."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QMessageBox

from app.ui.widgets.question import Button, answered, question_box


class UnsavedChangesDialog(QDialog):
    """Closing (Cancel, Esc, the window's close button) with unsaved edits asks first.

    A subclass keeps `_dirty` up to date, implements `_commit_form` (move what is in the
    form into its model), initialises `_discard_box = None`, and names what is edited.
    """

    DISCARD_QUESTION = "There are changes that are not saved. Discard them?"
    DISCARD_BOX_NAME = "discard_changes"
    _dirty: bool
    _discard_box: QMessageBox | None

    def _commit_form(self) -> None:
        raise NotImplementedError

    def reject(self) -> None:
        self._commit_form()
        if not self._dirty:
            super().reject()
            return
        if self._discard_box is not None:
            return
        box = question_box(
            self,
            name=self.DISCARD_BOX_NAME,
            title="Discard changes?",
            text=self.DISCARD_QUESTION,
            accept=(Button.Discard, None),
            reject=(Button.Cancel, "Keep editing"),
        )
        box.finished.connect(self._on_discard_box_finished)
        self._discard_box = box
        box.open()

    def _on_discard_box_finished(self, _result: int) -> None:
        box, self._discard_box = self._discard_box, None
        if box is None:
            return
        discard = answered(box, Button.Discard)
        box.deleteLater()
        if discard:
            self._dirty = False
            super().reject()
