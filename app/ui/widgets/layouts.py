"""Layout helpers: a flow layout that wraps like text, a scroll body whose height follows
its width, section titles and separators in a column."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QLayout, QLayoutItem, QWidget

from app.ui.widgets.labels import section_title

__all__ = ["FlowLayout", "ScrollBody", "add_section", "add_separator", "h_line"]


class FlowLayout(QLayout):
    """Lays out items left to right, wrapping to a new line when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x, y = area.x(), y + line_height + self._gap
                line_height = 0
            if apply:
                item.setGeometry(QRect(x, y, hint.width(), hint.height()))
            x += hint.width() + self._gap
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class ScrollBody(QWidget):
    """A scroll area's content whose height follows its width.

    Wrapped labels report a minimum height for a one-word-wide column, and QScrollArea
    takes the larger of that and heightForWidth(): the page would end in a tall blank.
    Reporting no minimum height leaves heightForWidth() in charge.
    """

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 0)


def add_section(body: QBoxLayout, title: str, trailing: QWidget | None = None) -> QLabel:
    """A bold section title in a column, with an optional widget at its right."""
    label = section_title(title)
    body.addSpacing(12)
    if trailing is None:
        body.addWidget(label)
    else:
        row = QHBoxLayout()
        row.addWidget(label)
        row.addStretch(1)
        row.addWidget(trailing)
        body.addLayout(row)
    body.addSpacing(2)
    return label


def h_line() -> QFrame:
    """A thin horizontal line in the palette's mid tone."""
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Plain)
    line.setForegroundRole(QPalette.ColorRole.Mid)
    return line


def add_separator(body: QBoxLayout) -> None:
    """A thin horizontal line across a column, after a small gap."""
    body.addSpacing(8)
    body.addWidget(h_line())
