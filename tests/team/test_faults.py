"""PostgreSQL restarted under a team: nothing typed is lost, both desktops reconnect.

These tests stop and start a cluster of their own (the session's stays up for the rest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.store import Store, TeamDatabaseUnavailableError
from tests.helpers.postgres import PgCluster, pg_unavailable
from tests.helpers.wait import wait_for_sync
from tests.store.factories import draft, opportunity
from tests.team.conftest import Desktop, Watch

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    reason = pg_unavailable()
    if reason is not None:
        pytest.skip(reason)
    own = PgCluster().init()
    own.start()
    yield own
    own.destroy()


def _answers(store: Store) -> bool:
    try:
        store.opportunities.count()
    except TeamDatabaseUnavailableError:
        return False
    return True


def test_a_restart_keeps_typing_and_the_store_reconnects(
    cluster: PgCluster, tmp_path: Path
) -> None:
    url = cluster.create_database()
    with Store.open(tmp_path, url=url) as store:
        store.opportunities.upsert_many([opportunity(1)])
        key = opportunity(1).key
        store.drafts.save(draft(key, cover_letter="before"))
        cluster.stop()
        try:
            # Typing goes on: the draft is kept on this desktop, and read back from there.
            store.drafts.save(draft(key, cover_letter="typed while away"))
            loaded = store.drafts.get(key)
            assert loaded is not None and loaded.cover_letter == "typed while away"
            with pytest.raises(TeamDatabaseUnavailableError) as caught:
                store.opportunities.count()
            sentence = caught.value.user_message
            assert "team database" in sentence and "\n" not in sentence
        finally:
            cluster.start()
        # Back: the same store answers again by itself (its pool replaces the dead
        # connections), and what was typed meanwhile reaches the database.
        wait_for_sync(lambda: _answers(store), message="the store reconnected")
        assert store.opportunities.count() == 1
        assert store.drafts.flush_offline() == 1
        with Store.open(tmp_path / "other", url=url) as other:
            seen = other.drafts.get(key)
            assert seen is not None and seen.cover_letter == "typed while away"


def test_both_desktops_reconnect_after_a_restart_and_nothing_is_lost(
    cluster: PgCluster, tmp_path: Path, team_on: Any
) -> None:
    alice, bob = team_on(cluster.create_database())
    with Store.open(tmp_path / "seed", url=alice.url) as store:
        store.opportunities.upsert_many([opportunity(1), opportunity(2)])
    assert alice.run("claim", opportunity(1).key).returncode == 0
    watch = Watch(bob)
    try:
        cluster.restart()
        away = watch.next(lambda line: line["event"] == "status" and line["sentence"])
        assert "team database" in away["sentence"] and "reconnects by itself" in away["sentence"]
        watch.next(lambda line: line["event"] == "status" and line["sentence"] is None)
        done = alice.run("claim", opportunity(2).key)
        assert done.returncode == 0, done.stderr
        seen = watch.next(lambda line: line["event"] == "claim")
        assert (seen["opportunity"], seen["claimed_by"]) == (opportunity(2).key, "alice")
    finally:
        watch.stop()
    listed = {o["key"]: o for o in bob.json("list", "--json", "--limit", "0")["opportunities"]}
    assert listed[opportunity(1).key]["claimed_by"] == "alice"  # from before the restart
    assert listed[opportunity(2).key]["claimed_by"] == "alice"


@pytest.fixture
def team_on(tmp_path: Path) -> Any:
    def make(url: str) -> tuple[Desktop, Desktop]:
        return Desktop("alice", tmp_path / "alice", url), Desktop("bob", tmp_path / "bob", url)

    return make
