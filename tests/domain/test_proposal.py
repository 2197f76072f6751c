"""The route and terms rules the editor applies while a person writes a proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.domain.opportunity import Opportunity, Platform, Question
from app.domain.policy import PolicyIssue, Severity
from app.domain.proposal import (
    BlockerKind,
    amount_from_input,
    choose_account,
    choose_route,
    form_bid,
    latest_submission,
    live_submission,
    matched_answers,
    missing_account_hint,
    next_full_hour,
    route_hint,
    route_terms,
    submit_blocker,
)
from app.domain.submission import Answer, BidKind, Submission, SubmissionState

T0 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _opp(platform: Platform = Platform.GIGRADAR, account: str = "") -> Opportunity:
    return Opportunity(platform=platform, external_id="1", title="A job", account=account)


def _sub(state: SubmissionState, created: datetime, updated: datetime | None = None) -> Submission:
    return Submission(
        opportunity_key="gigradar:1",
        platform=Platform.GIGRADAR,
        account="main",
        dedupe_key="gigradar:1",
        cover_letter="Hello",
        state=state,
        created_at=created,
        updated_at=updated or created,
    )


def test_each_route_offers_its_own_bid_kinds_and_fields() -> None:
    gigradar, uphunt, gigiac = (route_terms(p) for p in Platform)
    assert gigradar.bid_kinds == (BidKind.HOURLY, BidKind.FIXED, BidKind.PLATFORM_DEFAULT)
    assert gigradar.schedulable and not gigradar.freelancer_terms and not gigradar.fixed_only
    assert uphunt.bid_kinds == gigradar.bid_kinds
    assert uphunt.freelancer_terms and not uphunt.schedulable and not uphunt.fixed_only
    assert gigiac.bid_kinds == (BidKind.FIXED,)
    assert gigiac.fixed_only and not gigiac.freelancer_terms and not gigiac.schedulable


def test_the_missing_account_hint_takes_the_right_article() -> None:
    assert missing_account_hint(Platform.UPHUNT) == "Add an UpHunt account"
    assert missing_account_hint(Platform.GIGRADAR) == "Add a GigRadar account"
    assert missing_account_hint(Platform.GIGIAC) == "Add a Gigiac account"


def test_the_route_is_the_drafts_then_one_with_an_account_then_the_first() -> None:
    routes = (Platform.GIGRADAR, Platform.UPHUNT)
    accounts = {Platform.UPHUNT: ["u1"]}
    assert choose_route(routes, accounts, Platform.GIGRADAR) is Platform.GIGRADAR
    assert choose_route(routes, accounts, Platform.GIGIAC) is Platform.UPHUNT  # not allowed
    assert choose_route(routes, accounts) is Platform.UPHUNT
    assert choose_route(routes, {}) is Platform.GIGRADAR
    with pytest.raises(ValueError, match="at least one route"):
        choose_route((), accounts)


def test_the_route_hint_names_the_only_route_or_what_is_missing() -> None:
    one = (Platform.GIGIAC,)
    assert route_hint(Platform.GIGIAC, one, {Platform.GIGIAC: ["g"]}) == "Gigiac"
    assert route_hint(Platform.GIGIAC, one, {}) == "Gigiac — Add a Gigiac account"
    two = (Platform.GIGRADAR, Platform.UPHUNT)
    both = {Platform.GIGRADAR: ["r"], Platform.UPHUNT: ["u"]}
    assert route_hint(Platform.GIGRADAR, two, both) == ""
    assert route_hint(Platform.GIGRADAR, two, {}) == (
        "Add a GigRadar account · Add an UpHunt account"
    )


def test_the_account_is_the_wanted_one_then_the_jobs_then_the_first() -> None:
    names = ["a", "b", "c"]
    opp = _opp(Platform.GIGRADAR, account="c")
    assert choose_account(Platform.GIGRADAR, names, opp, "b") == "b"
    assert choose_account(Platform.GIGRADAR, names, opp, "gone") == "c"
    assert choose_account(Platform.GIGRADAR, names, opp, None) == "c"
    # The job's account counts only on the job's own platform.
    assert choose_account(Platform.UPHUNT, names, opp, None) == "a"
    assert choose_account(Platform.GIGRADAR, names, None) == "a"
    assert choose_account(Platform.GIGRADAR, [], opp, "b") is None


def test_an_amount_is_whole_cents_and_zero_means_none() -> None:
    assert amount_from_input(0.0) is None
    assert amount_from_input(-5.0) is None
    assert amount_from_input(1234.5) == Decimal("1234.50")
    assert amount_from_input(0.005) == Decimal("0.01")  # half up
    assert amount_from_input(99.994) == Decimal("99.99")


def test_the_bid_follows_the_routes_terms() -> None:
    amount = Decimal("40.00")
    gigiac = form_bid(Platform.GIGIAC, BidKind.HOURLY, amount, timeline="1 to 3 months")
    assert (gigiac.kind, gigiac.amount, gigiac.timeline) == (BidKind.FIXED, amount, None)
    default = form_bid(Platform.GIGRADAR, BidKind.PLATFORM_DEFAULT, amount, boost_connects=5)
    assert (default.kind, default.amount, default.boost_connects) == (
        BidKind.PLATFORM_DEFAULT,
        None,
        None,
    )
    uphunt = form_bid(
        Platform.UPHUNT, BidKind.HOURLY, amount, timeline="1 to 3 months", boost_connects=5
    )
    assert (uphunt.timeline, uphunt.boost_connects) == ("1 to 3 months", 5)
    plain = form_bid(Platform.UPHUNT, BidKind.FIXED, None, timeline="", boost_connects=0)
    assert (plain.amount, plain.timeline, plain.boost_connects) == (None, None, None)


def test_the_send_time_offered_is_the_next_full_hour() -> None:
    assert next_full_hour(T0) == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    on_the_hour = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)
    assert next_full_hour(on_the_hour) == datetime(2026, 3, 15, 0, 0, tzinfo=UTC)


def test_the_latest_and_the_live_submission() -> None:
    failed = _sub(SubmissionState.FAILED, T0 + timedelta(hours=2))
    sent = _sub(SubmissionState.SUBMITTED, T0, T0 + timedelta(hours=3))
    assert latest_submission([]) is None
    assert latest_submission([sent, failed]) is failed
    tie = _sub(SubmissionState.WITHDRAWN, failed.created_at, failed.updated_at + timedelta(1))
    assert latest_submission([failed, tie]) is tie
    assert live_submission([failed]) is None
    assert live_submission([sent, failed]) is sent


def test_what_blocks_a_proposal_in_the_order_a_person_fixes_it() -> None:
    error = PolicyIssue("empty_letter", Severity.ERROR, "The cover letter is empty.")
    warning = PolicyIssue("bid_high", Severity.WARNING, "High.")
    scheduled = _sub(SubmissionState.SCHEDULED, T0)
    blocker = submit_blocker([scheduled], Platform.GIGRADAR, None, [error])
    assert blocker is not None and blocker.kind is BlockerKind.ALREADY_SENT
    assert blocker.message == "Already scheduled: BidDesk sends one proposal per job."
    blocker = submit_blocker([], Platform.UPHUNT, None, [error])
    assert blocker is not None and blocker.kind is BlockerKind.NO_ACCOUNT
    assert blocker.message == "Add an UpHunt account to send through UpHunt."
    blocker = submit_blocker([], Platform.UPHUNT, "u", [error, error, warning])
    assert blocker is not None and blocker.kind is BlockerKind.ERRORS
    assert blocker.message == "✖ Fix 2 problems before sending."
    failed = _sub(SubmissionState.FAILED, T0)
    assert submit_blocker([failed], Platform.UPHUNT, "u", [warning]) is None


def test_answers_match_their_question_by_id_then_by_text() -> None:
    questions = [
        Question(id="q1", text="Have you done this before?"),
        Question(id="q2", text="When can you  START?"),
        Question(id="q3", text="Your rate?"),
    ]
    answers = [
        Answer(question_id="q1", question="Have you done this before?", answer=""),
        Answer(question_id=None, question="have you done this before?", answer="Twice."),
        Answer(question_id="old", question="when can you start?", answer="Monday."),
    ]
    # A draft: the answer saved for an id stands, even empty; else the text decides.
    assert matched_answers(questions, answers) == ["", "Monday.", ""]
    # A model's drafts: an empty answer by id gives way to one matched by text.
    assert matched_answers(questions, answers, skip_empty=True) == ["Twice.", "Monday.", ""]
    assert matched_answers(questions, []) == ["", "", ""]
