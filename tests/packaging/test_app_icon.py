"""The running app shows the BidDesk icon, found both from source and from a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from app.ui import app as app_module


def test_window_icon_has_every_rendered_size(qapp: QApplication) -> None:
    icon = app_module.app_icon()
    assert not icon.isNull()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(16, 16), (32, 32), (256, 256)} <= sizes
    assert icon.pixmap(QSize(48, 48)).width() == 48


def test_resources_come_from_the_bundle_when_frozen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert app_module._resources_dir() == tmp_path / "resources"
    monkeypatch.delattr(sys, "_MEIPASS")
    assert (app_module._resources_dir() / "icons" / "biddesk-16.png").is_file()
