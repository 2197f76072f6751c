"""The window fits a laptop: at 1280×800 and at 1024×768 no visible control is cut off.

The real window on the sandbox, an opportunity with questions in the editor, resized to
each screen; every visible widget must sit inside its visible parent (scroll areas may
be taller than their viewport, never wider), and one-line labels and buttons must have
the width their text needs. Set BIDDESK_LAYOUT_SHOTS to a folder to keep the PNGs.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QWidget

from app.domain import Platform
from tests.helpers.layout import clipped_widgets
from tests.ui.test_window import running, select_platform, until

pytestmark = pytest.mark.integration

# The screens, less what a desktop keeps for itself (a panel, the title bar).
SCREENS = {"1280x800": QSize(1280, 800 - 64), "1024x768": QSize(1024, 768 - 64)}


async def _settle(window: QWidget) -> None:
    """Let the loop run until no widget moves between two passes (layouts settle through
    posted events; processEvents() inside a qasync task would re-enter the loop)."""

    def geometry() -> list[tuple[int, int, int, int]]:
        return [w.geometry().getRect() for w in window.findChildren(QWidget)]

    before: list[tuple[int, int, int, int]] = []

    def settled() -> bool:
        nonlocal before
        now = geometry()
        same, before = now == before, now
        return same

    await asyncio.sleep(0)
    await until(settled)


def _shoot(window: QWidget, name: str) -> None:
    folder = os.environ.get("BIDDESK_LAYOUT_SHOTS")
    if folder:
        window.grab().save(str(Path(folder) / f"{name}.png"))


@pytest.mark.parametrize("screen", sorted(SCREENS))
async def test_nothing_is_cut_off(tmp_path: Path, screen: str) -> None:
    size = SCREENS[screen]
    async with running(tmp_path) as desk:
        window = desk.window
        # The window can be made that small: its minimum fits the screen.
        minimum = window.minimumSizeHint()
        assert minimum.width() <= size.width() and minimum.height() <= size.height(), minimum
        window.resize(size)
        key = await select_platform(desk, Platform.GIGRADAR)
        await until(lambda: window.current_key == key)
        await _settle(window)
        assert window.size() == size
        problems = clipped_widgets(window)
        _shoot(window, f"window-{screen}")
        assert not problems, "\n".join(problems)
        # The editor's status sentence reads on one line, not a column of short ones.
        status = window.editor.findChild(QLabel, "submit_status")
        assert status.text() and status.height() < 2 * status.fontMetrics().lineSpacing()
        # "More filters" open: the longer bar still fits.
        window.filter_bar.more_button.setChecked(True)
        await _settle(window)
        assert window.size() == size  # the panel did not push the window wider
        problems = clipped_widgets(window)
        _shoot(window, f"window-more-{screen}")
        assert not problems, "\n".join(problems)
        # The Submissions tab too.
        window.tabs.setCurrentIndex(1)
        await _settle(window)
        problems = clipped_widgets(window)
        _shoot(window, f"submissions-{screen}")
        assert window.size() == size and not problems, "\n".join(problems)


async def test_the_window_opens_inside_the_screen(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        window = desk.window
        available = window.screen().availableGeometry()
        # The first size leaves the desktop's title bar room on this (800 px) screen…
        first = window.default_size()
        assert first.width() <= available.width() and first.height() <= available.height()
        assert window.height() <= available.height()
        # …and a window saved on a big monitor comes back inside the one it is on now.
        window.resize(2400, 1500)
        window.move(300, 200)
        window.save_state()
        window.restore_state()
        frame = window.frameGeometry()
        assert frame.height() <= available.height(), frame
        assert frame.top() >= available.top() and frame.bottom() <= available.bottom(), frame
        assert frame.left() >= available.left(), frame
        # A size the person chose that fits the screen is kept as it is.
        window.resize(760, 600)
        window.save_state()
        window.restore_state()
        assert window.size().height() == 600
