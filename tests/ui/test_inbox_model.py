"""The inbox table model and view: filtering, sorting and live updates at the row level.

Rows go through a real Store (upsert, then `load_all_rows`) as at start-up; the oracle for
every filter is `FilterSpec.compile` on the full `Opportunity` models.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage
from PySide6.QtWidgets import QAbstractSlider, QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

import app.ui.models.opportunities as opportunities_module
from app.domain.filter_rows import fields_of
from app.domain.filters import ARCHIVED, FilterSpec, haystack
from app.domain.money import format_money
from app.domain.opportunity import ClientInfo, JobKind, Opportunity, Platform
from app.store import Store
from app.ui.models.opportunities import (
    KEY_ROLE,
    SORT_ROLE,
    STATE_ROLE,
    Column,
    OpportunityTableModel,
    money_text,
)
from app.ui.widgets.inbox_view import InboxView
from tests.helpers.profiles import examples

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WORDS = ["react", "node", "python", "django", "dashboard", "api", "mobile", "flutter"]
WORDS += ["shopify", "wordpress", "figma"]
COUNTRIES = ("United States", "Germany", "India", None)
DISPLAY = Qt.ItemDataRole.DisplayRole


def make_opportunity(n: int, **fields: object) -> Opportunity:
    """A varied opportunity: platforms, fixed and hourly, some values missing."""
    rnd = random.Random(n)
    hourly = n % 3 == 1
    words = rnd.sample(WORDS, 4)
    base: dict[str, object] = {
        "platform": list(Platform)[n % 3],
        "external_id": f"job-{n:04d}",
        "title": " ".join(words[:3]).capitalize() + f" #{n}",
        "description": f"We need {words[0]} and {words[1]}.\nAbout us: {rnd.choice(WORDS)} team.",
        "kind": JobKind.HOURLY if hourly else (JobKind.UNKNOWN if n % 7 == 0 else JobKind.FIXED),
        "budget": None if hourly or n % 11 == 0 else Decimal(rnd.choice([150, 1200, 12500])),
        "hourly_min": Decimal(rnd.choice([25, 40])) if hourly else None,
        "hourly_max": Decimal(rnd.choice([70, 120])) if hourly and n % 5 else None,
        "skills": tuple(w.capitalize() for w in words[2:]),
        "category": None if n % 4 == 0 else "Web Development",
        "client": ClientInfo(
            name=f"Client {n % 9}",
            country=COUNTRIES[n % len(COUNTRIES)],
            payment_verified=None if n % 6 == 0 else n % 2 == 0,
            total_spent=None if n % 5 == 0 else Decimal(rnd.choice(["950.00", "12500.50", "0"])),
            hire_rate=None if n % 8 == 0 else round(rnd.random(), 2),
        ),
        "match_score": None if n % 4 == 3 else round(rnd.uniform(0.3, 0.99), 2),
        "connects_price": None if n % 3 == 2 else rnd.choice([4, 8, 16]),
        "posted_at": None if n % 10 == 0 else NOW - timedelta(minutes=rnd.randint(1, 20_000)),
        "detected_at": NOW - timedelta(seconds=n),
    }
    base.update(fields)
    return Opportunity.model_validate(base)


def fill(store: Store, opportunities: Sequence[Opportunity]) -> None:
    store.opportunities.upsert_many(opportunities)


@pytest.fixture
def opportunities() -> list[Opportunity]:
    return [make_opportunity(n) for n in range(40)]


def clock() -> float:
    return NOW.timestamp()


@pytest.fixture
def model(qapp: object, store: Store, opportunities: list[Opportunity]) -> OpportunityTableModel:
    fill(store, opportunities)
    store.opportunities.set_read(opportunities[1].key, True)
    store.opportunities.set_archived(opportunities[2].key, True)
    loaded = OpportunityTableModel(clock=clock)
    loaded.load_rows(
        store.opportunities.load_all_rows(),
        {opportunities[3].key: "drafted", opportunities[4].key: "failed"},
    )
    return loaded


def visible_keys(model: OpportunityTableModel) -> list[str]:
    return [model.key_at(row) or "" for row in range(model.rowCount())]


def text(model: OpportunityTableModel, key: str, column: Column) -> str:
    row = model.row_of(key)
    assert row is not None
    return str(model.index(row, column).data(DISPLAY))


# -- the Qt contract ------------------------------------------------------------------------


def test_qtmodeltester_in_every_state(
    qtmodeltester: ModelTester, model: OpportunityTableModel
) -> None:
    qtmodeltester.check(model)
    model.set_filter(FilterSpec(text="react"))
    qtmodeltester.check(model)
    for column in Column:
        model.sort(column, Qt.SortOrder.DescendingOrder)
        qtmodeltester.check(model)
    model.sort(Column.SCORE, Qt.SortOrder.AscendingOrder)
    model.set_filter(FilterSpec())
    model.add_or_update([make_opportunity(100), make_opportunity(101, match_score=0.99)])
    qtmodeltester.check(model)
    existing = make_opportunity(5, title="React rewrite", match_score=0.01)
    model.add_or_update([existing])  # moves to the other end of the score order
    qtmodeltester.check(model)
    model.set_state(existing.key, "submitted")
    model.set_flags(existing.key, archived=True)
    model.set_flags(make_opportunity(6).key, read=True, starred=True)
    qtmodeltester.check(model)


def test_qtmodeltester_with_a_bulk_update(
    qtmodeltester: ModelTester, model: OpportunityTableModel
) -> None:
    model.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model)
    changed = [make_opportunity(n, title=f"{'zyx'[n % 3]} renamed {n}") for n in range(40)]
    model.add_or_update(changed)  # more than a few: one reset
    qtmodeltester.check(model)
    titles = [
        str(model.index(row, Column.TITLE).data(SORT_ROLE)) for row in range(model.rowCount())
    ]
    assert titles == sorted(titles)


def test_counts(model: OpportunityTableModel, qtbot: QtBot) -> None:
    assert (model.visible_count(), model.total_count()) == (39, 40)  # one archived
    with qtbot.waitSignal(model.counts_changed) as blocker:
        model.set_filter(FilterSpec(include_archived=True))
    assert blocker.args == [40, 40]
    with qtbot.waitSignal(model.counts_changed) as blocker:
        model.add_or_update([make_opportunity(200)])
    assert blocker.args == [41, 41]


# -- what a row holds -----------------------------------------------------------------------


def test_a_rows_haystack_and_fields_equal_the_models(
    model: OpportunityTableModel, opportunities: list[Opportunity]
) -> None:
    for opp in opportunities:
        assert model.haystack_of_key(opp.key) == haystack(opp)
        archived = opp.key == opportunities[2].key
        assert model.fields_of_key(opp.key) == fields_of(opp, archived=archived)


def test_rows_from_the_bridge_equal_rows_from_the_store(
    qapp: object, store: Store, opportunities: list[Opportunity]
) -> None:
    fill(store, opportunities)
    from_store = OpportunityTableModel(clock=clock)
    from_store.load_rows(store.opportunities.load_all_rows(), {})
    from_bridge = OpportunityTableModel(clock=clock)
    from_bridge.add_or_update(opportunities)
    from_store.set_filter(FilterSpec(include_archived=True))
    from_bridge.set_filter(FilterSpec(include_archived=True))
    for opp in opportunities:
        row_a, row_b = from_store.row_of(opp.key), from_bridge.row_of(opp.key)
        assert row_a is not None
        assert row_b is not None
        for column in Column:
            for role in (DISPLAY, SORT_ROLE, Qt.ItemDataRole.ToolTipRole):
                a = from_store.index(row_a, column).data(role)
                b = from_bridge.index(row_b, column).data(role)
                assert a == b, (opp.key, column, role)
        assert from_store.haystack_of_key(opp.key) == from_bridge.haystack_of_key(opp.key)
        assert from_store.fields_of_key(opp.key) == from_bridge.fields_of_key(opp.key)


def test_skills_with_quotes_and_escapes_survive_the_store(qapp: object, store: Store) -> None:
    odd = make_opportunity(1, skills=('C "sharp"', "Node.js", "back\\slash", "ünï"))
    fill(store, [odd])
    model = OpportunityTableModel(clock=clock)
    model.load_rows(store.opportunities.load_all_rows(), {})
    assert model.haystack_of_key(odd.key) == haystack(odd)
    assert text(model, odd.key, Column.SKILLS) == 'C "sharp", Node.js, back\\slash, ünï'


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": JobKind.FIXED, "budget": Decimal(1200)}, "$1,200"),
        ({"kind": JobKind.FIXED, "budget": Decimal(12500)}, "$12,500"),
        ({"kind": JobKind.FIXED, "budget": Decimal("99.50")}, "$99.50"),
        ({"kind": JobKind.HOURLY, "hourly_min": Decimal(40), "hourly_max": 70}, "$40–70/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": Decimal(150), "hourly_max": 200}, "$150–200/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": Decimal(35), "hourly_max": None}, "$35/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": Decimal(70), "hourly_max": 40}, "$40–70/h"),
        ({"kind": JobKind.UNKNOWN, "budget": None, "hourly_max": Decimal(55)}, "$55/h"),
        ({"kind": JobKind.FIXED, "budget": None}, "—"),
    ],
)  # fmt: skip
def test_money_formatting(qapp: object, fields: dict[str, object], expected: str) -> None:
    base = {"budget": None, "hourly_min": None, "hourly_max": None}
    opp = make_opportunity(1, **{**base, **fields})
    model = OpportunityTableModel(clock=clock)
    model.add_or_update([opp])
    assert text(model, opp.key, Column.BUDGET) == expected


@pytest.mark.parametrize("cents", [0, 5, 99, 100, 150, 123456, 1_000_000_00, 1_234_567_89])
def test_money_text_is_format_money(cents: int) -> None:
    assert money_text(cents) == format_money(Decimal(cents).scaleb(-2))


def test_display_text(model: OpportunityTableModel, opportunities: list[Opportunity]) -> None:
    opp = make_opportunity(
        500,
        platform=Platform.GIGRADAR,
        kind=JobKind.FIXED,
        budget=Decimal(1200),
        match_score=0.874,
        connects_price=16,
        skills=("React", "Node.js"),
        posted_at=NOW - timedelta(hours=3, minutes=5),
        client=ClientInfo(
            country="United States",
            total_spent=Decimal("12500.00"),
            hire_rate=0.85,
            payment_verified=True,
        ),
    )
    model.add_or_update([opp])
    assert [text(model, opp.key, column) for column in Column] == [
        "87",
        "GigRadar",
        opp.title,
        "Fixed",
        "$1,200",
        "United States · $12k · 85% · ✓",
        "React, Node.js",
        "3h",
        "16",
        "New",
    ]
    row = model.row_of(opp.key)
    assert row is not None
    tooltip = str(model.index(row, Column.CLIENT).data(Qt.ItemDataRole.ToolTipRole))
    assert opp.title in tooltip
    assert "spent $12,500" in tooltip
    assert "React, Node.js" in tooltip
    assert model.index(row, Column.TITLE).data(KEY_ROLE) == opp.key
    assert model.index(row, Column.TITLE).data(STATE_ROLE) == "new"
    alignment = model.index(row, Column.BUDGET).data(Qt.ItemDataRole.TextAlignmentRole)
    assert Qt.AlignmentFlag(alignment) & Qt.AlignmentFlag.AlignRight
    alignment = model.index(row, Column.TITLE).data(Qt.ItemDataRole.TextAlignmentRole)
    assert Qt.AlignmentFlag(alignment) & Qt.AlignmentFlag.AlignLeft


def test_cell_agrees_with_data(model: OpportunityTableModel) -> None:
    model.set_state(make_opportunity(7).key, "submitted")
    for row in range(model.rowCount()):
        for column in Column:
            cell = model.cell(row, column)
            assert cell is not None
            index = model.index(row, column)
            assert cell.text == index.data(DISPLAY)
            font = index.data(Qt.ItemDataRole.FontRole)
            assert cell.bold == (isinstance(font, QFont) and font.bold())
            assert cell.foreground == index.data(Qt.ItemDataRole.ForegroundRole)
            assert (cell.dot is None) == (index.data(Qt.ItemDataRole.DecorationRole) is None)
    assert model.cell(model.rowCount(), 0) is None


def test_ages(qapp: object) -> None:
    model = OpportunityTableModel(clock=clock)
    ages = {"now": timedelta(seconds=20), "12m": timedelta(minutes=12), "3h": timedelta(hours=3)}
    ages["2d"] = timedelta(days=2, hours=5)
    opps = [make_opportunity(n, posted_at=NOW - age) for n, age in enumerate(ages.values())]
    model.add_or_update(opps)
    assert [text(model, opp.key, Column.POSTED) for opp in opps] == list(ages)


# -- states at a glance -----------------------------------------------------------------------


def test_new_rows_have_a_bold_title(model: OpportunityTableModel) -> None:
    unread, read = make_opportunity(0).key, make_opportunity(1).key
    unread_font = model.index(model.row_of(unread) or 0, Column.TITLE).data(
        Qt.ItemDataRole.FontRole
    )
    assert isinstance(unread_font, QFont)
    assert unread_font.bold()
    assert model.index(model.row_of(read) or 0, Column.TITLE).data(Qt.ItemDataRole.FontRole) is None
    model.set_flags(unread, read=True)
    assert (
        model.index(model.row_of(unread) or 0, Column.TITLE).data(Qt.ItemDataRole.FontRole) is None
    )
    assert model.state_of(unread) == "read"


def dot_colour(model: OpportunityTableModel, key: str) -> QColor:
    row = model.row_of(key)
    assert row is not None
    icon = model.index(row, Column.STATE).data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QIcon)
    image = icon.pixmap(10, 10).toImage()
    return image.pixelColor(5, 5)


def test_states_are_told_apart(model: OpportunityTableModel) -> None:
    keys = {
        state: make_opportunity(n).key for n, state in enumerate(["new", "read", "", "drafted"])
    }
    keys.pop("")
    keys["failed"] = make_opportunity(4).key
    keys["submitted"] = make_opportunity(5).key
    model.set_state(keys["submitted"], "submitted")
    states = {key: model.state_of(key) for key in keys.values()}
    assert states == {keys[state]: state for state in keys}
    dots = {state: dot_colour(model, key).name() for state, key in keys.items() if state != "read"}
    assert len(set(dots.values())) == len(dots)  # new, drafted, failed, submitted differ
    row = model.row_of(keys["read"])
    assert model.index(row or 0, Column.STATE).data(Qt.ItemDataRole.DecorationRole) is None

    def foreground(state: str, column: Column) -> object:
        return model.index(model.row_of(keys[state]) or 0, column).data(
            Qt.ItemDataRole.ForegroundRole
        )

    muted, red = foreground("submitted", Column.TITLE), foreground("failed", Column.STATE)
    assert isinstance(muted, QColor)
    assert isinstance(red, QColor)
    assert muted != red
    assert red.red() > 180
    assert red.green() < 100
    assert foreground("failed", Column.TITLE) is None
    assert foreground("new", Column.STATE) is None
    assert text(model, keys["failed"], Column.STATE) == "Failed"


# -- filtering ----------------------------------------------------------------------------------


def expected_keys(
    model: OpportunityTableModel,
    opportunities: dict[str, Opportunity],
    spec: FilterSpec,
    states: dict[str, str],
) -> list[str]:
    """The oracle: `FilterSpec.compile` on full models, in the model's current order."""
    everything = FilterSpec(include_archived=True)
    previous = model.spec()
    model.set_filter(everything)
    order = visible_keys(model)
    model.set_filter(previous)
    predicate = spec.compile(NOW)
    return [
        key
        for key in order
        if predicate(opportunities[key], haystack(opportunities[key]), states[key])
    ]


