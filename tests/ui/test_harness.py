"""The test harness itself: async tests here really run on qasync, with Qt alive."""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel


async def test_async_tests_run_on_a_qasync_loop(qtbot) -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, qasync.QEventLoop)
    fired = asyncio.Event()
    QTimer.singleShot(10, fired.set)  # a Qt timer wakes an asyncio waiter: one loop
    await asyncio.wait_for(fired.wait(), 2)
    label = QLabel("ok")
    qtbot.addWidget(label)
    label.show()
    assert label.isVisible()
