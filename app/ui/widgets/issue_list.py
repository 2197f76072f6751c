"""The policy issues of a text, one row each: ✖ errors in red, ⚠ warnings in amber."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.domain.policy import PolicyIssue, Severity
from app.ui.widgets.labels import ERROR_COLOR, WARNING_COLOR, set_text_color, wrapping_label

__all__ = ["IssueList"]


class IssueList(QWidget):
    """The policy issues under the letter: ✖ errors in red, ⚠ warnings in amber.

    Each row is an icon and a wrapped sentence with a hanging indent; an issue with a span
    in the letter gets a "Show" link that selects it.
    """

    span_activated = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("policy_issues")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 2, 0, 0)
        self._layout.setSpacing(4)
        self._rows: list[tuple[QWidget, QLabel, QLabel]] = []

    def rows(self) -> list[tuple[str, str]]:
        """The shown issues as (icon, message text), for tests and accessibility."""
        return [
            (icon.text(), text.text()) for row, icon, text in self._rows if row.isVisibleTo(self)
        ]

    def set_issues(self, issues: Sequence[PolicyIssue]) -> None:
        while len(self._rows) < len(issues):
            row = QWidget()
            layout = QHBoxLayout(row)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(6)
            icon = QLabel()
            icon.setObjectName("issue_icon")
            text = wrapping_label(name="issue_text")
            text.setTextFormat(Qt.TextFormat.RichText)
            text.linkActivated.connect(self._on_text_link_activated)
            layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
            layout.addWidget(text, 1)
            self._layout.addWidget(row)
            self._rows.append((row, icon, text))
        for (row, icon, text), issue in zip(self._rows, issues, strict=False):
            error = issue.severity is Severity.ERROR
            color = ERROR_COLOR if error else WARNING_COLOR
            link = ""
            if issue.start is not None and issue.end is not None:
                link = f' &nbsp;<a href="span:{issue.start}:{issue.end}">Show</a>'
            icon.setText("✖" if error else "⚠")
            text.setText(f"{html.escape(issue.message)}{link}")
            row.setProperty("severity", issue.severity.value)
            set_text_color(icon, color)
            set_text_color(text, color)
            row.show()
        for row, _, _ in self._rows[len(issues) :]:
            row.hide()
        self.setVisible(bool(issues))

    def _on_text_link_activated(self, link: str) -> None:
        _, start, end = link.split(":")
        self.span_activated.emit(int(start), int(end))
