"""A question asked in a message box that never blocks the loop (STYLE §6: the GUI loop
is also the asyncio loop, so `open()` and an answer slot, never `exec()`)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton


def question_box(
    parent: QWidget,
    *,
    name: str,
    title: str,
    text: str,
    accept: tuple[Button, str | None],
    reject: tuple[Button, str | None],
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
    informative: str | None = None,
) -> QMessageBox:
    """A two-button box, `reject` the default; `(button, label)` with None keeping the
    button's own label. Not opened: the caller connects `finished`, then `open()`s it."""
    box = QMessageBox(icon, title, text, accept[0] | reject[0], parent)
    box.setObjectName(name)
    if informative:
        box.setInformativeText(informative)
    for button, label in (accept, reject):
        if label is not None:
            box.button(button).setText(label)
    box.setDefaultButton(reject[0])
    return box


def answered(box: QMessageBox, button: Button) -> bool:
    """Whether the box was closed by clicking `button` (not Esc, not another button)."""
    clicked = box.clickedButton()
    return clicked is not None and box.standardButton(clicked) == button
