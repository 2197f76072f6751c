"""Retention as a use case: its settings, a run, and the event that tells the window."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from app.domain import Platform, utcnow
from app.services.container import open_services
from app.services.events import OpportunitiesArchived
from app.services.retention import (
    SETTINGS_KEY,
    Retention,
    RetentionConfig,
    load_config,
    save_config,
)
from tests.helpers.cli import run
from tests.store.factories import opportunity


def test_settings_default_to_30_days_and_a_damaged_value_reads_as_them(tmp_path: Path) -> None:
    services = open_services(tmp_path / "p")
    try:
        assert load_config(services.store) == RetentionConfig(30, 24, None)
        save_config(services.store, RetentionConfig(14, 6, 90))
        assert load_config(services.store) == RetentionConfig(14, 6, 90)
        services.store.settings.set(SETTINGS_KEY, {"delivery_days": -3})
        assert load_config(services.store) == RetentionConfig()
    finally:
        services.store.close()


async def test_a_run_archives_old_rows_forgets_old_deliveries_and_says_so(tmp_path: Path) -> None:
    services = open_services(tmp_path / "p")
    try:
        now = utcnow()
        old = [opportunity(n, detected_at=now - timedelta(days=100 + n)) for n in range(3)]
        fresh = opportunity(9, detected_at=now - timedelta(days=1))
        await services.inbox.ingest([*old, fresh])
        services.store.webhooks.record(
            Platform.GIGRADAR, "gr/1", b"{}", received_at=now - timedelta(days=31)
        )
        services.store.webhooks.record(
            Platform.GIGRADAR, "gr/2", b"{}", received_at=now - timedelta(days=2)
        )
        save_config(services.store, RetentionConfig(archive_days=90))
        events: list[OpportunitiesArchived] = []
        services.bus.subscribe(OpportunitiesArchived, events.append)
        report = await Retention(services.store, services.bus).run(now)
        assert sorted(report.archived) == sorted(o.key for o in old)
        assert report.deliveries_forgotten == 1 and report.bodies_dropped == 1
        assert [sorted(e.keys) for e in events] == [sorted(o.key for o in old)]
        assert report.sizes.database > 0
    finally:
        await services.aclose()


def test_the_cli_sets_archiving_runs_it_and_archived_rows_stay_searchable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = str(tmp_path / "p")
    services = open_services(profile)
    try:
        now = utcnow()
        services.store.opportunities.upsert_many(
            [
                opportunity(1, detected_at=now - timedelta(days=200), title="Ancient Qt job"),
                opportunity(2, detected_at=now, title="Fresh Qt job"),
            ]
        )
    finally:
        services.store.close()
    code, out, _ = run(
        ["--profile", profile, "retention", "--archive-after", "90", "--run"], capsys
    )
    assert code == 0
    assert "archived after 90 days" in out and "1 opportunities archived" in out
    assert "Database" in out and "WAL" in out
    code, out, _ = run(["--profile", profile, "list"], capsys)
    assert "Fresh Qt job" in out and "Ancient Qt job" not in out
    code, out, _ = run(["--profile", profile, "list", "--archived", "--search", "ancient"], capsys)
    assert "Ancient Qt job" in out
    code, out, _ = run(["--profile", profile, "retention", "--archive-after", "off"], capsys)
    assert code == 0 and "never archived by age" in out
    with pytest.raises(SystemExit):
        run(["--profile", profile, "retention", "--archive-after", "soon"], capsys)
    assert "not a number of days" in capsys.readouterr().err


def test_the_cli_compacts_an_older_profile_once_then_pages_go_back_by_themselves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = str(tmp_path / "p")
    services = open_services(profile)
    try:
        store = services.store
        with store.db.read() as conn:  # made before free pages went back to the disk
            conn.execute("PRAGMA auto_vacuum = NONE")
            conn.execute("VACUUM")
        old = utcnow() - timedelta(days=60)
        body = b'{"data": "x"}' * 400
        for n in range(2000):
            store.webhooks.record(
                Platform.GIGRADAR,
                f"d{n}",
                body,
                received_at=old,
                account="gr",
                event="E",
                processed=True,
            )
    finally:
        services.store.close()
    code, out, _ = run(["--profile", profile, "retention", "--run"], capsys)
    assert code == 0 and "2000 deliveries forgotten" in out
    assert "--compact` once" in out  # the freed space stays inside the file
    code, out, _ = run(["--profile", profile, "retention", "--compact", "--json"], capsys)
    shown = json.loads(out)
    assert code == 0 and shown["free_pages_return_to_disk"] is True
    assert shown["compacted"]["bytes_after"] < shown["compacted"]["bytes_before"] / 4
    code, out, _ = run(["--profile", profile, "retention"], capsys)
    assert "--compact` once" not in out
