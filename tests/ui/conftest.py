"""GUI tests: async tests run on a qasync loop merged with Qt's, as the app does.

pytest-asyncio >= 1 takes the loop from the `pytest_asyncio_loop_factories` hook
(DESIGN.md, Known traps), so `async def` tests here can await services and let Qt
paint in the same loop. Qt warnings fail the test (pytest-qt's qt_log_level_fail), and so
do errors logged or left in dead tasks (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from tests.helpers.logfail import watch_loop


def _qasync_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication(["biddesk-tests"])
    # Watched like every test loop: its exceptions and dead tasks fail the test.
    return watch_loop(qasync.QEventLoop(app, already_running=False))


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    # A conftest hook: it only applies to the tests below this folder.
    return {"qasync": _qasync_loop}