TYPED = st.sampled_from(
    ["r", "re", "rea", "react", "react d", "react da", "react -word", "py", "python", "-wordpress"]
)
SPECS = st.one_of(
    TYPED.map(lambda text: FilterSpec(text=text)),
    st.builds(
        FilterSpec,
        text=TYPED,
        platforms=st.frozensets(st.sampled_from(list(Platform)), max_size=2),
        kinds=st.frozensets(st.sampled_from([JobKind.FIXED, JobKind.HOURLY]), max_size=1),
        budget_min=st.sampled_from([None, Decimal(200)]),
        include_archived=st.booleans(),
    ),
    st.builds(FilterSpec, states=st.frozensets(st.sampled_from(["new", "read", "drafted"]))),
)
OPERATIONS = st.lists(
    st.one_of(
        SPECS.map(lambda spec: ("filter", spec)),
        st.tuples(st.just("archive"), st.integers(0, 39), st.booleans()),
        st.tuples(st.just("state"), st.integers(0, 39), st.sampled_from(["read", "drafted"])),
        st.tuples(st.just("add"), st.integers(40, 60)),
        st.tuples(st.just("sort"), st.sampled_from([-1, *Column]), st.booleans()),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(OPERATIONS)
def test_narrowing_and_remembered_scans_equal_full_filtering(
    qapp: object, operations: list[tuple[object, ...]]
) -> None:
    opportunities = {opp.key: opp for opp in (make_opportunity(n) for n in range(40))}
    model = OpportunityTableModel(clock=clock)
    model.add_or_update(list(opportunities.values()))
    states = dict.fromkeys(opportunities, "new")
    archived: set[str] = set()
    for operation in operations:
        kind = operation[0]
        if kind == "filter":
            spec = operation[1]
            assert isinstance(spec, FilterSpec)
            model.set_filter(spec)
        elif kind == "archive":
            key = make_opportunity(int(operation[1])).key  # type: ignore[call-overload]
            model.set_flags(key, archived=bool(operation[2]))
            (archived.add if operation[2] else archived.discard)(key)
        elif kind == "state":
            key = make_opportunity(int(operation[1])).key  # type: ignore[call-overload]
            model.set_state(key, str(operation[2]))
            states[key] = str(operation[2])
        elif kind == "add":
            opp = make_opportunity(int(operation[1]))  # type: ignore[call-overload]
            opportunities[opp.key] = opp
            states.setdefault(opp.key, "new")
            model.add_or_update([opp])
        else:
            order = Qt.SortOrder.DescendingOrder if operation[2] else Qt.SortOrder.AscendingOrder
            model.sort(int(operation[1]), order)  # type: ignore[call-overload]
        seen = {key: ARCHIVED if key in archived else state for key, state in states.items()}
        assert visible_keys(model) == expected_keys(model, opportunities, model.spec(), seen)


def test_a_query_of_words_reads_no_rows_text(model: OpportunityTableModel) -> None:
    """Words are answered from the token bitmaps; only a term with punctuation or a
    space ("react dashboard" as a phrase) checks its candidates' text, and only theirs."""
    data = model.inbox_index.data
    fetched: list[int] = []
    fetch = data.source.fetch

    def counting(refs):  # type: ignore[no-untyped-def]
        fetched.extend(refs)
        return fetch(refs)

    data.source.fetch = counting  # type: ignore[method-assign]
    for text in ("r", "re", "react", "react -flutter", "py OR figma", "zzz"):
        model.set_filter(FilterSpec(text=text, include_archived=True))
    assert fetched == []
    model.set_filter(FilterSpec(text='"and node"', include_archived=True))
    shown = model.visible_count()
    assert 0 < shown <= len(fetched) < model.total_count()  # rows holding "and" and "node"


# -- sorting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("column", list(Column))
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_sort_by_each_column_puts_missing_values_last(
    model: OpportunityTableModel, column: Column, order: Qt.SortOrder
) -> None:
    model.sort(column, order)
    values = [model.index(row, column).data(SORT_ROLE) for row in range(model.rowCount())]
    present = [value for value in values if value is not None]
    assert values == present + [None] * (len(values) - len(present))
    assert present == sorted(present, reverse=order == Qt.SortOrder.DescendingOrder)
    if column in (Column.SCORE, Column.BUDGET, Column.CONNECTS, Column.CLIENT):
        assert None in values  # the fixture has missing values in these columns


def test_ties_keep_the_arrival_order_both_ways(model: OpportunityTableModel) -> None:
    arrival = visible_keys(model)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        model.sort(Column.PLATFORM, order)
        keys = visible_keys(model)
        for label in ("GigRadar", "UpHunt", "Gigiac"):
            same = [key for key in keys if text(model, key, Column.PLATFORM) == label]
            assert same == [key for key in arrival if key in same]
    model.sort(-1, Qt.SortOrder.AscendingOrder)
    assert visible_keys(model) == arrival


# -- live updates -----------------------------------------------------------------------------


def test_new_rows_are_inserted_where_the_sort_puts_them(
    model: OpportunityTableModel, qtbot: QtBot
) -> None:
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    model.set_filter(FilterSpec(text="-wordpress"))
    batch = [
        make_opportunity(300, match_score=0.995, title="Top one", description="", skills=()),
        make_opportunity(301, match_score=0.5, title="Middle", description="", skills=()),
        make_opportunity(302, match_score=0.3, title="Wordpress site", description=""),
        make_opportunity(303, match_score=None, title="No score", description="", skills=()),
    ]
    inserted: list[tuple[int, int]] = []
    layouts: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    model.add_or_update(batch)
    # A few scattered rows: each inserted where it belongs, no layout change (which would
    # make the view re-read every row).
    assert len(inserted) == 3 and all(first == last for first, last in inserted)
    assert layouts == []
    assert model.row_of(batch[0].key) == 0
    assert model.row_of(batch[2].key) is None  # the filter excludes it
    scores = [model.index(row, Column.SCORE).data(SORT_ROLE) for row in range(model.rowCount())]
    present = [score for score in scores if score is not None]
    assert present == sorted(present, reverse=True)
    assert scores[len(present) :] == [None] * (len(scores) - len(present))
    # None sorts last; among equal keys the newest arrival comes first.
    assert model.row_of(batch[3].key) == len(present)


def test_many_scattered_rows_arrive_in_one_block_and_one_layout_change(
    qtmodeltester: ModelTester, model: OpportunityTableModel
) -> None:
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    batch = [
        make_opportunity(500 + n, match_score=(n * 37 % 100) / 100, description="", skills=())
        for n in range(40)
    ]
    inserted: list[tuple[int, int]] = []
    layouts: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    model.add_or_update(batch)
    assert len(inserted) == 1 and len(layouts) == 1
    scores = [model.index(row, Column.SCORE).data(SORT_ROLE) for row in range(model.rowCount())]
    present = [score for score in scores if score is not None]
    assert present == sorted(present, reverse=True)
    assert all(model.row_of(o.key) is not None for o in batch)
    qtmodeltester.check(model)


def test_new_rows_arrive_on_top_in_arrival_order(
    model: OpportunityTableModel, qtbot: QtBot
) -> None:
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    batch = [make_opportunity(400), make_opportunity(401)]
    model.add_or_update(batch)
    assert inserted == [(0, 1)]
    assert visible_keys(model)[:2] == [batch[0].key, batch[1].key]


def test_an_update_changes_the_row_in_place_or_moves_it(model: OpportunityTableModel) -> None:
    model.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    changed: list[int] = []
    moved: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    model.rowsMoved.connect(lambda *_args: moved.append(1))
    key = make_opportunity(9).key
    model.add_or_update([make_opportunity(9, connects_price=99)])  # same title: in place
    assert changed == [model.row_of(key)]
    assert not moved
    model.add_or_update([make_opportunity(9, title="Aaa first")])
    assert model.row_of(key) == 0
    assert moved == [1]
    model.add_or_update([make_opportunity(9, title="Wordpress only", description="")])
    model.set_filter(FilterSpec(text="-wordpress"))
    assert model.row_of(key) is None
    model.add_or_update([make_opportunity(9, title="Back again", description="")])
    assert model.row_of(key) is not None


def test_archived_rows_leave_unless_the_spec_includes_them(model: OpportunityTableModel) -> None:
    key = make_opportunity(10).key
    model.set_flags(key, archived=True)
    assert model.row_of(key) is None
    model.set_filter(FilterSpec(include_archived=True))
    assert model.row_of(key) is not None
    model.set_filter(FilterSpec(states=frozenset({ARCHIVED})))
    assert visible_keys(model) == [make_opportunity(2).key, key]
    model.set_flags(key, archived=False)
    assert visible_keys(model) == [make_opportunity(2).key]


def test_unknown_keys_are_ignored(model: OpportunityTableModel) -> None:
    model.set_state("gigiac:nope", "drafted")
    model.set_flags("gigiac:nope", read=True)
    assert model.row_of("gigiac:nope") is None
    assert model.key_at(-1) is None
    assert model.key_at(model.rowCount()) is None
    assert model.data(QModelIndex()) is None


def test_duplicate_keys_are_refused(qapp: object, store: Store) -> None:
    fill(store, [make_opportunity(1)])
    rows = store.opportunities.load_all_rows()
    with pytest.raises(ValueError, match="unique"):
        OpportunityTableModel().load_rows(rows * 2, {})


# -- the view -----------------------------------------------------------------------------------


@pytest.fixture
def view(qtbot: QtBot, model: OpportunityTableModel) -> InboxView:
    shown = InboxView()
    qtbot.addWidget(shown)
    shown.setModel(model)
    shown.resize(1000, 400)
    shown.show()
    return shown


def test_the_selection_follows_its_key(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    key = make_opportunity(12).key
    with qtbot.waitSignal(view.current_key_changed) as blocker:
        assert view.select_key(key)
    assert blocker.args == [key]
    changes: list[object] = []
    view.current_key_changed.connect(changes.append)
    model.set_filter(FilterSpec(text=" ".join(make_opportunity(12).title.split()[:1]).lower()))
    model.sort(Column.SCORE, Qt.SortOrder.AscendingOrder)
    model.add_or_update([make_opportunity(700, match_score=0.0), make_opportunity(701)])
    model.set_state(make_opportunity(13).key, "drafted")
    for _step in range(3):
        assert view.current_key() == key
        assert model.key_at(view.currentIndex().row()) == key
        assert view.selectionModel().isRowSelected(view.currentIndex().row())
        model.sort(Column.TITLE, Qt.SortOrder.DescendingOrder)
    assert changes == []  # the same opportunity all along
    model.set_filter(FilterSpec(text="no such words at all"))
    assert changes == [None]
    assert not view.selectionModel().hasSelection()


def test_j_and_k_move_the_selection(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    view.select_key(None)
    assert view.current_key() is None
    view.move_selection(1)  # nothing selected: the first row
    assert view.current_key() == model.key_at(0)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_J)
    qtbot.keyClick(view, Qt.Key.Key_J)
    qtbot.keyClick(view, Qt.Key.Key_K)
    assert view.current_key() == model.key_at(1)
    view.move_selection(-10)
    assert view.current_key() == model.key_at(0)
    view.move_selection(10_000)
    assert view.current_key() == model.key_at(model.rowCount() - 1)
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.current_key() == model.key_at(model.rowCount() - 2)
    view.select_key(None)
    view.move_selection(-1)  # nothing selected: the last row
    assert view.current_key() == model.key_at(model.rowCount() - 1)


def test_removing_the_current_row_selects_a_neighbour(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    view.select_key(model.key_at(5))
    neighbours = [model.key_at(4), model.key_at(6)]  # Qt picks one
    with qtbot.waitSignal(view.current_key_changed) as blocker:
        model.set_flags(model.key_at(5) or "", archived=True)
    assert blocker.args[0] in neighbours
    qtbot.waitUntil(lambda: view.selectionModel().isRowSelected(view.currentIndex().row()))


def test_typing_letters_in_the_table_does_not_search_every_row(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    view.select_key(model.key_at(3))
    calls: list[int] = []
    original = model.data

    def counting(index: QModelIndex, role: int = DISPLAY) -> object:
        calls.append(role)
        return original(index, role)

    model.data = counting  # type: ignore[assignment,method-assign]
    qtbot.keyClicks(view, "xyz")
    assert view.current_key() == model.key_at(3)
    assert len(calls) < 100


def test_the_view_paints_through_the_fast_path(view: InboxView, qtbot: QtBot) -> None:
    view.viewport().repaint()  # no Qt warning, no exception: the delegate drew every cell
    header = view.horizontalHeader()
    assert header.sectionResizeMode(Column.TITLE) == header.ResizeMode.Stretch
    budget = header.sectionSize(Column.BUDGET)
    assert budget >= view.fontMetrics().horizontalAdvance("$150–200/h")
    assert header.sortIndicatorSection() == Column.POSTED


def _render(view: InboxView, batch: bool) -> QImage:
    view.batch_paint = batch
    return view.viewport().grab().toImage()


@pytest.mark.parametrize("narrow", [False, True])
def test_painting_rows_at_once_renders_what_the_delegate_renders(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot, narrow: bool
) -> None:
    # A selected row, unread (bold) and read titles, state dots, alternate rows from an odd
    # first row, a moved and a hidden column, and (narrow) a horizontal scroll.
    view.select_key(model.key_at(4))
    view.verticalScrollBar().setValue(1)
    header = view.horizontalHeader()
    header.moveSection(header.visualIndex(Column.BUDGET), 0)
    view.set_column_shown(Column.SKILLS, False)
    if narrow:
        view.resize(420, 300)
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum() // 2)
    qtbot.waitUntil(lambda: view.viewport().isVisible())
    delegate_image = _render(view, batch=False)
    batch_image = _render(view, batch=True)
    assert batch_image.size() == delegate_image.size()
    assert batch_image == delegate_image
    # The same picture for both, and not a blank one.
    assert len({batch_image.pixel(x, 12) for x in range(0, batch_image.width(), 3)}) > 3


def _seen_twice(view: InboxView) -> None:
    """Paint twice: rows seen again unchanged are kept as pictures."""
    _render(view, batch=True)
    _render(view, batch=True)


def _unread_row(model: OpportunityTableModel) -> int:
    return next(r for r in range(model.rowCount()) if model.index(r, 0).data(STATE_ROLE) == "new")


def _changed_title(view: InboxView, model: OpportunityTableModel) -> None:
    key = model.key_at(0) or ""
    n = int(key.rsplit("-", 1)[1])
    model.add_or_update([make_opportunity(n, title="A changed title, much longer than before")])


def _bigger_font(view: InboxView, model: OpportunityTableModel) -> None:
    font = QFont(view.font())
    font.setPointSize(font.pointSize() + 3)
    view.setFont(font)


CHANGES = {
    "read": lambda v, m: m.set_flags(m.key_at(_unread_row(m)) or "", read=True),
    "starred": lambda v, m: m.set_flags(m.key_at(5) or "", starred=True),
    "state": lambda v, m: m.set_state(m.key_at(6) or "", "submitted"),
    "record": _changed_title,
    "selection": lambda v, m: v.select_key(m.key_at(7)),
    "one arrival shifts every row": lambda v, m: m.add_or_update([_newest(500)]),
    "column width": lambda v, m: v.horizontalHeader().resizeSection(
        Column.BUDGET, v.horizontalHeader().sectionSize(Column.BUDGET) + 30
    ),
    "font": _bigger_font,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_rows_painted_from_their_pictures_show_every_change(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot, change: str
) -> None:
    view.select_key(model.key_at(4))
    _seen_twice(view)
    before = _render(view, batch=True)
    CHANGES[change](view, model)
    cached = _render(view, batch=True)
    plain = _render(view, batch=False)
    assert cached == plain
    assert cached != before  # the change shows


def test_the_age_of_a_row_painted_from_its_picture_follows_the_clock(
    qtbot: QtBot, store: Store
) -> None:
    now = [NOW.timestamp()]
    posted = NOW - timedelta(minutes=5)
    fill(store, [make_opportunity(n, posted_at=posted) for n in range(3)])
    model = OpportunityTableModel(clock=lambda: now[0])
    model.load_rows(store.opportunities.load_all_rows(), {})
    view = InboxView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 200)
    view.show()
    assert model.index(0, Column.POSTED).data() == "5m"
    _seen_twice(view)
    before = _render(view, batch=True)
    now[0] += 600  # ten minutes on: "15m"
    cached = _render(view, batch=True)
    assert cached == _render(view, batch=False)
    assert cached != before


def test_unchanged_rows_are_not_painted_cell_by_cell_again(
    view: InboxView, model: OpportunityTableModel
) -> None:
    asked: list[int] = []
    cell = model.cell

    def counting(row: int, column: int) -> object:
        asked.append(row)
        return cell(row, column)

    model.cell = counting  # type: ignore[method-assign]
    _seen_twice(view)
    asked.clear()
    _render(view, batch=True)
    assert asked == []  # every row from its picture
    model.set_flags(model.key_at(3) or "", starred=True)
    _render(view, batch=True)
    assert set(asked) == {3}  # the changed row only


def _newest(n: int) -> Opportunity:
    return make_opportunity(n, posted_at=NOW)


def _top_key(view: InboxView, model: OpportunityTableModel) -> str | None:
    return model.key_at(view.rowAt(0))


def test_rows_arriving_above_do_not_move_the_rows_being_read(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    view.verticalScrollBar().setValue(10)  # the user scrolled down to read
    qtbot.waitUntil(lambda: view.rowAt(0) == 10)
    reading = _top_key(view, model)
    model.add_or_update([_newest(400), _newest(401)])  # newest: on top
    assert model.row_of(_newest(400).key) == 0
    assert _top_key(view, model) == reading
    model.set_flags(model.key_at(0) or "", archived=True)  # one leaves above
    assert _top_key(view, model) == reading
    model.add_or_update([_newest(5)])  # one moves above
    assert _top_key(view, model) == reading


def test_rows_arriving_at_the_top_wait_above_while_the_pointer_is_on_the_rows(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    # At the top, with the pointer elsewhere, new rows show at the top as they come ...
    model.add_or_update([_newest(400)])
    assert _top_key(view, model) == _newest(400).key
    # ... but not while the user aims at a row: the click must hit the row they see.
    view.viewport().setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)
    model.add_or_update([_newest(401), _newest(402)])
    assert _top_key(view, model) == _newest(400).key
    assert view.verticalScrollBar().value() == 2  # the two new rows wait above


def _pointer_leaves(view: InboxView) -> None:
    view.viewport().setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))


def test_rows_held_above_for_the_pointer_show_once_it_leaves(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    view.viewport().setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)
    model.add_or_update([_newest(401), _newest(402)])
    assert view.verticalScrollBar().value() == 2
    _pointer_leaves(view)
    assert view.verticalScrollBar().value() == 0  # new jobs are never left out of sight
    assert _top_key(view, model) in {_newest(401).key, _newest(402).key}


def test_a_place_the_user_scrolled_to_is_kept_when_the_pointer_leaves(
    view: InboxView, model: OpportunityTableModel, qtbot: QtBot
) -> None:
    view.viewport().setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)
    model.add_or_update([_newest(401)])
    view.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderSingleStepAdd)
    reading = _top_key(view, model)
    _pointer_leaves(view)
    assert _top_key(view, model) == reading


def test_the_heap_is_handed_back_once_the_user_stops_querying_and_sorting(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, opportunities: list[Opportunity]
) -> None:
    """Queries and sorts leave freed scratch in the process; once the user has paused,
    it goes back to the system, once for the whole run of them. Rows arriving on their
    own (a webhook burst) ask for nothing."""
    trims: list[float] = []
    monkeypatch.setattr(opportunities_module.heap, "trim", lambda: trims.append(1) or True)
    # Longer than any run of the steps below on a busy machine: each step restarts it.
    monkeypatch.setattr(opportunities_module, "SETTLE_MS", 600_000)
    model = OpportunityTableModel(clock=lambda: NOW.timestamp())
    model.add_or_update(opportunities)
    assert not model._settle.isActive()  # arrivals: no trim asked for
    for step in (
        lambda: model.set_filter(FilterSpec(text="python")),
        lambda: model.sort(int(Column.BUDGET), Qt.SortOrder.DescendingOrder),
        lambda: model.preview_filter(FilterSpec(text="node.js")),
        lambda: model.set_filter(FilterSpec()),
    ):
        model._settle.stop()
        step()
        assert model._settle.isActive()  # each asks for it
    assert trims == []  # not while the user acts
    model._settle.setInterval(10)  # the pause, shortened (restarts the timer)
    qtbot.waitUntil(lambda: len(trims) == 1)
    assert not model._settle.isActive()  # one trim for the run: nothing more to come
