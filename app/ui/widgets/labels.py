"""Colours and small label helpers the panes share: muted text, section titles, wrapped
labels, a coloured text, a compact local time."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

__all__ = [
    "ERROR_COLOR",
    "INFO_COLOR",
    "NEUTRAL_COLOR",
    "SUCCESS_COLOR",
    "WARNING_COLOR",
    "discard",
    "muted",
    "section_title",
    "set_text_color",
    "short_time",
    "wrapping_label",
]

# Colours chosen to stay readable on both light and dark palettes.
ERROR_COLOR = "#d32f2f"
WARNING_COLOR = "#b86e00"
SUCCESS_COLOR = "#2e7d32"
INFO_COLOR = "#1e6fd9"
NEUTRAL_COLOR = "#6b7280"


def short_time(moment: datetime) -> str:
    """A local, compact time: "14 Mar, 09:30" (with the year when it is not this one)."""
    local = moment.astimezone()
    year = f" {local.year}" if local.year != datetime.now().astimezone().year else ""
    return f"{local.day} {local:%b}{year}, {local:%H:%M}"


def set_text_color(widget: QWidget, color: str | QColor) -> None:
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(color))
    palette.setColor(QPalette.ColorRole.Text, QColor(color))
    widget.setPalette(palette)


def muted(label: QLabel) -> QLabel:
    palette = label.palette()
    palette.setColor(
        QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
    )
    label.setPalette(palette)
    return label


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.08)
    label.setFont(font)
    return label


def wrapping_label(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if name:
        label.setObjectName(name)
    return label


def discard(widget: QWidget | None) -> None:
    """Take a widget out of its window now (so lookups no longer find it) and delete it."""
    if widget is not None:
        widget.hide()
        widget.deleteLater()
        widget.setParent(None)
