"""The editor pane as a user meets it: what it shows, what it blocks, what it emits.

Real domain objects in, real widgets driven, signals observed; no services anywhere (the
pane only renders and emits intents).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from app.domain import (
    Answer,
    Bid,
    BidKind,
    ClientInfo,
    Draft,
    Failure,
    FailureReason,
    JobKind,
    Opportunity,
    Outcome,
    Platform,
    Question,
    StatusUpdate,
    Submission,
    SubmissionState,
    utcnow,
)
from app.services.submissions import SubmitRequest
from app.ui.panes.editor import ERROR_COLOR, EditorPane

ACCOUNTS = {
    Platform.GIGRADAR: ["acme-gr"],
    Platform.UPHUNT: ["acme-uh"],
    Platform.GIGIAC: ["acme-gg"],
}
LETTER = (
    "Hi, lane quotes are exactly what I built for a logistics client last year: two carrier "
    "APIs, a PostgreSQL cache with per-lane expiry and a FastAPI service behind a React UI. "
    "I would start with the carrier clients and their retries, then the cache and the API."
)
ANSWER_1 = "A carrier-rates integration."
ANSWER_2 = "30 hours a week."
QUESTIONS = (
    Question(id="q1", text="Describe a similar API integration you built."),
    Question(id="q2", text="What is your availability in hours per week?"),
)


def make_opp(**changes: object) -> Opportunity:
    fields: dict[str, object] = {
        "platform": Platform.GIGRADAR,
        "external_id": "op-1",
        "account": "acme-gr",
        "upwork_job_id": "~01abc",
        "title": "Senior Python developer for a FastAPI rate-quote service",
        "description": "We need a FastAPI service that quotes freight lanes.",
        "url": "https://www.upwork.com/jobs/~01abc",
        "kind": JobKind.HOURLY,
        "hourly_min": Decimal("40"),
        "hourly_max": Decimal("70"),
        "skills": ("Python", "FastAPI", "PostgreSQL"),
        "client": ClientInfo(
            country="United States",
            payment_verified=False,
            total_spent=Decimal("48200"),
            hire_rate=0.72,
            rating=4.9,
            reviews=31,
        ),
        "questions": QUESTIONS,
        "connects_price": 16,
        "match_score": 0.87,
        "posted_at": utcnow() - timedelta(hours=3),
    }
    fields.update(changes)
    return Opportunity(**fields)  # type: ignore[arg-type]


def gigiac_opp() -> Opportunity:
    return make_opp(
        platform=Platform.GIGIAC,
        external_id="task-9",
        account="acme-gg",
        upwork_job_id=None,
        url="https://gigiac.com/tasks/9",
        kind=JobKind.FIXED,
        budget=Decimal("1200"),
        hourly_min=None,
        hourly_max=None,
        questions=(),
    )


def submission(opp: Opportunity, **changes: object) -> Submission:
    fields: dict[str, object] = {
        "opportunity_key": opp.key,
        "platform": opp.platform,
        "account": opp.account,
        "dedupe_key": opp.dedupe_key,
        "cover_letter": LETTER,
    }
    fields.update(changes)
    return Submission(**fields).transition(SubmissionState.SUBMITTING)  # type: ignore[arg-type]


@pytest.fixture
def pane(qtbot) -> Iterator[EditorPane]:
    widget = EditorPane()
    qtbot.addWidget(widget)
    widget.resize(620, 900)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    # Leave no confirmation box behind for the next test.
    for box in widget.findChildren(QMessageBox):
        box.close()


def find(pane: QWidget, cls: type, name: str):  # -> an instance of cls
    widget = pane.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name!r}"
    return widget


def submit_button(pane: EditorPane) -> QPushButton:
    return find(pane, QPushButton, "submit")


def issues(pane: EditorPane) -> list[tuple[str, str]]:
    return pane.findChild(QWidget, "policy_issues").rows()


def fill_ready(pane: EditorPane, qtbot) -> None:
    """A letter and both answers: nothing blocks, nothing warns."""
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(pane, QPlainTextEdit, "answer_q1").setPlainText(ANSWER_1)
    find(pane, QPlainTextEdit, "answer_q2").setPlainText(ANSWER_2)
    qtbot.waitUntil(lambda: submit_button(pane).isEnabled())
    assert issues(pane) == []


def choose_route(pane: EditorPane, route: Platform) -> None:
    find(pane, QRadioButton, f"route_{route.value}").click()


def choose_data(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered"
    combo.setCurrentIndex(index)


def visible_boxes(pane: EditorPane) -> list[QMessageBox]:
    return [b for b in pane.findChildren(QMessageBox) if b.isVisible()]


# -- rendering ------------------------------------------------------------------------------


def test_without_an_opportunity_the_pane_invites_a_selection(pane: EditorPane) -> None:
    assert find(pane, QLabel, "empty_title").isVisible()
    assert find(pane, QLabel, "empty_title").text() == "Select an opportunity"
    assert pane.current_draft() is None
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    pane.show_opportunity(None, None, (), ACCOUNTS)
    assert find(pane, QLabel, "empty_title").isVisible()
    assert pane.current_draft() is None


def test_an_hourly_upwork_job_shows_its_facts_and_fields(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    assert find(pane, QLabel, "title").text() == opp.title
    assert find(pane, QLabel, "platform_badge").text() == "GigRadar"
    meta = find(pane, QLabel, "job_meta").text()
    for fact in ("$40–70/h", "Posted 3 h ago", "16 Connects", "87% match"):
        assert fact in meta
    client = find(pane, QLabel, "client_facts").text()
    facts = ("United States", "$48,200 spent", "72% hire rate", "4.9 ★", "Payment not verified")
    for fact in facts:
        assert fact in client
    chips = [c.text() for c in pane.findChildren(QLabel, "skill_chip") if c.isVisible()]
    assert chips == ["Python", "FastAPI", "PostgreSQL"]
    assert find(pane, QPlainTextEdit, "description").toPlainText() == opp.description
    assert find(pane, QPlainTextEdit, "description").isReadOnly()
    # One labelled answer field per screening question.
    assert find(pane, QLabel, "question_q1").text().endswith(QUESTIONS[0].text)
    assert find(pane, QPlainTextEdit, "answer_q2").isVisible()
    # Two routes for an Upwork job; the bid follows the job's kind.
    assert find(pane, QRadioButton, "route_gigradar").isVisible()
    assert find(pane, QRadioButton, "route_uphunt").isVisible()
    assert not find(pane, QRadioButton, "route_gigiac").isVisible()
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.HOURLY.value
    assert "$40–70/h" in find(pane, QLabel, "budget_hint").text()
    assert find(pane, QComboBox, "schedule").currentText() == "Now"  # GigRadar's schedule
    assert not find(pane, QComboBox, "profile").isVisible()  # UpHunt only
    with qtbot.waitSignal(pane.open_url_requested) as opened:
        find(pane, QPushButton, "open_job").click()
    assert opened.args == [opp.url]


def test_a_fixed_job_and_an_hourly_job_without_rate(pane: EditorPane) -> None:
    fixed = make_opp(kind=JobKind.FIXED, budget=Decimal("1200"), hourly_min=None, hourly_max=None)
    pane.show_opportunity(fixed, None, (), ACCOUNTS)
    assert "$1,200 fixed" in find(pane, QLabel, "job_meta").text()
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.FIXED.value
    kinds = find(pane, QComboBox, "bid_kind")
    offered = [kinds.itemText(i) for i in range(kinds.count())]
    assert offered == ["Hourly rate", "Fixed price", "Platform default"]

    no_rate = make_opp(external_id="op-2", hourly_min=None, hourly_max=None, url=None)
    pane.show_opportunity(no_rate, None, (), ACCOUNTS)
    assert "Hourly, no stated rate" in find(pane, QLabel, "job_meta").text()
    assert not find(pane, QPushButton, "open_job").isEnabled()


def test_a_gigiac_task_bids_a_fixed_amount(pane: EditorPane, qtbot) -> None:
    opp = gigiac_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    assert find(pane, QLabel, "platform_badge").text() == "Gigiac"
    assert "$1,200 fixed" in find(pane, QLabel, "job_meta").text()
    assert not find(pane, QComboBox, "bid_kind").isVisible()
    assert find(pane, QLabel, "bid_kind_fixed").isVisible()
    assert find(pane, QLabel, "gigiac_note").isVisible()
    assert not any(find(pane, QRadioButton, f"route_{p.value}").isVisible() for p in Platform)
    assert not find(pane, QWidget, "questions").isVisible()
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(pane, QDoubleSpinBox, "bid_amount").setValue(950.5)
    qtbot.waitUntil(lambda: submit_button(pane).isEnabled())
    with qtbot.waitSignal(pane.submit_requested) as sent:
        submit_button(pane).click()
    request: SubmitRequest = sent.args[0]
    assert request.via is Platform.GIGIAC
    assert request.account == "acme-gg"
    assert request.bid == Bid(kind=BidKind.FIXED, amount=Decimal("950.50"))


def test_the_uphunt_route_asks_for_freelancers_once_and_shows_its_fields(
    pane: EditorPane, qtbot
) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    asked: list[str] = []
    pane.freelancers_requested.connect(asked.append)
    choose_route(pane, Platform.UPHUNT)
    assert asked == ["acme-uh"]
    profile = find(pane, QComboBox, "profile")
    assert profile.isVisible()
    assert profile.currentText() == "Loading…"
    assert not profile.isEnabled()
    assert find(pane, QComboBox, "timeline").isVisible()
    assert find(pane, QSpinBox, "boost").isVisible()
    assert not find(pane, QComboBox, "schedule").isVisible()
    timelines = find(pane, QComboBox, "timeline")
    assert [timelines.itemText(i) for i in range(timelines.count())] == [
        "Job default",
        "Less than 1 month",
        "1 to 3 months",
        "3 to 6 months",
        "More than 6 months",
    ]
    pane.set_freelancers("acme-uh", [("p1", "Jane: Python backend"), ("p2", "Ann: Data")])
    assert profile.isEnabled()
    assert [profile.itemData(i) for i in range(profile.count())] == ["", "p1", "p2"]
    choose_route(pane, Platform.GIGRADAR)
    choose_route(pane, Platform.UPHUNT)
    assert asked == ["acme-uh"]  # the roster is known now
    assert profile.count() == 3


def test_a_route_without_an_account_is_disabled_with_a_hint(pane: EditorPane) -> None:
    accounts = {Platform.GIGRADAR: ["acme-gr"], Platform.UPHUNT: []}
    pane.show_opportunity(make_opp(), None, (), accounts)
    assert not find(pane, QRadioButton, "route_uphunt").isEnabled()
    assert "Add an UpHunt account" in find(pane, QLabel, "route_hint").text()
    assert find(pane, QRadioButton, "route_gigradar").isChecked()

    pane.show_opportunity(gigiac_opp(), None, (), {Platform.GIGIAC: []})
    assert "Add a Gigiac account" in find(pane, QLabel, "route_hint").text()
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(pane, QDoubleSpinBox, "bid_amount").setValue(900)
    submit_button(pane).click()
    assert not submit_button(pane).isEnabled()
    assert "Add a Gigiac account" in find(pane, QLabel, "submit_status").text()


# -- the letter and its checks --------------------------------------------------------------


def test_the_character_count_turns_red_past_the_limit(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    counter = find(pane, QLabel, "letter_counter")
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText("x" * 1234)
    assert counter.text() == "1,234 / 5,000"
    assert counter.property("over_limit") is False
    letter.setPlainText("x" * 5001)
    assert counter.text() == "5,001 / 5,000"
    assert counter.property("over_limit") is True
    assert counter.palette().color(QPalette.ColorRole.WindowText) == QColor(ERROR_COLOR)
    qtbot.waitUntil(lambda: any("limit is 5,000" in text for _, text in issues(pane)))
    assert not submit_button(pane).isEnabled()


def test_an_email_in_the_letter_is_an_error_underlined_in_place(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText(LETTER + " Write to john@doe.com any time.")
    qtbot.waitUntil(lambda: bool(issues(pane)))
    [(icon, text)] = issues(pane)
    assert icon == "✖"
    assert "john@doe.com" in text
    assert not submit_button(pane).isEnabled()
    assert "Fix 1 problem" in find(pane, QLabel, "submit_status").text()
    [selection] = letter.extraSelections()
    assert selection.cursor.selectedText() == "john@doe.com"


def test_highlights_land_on_the_right_text_after_an_emoji(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    letter = find(pane, QPlainTextEdit, "letter")
    letter.setPlainText("🚀🚀 " + LETTER + " Mail ann@corp.io")
    qtbot.waitUntil(lambda: bool(letter.extraSelections()))
    [selection] = letter.extraSelections()
    assert selection.cursor.selectedText() == "ann@corp.io"


def test_an_unanswered_question_blocks_until_answered(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    find(pane, QPlainTextEdit, "letter").setPlainText(LETTER)
    find(pane, QPlainTextEdit, "answer_q1").setPlainText("A carrier-rates integration.")
    qtbot.waitUntil(lambda: any("screening question" in t for _, t in issues(pane)))
    assert not submit_button(pane).isEnabled()
    find(pane, QPlainTextEdit, "answer_q2").setPlainText("30 hours a week.")
    qtbot.waitUntil(lambda: submit_button(pane).isEnabled())


def test_route_and_bid_edits_recompute_the_checks(pane: EditorPane, qtbot) -> None:
    fixed = make_opp(kind=JobKind.FIXED, budget=Decimal("1200"), hourly_min=None, hourly_max=None)
    pane.show_opportunity(fixed, None, (), ACCOUNTS)
    find(pane, QDoubleSpinBox, "bid_amount").setValue(1100)
    fill_ready(pane, qtbot)
    choose_data(find(pane, QComboBox, "bid_kind"), BidKind.PLATFORM_DEFAULT.value)
    assert not find(pane, QDoubleSpinBox, "bid_amount").isEnabled()
    qtbot.waitUntil(lambda: [i for i, _ in issues(pane)] == ["⚠"])
    choose_route(pane, Platform.UPHUNT)  # UpHunt has no such warning
    qtbot.waitUntil(lambda: issues(pane) == [])


# -- submitting -----------------------------------------------------------------------------


def test_submit_emits_one_exact_request_and_a_second_click_nothing(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    choose_route(pane, Platform.UPHUNT)
    pane.set_freelancers("acme-uh", [("p1", "Jane: Python backend"), ("p2", "Ann: Data")])
    choose_data(find(pane, QComboBox, "profile"), "p2")
    choose_data(find(pane, QComboBox, "timeline"), "1 to 3 months")
    find(pane, QSpinBox, "boost").setValue(12)
    find(pane, QDoubleSpinBox, "bid_amount").setValue(45.5)
    fill_ready(pane, qtbot)
    sent: list[SubmitRequest] = []
    pane.submit_requested.connect(sent.append)
    submit_button(pane).click()
    submit_button(pane).click()
    assert len(sent) == 1
    request = sent[0]
    assert request == SubmitRequest(
        opportunity_key=opp.key,
        cover_letter=LETTER,
        bid=Bid(
            kind=BidKind.HOURLY,
            amount=Decimal("45.50"),
            timeline="1 to 3 months",
            boost_connects=12,
        ),
        answers=(
            Answer(question_id="q1", question=QUESTIONS[0].text, answer=ANSWER_1),
            Answer(question_id="q2", question=QUESTIONS[1].text, answer=ANSWER_2),
        ),
        via=Platform.UPHUNT,
        account="acme-uh",
        profile_id="p2",
        scheduled_at=None,
        confirm_warnings=False,
    )
    assert str(request.bid.amount) == "45.50"
    assert not submit_button(pane).isEnabled()
    assert find(pane, QLabel, "submit_status").text() == "Sending…"
    pane.set_sending(False)
    assert submit_button(pane).isEnabled()


def test_the_keyboard_shortcut_submits(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    pane.activateWindow()
    qtbot.waitActive(pane)
    pane.focus_letter()
    letter = find(pane, QPlainTextEdit, "letter")
    qtbot.waitUntil(letter.hasFocus)
    with qtbot.waitSignal(pane.submit_requested, timeout=1000):
        qtbot.keyClick(letter, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert letter.toPlainText() == LETTER  # the shortcut did not type a newline


def test_a_gigradar_schedule_travels_with_the_request(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    assert not find(pane, QDateTimeEdit, "schedule_time").isVisible()
    choose_data(find(pane, QComboBox, "schedule"), True)
    assert find(pane, QDateTimeEdit, "schedule_time").isVisible()
    when = datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
    find(pane, QDateTimeEdit, "schedule_time").setDateTime(
        QDateTime.fromSecsSinceEpoch(int(when.timestamp()))
    )
    choose_data(find(pane, QComboBox, "bid_kind"), BidKind.FIXED.value)
    find(pane, QDoubleSpinBox, "bid_amount").setValue(19.99)
    qtbot.waitUntil(lambda: submit_button(pane).isEnabled())
    with qtbot.waitSignal(pane.submit_requested) as sent:
        submit_button(pane).click()
    request: SubmitRequest = sent.args[0]
    assert request.via is Platform.GIGRADAR
    assert request.account == "acme-gr"
    assert request.scheduled_at == when
    assert request.profile_id is None
    assert request.bid == Bid(kind=BidKind.FIXED, amount=Decimal("19.99"))


def test_warnings_ask_before_sending_and_yes_confirms(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    find(pane, QPlainTextEdit, "letter").setPlainText("Hi, I can do this well and on time.")
    qtbot.waitUntil(lambda: [i for i, _ in issues(pane)] == ["⚠"])
    assert submit_button(pane).isEnabled()
    sent: list[SubmitRequest] = []
    pane.submit_requested.connect(sent.append)
    submit_button(pane).click()
    assert sent == []
    [box] = visible_boxes(pane)
    assert "Send anyway?" in box.text()
    submit_button(pane).click()  # disabled while the question is open
    assert len(visible_boxes(pane)) == 1
    box.button(QMessageBox.StandardButton.Yes).click()
    assert len(sent) == 1
    assert sent[0].confirm_warnings is True
    assert sent[0].cover_letter == "Hi, I can do this well and on time."


def test_declining_the_warning_sends_nothing(pane: EditorPane, qtbot) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    find(pane, QPlainTextEdit, "letter").setPlainText("Hi, I can do this well and on time.")
    qtbot.waitUntil(lambda: [i for i, _ in issues(pane)] == ["⚠"])
    submit_button(pane).click()
    [box] = visible_boxes(pane)
    with qtbot.assertNotEmitted(pane.submit_requested):
        box.button(QMessageBox.StandardButton.No).click()
    assert submit_button(pane).isEnabled()


# -- drafts ---------------------------------------------------------------------------------


def test_edits_autosave_a_full_draft_that_restores_every_field(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    choose_route(pane, Platform.UPHUNT)
    pane.set_freelancers("acme-uh", [("p1", "Jane: Python backend"), ("p2", "Ann: Data")])
    choose_data(find(pane, QComboBox, "profile"), "p1")
    choose_data(find(pane, QComboBox, "timeline"), "More than 6 months")
    find(pane, QSpinBox, "boost").setValue(7)
    find(pane, QDoubleSpinBox, "bid_amount").setValue(62.25)
    find(pane, QPlainTextEdit, "answer_q1").setPlainText("Rates integration.")
    with qtbot.waitSignal(pane.draft_changed, timeout=1000) as saved:
        qtbot.keyClicks(find(pane, QPlainTextEdit, "letter"), "Hello there")
    draft: Draft = saved.args[0]
    assert draft.opportunity_key == opp.key
    assert draft.cover_letter == "Hello there"
    assert draft.bid == Bid(
        kind=BidKind.HOURLY,
        amount=Decimal("62.25"),
        timeline="More than 6 months",
        boost_connects=7,
    )
    assert [(a.question_id, a.answer) for a in draft.answers] == [
        ("q1", "Rates integration."),
        ("q2", ""),
    ]
    assert (draft.via, draft.account, draft.profile_id) == (Platform.UPHUNT, "acme-uh", "p1")

    fresh = EditorPane()
    qtbot.addWidget(fresh)
    fresh.show_opportunity(opp, draft, (), ACCOUNTS)
    assert fresh.current_draft().model_dump(exclude={"updated_at"}) == draft.model_dump(
        exclude={"updated_at"}
    )
    fresh.set_freelancers("acme-uh", [("p1", "Jane: Python backend"), ("p2", "Ann: Data")])
    assert find(fresh, QComboBox, "profile").currentData() == "p1"
    assert find(fresh, QRadioButton, "route_uphunt").isChecked()
    assert find(fresh, QPlainTextEdit, "letter").toPlainText() == "Hello there"
    assert find(fresh, QPlainTextEdit, "answer_q1").toPlainText() == "Rates integration."
    assert find(fresh, QComboBox, "timeline").currentText() == "More than 6 months"
    assert find(fresh, QSpinBox, "boost").value() == 7
    assert fresh.current_draft().model_dump(exclude={"updated_at"}) == draft.model_dump(
        exclude={"updated_at"}
    )


def test_a_scheduled_gigradar_draft_restores(pane: EditorPane) -> None:
    opp = make_opp()
    when = datetime(2031, 1, 2, 8, 15, tzinfo=UTC)
    draft = Draft(
        opportunity_key=opp.key,
        cover_letter=LETTER,
        bid=Bid(kind=BidKind.PLATFORM_DEFAULT),
        answers=(Answer(question_id="q2", question=QUESTIONS[1].text, answer="Full time."),),
        via=Platform.GIGRADAR,
        account="acme-gr",
        scheduled_at=when,
    )
    pane.show_opportunity(opp, draft, (), ACCOUNTS)
    assert find(pane, QComboBox, "schedule").currentData() is True
    assert find(pane, QDateTimeEdit, "schedule_time").isVisible()
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.PLATFORM_DEFAULT.value
    assert find(pane, QPlainTextEdit, "answer_q1").toPlainText() == ""
    assert find(pane, QPlainTextEdit, "answer_q2").toPlainText() == "Full time."
    restored = pane.current_draft()
    assert restored.scheduled_at == when
    assert restored.bid == draft.bid
    assert restored.answers[1].answer == "Full time."


def test_switching_opportunities_flushes_the_previous_draft_at_once(
    pane: EditorPane, qtbot
) -> None:
    first, second = make_opp(), make_opp(external_id="op-2", upwork_job_id="~02def")
    pane.show_opportunity(first, None, (), ACCOUNTS)
    saved: list[Draft] = []
    pane.draft_changed.connect(saved.append)
    find(pane, QPlainTextEdit, "letter").setPlainText("Half a thought")
    pane.show_opportunity(second, None, (), ACCOUNTS)
    assert [(d.opportunity_key, d.cover_letter) for d in saved] == [(first.key, "Half a thought")]
    assert find(pane, QPlainTextEdit, "letter").toPlainText() == ""
    with qtbot.assertNotEmitted(pane.draft_changed, wait=600):
        pass  # showing an opportunity is not an edit
    pane.flush_draft()
    assert len(saved) == 1


def test_showing_the_same_opportunity_again_keeps_newer_edits(pane: EditorPane) -> None:
    opp = make_opp()
    stale = Draft(opportunity_key=opp.key, cover_letter="Old text")
    pane.show_opportunity(opp, stale, (), ACCOUNTS)
    find(pane, QPlainTextEdit, "letter").setPlainText("Newer text")
    pane.show_opportunity(opp, stale, (), {**ACCOUNTS, Platform.UPHUNT: ["acme-uh", "b-uh"]})
    assert find(pane, QPlainTextEdit, "letter").toPlainText() == "Newer text"
    newer = Draft(opportunity_key=opp.key, cover_letter="From elsewhere")
    pane.show_opportunity(opp, newer, (), ACCOUNTS)
    assert find(pane, QPlainTextEdit, "letter").toPlainText() == "From elsewhere"


def test_flush_draft_emits_only_pending_edits(pane: EditorPane) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    saved: list[Draft] = []
    pane.draft_changed.connect(saved.append)
    pane.flush_draft()
    assert saved == []
    find(pane, QDoubleSpinBox, "bid_amount").setValue(50)
    pane.flush_draft()
    assert [d.bid.amount for d in saved] == [Decimal("50.00")]
    pane.flush_draft()
    assert len(saved) == 1


def test_leaving_the_pane_saves_at_once(qtbot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    pane = EditorPane(window)
    outside = QLineEdit(window)
    layout = QHBoxLayout(window)
    layout.addWidget(outside)
    layout.addWidget(pane)
    window.resize(900, 800)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    pane.focus_letter()
    letter = find(pane, QPlainTextEdit, "letter")
    qtbot.waitUntil(letter.hasFocus)
    qtbot.keyClicks(letter, "Draft")
    with qtbot.waitSignal(pane.draft_changed, timeout=100) as saved:
        outside.setFocus()
    assert saved.args[0].cover_letter == "Draft"


# -- lifecycle ------------------------------------------------------------------------------


def test_show_submission_updates_the_strip_live(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    pane.show_opportunity(opp, None, (), ACCOUNTS)
    fill_ready(pane, qtbot)
    strip_state = find(pane, QLabel, "lifecycle_state")
    assert not strip_state.isVisible()

    sending = submission(opp)
    pane.show_submission(sending)
    assert strip_state.isVisible()
    assert strip_state.text() == "Submitting…"
    assert find(pane, QLabel, "lifecycle_time").text()
    assert not submit_button(pane).isEnabled()  # one live proposal per job

    unknown = sending.transition(SubmissionState.UNKNOWN)
    pane.show_submission(unknown)
    assert strip_state.text() == "Checking with the platform…"

    done = unknown.apply(StatusUpdate(state=SubmissionState.SUBMITTED), via="poll")
    pane.show_submission(done)
    assert strip_state.text() == "Submitted"
    pane.show_submission(done.apply(StatusUpdate(outcome=Outcome.VIEWED), via="webhook"))
    assert "Viewed by the client" in strip_state.text()
    accepted = done.apply(StatusUpdate(outcome=Outcome.ACCEPTED), via="webhook")
    pane.show_submission(accepted)
    assert "Accepted ✓" in strip_state.text()
    assert find(pane, QLabel, "submit_status").text() == (
        "Already sent: BidDesk sends one proposal per job."
    )

    toggle = pane.findChild(QWidget, "history_toggle")
    assert toggle.text() == f"History ({len(accepted.history)})"
    toggle.click()
    history = find(pane, QLabel, "lifecycle_history")
    assert history.isVisible()
    assert "webhook" in history.text()

    other = submission(make_opp(external_id="op-2", upwork_job_id="~02def"))
    pane.show_submission(other)  # another job's: ignored
    assert "Accepted ✓" in strip_state.text()


def test_a_retryable_failure_offers_retry_once(pane: EditorPane, qtbot) -> None:
    opp = make_opp()
    failed = submission(opp).transition(
        SubmissionState.FAILED,
        failure=Failure.of(FailureReason.RATE_LIMITED, "Too many requests"),
    )
    pane.show_opportunity(opp, None, [failed], ACCOUNTS)
    assert find(pane, QLabel, "lifecycle_state").text() == "Not sent"
    assert find(pane, QLabel, "lifecycle_detail").text() == failed.failure.describe()
    retry = find(pane, QPushButton, "retry")
    assert retry.isVisible()
    retried: list[str] = []
    pane.retry_requested.connect(retried.append)
    retry.click()
    retry.click()
    assert retried == [failed.id]
    assert not retry.isEnabled()
    pane.set_sending(False)  # the window's answer: the retry could not start
    assert retry.isEnabled()

    final = submission(opp).transition(
        SubmissionState.FAILED, failure=Failure.of(FailureReason.JOB_UNAVAILABLE)
    )
    pane.show_submission(final.model_copy(update={"created_at": utcnow() + timedelta(seconds=1)}))
    assert not retry.isVisible()
    assert "no longer available" in find(pane, QLabel, "lifecycle_detail").text()
