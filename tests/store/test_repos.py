"""Drafts, accounts, webhook deliveries, settings, and the Store facade."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.opportunity import Platform
from app.domain.submission import Bid, BidKind
from app.store import (
    AccountExistsError,
    AccountNotFoundError,
    Store,
    WebhookDeliveryRepo,
)
from tests.store.backends import reopen
from tests.store.factories import T0, account, draft

# --- drafts -------------------------------------------------------------------------


def test_draft_round_trip_and_replace(store: Store) -> None:
    repo = store.drafts
    first = draft()
    repo.save(first)
    assert repo.get(first.opportunity_key) == first
    loaded = repo.get(first.opportunity_key)
    assert loaded is not None
    assert loaded.bid.amount == Decimal("45.50")
    assert loaded.scheduled_at is not None
    assert loaded.scheduled_at.utcoffset() == timedelta(0)

    edited = first.model_copy(
        update={"cover_letter": "Edited", "bid": Bid(kind=BidKind.FIXED, amount=Decimal("900"))}
    )
    repo.save(edited)
    assert repo.get(first.opportunity_key) == edited
    assert repo.get("gigradar:none") is None


def test_drafts_all_newest_first_and_delete(store: Store) -> None:
    repo = store.drafts
    older = draft("gigradar:opp-1", updated_at=T0)
    newer = draft("gigiac:task-2", updated_at=T0 + timedelta(minutes=1), via=None, answers=())
    repo.save(older)
    repo.save(newer)
    assert repo.all() == [newer, older]
    assert repo.delete("gigradar:opp-1")
    assert not repo.delete("gigradar:opp-1")
    assert repo.all() == [newer]


# --- accounts -----------------------------------------------------------------------


def test_accounts_crud(store: Store) -> None:
    repo = store.accounts
    main = account("main")
    sandbox = account(
        "sandbox",
        platform=Platform.GIGIAC,
        base_url="http://127.0.0.1:8765",
        speed=60.0,
        enabled=False,
        default_profile_id="p-2",
    )
    repo.add(sandbox)
    repo.add(main)
    assert repo.get("main") == main
    assert repo.get("nobody") is None
    assert repo.list() == [main, sandbox]

    renamed_url = main.model_copy(update={"base_url": "https://api.gigradar.io/v2"})
    repo.update(renamed_url)
    assert repo.get("main") == renamed_url

    assert repo.remove("sandbox")
    assert not repo.remove("sandbox")
    assert repo.list() == [renamed_url]


def test_duplicate_account_name(store: Store) -> None:
    store.accounts.add(account("main"))
    with pytest.raises(AccountExistsError) as caught:
        store.accounts.add(account("main", platform=Platform.UPHUNT, base_url="https://uphunt.io"))
    assert caught.value.user_message == (
        "An account named 'main' already exists; choose another name."
    )
    assert caught.value.name == "main"


def test_update_of_a_missing_account(store: Store) -> None:
    with pytest.raises(AccountNotFoundError) as caught:
        store.accounts.update(account("ghost"))
    assert "ghost" in caught.value.user_message


def test_accounts_table_cannot_hold_a_secret(store: Store) -> None:
    with store.db.read() as conn:
        if store.backend == "postgresql":
            found = conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'accounts' AND column_name <> 'rowid'"
            )
            columns = {row[0] for row in found}
        else:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(accounts)")}
    assert columns == {
        "name",
        "platform",
        "base_url",
        "speed",
        "default_profile_id",
        "enabled",
        "created_at",
    }
    assert not any(word in c for c in columns for word in ("key", "secret", "token", "pass"))


# --- webhook deliveries -------------------------------------------------------------


def test_record_is_true_once(store: Store) -> None:
    repo = store.webhooks
    assert repo.record(Platform.GIGRADAR, "evt-1", b'{"a":1}')
    assert not repo.record(Platform.GIGRADAR, "evt-1", b'{"a":1}')
    assert not repo.record("gigradar", "evt-1")  # the wire name works too
    # The same id from another platform is another delivery.
    assert repo.record(Platform.UPHUNT, "evt-1", "text body")
    assert repo.seen(Platform.GIGRADAR, "evt-1")
    assert not repo.seen(Platform.GIGIAC, "evt-1")


def test_record_is_atomic_across_connections(store: Store) -> None:
    with reopen(store) as other_db:
        other = WebhookDeliveryRepo(other_db)
        assert other.record(Platform.GIGIAC, "task.created:42")
        assert not store.webhooks.record(Platform.GIGIAC, "task.created:42")


def test_recent_keeps_bodies_newest_first_and_prune(store: Store) -> None:
    repo = store.webhooks
    repo.record(Platform.GIGRADAR, "old", b"\x00binary\xff", received_at=T0)
    repo.record(Platform.UPHUNT, "mid", "text", received_at=T0 + timedelta(minutes=1))
    repo.record(Platform.GIGIAC, "new", None, received_at=T0 + timedelta(minutes=2))
    recent = repo.recent(10)
    # A team database keeps bodies as bytes (BYTEA): a text body comes back encoded.
    text = b"text" if store.backend == "postgresql" else "text"
    assert [(d.platform, d.dedupe_key, d.raw) for d in recent] == [
        (Platform.GIGIAC, "new", None),
        (Platform.UPHUNT, "mid", text),
        (Platform.GIGRADAR, "old", b"\x00binary\xff"),
    ]
    assert recent[-1].received_at == T0
    assert [d.dedupe_key for d in repo.recent(1)] == ["new"]
    assert repo.prune(older_than=T0 + timedelta(seconds=90)) == 2
    assert [d.dedupe_key for d in repo.recent(10)] == ["new"]


def test_pending_until_marked_processed_and_pruned_with_their_delivery(store: Store) -> None:
    repo = store.webhooks
    repo.record(Platform.GIGRADAR, "old", b"{}", received_at=T0, account="a", processed=False)
    repo.record(
        Platform.GIGIAC, "cut", b"{}", received_at=T0 + timedelta(minutes=1), processed=False
    )
    repo.record(Platform.UPHUNT, "done", b"{}", received_at=T0 + timedelta(minutes=2))
    # A duplicate of a processed delivery does not make it pending again.
    assert not repo.record(Platform.UPHUNT, "done", b"{}", processed=False)
    assert [(d.dedupe_key, d.account, d.processed) for d in repo.pending()] == [
        ("old", "a", False),
        ("cut", None, False),
    ]
    assert [(d.dedupe_key, d.processed) for d in repo.recent(10)] == [
        ("done", True),
        ("cut", False),
        ("old", False),
    ]
    repo.mark_processed([(Platform.GIGIAC, "cut"), (Platform.GIGIAC, "never-recorded")])
    assert [d.dedupe_key for d in repo.pending()] == ["old"]
    # Pruning a delivery that was never processed forgets that it was pending, too: a
    # delivery recorded again later under the same key is new, and pending only if asked.
    assert repo.prune(older_than=T0 + timedelta(seconds=30)) == 1
    assert repo.pending() == []
    assert repo.record(Platform.GIGRADAR, "old", b"{}")
    assert repo.pending() == []


def test_unknown_platform_is_a_bug(store: Store) -> None:
    with pytest.raises(ValueError, match="upwork"):
        store.webhooks.record("upwork", "x")


# --- settings -----------------------------------------------------------------------


def test_settings(store: Store) -> None:
    repo = store.settings
    assert repo.get("missing") is None
    assert repo.get("missing", {"default": True}) == {"default": True}
    value = {"columns": ["title", "budget"], "width": 120, "ratio": 0.25, "dark": True, "x": None}
    repo.set("ui", value)
    repo.set("count", 3)
    assert repo.get("ui") == value
    repo.set("count", 4)
    assert repo.get("count") == 4
    assert repo.all() == {"count": 4, "ui": value}
    assert repo.delete("count")
    assert not repo.delete("count")


def test_settings_refuse_non_json_without_writing(store: Store) -> None:
    with pytest.raises(TypeError):
        store.settings.set("bad", {1, 2})
    assert store.settings.get("bad") is None


# --- the facade -----------------------------------------------------------------------


def test_store_uses_biddesk_home_by_default() -> None:
    home = Path(os.environ["BIDDESK_HOME"])  # set per test by the root conftest
    with Store.open() as store:
        assert store.path == home / "biddesk.sqlite3"
        assert store.db.journal_mode() == "wal"
    assert store.db.closed


def test_store_opens_a_new_profile_folder(tmp_path: Path) -> None:
    profile = tmp_path / "new" / "profile"
    with Store.open(profile) as store:
        assert store.path.parent == profile
        assert os.stat(profile).st_mode & 0o777 == 0o700
        for repo in (
            store.opportunities,
            store.drafts,
            store.submissions,
            store.accounts,
            store.webhooks,
            store.settings,
        ):
            assert repo is not None
