"""Hand-built histories for the insights tests: a store with exactly known proposals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.opportunity import ClientInfo, Platform
from app.domain.submission import (
    Failure,
    FailureReason,
    Outcome,
    StatusUpdate,
    Submission,
    SubmissionState,
)
from app.services.insights import Insights
from app.store import Store
from tests.store.factories import draft, hourly_opportunity, opportunity, submission

JAN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
FEB = datetime(2026, 2, 1, tzinfo=UTC)


def _outcomes(sub: Submission, *outcomes: Outcome) -> Submission:
    at = sub.submitted_at or JAN
    for outcome in outcomes:
        at += timedelta(hours=1)
        sub = sub.apply(StatusUpdate(outcome=outcome), via="poll", at=at)
    return sub


def build_history(store: Store) -> None:
    """January: 5 GigRadar jobs and 2 Gigiac tasks; one more GigRadar job in February.

    gigradar 1: sent 10 min after posting, template A, verified → viewed, replied, accepted
    gigradar 2: sent 2 h after posting, template A, not verified → viewed
    gigradar 3: sent, template B → no answer
    gigradar 4: drafted only;  gigradar 5: seen only
    gigiac 6: sent, no template → replied, then rejected (still a reply)
    gigiac 7: the send failed (drafted, not sent)
    gigradar 8 (February): sent → replied
    """
    verified = ClientInfo(payment_verified=True, country="Germany")
    unverified = ClientInfo(payment_verified=False, country="India")
    opps = [
        opportunity(1, detected_at=JAN, posted_at=JAN - timedelta(minutes=2), client=verified),
        opportunity(2, detected_at=JAN, posted_at=JAN - timedelta(minutes=2), client=unverified),
        opportunity(3, detected_at=JAN, posted_at=JAN),
        opportunity(4, detected_at=JAN),
        opportunity(5, detected_at=JAN),
        hourly_opportunity(6, detected_at=JAN, posted_at=JAN),
        hourly_opportunity(7, detected_at=JAN),
        opportunity(8, detected_at=FEB + timedelta(days=1), posted_at=FEB + timedelta(days=1)),
    ]
    store.opportunities.upsert_many(opps)

    def sent(opp_n: int, minutes: float, platform: Platform = Platform.GIGRADAR) -> Submission:
        opp = next(o for o in opps if o.external_id.endswith(f"-{opp_n}"))
        base = opp.posted_at or opp.detected_at
        at = base + timedelta(minutes=minutes)
        return submission(
            opp.dedupe_key,
            state=SubmissionState.SUBMITTED,
            platform=platform,
            opportunity_key=opp.key,
            created_at=at - timedelta(seconds=2),
        )

    subs = [
        _outcomes(sent(1, 10), Outcome.VIEWED, Outcome.REPLIED, Outcome.ACCEPTED),
        _outcomes(sent(2, 120), Outcome.VIEWED),
        sent(3, 30),
        _outcomes(sent(6, 45, Platform.GIGIAC), Outcome.REPLIED, Outcome.REJECTED),
        _outcomes(sent(8, 5), Outcome.REPLIED),
    ]
    failed = submission(
        "gigiac:task-7",
        state=SubmissionState.SUBMITTING,
        platform=Platform.GIGIAC,
        opportunity_key="gigiac:task-7",
        created_at=JAN,
    ).transition(
        SubmissionState.FAILED,
        failure=Failure.of(FailureReason.JOB_UNAVAILABLE),
        at=JAN + timedelta(minutes=1),
    )
    for sub in [*subs, failed]:
        store.submissions.insert(sub)
    store.drafts.save(draft("gigradar:opp-4"))
    insights = Insights(store)
    for key, template in (
        ("gigradar:opp-1", "A"),
        ("gigradar:opp-2", "A"),
        ("gigradar:opp-3", "B"),
    ):
        insights.note_opened(key, JAN + timedelta(minutes=1))
        insights.note_draft_ready(key, template, at=JAN + timedelta(minutes=3))
    insights.close()


@pytest.fixture
def history_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "profile") as store:
        build_history(store)
        yield store


@pytest.fixture
def insights(history_store: Store) -> Iterator[Insights]:
    service = Insights(history_store)
    yield service
    service.close()
