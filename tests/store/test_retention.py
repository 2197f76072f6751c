"""Retention in the store: old deliveries forgotten, bodies dropped, old rows archived.

What a user notices: the file stops growing with every webhook, a delivery BidDesk still
has to process (or could not read) is never lost to pruning, and an opportunity they are
working on (starred, drafted, submitted) is never archived by age.
"""

from __future__ import annotations

import time
from datetime import timedelta

from app.domain import Platform
from app.store import Store
from app.store.retention import archive_older_than, file_sizes
from tests.store.factories import T0, draft, opportunity, submission

OLD = T0 - timedelta(days=40)
BODY = b'{"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": {"id": "x"}}' * 50


def record(store: Store, key: str, *, at=OLD, processed: bool = True, event: str = "E") -> None:
    store.webhooks.record(
        Platform.GIGRADAR, key, BODY, received_at=at, account="gr", event=event, processed=processed
    )


def bodies(store: Store) -> dict[str, bool]:
    with store.db.read() as conn:
        rows = conn.execute("SELECT dedupe_key, body IS NOT NULL FROM webhook_deliveries")
        return {key: bool(has) for key, has in rows}


def test_prune_forgets_old_deliveries_in_chunks_with_their_pending_rows(store: Store) -> None:
    for n in range(7):
        record(store, f"gr/old-{n}")
    record(store, "gr/old-pending", processed=False)
    record(store, "gr/new", at=T0)
    record(store, "gr/new-pending", at=T0, processed=False)
    assert store.webhooks.prune(T0 - timedelta(days=30), chunk=3) == 8
    assert set(bodies(store)) == {"gr/new", "gr/new-pending"}
    # A month-old pending one is not replayed at every start forever; a recent one is kept.
    assert [d.dedupe_key for d in store.webhooks.pending()] == ["gr/new-pending"]
    # A platform retrying a forgotten delivery: recorded again as new (it is past retrying).
    assert not store.webhooks.seen(Platform.GIGRADAR, "gr/old-0")


def test_bodies_are_dropped_only_where_nothing_needs_them(store: Store) -> None:
    record(store, "gr/done")
    record(store, "gr/pending", processed=False)
    record(store, "gr/unreadable:abc", event="unreadable: not JSON")
    record(store, "gr/recent", at=T0)
    dropped = store.webhooks.drop_bodies(T0 - timedelta(hours=24), chunk=1)
    assert dropped == 1
    assert bodies(store) == {
        "gr/done": False,
        "gr/pending": True,  # replayed from its body on the next start
        "gr/unreadable:abc": True,  # shown by `biddesk webhooks status`
        "gr/recent": True,
    }
    # The key stays: a retry of the processed delivery is still recognised as a duplicate.
    assert not store.webhooks.record(Platform.GIGRADAR, "gr/done", BODY)
    count, size = store.webhooks.sizes()
    assert count == 4 and size == 3 * len(BODY)


def test_archiving_by_age_spares_what_the_user_is_working_on(store: Store) -> None:
    old = [opportunity(n, detected_at=OLD + timedelta(seconds=n)) for n in range(1, 8)]
    recent = opportunity(50, detected_at=T0)
    store.opportunities.upsert_many([*old, recent])
    starred, drafted, submitted = old[0].key, old[1].key, old[2].key
    store.opportunities.set_starred(starred)
    store.drafts.save(draft(drafted))
    store.submissions.insert(submission("upwork:~01zz", opportunity_key=submitted))
    archived = archive_older_than(store.db, T0 - timedelta(days=30), chunk=2)
    assert sorted(archived) == sorted(o.key for o in old[3:])
    for key in archived:
        flags = store.opportunities.flags(key)
        assert flags is not None and flags.archived
    for key in (starred, drafted, submitted, recent.key):
        flags = store.opportunities.flags(key)
        assert flags is not None and not flags.archived
    # Archived, not deleted: still there to search on request.
    assert store.opportunities.count() == 8
    assert archive_older_than(store.db, T0 - timedelta(days=30)) == []


def test_file_sizes_report_the_database_and_its_wal(store: Store) -> None:
    store.opportunities.upsert_many([opportunity(n) for n in range(200)])
    sizes = file_sizes(store.db)
    assert sizes.database > 0
    if store.db.backend != "sqlite":
        assert sizes.wal == 0  # PostgreSQL's WAL is the server's, not the profile's
        return
    assert sizes.wal > 0
    store.db.checkpoint()
    after = file_sizes(store.db)
    assert after.wal == 0 and after.database > sizes.database


def _folded(store: Store) -> None:
    """Checkpoint until the WAL is empty (the background checkpointer may hold the
    checkpoint lock for a moment: then TRUNCATE gives up at once)."""
    deadline = time.monotonic() + 60  # a bound for a broken fold, not a speed
    while time.monotonic() < deadline:
        store.db.checkpoint()
        if file_sizes(store.db).wal == 0:
            return
        time.sleep(0.01)
    raise AssertionError("the WAL was never folded in")


def _fill_and_prune(store: Store) -> None:
    for n in range(3000):
        record(store, f"d{n}")
    _folded(store)
    store.webhooks.prune(T0, chunk=500)
    _folded(store)


def test_pruned_pages_go_back_to_the_disk_in_short_steps(sqlite_store: Store) -> None:
    store = sqlite_store
    assert store.db.releases_free_pages()  # a new file: incremental auto-vacuum
    _fill_and_prune(store)
    before = file_sizes(store.db)
    assert before.free > 4_000_000  # ~7.5 MB of bodies were forgotten: the pages are free
    steps: list[int] = []
    original = store.db.transaction

    def counted(**kw: object):  # type: ignore[no-untyped-def]
        steps.append(1)
        return original(**kw)

    store.db.transaction = counted  # type: ignore[method-assign]
    released = store.db.release_free_pages(step=100)
    _folded(store)
    after = file_sizes(store.db)
    assert released * 8192 == before.free and after.free == 0
    assert after.database <= before.database - before.free
    assert len(steps) > 3  # many short write transactions, not one long one


def test_an_older_file_keeps_its_free_pages_until_compacted(sqlite_store: Store) -> None:
    store = sqlite_store
    with store.db.read() as conn:  # a file made before incremental auto-vacuum
        conn.execute("PRAGMA auto_vacuum = NONE")
        conn.execute("VACUUM")
    assert not store.db.releases_free_pages()
    _fill_and_prune(store)
    before = file_sizes(store.db)
    assert store.db.release_free_pages() == 0
    assert file_sizes(store.db).database == before.database
    store.db.compact()
    after = file_sizes(store.db)
    assert after.free == 0 and after.database < (before.database - before.free) * 1.1
    assert store.db.releases_free_pages()  # from now on retention returns pages itself
    assert store.webhooks.sizes()[0] == 0  # nothing but the free pages went
