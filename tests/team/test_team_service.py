"""The team services in one process: claims on edit, live bus events, the heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.container import Services, open_services
from app.services.events import OpportunitiesAdded
from app.services.team import ClaimChanged, TeamLive, member_name
from app.services.team_server import ServerFollower
from tests.helpers.wait import wait_for
from tests.store.factories import opportunity


@pytest.fixture
def pair(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Services, Services]]:
    monkeypatch.setenv("BIDDESK_MEMBER", "alice")
    alice = open_services(tmp_path / "alice", url=pg_url)
    monkeypatch.setenv("BIDDESK_MEMBER", "bob")
    bob = open_services(tmp_path / "bob", url=pg_url)
    yield alice, bob
    alice.store.close()
    bob.store.close()


def test_the_member_name_defaults_to_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIDDESK_MEMBER", raising=False)
    assert member_name()
    monkeypatch.setenv("BIDDESK_MEMBER", " carol ")
    assert member_name() == "carol"


def test_the_first_edit_claims_and_leaves_another_s_claim_alone(
    pair: tuple[Services, Services],
) -> None:
    alice, bob = pair
    key = opportunity(1).key
    first = alice.team.on_edit(key)
    assert first is not None and first.member == "alice"
    # Bob edits the same job's letter: Alice's claim stays, and he is told who holds it.
    held = bob.team.on_edit(key)
    assert held is not None and held.member == "alice"
    assert bob.team.claimed_by() == {key: "alice"}
    # Alice's later edits keep her claim fresh without moving its start.
    again = alice.team.on_edit(key)
    assert again is not None and again.claimed_at == first.claimed_at


async def test_another_desktop_s_changes_arrive_as_bus_events(
    pair: tuple[Services, Services],
) -> None:
    alice, bob = pair
    heard: list[object] = []
    bob.bus.subscribe(None, heard.append)
    live = TeamLive(bob.store, bob.bus, asyncio.get_running_loop())
    assert live.start()
    try:
        assert await asyncio.to_thread(live.wait_listening, 30)
        await alice.inbox.ingest([opportunity(7)])
        alice.team.claim(opportunity(7).key)
        await wait_for(lambda: any(isinstance(e, ClaimChanged) for e in heard))
    finally:
        await asyncio.to_thread(live.stop)
    added = [e for e in heard if isinstance(e, OpportunitiesAdded)]
    assert [o.key for e in added for o in e.opportunities] == [opportunity(7).key]
    [claimed] = [e for e in heard if isinstance(e, ClaimChanged)]
    assert claimed.claim is not None and claimed.claim.member == "alice"


def test_a_desktop_pauses_polling_while_the_server_s_heartbeat_is_fresh(
    pair: tuple[Services, Services],
) -> None:
    server, desktop = pair
    calls: list[str] = []
    follower = ServerFollower(
        desktop.team, desktop.tasks, lambda: calls.append("pause"), lambda: calls.append("resume")
    )
    assert follower.check_now() is False
    server.team.heartbeat("server")
    assert follower.check_now() is True
    server.store.members.leave(server.team.member)
    assert follower.check_now() is False
    assert calls == ["resume", "pause", "resume"]
