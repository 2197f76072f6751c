"""Sizing for dialogs with word-wrapped text.

A top-level window sizes itself from `sizeHint()`, and a wrapped QLabel's hint is computed
for a narrow default width: the dialog comes out too narrow and too tall, or clips a
message that appears later. These helpers size from the height the layout needs at the
width the dialog wants.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget


def fitted_hint(widget: QWidget, hint: QSize, width: int) -> QSize:
    """`hint`, widened to `width`, with the height the layout needs at that width."""
    width = max(hint.width(), width)
    layout = widget.layout()
    if layout is not None and layout.hasHeightForWidth():
        return QSize(width, layout.totalHeightForWidth(width))
    return QSize(width, hint.height())


def grow_to_fit(widget: QWidget) -> None:
    """Make a shown window tall enough for what it now holds; never shrink what the user set."""
    layout = widget.layout()
    if not widget.isVisible() or layout is None:
        return
    layout.activate()
    needed = (
        layout.totalHeightForWidth(widget.width())
        if layout.hasHeightForWidth()
        else layout.totalSizeHint().height()
    )
    if needed > widget.height():
        widget.resize(widget.width(), needed)
