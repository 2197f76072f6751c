"""The user's marks go through `Inbox` (read, star, archive), and the inbox's state of an
opportunity is a `LocalState` computed in one place."""

from __future__ import annotations

import pytest

from app.domain import Draft, LocalState, Platform, Submission, SubmissionState
from app.services.container import Services
from app.services.inbox import LOCAL_STATES, local_state
from tests.services.conftest import make_opportunity


@pytest.mark.parametrize(
    ("read", "drafted", "submission", "expected"),
    [
        (False, False, None, LocalState.NEW),
        (True, False, None, LocalState.READ),
        (True, True, None, LocalState.DRAFTED),
        (False, True, SubmissionState.DRAFT, LocalState.DRAFTED),
        (True, True, SubmissionState.UNKNOWN, LocalState.SUBMITTING),
        (True, True, SubmissionState.SUBMITTED, LocalState.SUBMITTED),
        (True, False, SubmissionState.FAILED, LocalState.FAILED),
        (True, True, SubmissionState.WITHDRAWN, LocalState.WITHDRAWN),
    ],
)
def test_local_state_of_read_draft_and_latest_submission(
    read: bool, drafted: bool, submission: SubmissionState | None, expected: LocalState
) -> None:
    assert LocalState.of(read=read, drafted=drafted, submission=submission) is expected
    assert local_state(read=read, drafted=drafted, submission=submission) is expected


def test_the_filter_words_are_the_enum_values_in_order() -> None:
    assert LOCAL_STATES == (
        "new",
        "read",
        "drafted",
        "submitting",
        "submitted",
        "failed",
        "withdrawn",
    )
    assert LocalState.READ == "read"  # saved filters keep the word


async def test_read_star_archive_and_state_of_one_opportunity(services: Services) -> None:
    inbox, store = services.inbox, services.store
    opp = make_opportunity()
    await inbox.ingest([opp])
    key = opp.key
    assert inbox.state_of(key) is LocalState.NEW

    assert inbox.set_read(key) is True
    assert inbox.set_read(key) is False  # already read: nothing changed
    assert store.opportunities.flags(key).read
    assert inbox.state_of(key) is LocalState.READ

    assert inbox.toggle_starred(key) is True
    assert store.opportunities.flags(key).starred
    assert inbox.toggle_starred(key) is False
    assert not store.opportunities.flags(key).starred
    assert inbox.set_starred(key, True) and store.opportunities.flags(key).starred

    assert inbox.set_archived(key) is True
    assert store.opportunities.flags(key).archived
    inbox.set_archived(key, False)
    assert not store.opportunities.flags(key).archived

    store.drafts.save(Draft(opportunity_key=key, cover_letter="Hello"))
    assert inbox.state_of(key) is LocalState.DRAFTED
    sub = Submission(
        opportunity_key=key,
        platform=Platform.GIGRADAR,
        account=opp.account,
        dedupe_key=key,
        cover_letter="Hello",
        state=SubmissionState.SUBMITTED,
    )
    store.submissions.insert(sub)
    assert inbox.state_of(key) is LocalState.SUBMITTED
    assert inbox.local_states() == {key: LocalState.SUBMITTED}

    assert inbox.set_read(key, False) is True
    assert inbox.state_of(key) is LocalState.SUBMITTED  # the submission still speaks


async def test_marks_on_an_unknown_opportunity_change_nothing(services: Services) -> None:
    inbox = services.inbox
    assert inbox.set_read("gigradar:nope") is False
    assert inbox.toggle_starred("gigradar:nope") is False
    assert inbox.set_archived("gigradar:nope") is False
    assert inbox.state_of("gigradar:nope") is LocalState.NEW
