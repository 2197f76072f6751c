"""The editor's header shows the competition and the client's history where the platform
reports them (and says so where it does not), and highlights the filter bar's search
terms in the job's description — in the pane, and in the real window on the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from app.domain import ClientInfo, Competition, Platform
from app.domain.filters import FilterSpec, parse_query
from app.ui.panes.editor import EditorPane
from tests.ui.test_editor_pane import ACCOUNTS, find, gigiac_opp, make_opp
from tests.ui.test_window import running, select_platform, until

DEEP_CLIENT = ClientInfo(
    country="United States",
    total_spent=Decimal("48200"),
    total_hires=31,
    jobs_posted=40,
    avg_hourly_rate=Decimal("42.50"),
    member_since=datetime(2019, 3, 4, tzinfo=UTC),
)


@pytest.fixture
def pane(qtbot) -> EditorPane:
    widget = EditorPane()
    qtbot.addWidget(widget)
    widget.resize(620, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def label(pane: EditorPane, name: str) -> QLabel:
    return find(pane, QLabel, name)


def test_competition_and_client_history_show_where_reported(pane: EditorPane) -> None:
    competition = Competition(proposals_tier="5 to 10", interviewing=2, invites_sent=3)
    pane.show_opportunity(make_opp(client=DEEP_CLIENT, competition=competition), None, (), ACCOUNTS)
    assert label(pane, "competition_facts").isVisible()
    assert label(pane, "competition_facts").text() == (
        "Proposals: 5 to 10 · Interviewing: 2 · Invites sent: 3"
    )
    assert label(pane, "client_history").text() == (
        "40 jobs posted · 31 hires · $42.50/h average paid · Member since Mar 2019"
    )
    assert "16 Connects" in label(pane, "job_meta").text()


def test_unreported_depth_is_said_not_invented(pane: EditorPane) -> None:
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)  # documented fields only
    competition = label(pane, "competition_facts")
    assert competition.isVisible()
    assert competition.text() == "Proposals, interviews and invites: not reported by GigRadar"
    assert not label(pane, "client_history").isVisible()  # nothing of the history known
    pane.show_opportunity(gigiac_opp(), None, (), ACCOUNTS)
    assert not competition.isVisible()  # a Gigiac task: no Upwork competition to speak of
    task = gigiac_opp().model_copy(update={"competition": Competition(proposals=3)})
    pane.show_opportunity(task, None, (), ACCOUNTS)
    assert competition.isVisible() and competition.text() == "Proposals: 3"


DESCRIPTION = (
    "We need a React admin panel 🚀 for our shop.\n"
    "Don’t send WordPress offers; REACT experience required (react-query a plus)."
)


def selections(pane: EditorPane) -> list[str]:
    description = find(pane, QPlainTextEdit, "description")
    return [s.cursor.selectedText() for s in description.extraSelections()]


def test_search_terms_are_highlighted_in_the_description(pane: EditorPane) -> None:
    pane.show_opportunity(make_opp(description=DESCRIPTION), None, (), ACCOUNTS)
    assert selections(pane) == []
    pane.set_search_terms(parse_query('react "admin panel" -wordpress').terms())
    # Every occurrence, any case; the excluded word is not highlighted.
    expected = ["React", "admin panel", "REACT", "react"]
    assert pane.highlighted_terms() == expected
    assert selections(pane) == expected  # the painted spans, past the emoji too
    pane.set_search_terms(parse_query("don't").terms())  # a typed quote finds a curly one
    assert pane.highlighted_terms() == ["Don’t"] == selections(pane)
    # The next job shown is highlighted too; clearing the search clears it.
    other = make_opp(external_id="op-2", description="No match here but don't worry.")
    pane.show_opportunity(other, None, (), ACCOUNTS)
    assert selections(pane) == ["don't"]
    pane.set_search_terms(())
    assert selections(pane) == [] and pane.highlighted_terms() == []


@pytest.mark.integration
async def test_the_window_shows_depth_and_highlights_what_the_filter_bar_searches(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as desk:
        key = await select_platform(desk, Platform.GIGRADAR)
        editor = desk.window.editor
        opp = desk.services.store.opportunities.get(key)
        assert opp is not None and opp.competition.proposals_tier  # the full sandbox
        facts = editor.findChild(QLabel, "competition_facts").text()
        assert facts.startswith(f"Proposals: {opp.competition.proposals_tier}")
        assert "Interviewing:" in facts and "Invites sent:" in facts
        assert "Member since" in editor.findChild(QLabel, "client_history").text()

        word = max(opp.description.split(), key=len).strip(".,;:()!?\"'")
        desk.window.filter_bar.search.setText(word)  # typed: debounced, then applied
        await until(lambda: desk.window.inbox_controller.current_key is not None)
        await until(lambda: bool(editor.highlighted_terms()))
        shown = desk.window.inbox_controller.current_key
        assert shown is not None
        description = desk.services.store.opportunities.get(shown).description
        assert all(piece.lower() == word.lower() for piece in editor.highlighted_terms())
        assert len(editor.highlighted_terms()) == description.lower().count(word.lower())
        desk.window.inbox_controller.on_filter_changed(FilterSpec())
        assert editor.highlighted_terms() == []


@pytest.mark.integration
async def test_a_search_restored_at_start_is_highlighted_too(tmp_path: Path) -> None:
    from app.store import Store
    from app.ui.controllers.inbox import FILTER_KEY
    from tests.ui.test_window import start_app

    profile = tmp_path / "profile"
    with Store.open(profile) as store:
        store.settings.set(FILTER_KEY, FilterSpec(text="the").to_json())
    app = await start_app(profile)
    try:
        editor = app.window.editor
        await until(lambda: app.window.inbox_controller.current_key is not None)
        await until(lambda: bool(editor.highlighted_terms()))
        assert {piece.lower() for piece in editor.highlighted_terms()} == {"the"}
    finally:
        await app.stop()
