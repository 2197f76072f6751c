"""Layout checks for GUI tests: which visible widgets a window cuts off.

A control is clipped when its geometry leaves its (visible) parent's rectangle, or when a
one-line label or a button is narrower than its text. Scroll areas are the exception the
layout means: their content may be taller than the viewport (the bar scrolls it) but, with
the horizontal bar off, never wider.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QLabel,
    QScrollBar,
    QSplitterHandle,
    QWidget,
)


def _describe(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, (QLabel, QAbstractButton)):
        text = f" {widget.text()[:40]!r}"
    names = []
    node: QWidget | None = widget
    while node is not None and len(names) < 4:
        names.append(node.objectName() or type(node).__name__)
        node = node.parentWidget()
    return f"{'<'.join(names)}{text}"


def _scroll_content(widget: QWidget) -> QAbstractScrollArea | None:
    """The scroll area whose viewport holds `widget` directly, if any."""
    viewport = widget.parentWidget()
    area = viewport.parentWidget() if viewport is not None else None
    if isinstance(area, QAbstractScrollArea) and area.viewport() is viewport:
        return area
    return None


def clipped_widgets(root: QWidget) -> list[str]:
    """A sentence for each visible widget of `root` that is cut off or too narrow."""
    problems: list[str] = []
    for widget in root.findChildren(QWidget):
        if widget.isWindow() or not widget.isVisibleTo(root) or not widget.isVisible():
            continue
        parent = widget.parentWidget()
        if parent is None or not parent.isVisible():
            continue
        if isinstance(widget, (QScrollBar, QSplitterHandle)):
            continue
        geometry, rect = widget.geometry(), parent.rect()
        area = _scroll_content(widget)
        if area is not None:
            if isinstance(area, QAbstractItemView):
                continue  # cell editors and index widgets scroll with their rows
            horizontal = area.horizontalScrollBarPolicy()
            if horizontal == Qt.ScrollBarPolicy.ScrollBarAlwaysOff and (
                geometry.width() > rect.width()
            ):
                problems.append(
                    f"{_describe(widget)}: {geometry.width()} px wide in a "
                    f"{rect.width()} px scroll area without a horizontal bar"
                )
            continue
        if not rect.contains(geometry):
            problems.append(
                f"{_describe(widget)}: {geometry.getRect()} outside its parent's {rect.getRect()}"
            )
            continue
        if isinstance(widget, QLabel) and not widget.wordWrap() and widget.text():
            if widget.width() < widget.minimumSizeHint().width():
                problems.append(
                    f"{_describe(widget)}: {widget.width()} px for a text of "
                    f"{widget.minimumSizeHint().width()} px"
                )
        elif isinstance(widget, QAbstractButton) and widget.text():
            needed = widget.minimumSizeHint().width()
            if widget.width() < needed:
                problems.append(
                    f"{_describe(widget)}: {widget.width()} px for a text of {needed} px"
                )
    return problems
