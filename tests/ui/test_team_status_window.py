"""What the team database tells the window reaches its status bar as one sentence: the
database going away and coming back, and another member starting a proposal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.services.team import ClaimChanged, TeamStatus
from app.store.claims import Claim
from tests.ui.test_window import running, until, visible_keys

pytestmark = pytest.mark.integration


def status_text(app: object) -> str:
    return app.window.status.currentMessage()  # type: ignore[attr-defined]


async def test_the_database_going_away_and_coming_back_is_said_in_the_status_bar(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as app:
        away = "The team database is unreachable; your typing is kept on this computer."
        app.services.bus.publish(TeamStatus(away))
        await until(lambda: status_text(app) == away)
        app.services.bus.publish(TeamStatus(None))
        await until(lambda: "team database is back" in status_text(app))


async def test_another_member_writing_a_proposal_is_named_with_the_jobs_title(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as app:
        await until(lambda: len(visible_keys(app)) >= 2)
        key = visible_keys(app)[1]
        title = app.services.store.opportunities.get(key).title
        now = datetime.now(UTC)
        mine = Claim(key, app.services.team.member, now, now)
        app.services.bus.publish(ClaimChanged(key, mine))  # the bus calls at once
        assert "is writing" not in status_text(app)  # one's own claim says nothing
        app.services.bus.publish(ClaimChanged(key, Claim(key, "alice", now, now)))
        await until(lambda: "alice" in status_text(app))
        assert status_text(app) == f"alice is writing the proposal for “{title}”."
