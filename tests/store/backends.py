"""Opening a second connection to a test's store, on whichever backend it is."""

from __future__ import annotations

from app.store import Database, Store
from app.store.pg import PgDatabase


def reopen(store: Store) -> Database:
    """Another Database on the same data, as another BidDesk process would have."""
    if isinstance(store.db, PgDatabase):
        return PgDatabase.connect(store.db.target.url, store.db.path)
    return Database.open(store.path)
