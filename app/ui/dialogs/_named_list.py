"""The left side of the profiles and templates dialogs: a list of named items with Add,
Duplicate and Delete under it, and the naming of new items ("New profile 2") they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtWidgets import QHBoxLayout, QListWidget, QPushButton, QVBoxLayout, QWidget

PANEL_WIDTH = 220


def unique_name(base: str, names: Iterable[str]) -> str:
    """`base`, or `base 2`, `base 3`… : the first not among `names` (case ignored)."""
    taken = {name.lower() for name in names}
    if base.lower() not in taken:
        return base
    number = 2
    while f"{base} {number}".lower() in taken:
        number += 1
    return f"{base} {number}"


@dataclass(frozen=True)
class NamedListPanel:
    widget: QWidget
    list: QListWidget
    add: QPushButton
    duplicate: QPushButton
    delete: QPushButton
    layout: QVBoxLayout  # for what a dialog adds under the buttons


def named_list_panel(
    prefix: str,
    *,
    on_row: Callable[[int], None],
    on_add: Callable[[], None],
    on_duplicate: Callable[[], None],
    on_delete: Callable[[], None],
) -> NamedListPanel:
    """The list and its buttons, wired; object names `{prefix}_list`, `{prefix}_add`…"""
    items = QListWidget()
    items.setObjectName(f"{prefix}_list")
    items.currentRowChanged.connect(on_row)
    buttons = []
    for label, name, slot in (
        ("Add", "add", on_add),
        ("Duplicate", "duplicate", on_duplicate),
        ("Delete", "delete", on_delete),
    ):
        button = QPushButton(label)
        button.setObjectName(f"{prefix}_{name}")
        button.clicked.connect(slot)
        buttons.append(button)
    widget = QWidget()
    widget.setMaximumWidth(PANEL_WIDTH)
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(items, 1)
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    layout.addLayout(row)
    add, duplicate, delete = buttons
    return NamedListPanel(widget, items, add, duplicate, delete, layout)
