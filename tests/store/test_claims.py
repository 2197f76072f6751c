"""Claims and members: the same contract on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.store import ClaimedError, Store
from app.store.claims import ClaimRepo
from tests.store.backends import reopen
from tests.store.factories import T0

KEY = "gigradar:opp-1"


def test_claim_is_seen_by_another_connection(store: Store) -> None:
    claim = store.claims.claim(KEY, "alice", now=T0)
    assert (claim.member, claim.claimed_at) == ("alice", T0)
    with reopen(store) as other:
        held = ClaimRepo(other).holder(KEY, now=T0 + timedelta(minutes=1))
    assert held == claim


def test_another_member_needs_to_take_over(store: Store) -> None:
    store.claims.claim(KEY, "alice", now=T0)
    with pytest.raises(ClaimedError) as caught:
        store.claims.claim(KEY, "bob", now=T0 + timedelta(minutes=1))
    assert "alice is writing the proposal" in caught.value.user_message
    assert "take the claim over" in caught.value.user_message
    taken = store.claims.claim(KEY, "bob", take_over=True, now=T0 + timedelta(minutes=2))
    assert store.claims.holder(KEY, now=T0 + timedelta(minutes=2)) == taken
    assert taken.member == "bob"


def test_own_claim_is_refreshed_and_keeps_its_start(store: Store) -> None:
    store.claims.claim(KEY, "alice", now=T0)
    again = store.claims.claim(KEY, "alice", now=T0 + timedelta(minutes=5))
    assert (again.claimed_at, again.active_at) == (T0, T0 + timedelta(minutes=5))
    assert store.claims.touch(KEY, "alice", now=T0 + timedelta(minutes=9))
    assert not store.claims.touch(KEY, "bob", now=T0 + timedelta(minutes=9))


def test_a_quiet_holder_s_claim_expires(store: Store) -> None:
    store.claims.claim(KEY, "alice", now=T0)
    later = T0 + store.claims.ttl + timedelta(seconds=1)
    assert store.claims.holder(KEY, now=later) is None
    assert store.claims.live(now=later) == {}
    # Expired: taken without a take-over.
    assert store.claims.claim(KEY, "bob", now=later).member == "bob"


def test_release_is_the_holder_s_unless_forced(store: Store) -> None:
    store.claims.claim(KEY, "alice", now=T0)
    assert not store.claims.release(KEY, "bob")
    assert store.claims.holder(KEY, now=T0) is not None
    assert store.claims.release(KEY, "alice")
    assert store.claims.holder(KEY, now=T0) is None
    store.claims.claim(KEY, "alice", now=T0)
    assert store.claims.release(KEY)  # forced
    assert not store.claims.release(KEY)


def test_members_heartbeat(store: Store) -> None:
    store.members.beat("server-1", "server", now=T0)
    store.members.beat("alice", "desktop", now=T0 + timedelta(seconds=5))
    assert [m.name for m in store.members.seen_since(T0)] == ["alice", "server-1"]
    assert [m.name for m in store.members.seen_since(T0, role="server")] == ["server-1"]
    assert store.members.seen_since(T0 + timedelta(seconds=1), role="server") == []
    store.members.leave("alice")
    assert [m.name for m in store.members.seen_since(T0)] == ["server-1"]
