"""The bridge hands arrivals to the table throttled, not deferred: a lone one at once, a
burst's at most once per FLUSH_SPACING (a frame), all of them, none twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.domain import Opportunity
from app.ingest.poller import Poller
from app.services.container import open_services
from app.services.events import OpportunitiesAdded, OpportunitiesUpdated
from app.ui import bridge as bridge_module
from app.ui.bridge import Bridge
from tests.services.test_inbox_index import make_opportunity


async def test_a_burst_reaches_the_table_once_a_spacing_and_a_lone_arrival_at_once(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wide enough that no pause of a busy machine between two publications below spans it.
    spacing = 0.5
    monkeypatch.setattr(bridge_module, "FLUSH_SPACING", spacing)
    services = open_services(tmp_path / "profile")
    bridge = Bridge(
        services, Poller(services.accounts, services.inbox, services.tasks, services.bus)
    )
    added: list[tuple[float, list[str]]] = []
    updated: list[list[str]] = []

    def on_added(opportunities: tuple[Opportunity, ...]) -> None:
        added.append((time.monotonic(), [o.key for o in opportunities]))

    bridge.opportunities_added.connect(on_added)
    bridge.opportunities_updated.connect(lambda opps: updated.append([o.key for o in opps]))
    bus = services.bus
    rows = [make_opportunity(n) for n in range(8)]
    try:
        bus.publish(OpportunitiesAdded((rows[0],)))
        assert [keys for _, keys in added] == [[rows[0].key]]  # at once, no loop pass
        for row in rows[1:6]:
            bus.publish(OpportunitiesAdded((row,)))
        changed = rows[3].model_copy(update={"title": "Changed while waiting"})
        bus.publish(OpportunitiesUpdated((changed,)))  # still waiting: an arrival, updated
        assert len(added) == 1  # held back until the spacing is over
        qtbot.waitUntil(lambda: len(added) == 2, timeout=10_000)
        first, burst = added
        assert burst[1] == [row.key for row in rows[1:6]]  # all of them, in one update
        assert burst[0] - first[0] >= spacing - 0.002  # not before the mark
        assert updated == []  # the update went with its arrival
        # Nothing twice: no update is pending nor held back once the burst's is out.
        assert not bridge._flush_timer.isActive()
        assert len(added) == 2
        qtbot.waitUntil(lambda: time.monotonic() - burst[0] > spacing, timeout=10_000)
        bus.publish(OpportunitiesAdded((rows[7],)))
        assert added[-1][1] == [rows[7].key]  # quiet again: at once
    finally:
        bridge.detach()
        await services.aclose()
