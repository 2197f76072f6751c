"""Rows that retention archives by age leave the window's inbox at once, not at the next
start; the filter's "archived" state still shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.filters import ARCHIVED, FilterSpec
from app.services.events import OpportunitiesArchived
from tests.ui.test_window import running, until, visible_keys

pytestmark = pytest.mark.integration


async def test_rows_archived_by_age_leave_the_inbox_while_it_is_open(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        await until(lambda: len(visible_keys(app)) >= 3)
        old = visible_keys(app)[-2:]  # what retention's age rule would pick
        app.services.bus.publish(OpportunitiesArchived(tuple(old)))
        await until(lambda: not set(old) & set(visible_keys(app)))
        app.window.model.set_filter(FilterSpec(states=frozenset({ARCHIVED})))
        await until(lambda: set(old) <= set(visible_keys(app)))
