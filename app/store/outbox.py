"""The team server's outbox: submissions desktops staged, taken one at a time.

`take_staged` locks the oldest `staged` submission no one else holds (`FOR UPDATE SKIP
LOCKED`, so two servers never take the same one and never wait on each other) and moves
it to `submitting` in the same transaction. That commit happens before the request
leaves; a server killed mid-send leaves it `submitting`, which the next start reconciles
with the platform (the `unknown` -> reconcile path) instead of sending it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.submission import Submission, SubmissionState
from app.store.db import team_database

if TYPE_CHECKING:
    from app.store import Store

_NEXT_STAGED = (
    "SELECT id FROM submissions WHERE state = 'staged'"
    " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
)


def take_staged(store: Store) -> Submission | None:
    """The next staged submission, now `submitting` and this caller's; None if none."""
    db = team_database(store.db)  # every window imports this module: no psycopg for it
    if db is None:
        return None  # a desktop of its own sends directly; nothing is ever staged
    with db.row_locking() as conn:
        row = conn.execute(_NEXT_STAGED).fetchone()
        if row is None:
            return None
        staged = store.submissions.get(str(row[0]))
        if staged is None or staged.state is not SubmissionState.STAGED:
            return None
        taken = staged.transition(SubmissionState.SUBMITTING, detail="taken by the team server")
        store.submissions.save(taken)
    return taken
