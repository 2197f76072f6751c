"""Recording deliveries together: one commit for a pass's worth, each still deduplicated."""

from __future__ import annotations

from app.domain import Platform
from app.store import Store


def test_deliveries_recorded_together_are_pending_once_each(store: Store) -> None:
    gr = Platform.GIGRADAR
    store.webhooks.record(gr, "gr/seen", b"{}", account="gr", event="E")
    news = store.webhooks.record_many(
        [
            (gr, "gr/1", b'{"a": 1}', "gr", "E"),
            (gr, "gr/seen", b"{}", "gr", "E"),  # a platform's retry of an earlier one
            (gr, "gr/2", b'{"a": 2}', "gr", "E"),
            (gr, "gr/1", b'{"a": 1}', "gr", "E"),  # the same one twice in one pass
        ]
    )
    assert news == [True, False, True, False]
    pending = store.webhooks.pending()
    assert [(d.dedupe_key, d.raw, d.account) for d in pending] == [
        ("gr/1", b'{"a": 1}', "gr"),
        ("gr/2", b'{"a": 2}', "gr"),
    ]
