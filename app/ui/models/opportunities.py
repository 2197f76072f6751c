"""The inbox table: every stored opportunity, filtered and sorted in Python (STYLE.md §8).

The model holds ALL rows as light records in parallel lists — a display tuple, the
lowercase haystack the text query searches, the `FilterFields` the structured conditions
test, the local state — and exposes a plain list of row numbers, `_visible`, in the
current sort order. No proxy model: the view asks only for the rows it paints.

- Row numbers (`i`) index the parallel lists and never change; the opportunity key is
  the row's identity for everyone outside (`KeyRole`, `key_at`, `row_of`).
- `_order` lists every row in the current sort order; `_visible` is the subsequence of
  it that passes the filter. Filtering keeps order, so a new filter never sorts.
- A new filter scans as little as it can: the visible rows when the spec narrows the
  previous one (the user typed on); the rows matching the same text when only the
  structured conditions changed (a platform toggle); a remembered result when the user
  goes back to a recent spec (backspace); all rows only otherwise. Each scan is one
  comprehension compiled from the spec (`compile_rows`).
- The order is total: the sort key (None last, either direction), then the row's
  arrival (`_seq`: the store's order at load, newer arrivals first). So any row's place
  in either list is found by binary search, and a changed or new row is moved or inserted
  where a full sort would put it — O(log n) comparisons, no re-filter, no re-sort.
- Start-up builds the records straight from `OpportunityRow`s (no pydantic models, JSON
  parsed only for the client, once per distinct client); opportunities arriving from
  the bridge are turned into the same records.
- `cell()` is a fast path for the view's delegate: the text and marks of one cell
  without a `data()` round trip per role. `data()` gives the same values by role.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from functools import partial
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypeAlias

from pydantic_core import from_json, to_json
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from app.domain.filter_rows import (
    ARCHIVED_FIELD,
    FIELD_SEPARATOR,
    Fields,
    FieldsPredicate,
    FilterFields,
    RowsFilter,
    compile_fields,
    compile_rows,
    filter_state,
    fold_country,
    fold_haystack,
    haystack_of,
    money_cents,
)
from app.domain.filters import ARCHIVED, FilterSpec, Query, QueryNode
from app.domain.opportunity import ClientInfo, Opportunity, Platform
from app.services.inbox import LOCAL_STATES
from app.store.opportunities import OpportunityRow

__all__ = [
    "KEY_ROLE",
    "SORT_ROLE",
    "STATE_ROLE",
    "Cell",
    "Column",
    "OpportunityTableModel",
    "PreparedRows",
    "age_text",
    "budget_text",
    "client_text",
    "money_text",
    "prepare_rows",
]

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2
STATE_ROLE = int(Qt.ItemDataRole.UserRole) + 3


class Column(IntEnum):
    SCORE = 0
    PLATFORM = 1
    TITLE = 2
    KIND = 3
    BUDGET = 4
    CLIENT = 5
    SKILLS = 6
    POSTED = 7
    CONNECTS = 8
    STATE = 9


HEADERS = (
    "Score",
    "Platform",
    "Title",
    "Kind",
    "Budget",
    "Client",
    "Skills",
    "Posted",
    "Connects",
    "State",
)
_HEADER_TIPS = (
    "Match score (0–100) from the platform",
    "Where the opportunity came from",
    "The job's title (★ starred)",
    "Fixed price or hourly",
    "Fixed budget, or hourly rate range",
    "Client: country · total spent · hire rate · ✓ payment verified",
    "Skills the client asked for",
    "Time since it was posted",
    "Connects a proposal costs",
    "Where you stand with it",
)
_COLUMNS = len(Column)
_NUMERIC = frozenset({Column.SCORE, Column.BUDGET, Column.POSTED, Column.CONNECTS})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGNMENT = tuple(_RIGHT if column in _NUMERIC else _LEFT for column in Column)
_RIGHT_ALIGNED = tuple(column in _NUMERIC for column in Column)

# Workflow order, for sorting by state.
_STATE_RANK = {state: rank for rank, state in enumerate(LOCAL_STATES)}
_PLATFORM_LABEL = {platform.value: platform.label for platform in Platform}
_KIND_LABEL = {"fixed": "Fixed", "hourly": "Hourly", "unknown": "—"}
_STATE_LABEL = {state: state.capitalize() for state in LOCAL_STATES}
_MUTED_STATES = frozenset({"submitted", "withdrawn"})
# A dot in the STATE column tells the states apart at a glance; "read" has none.
STATE_COLOURS = {
    "new": "#1e88e5",
    "drafted": "#f9a825",
    "submitting": "#8e24aa",
    "submitted": "#43a047",
    "failed": "#e53935",
    "withdrawn": "#9e9e9e",
}
_MUTED = "#8a8a8a"
_FAILED = "#d32f2f"
_DOT_SIZE = 10

_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86400.0
_SEP = FIELD_SEPARATOR
# `prepare_rows` writes the separator into an f-string literal, for speed.
assert _SEP == "\x1f"


# Per-row records are plain tuples read by position, not NamedTuples: CPython's
# collector stops tracking an exact tuple of atomic values, never a NamedTuple, and
# 300,000 tracked records would make every full collection walk them (~0.3 s here: a
# visible stall, at any moment). See also filter_rows' module docstring.

# A client, shared by the rows of its jobs: what the table shows and filters of it.
_ClientRecord: TypeAlias = tuple[
    str | None,  # name
    str | None,  # country
    str | None,  # country, folded for filtering
    int | None,  # total spend, cents
    float | None,  # hire rate
    bool | None,  # payment verified
    float | None,  # rating
    int | None,  # reviews
]
C_NAME: Final = 0
C_COUNTRY: Final = 1
C_FOLDED: Final = 2
C_SPEND: Final = 3
C_HIRE: Final = 4
C_VERIFIED: Final = 5
C_RATING: Final = 6
C_REVIEWS: Final = 7

# One opportunity as displayed; a change replaces the tuple.
_RowRecord: TypeAlias = tuple[
    str,  # platform label: "GigRadar"
    str,  # title
    str,  # kind: the JobKind value
    int | None,  # budget, cents
    int | None,  # hourly minimum, cents
    int | None,  # hourly maximum, cents
    str,  # skills as stored: '["React","Node.js"]'
    _ClientRecord,
    float | None,  # match score
    int | None,  # connects
    float,  # posted (or else detected), epoch seconds
]
R_PLATFORM: Final = 0
R_TITLE: Final = 1
R_KIND: Final = 2
R_BUDGET: Final = 3
R_HMIN: Final = 4
R_HMAX: Final = 5
R_SKILLS: Final = 6
R_CLIENT: Final = 7
R_SCORE: Final = 8
R_CONNECTS: Final = 9
R_POSTED: Final = 10


class Cell(NamedTuple):
    """One cell as the view's delegate paints it (see `OpportunityTableModel.cell`)."""

    text: str
    bold: bool
    foreground: QColor | None
    dot: QPixmap | None
    right_aligned: bool


_EMPTY_CLIENT: _ClientRecord = (None, None, None, None, None, None, None, None)


def _cents_of(value: object) -> int | None:
    """Stored client money ("1250.00", a Decimal's exact text) as integer cents."""
    if value is None:
        return None
    if isinstance(value, str) and value[-3:-2] == ".":
        digits = value[:-3] + value[-2:]
        if digits.isdecimal():  # the usual shape: no Decimal needed
            return int(digits)
    try:
        return money_cents(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


_CLIENT_KEYS = ("name", "country", "total_spent", "hire_rate", "payment_verified", "rating")
_client_values = itemgetter(*_CLIENT_KEYS, "reviews")
_NO_CLIENT = dict.fromkeys((*_CLIENT_KEYS, "reviews"))


class _Clients:
    """Parses stored client JSON once per distinct text (a client posts many jobs)."""

    def __init__(self) -> None:
        self._by_json: dict[str, _ClientRecord] = {"{}": _EMPTY_CLIENT}
        self._folded: dict[str | None, str | None] = {None: None}

    def get(self, text: str) -> _ClientRecord:
        client = self._by_json.get(text)
        if client is None:
            client = self._by_json[text] = self._parse(text)
        return client

    def _parse(self, text: str) -> _ClientRecord:
        name, country, spent, hire_rate, verified, rating, reviews = _client_values(
            {**_NO_CLIENT, **from_json(text)}
        )
        folded = self._folded.get(country)
        if folded is None and country is not None:
            folded = self._folded[country] = fold_country(country)
        return (name, country, folded, _cents_of(spent), hire_rate, verified, rating, reviews)


def _client_of(info: ClientInfo) -> _ClientRecord:
    return (
        info.name,
        info.country,
        fold_country(info.country),
        money_cents(info.total_spent),
        info.hire_rate,
        info.payment_verified,
        info.rating,
        info.reviews,
    )


def _compact_inner(text: str) -> str | None:
    """The inside of a compact JSON list of non-empty, escape-free strings, or None.

    The store writes skills as `["React","Node.js"]`: without a backslash no name holds
    a quote, so the names are exactly the inside split on `","`.
    """
    if (
        len(text) > 4
        and text.startswith('["')
        and text.endswith('"]')
        and "\\" not in text
        and '""' not in text
    ):
        inner = text[2:-2]
        if inner.count('"') == 2 * inner.count('","'):
            return inner
    return None


def _skills_joined(text: str, separator: str) -> str:
    """Stored skills JSON as the non-empty names joined by `separator`."""
    if text == "[]":
        return ""
    inner = _compact_inner(text)
    if inner is not None:
        return inner.replace('","', separator)
    return separator.join(str(skill) for skill in from_json(text) if skill)


def _skills_json(skills: Iterable[str]) -> str:
    names = list(skills)
    return to_json(names).decode() if names else "[]"


def _timestamp(text: str) -> float:
    """ISO text from the store (always UTC, "+00:00") as epoch seconds."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # written by hand: naive times are UTC, as in the domain
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


# -- display text ------------------------------------------------------------------------


def money_text(cents: int) -> str:
    """`format_money` for whole cents, without Decimal: "$1,200", "$42.50"."""
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" if rest == 0 else f"${dollars:,}.{rest:02d}"


def _amount(cents: int) -> str:
    dollars, rest = divmod(cents, 100)
    return f"{dollars:,}" if rest == 0 else f"{dollars:,}.{rest:02d}"


def _is_hourly(row: _RowRecord) -> bool:
    has_rate = row[R_HMIN] is not None or row[R_HMAX] is not None
    if row[R_KIND] == "hourly":
        return has_rate
    return has_rate and row[R_BUDGET] is None


def _rate_range(row: _RowRecord) -> tuple[int, int]:
    low, high = row[R_HMIN], row[R_HMAX]
    low = high if low is None else low
    high = low if high is None else high
    assert low is not None
    assert high is not None
    return (low, high) if low <= high else (high, low)


def budget_text(row: _RowRecord) -> str:
    """The BUDGET cell: "$1,200" for a fixed price, "$40–70/h" or "$40/h" for a rate."""
    if _is_hourly(row):
        low, high = _rate_range(row)
        if low == high:
            return f"{money_text(low)}/h"
        return f"{money_text(low)}–{_amount(high)}/h"
    budget = row[R_BUDGET]
    return "—" if budget is None else money_text(budget)


def _budget_sort(row: _RowRecord) -> int | None:
    """The amount the BUDGET column shows, in cents (the upper rate of an hourly job)."""
    if _is_hourly(row):
        return _rate_range(row)[1]
    return row[R_BUDGET]


def _compact_money(cents: int) -> str:
    dollars = cents / 100
    if dollars >= 999_500:
        return f"${dollars / 1_000_000:.1f}M".replace(".0M", "M")
    if dollars >= 1000:
        return f"${dollars / 1000:.0f}k"
    return f"${dollars:.0f}"


def client_text(client: _ClientRecord) -> str:
    """The CLIENT cell: "United States · $12k · 85% · ✓" (spend, hire rate, verified)."""
    country, spend, hire_rate = client[C_COUNTRY], client[C_SPEND], client[C_HIRE]
    parts = []
    if country:
        parts.append(country)
    if spend:
        parts.append(_compact_money(spend))
    if hire_rate is not None:
        parts.append(f"{hire_rate:.0%}")
    if client[C_VERIFIED]:
        parts.append("✓")
    return " · ".join(parts)


def _client_tooltip(client: _ClientRecord) -> str:
    name, country, spend = client[C_NAME], client[C_COUNTRY], client[C_SPEND]
    hire_rate, verified, rating = client[C_HIRE], client[C_VERIFIED], client[C_RATING]
    who = name or "Client"
    facts = [f"{who} ({country})" if country else who]
    if spend is not None:
        facts.append(f"spent {money_text(spend)}")
    if hire_rate is not None:
        facts.append(f"hire rate {hire_rate:.0%}")
    if verified is not None:
        facts.append("payment verified" if verified else "payment not verified")
    if rating is not None:
        reviews = f" ({client[C_REVIEWS]} reviews)" if client[C_REVIEWS] else ""
        facts.append(f"rated {rating:.1f}{reviews}")
    return " · ".join(facts)


def age_text(seconds: float) -> str:
    """A compact age: "now", "12m", "3h", "2d"."""
    if seconds < _MINUTE:
        return "now"
    if seconds < _HOUR:
        return f"{int(seconds // _MINUTE)}m"
    if seconds < _DAY:
        return f"{int(seconds // _HOUR)}h"
    return f"{int(seconds // _DAY)}d"


def _skills_text(row: _RowRecord) -> str:
    return _skills_joined(row[R_SKILLS], ", ")


# -- sorting -----------------------------------------------------------------------------

_SortKey = Callable[[_RowRecord, str], Any]  # (row, local state) -> sort value or None


def _casefold_or_none(text: str) -> str | None:
    return text.casefold() if text else None


_SORT_KEYS: tuple[_SortKey, ...] = (
    lambda row, _state: row[R_SCORE],
    lambda row, _state: row[R_PLATFORM].casefold(),
    lambda row, _state: row[R_TITLE].casefold(),
    lambda row, _state: row[R_KIND],
    lambda row, _state: _budget_sort(row),
    lambda row, _state: row[R_CLIENT][C_SPEND],
    lambda row, _state: _casefold_or_none(_skills_text(row)),
    lambda row, _state: row[R_POSTED],
    lambda row, _state: row[R_CONNECTS],
    lambda _row, state: _STATE_RANK.get(state, len(_STATE_RANK)),
)


class PreparedRows(NamedTuple):
    """The model's per-row lists, built from stored rows by `prepare_rows`."""

    keys: list[str]
    rows: list[_RowRecord]
    haystacks: list[str]
    fields: list[Fields]  # plain tuples laid out like FilterFields
    states: list[str]
    filter_states: list[str]
    workflow: list[str | None]
    read: list[bool]
    starred: list[bool]
    # The view's sort at prepare time, with its keys and the sorted row order, so the
    # 100,000-row sort runs on the worker thread too; load_prepared reuses them only if
    # the view still sorts the same way.
    sort: tuple[int | None, bool] | None = None
    sort_keys: list[Any] | None = None
    order: list[int] | None = None


def sorted_order(keys: Sequence[Any], indexes: list[int], descending: bool) -> list[int]:
    """`indexes` (in arrival order) sorted by `keys`; stable, None last either way."""
    present = [i for i in indexes if keys[i] is not None]
    missing = [i for i in indexes if keys[i] is None]
    # A stable sort, reversed or not, keeps equal keys in arrival order.
    present.sort(key=keys.__getitem__, reverse=descending)
    return present + missing


def prepare_rows(
    rows: Iterable[OpportunityRow],
    states: Mapping[str, str],
    sort: tuple[int | None, bool] | None = None,
) -> PreparedRows:
    """Build the model's records from stored rows: pure Python, no Qt.

    The costly half of a start-up load (about 0.7 s per 100,000 rows here), so a window
    may run it on a worker thread (`asyncio.to_thread`) and hand the result to
    `OpportunityTableModel.load_prepared` on the GUI thread. `rows` is read once.
    """
    prepared = PreparedRows([], [], [], [], [], [], [], [], [])
    keys, records, hays, fields, local, fstate, workflow, read_flags, starred_flags = prepared[:9]
    clients = _Clients()
    client_of = clients.get
    labels = _PLATFORM_LABEL
    get_state = states.get
    fold, join, timestamp = fold_haystack, _SEP.join, _timestamp
    # No pause of the garbage collector here (unlike the store's bulk loads): the records
    # are exact tuples of atomic values, which the young-generation collections stop
    # tracking at once. Pausing would only defer one long collection of all of them to
    # a random later moment: a stall of 0.1-0.3 s (of the GUI loop, even when this runs
    # on a worker thread: the collector holds the GIL).
    for row in rows:
        (
            key,
            platform,
            _external_id,
            _account,
            _upwork_job_id,
            title,
            description,
            _url,
            kind,
            budget,
            hourly_min,
            hourly_max,
            skills_json,
            category,
            client_json,
            score,
            connects,
            posted_at,
            detected_at,
            _deadline,
            _status,
            _first_seen_at,
            _updated_at,
            read_at,
            starred,
            archived,
        ) = row
        client = client_of(client_json)
        country = client[C_COUNTRY]
        posted = timestamp(posted_at or detected_at)
        # Skills as the haystack joins them; the store's compact JSON is split by hand
        # when that is exact (see `_compact_inner`), parsed otherwise.
        if skills_json == "[]":
            skills = ""
        elif (
            skills_json.startswith('["')
            and "\\" not in skills_json
            and '""' not in skills_json
            and '"' not in (skills := skills_json[2:-2].replace('","', _SEP))
        ):
            pass
        else:
            skills = _skills_joined(skills_json, _SEP)
        # The same string as filters.haystack(): the non-empty fields, joined, folded.
        if title and description and skills and country and category:
            joined = f"{title}\x1f{description}\x1f{skills}\x1f{country}\x1f{category}"
        else:
            joined = join(filter(None, (title, description, skills, country, category)))
        hays.append(fold(joined))
        records.append(
            (
                labels.get(platform, platform),
                title,
                kind,
                budget,
                hourly_min,
                hourly_max,
                skills_json,
                client,
                score,
                connects,
                posted,
            )
        )
        archived = bool(archived)
        fields.append(
            (
                platform,
                kind,
                budget,
                hourly_min,
                hourly_max,
                client[C_SPEND],
                client[C_HIRE],
                client[C_VERIFIED],
                client[C_FOLDED],
                score,
                posted,
                archived,
            )
        )
        flow = get_state(key)
        is_read = read_at is not None
        state = flow or ("read" if is_read else "new")
        keys.append(key)
        workflow.append(flow)
        local.append(state)
        fstate.append(ARCHIVED if archived else state)
        read_flags.append(is_read)
        starred_flags.append(bool(starred))
    column, descending = sort if sort is not None else (None, False)
    if column is None:
        return prepared
    key_of = _SORT_KEYS[column]
    sort_keys = [key_of(row, state) for row, state in zip(records, local, strict=True)]
    order = sorted_order(sort_keys, list(range(len(keys))), descending)
    return prepared._replace(sort=sort, sort_keys=sort_keys, order=order)


_CACHE_SIZE = 12  # remembered filter results and text matches, each
# Above this many rows changing at once, one reset is cheaper than a signal per row.
_ROW_SIGNALS_LIMIT = 32


class OpportunityTableModel(QAbstractTableModel):
    """Every opportunity, filtered and sorted in Python; see the module docstring."""

    SortRole = SORT_ROLE
    KeyRole = KEY_ROLE
    StateRole = STATE_ROLE

    counts_changed = Signal(int, int)  # visible, total

    def __init__(
        self, parent: QObject | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        # Parallel per-row lists, indexed by row number i.
        self._keys: list[str] = []
        self._rows: list[_RowRecord] = []
        self._hay: list[str] = []
        self._fields: list[Fields] = []  # plain tuples laid out like FilterFields
        self._state: list[str] = []  # local state: new, read, drafted, ...
        self._fstate: list[str] = []  # as FilterSpec sees it (archived folded in)
        self._workflow: list[str | None] = []  # state from a draft or a submission
        self._read: list[bool] = []
        self._starred: list[bool] = []
        self._seq: list[int] = []  # arrival: ties in every sort go by it
        self._index: dict[str, int] = {}
        self._min_seq = 0
        # Orders (lists of row numbers).
        self._order: list[int] = []
        self._visible: list[int] = []
        self._sort_column: int | None = None
        self._descending = False
        self._sort_keys: list[Any] = self._seq  # the current column's key per row
        # The filter, and what recent scans found.
        self._spec = FilterSpec()
        self._now = datetime.fromtimestamp(clock(), UTC)  # anchors `posted_within`
        self._rows_filter: RowsFilter = compile_rows(self._spec, self._now)
        self._predicate: FieldsPredicate = compile_fields(self._spec, self._now)
        self._results: dict[FilterSpec, list[int]] = {}
        self._text_hits: dict[QueryNode, list[int]] = {}  # FilterSpec(text=...) results
        self._last_counts = (-1, -1)
        # Qt objects made on first use (a QGuiApplication exists by then).
        self._bold: QFont | None = None
        self._dots: dict[str, tuple[QPixmap, QIcon]] = {}
        self._muted = QColor(_MUTED)
        self._failed = QColor(_FAILED)
        self._role_handlers: dict[int, Callable[[int, int], Any]] = {
            int(Qt.ItemDataRole.DisplayRole): self._text,
            int(Qt.ItemDataRole.FontRole): self._font,
            int(Qt.ItemDataRole.TextAlignmentRole): self._alignment,
            int(Qt.ItemDataRole.ForegroundRole): self._foreground,
            int(Qt.ItemDataRole.DecorationRole): self._decoration,
            int(Qt.ItemDataRole.ToolTipRole): self._tooltip,
            SORT_ROLE: self._sort_value,
            KEY_ROLE: lambda i, _column: self._keys[i],
            STATE_ROLE: lambda i, _column: self._state[i],
        }
        rows = self._rows
        self._texts: tuple[Callable[[int], str], ...] = (
            self._score_text,
            lambda i: rows[i][R_PLATFORM],
            self._title_text,
            lambda i: _KIND_LABEL.get(rows[i][R_KIND], rows[i][R_KIND]),
            lambda i: budget_text(rows[i]),
            lambda i: client_text(rows[i][R_CLIENT]),
            lambda i: _skills_text(rows[i]),
            lambda i: age_text(self._clock() - rows[i][R_POSTED]),
            self._connects_text,
            lambda i: _STATE_LABEL.get(self._state[i]) or self._state[i].capitalize(),
        )

    # -- Qt's table interface ------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        handler = self._role_handlers.get(role)
        if handler is None:
            return None
        row = index.row()
        if row < 0 or row >= len(self._visible):
            return None
        return handler(self._visible[row], index.column())

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < _COLUMNS:
            return super().headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            # Numbers' headers centred: right-aligned, they would run into the sort arrow.
            if _RIGHT_ALIGNED[section]:
                return Qt.AlignmentFlag.AlignCenter
            return _LEFT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort every row by `column` (None values last); -1 restores the arrival order."""
        sort_column = column if 0 <= column < _COLUMNS else None
        descending = sort_column is not None and order == Qt.SortOrder.DescendingOrder
        if (sort_column, descending) == (self._sort_column, self._descending):
            return

        def resort() -> None:
            self._invalidate()
            self._sort_column, self._descending = sort_column, descending
            self._sort_keys = self._compute_sort_keys()
            self._order = self._sorted(self._arrival_order())
            visible = set(self._visible)
            self._visible = [i for i in self._order if i in visible]

        self._change_layout(resort)

    # -- the delegate's fast path ----------------------------------------------------------

    def cell(self, row: int, column: int) -> Cell | None:
        """Everything the view paints in one cell, in one call; None out of range."""
        if not 0 <= row < len(self._visible) or not 0 <= column < _COLUMNS:
            return None
        i = self._visible[row]
        return Cell(
            self._texts[column](i),
            column == Column.TITLE and not self._read[i],
            self._foreground(i, column),
            self._dot(self._state[i])[0] if column == Column.STATE else None,
            _RIGHT_ALIGNED[column],
        )

    # -- loading and filtering ----------------------------------------------------------

    def load_rows(self, rows: Iterable[OpportunityRow], states: Mapping[str, str]) -> None:
        """Replace everything with `rows` (newest first, as the store loads them).

        `states` holds the workflow state of the keys that have a draft or a submission
        (`Inbox.local_states()`); every other row is new or read by its read flag. `rows`
        is read once, so a generator streaming from the store keeps memory down. The same
        as `load_prepared(prepare_rows(rows, states))`.
        """
        self.load_prepared(prepare_rows(rows, states))

    def load_prepared(self, prepared: PreparedRows) -> None:
        """Replace everything with rows built by `prepare_rows` (maybe on a worker thread)."""
        count = len(prepared.keys)
        index = {key: i for i, key in enumerate(prepared.keys)}
        if len(index) != count:
            raise ValueError("load_rows: opportunity keys must be unique")
        self.beginResetModel()
        self._clear()
        self._keys.extend(prepared.keys)
        self._rows.extend(prepared.rows)
        self._hay.extend(prepared.haystacks)
        self._fields.extend(prepared.fields)
        self._state.extend(prepared.states)
        self._fstate.extend(prepared.filter_states)
        self._workflow.extend(prepared.workflow)
        self._read.extend(prepared.read)
        self._starred.extend(prepared.starred)
        self._seq.extend(range(count))
        self._index = index
        if prepared.sort == (self._sort_column, self._descending) and prepared.order is not None:
            assert prepared.sort_keys is not None
            self._sort_keys = prepared.sort_keys
            self._order = prepared.order
        else:
            self._sort_keys = self._compute_sort_keys()
            self._order = self._sorted(list(range(count)))
        self._compile(self._spec)
        self._visible = self._rows_filter(self._order, self._fields, self._hay, self._fstate)
        self.endResetModel()
        self._emit_counts()

    def set_filter(self, spec: FilterSpec) -> None:
        """Show the rows `spec` accepts, in the current sort order."""
        timeless = spec.posted_within is None  # a result that the clock cannot age
        if spec == self._spec and timeless:
            return
        previous = self._spec
        self._compile(spec)
        visible = self._results.get(spec) if timeless else None
        if visible is None:
            visible = self._scan(spec, previous)
            if timeless:
                self._remember(self._results, spec, visible)
        if _is_plain_text(spec):
            node = spec.query.node
            if node is not None:
                self._remember(self._text_hits, node, visible)
        if visible == self._visible:
            # The same rows ("python" -> "python -"): nothing to reset or repaint.
            self._visible = visible
        else:
            self.beginResetModel()
            self._visible = visible
            self.endResetModel()
        self._emit_counts()

    def spec(self) -> FilterSpec:
        return self._spec

    def _scan(self, spec: FilterSpec, previous: FilterSpec) -> list[int]:
        """The rows `spec` accepts, from the smallest list known to hold them all."""
        fields, hays, states = self._fields, self._hay, self._fstate
        source = self._visible if spec.narrows(previous) else self._order
        for remembered, rows in self._results.items():
            if len(rows) < len(source) and spec.narrows(remembered):
                source = rows
        query = spec.query
        node = query.node
        if node is None or not _default_states(spec):
            return self._rows_filter(source, fields, hays, states)
        # Text matches (archived rows left out) are remembered per query: a platform
        # toggle then scans only them, and a query that narrows a remembered one
        # ("python -wo" after "python") scans only the remembered matches.
        hits = self._text_hits.get(node)
        if hits is None:
            for remembered_node, rows in self._text_hits.items():
                if len(rows) < len(source) and query.narrows(_query_of(remembered_node)):
                    source = rows
            if source is not self._order:
                return self._rows_filter(source, fields, hays, states)
            text_only = FilterSpec(text=spec.text)
            hits = compile_rows(text_only, self._now)(source, fields, hays, states)
            self._remember(self._text_hits, node, hits)
        if _is_plain_text(spec):
            return hits
        if len(source) < len(hits):
            return self._rows_filter(source, fields, hays, states)
        structured = compile_rows(spec.model_copy(update={"text": ""}), self._now)
        return structured(hits, fields, hays, states)

    # -- incremental changes -------------------------------------------------------------

    def add_or_update(self, opportunities: Iterable[Opportunity]) -> None:
        """Merge one coalesced batch from the bridge: new keys are inserted where the sort
        puts them (if they pass the filter), known keys are updated in place."""
        batch: dict[str, Opportunity] = {}
        for opportunity in opportunities:
            batch[opportunity.key] = opportunity  # the latest copy of a key wins
        new = [opp for key, opp in batch.items() if key not in self._index]
        updated = [(self._index[key], opp) for key, opp in batch.items() if key in self._index]
        if updated:
            self._update_rows(updated)
        if new:
            self._insert_new(new)
        self._emit_counts()

    def set_state(self, key: str, state: str) -> None:
        """Record the workflow state of one opportunity ("drafted", "submitted"...).

        "new" and "read" mean no draft or submission: the read flag is set to match.
        """
        i = self._index.get(key)
        if i is None:
            return

        def change() -> None:
            if state in ("new", "read"):
                self._workflow[i] = None
                self._read[i] = state == "read"
            else:
                self._workflow[i] = state
            self._restate(i)

        self._change_row(i, change)
        self._emit_counts()

    def set_flags(
        self,
        key: str,
        *,
        read: bool | None = None,
        starred: bool | None = None,
        archived: bool | None = None,
    ) -> None:
        """Update the user's marks on one opportunity; an archived row leaves the view
        unless the filter includes archived rows."""
        i = self._index.get(key)
        if i is None:
            return

        def change() -> None:
            if read is not None:
                self._read[i] = read
            if starred is not None:
                self._starred[i] = starred
            if archived is not None:
                self._fields[i] = _with_archived(self._fields[i], archived)
            self._restate(i)

        self._change_row(i, change)
        self._emit_counts()

    # -- lookups ---------------------------------------------------------------------------

    def key_at(self, row: int) -> str | None:
        return self._keys[self._visible[row]] if 0 <= row < len(self._visible) else None

    def row_of(self, key: str) -> int | None:
        i = self._index.get(key)
        return None if i is None else self._find(self._visible, i)

    def visible_count(self) -> int:
        return len(self._visible)

    def total_count(self) -> int:
        return len(self._keys)

    def state_of(self, key: str) -> str | None:
        i = self._index.get(key)
        return None if i is None else self._state[i]

    def haystack_of_key(self, key: str) -> str | None:
        """The text the query searches for one opportunity (tests, highlighting)."""
        i = self._index.get(key)
        return None if i is None else self._hay[i]

    def fields_of_key(self, key: str) -> FilterFields | None:
        i = self._index.get(key)
        return None if i is None else FilterFields._make(self._fields[i])

    # -- data() by role ------------------------------------------------------------------

    def _text(self, i: int, column: int) -> str:
        return self._texts[column](i)

    def _score_text(self, i: int) -> str:
        score = self._rows[i][R_SCORE]
        return "" if score is None else f"{score * 100:.0f}"

    def _title_text(self, i: int) -> str:
        title = self._rows[i][R_TITLE]
        return f"★ {title}" if self._starred[i] else title

    def _connects_text(self, i: int) -> str:
        connects = self._rows[i][R_CONNECTS]
        return "" if connects is None else str(connects)

    def _font(self, i: int, column: int) -> QFont | None:
        # Unread rows have a bold title (and the blue "new" dot): enough to stand out,
        # and the cheapest to paint.
        if column != Column.TITLE or self._read[i]:
            return None
        if self._bold is None:
            self._bold = QFont()
            self._bold.setBold(True)
        return self._bold

    def _alignment(self, _i: int, column: int) -> Qt.AlignmentFlag:
        return _ALIGNMENT[column]

    def _foreground(self, i: int, column: int) -> QColor | None:
        state = self._state[i]
        if state in _MUTED_STATES:
            return self._muted
        if state == "failed" and column == Column.STATE:
            return self._failed
        return None

    def _decoration(self, i: int, column: int) -> QIcon | None:
        if column != Column.STATE:
            return None
        return self._dot(self._state[i])[1]

    def _dot(self, state: str) -> tuple[QPixmap | None, QIcon | None]:
        dot = self._dots.get(state)
        if dot is None:
            colour = STATE_COLOURS.get(state)
            if colour is None:
                return None, None
            pixmap = _dot_pixmap(colour)
            dot = self._dots[state] = (pixmap, QIcon(pixmap))
        return dot

    def _tooltip(self, i: int, _column: int) -> str:
        row = self._rows[i]
        lines = [
            row[R_TITLE],
            f"{row[R_PLATFORM]} · {budget_text(row)}",
            _client_tooltip(row[R_CLIENT]),
        ]
        skills = _skills_text(row)
        if skills:
            lines.append(f"Skills: {skills}")
        return "\n".join(lines)

    def _sort_value(self, i: int, column: int) -> Any:
        return _SORT_KEYS[column](self._rows[i], self._state[i])

    # -- internals: records ----------------------------------------------------------------

    def _clear(self) -> None:
        for values in (
            self._keys,
            self._rows,
            self._hay,
            self._fields,
            self._state,
            self._fstate,
            self._workflow,
            self._read,
            self._starred,
            self._seq,
        ):
            values.clear()
        self._index = {}
        self._min_seq = 0
        self._order = []
        self._visible = []
        self._invalidate()

    @staticmethod
    def _records(opportunity: Opportunity) -> tuple[_RowRecord, str, Fields]:
        """The display record, haystack and filter fields of a full opportunity."""
        client = _client_of(opportunity.client)
        posted = (opportunity.posted_at or opportunity.detected_at).timestamp()
        budget = money_cents(opportunity.budget)
        hourly_min = money_cents(opportunity.hourly_min)
        hourly_max = money_cents(opportunity.hourly_max)
        platform = opportunity.platform.value
        row: _RowRecord = (
            _PLATFORM_LABEL[platform],
            opportunity.title,
            opportunity.kind.value,
            budget,
            hourly_min,
            hourly_max,
            _skills_json(opportunity.skills),
            client,
            opportunity.match_score,
            opportunity.connects_price,
            posted,
        )
        hay = haystack_of(
            opportunity.title,
            opportunity.description,
            opportunity.skills,
            client[C_COUNTRY],
            opportunity.category,
        )
        fields = (
            platform,
            opportunity.kind.value,
            budget,
            hourly_min,
            hourly_max,
            client[C_SPEND],
            client[C_HIRE],
            client[C_VERIFIED],
            client[C_FOLDED],
            opportunity.match_score,
            posted,
            False,
        )
        return row, hay, fields

    def _restate(self, i: int) -> None:
        flow = self._workflow[i]
        state = flow or ("read" if self._read[i] else "new")
        self._state[i] = state
        self._fstate[i] = filter_state(state, self._fields[i][ARCHIVED_FIELD])

    # -- internals: order --------------------------------------------------------------------

    def _sort_key_of(self, i: int) -> Any:
        if self._sort_column is None:
            return self._seq[i]
        return _SORT_KEYS[self._sort_column](self._rows[i], self._state[i])

    def _compute_sort_keys(self) -> list[Any]:
        if self._sort_column is None:
            return self._seq
        key = _SORT_KEYS[self._sort_column]
        return [key(row, state) for row, state in zip(self._rows, self._state, strict=True)]

    def _arrival_order(self) -> list[int]:
        """Every row by `_seq`: later batches first, then the rows loaded at start-up.

        Already in order (a linear pass for the sort) until rows arrive after the load.
        """
        return sorted(range(len(self._keys)), key=self._seq.__getitem__)

    def _sorted(self, indexes: list[int]) -> list[int]:
        """`indexes` (in arrival order) in the current total order; stable, None last."""
        if self._sort_column is None:
            return indexes
        return sorted_order(self._sort_keys, indexes, self._descending)

    def sort_state(self) -> tuple[int | None, bool]:
        """(column, descending) of the current sort, for `prepare_rows` on a worker."""
        return self._sort_column, self._descending

    def _before(self, j: int, i: int) -> bool:
        """Whether row j comes before row i in the current total order."""
        keys = self._sort_keys
        kj, ki = keys[j], keys[i]
        if kj == ki:
            return bool(self._seq[j] < self._seq[i])
        if kj is None:
            return False
        if ki is None:
            return True
        return bool(kj > ki) if self._descending else bool(kj < ki)

    def _position(self, order: list[int], i: int) -> int:
        """Where row i belongs in `order` (which is in the current total order)."""
        before = self._before
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if before(order[mid], i):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _find(self, order: list[int], i: int) -> int | None:
        position = self._position(order, i)
        return position if position < len(order) and order[position] == i else None

    def _in_place(self, order: list[int], position: int) -> bool:
        i = order[position]
        after_previous = position == 0 or self._before(order[position - 1], i)
        before_next = position + 1 == len(order) or self._before(i, order[position + 1])
        return after_previous and before_next

    def _merge(self, order: list[int], extra: list[int]) -> list[int]:
        """`order` with the rows of `extra` (both in the total order) merged in."""
        merged: list[int] = []
        start = 0
        for i in extra:
            position = self._position(order, i)
            merged.extend(order[start:position])
            merged.append(i)
            start = position
        merged.extend(order[start:])
        return merged

    # -- internals: filter ---------------------------------------------------------------

    def _compile(self, spec: FilterSpec) -> None:
        self._spec = spec
        self._now = datetime.fromtimestamp(self._clock(), UTC)
        self._rows_filter = compile_rows(spec, self._now)
        self._predicate = compile_fields(spec, self._now)

    def _passes(self, i: int) -> bool:
        return bool(self._predicate(self._fields[i], self._hay[i], self._state[i]))

    @staticmethod
    def _remember(cache: dict[Any, list[int]], key: Any, rows: list[int]) -> None:
        cache.pop(key, None)
        cache[key] = rows
        while len(cache) > _CACHE_SIZE:
            del cache[next(iter(cache))]

    def _invalidate(self) -> None:
        """Rows or their order changed: remembered scans no longer hold."""
        self._results.clear()
        self._text_hits.clear()

    def _emit_counts(self) -> None:
        counts = (len(self._visible), len(self._keys))
        if counts != self._last_counts:
            self._last_counts = counts
            self.counts_changed.emit(*counts)

    # -- internals: changing rows --------------------------------------------------------

    def _insert_new(self, opportunities: list[Opportunity]) -> None:
        self._invalidate()
        count = len(opportunities)
        first_seq = self._min_seq - count
        self._min_seq = first_seq
        added: list[int] = []
        for offset, opportunity in enumerate(opportunities):
            row, hay, fields = self._records(opportunity)
            i = len(self._keys)
            self._index[opportunity.key] = i
            self._keys.append(opportunity.key)
            self._rows.append(row)
            self._hay.append(hay)
            self._fields.append(fields)
            self._workflow.append(None)
            self._read.append(False)
            self._starred.append(False)
            self._state.append("new")
            self._fstate.append("new")
            self._seq.append(first_seq + offset)  # the batch's first on top
            if self._sort_column is not None:
                self._sort_keys.append(self._sort_key_of(i))
            added.append(i)
        added = self._sorted(added)  # `added` is in arrival order already
        self._order = self._merge(self._order, added)
        passing = [i for i in added if self._passes(i)]
        if not passing:
            return
        positions = [self._position(self._visible, i) for i in passing]
        parent = QModelIndex()
        if positions[0] == positions[-1]:
            # One block at one place: the usual case (newest first, or a single row).
            first = positions[0]
            self.beginInsertRows(parent, first, first + len(passing) - 1)
            self._visible[first:first] = passing
            self.endInsertRows()
            return
        if len(passing) <= _ROW_SIGNALS_LIMIT:
            # A few rows scattered by the sort (webhooks trickling into a table sorted by
            # posting time): one insert each, last position first so the earlier
            # positions stay valid. A layout change would make the view re-read every
            # persistent index and row for each of them.
            # (`passing` is in the total order: of two rows due at one position, the later
            # one goes in first.)
            for position, n in sorted(
                zip(positions, range(len(passing)), strict=True), reverse=True
            ):
                self.beginInsertRows(parent, position, position)
                self._visible.insert(position, passing[n])
                self.endInsertRows()
            return
        # Many, scattered by the sort: append them as one block, then move them into place.
        end = len(self._visible)
        self.beginInsertRows(parent, end, end + len(passing) - 1)
        self._visible.extend(passing)
        self.endInsertRows()

        def place() -> None:
            self._visible = self._merge(self._visible[:end], passing)

        self._change_layout(place)

    def _update_rows(self, updated: list[tuple[int, Opportunity]]) -> None:
        self._invalidate()
        if len(updated) <= _ROW_SIGNALS_LIMIT:
            for i, opportunity in updated:
                self._change_row(i, partial(self._replace, i, opportunity))
            return
        # Many at once: take them out of both orders, change them, merge back the ones that
        # pass; one reset for the view instead of a signal per row.
        rows = {i for i, _ in updated}
        self.beginResetModel()
        order = [i for i in self._order if i not in rows]
        visible = [i for i in self._visible if i not in rows]
        for i, opportunity in updated:
            self._replace(i, opportunity)
        changed = self._sorted(sorted(rows, key=self._seq.__getitem__))
        self._order = self._merge(order, changed)
        self._visible = self._merge(visible, [i for i in changed if self._passes(i)])
        self.endResetModel()

    def _replace(self, i: int, opportunity: Opportunity) -> None:
        """New content for row i; the user's marks and the workflow state stay."""
        row, hay, fields = self._records(opportunity)
        self._rows[i] = row
        self._hay[i] = hay
        self._fields[i] = _with_archived(fields, self._fields[i][ARCHIVED_FIELD])
        if self._sort_column is not None:
            self._sort_keys[i] = self._sort_key_of(i)

    def _change_row(self, i: int, change: Callable[[], None]) -> None:
        """Apply `change` to row i, then move, remove, insert or repaint it as needed."""
        self._invalidate()
        old_position = self._find(self._visible, i)
        order_position = self._find(self._order, i)
        old_key = self._sort_keys[i]
        change()
        if self._sort_column is not None:
            new_key = self._sort_key_of(i)
            if new_key != old_key and order_position is not None:
                del self._order[order_position]
                self._sort_keys[i] = new_key
                self._order.insert(self._position(self._order, i), i)
            self._sort_keys[i] = new_key
        passes = self._passes(i)
        visible = self._visible
        parent = QModelIndex()
        if old_position is None:
            if passes:
                position = self._position(visible, i)
                self.beginInsertRows(parent, position, position)
                visible.insert(position, i)
                self.endInsertRows()
            return
        if not passes:
            self.beginRemoveRows(parent, old_position, old_position)
            del visible[old_position]
            self.endRemoveRows()
            return
        if not self._in_place(visible, old_position):
            del visible[old_position]
            position = self._position(visible, i)
            visible.insert(old_position, i)
            # Qt counts the destination before the move.
            destination = position if position < old_position else position + 1
            self.beginMoveRows(parent, old_position, old_position, parent, destination)
            del visible[old_position]
            visible.insert(position, i)
            self.endMoveRows()
            old_position = position
        self.dataChanged.emit(self.index(old_position, 0), self.index(old_position, _COLUMNS - 1))

    def _change_layout(self, change: Callable[[], None]) -> None:
        """A reorder that keeps the row count: persistent indexes follow their rows."""
        # PySide's emit() takes no arguments here: the hint stays NoLayoutChangeHint.
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        rows = [
            self._visible[index.row()] if 0 <= index.row() < len(self._visible) else None
            for index in persistent
        ]
        change()
        moved = []
        for index, i in zip(persistent, rows, strict=True):
            position = None if i is None else self._find(self._visible, i)
            moved.append(
                QModelIndex() if position is None else self.index(position, index.column())
            )
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


def _with_archived(fields: Fields, archived: bool) -> Fields:
    return (*fields[:ARCHIVED_FIELD], archived)


def _is_plain_text(spec: FilterSpec) -> bool:
    """Whether `spec` is a text query and nothing else (archived rows hidden)."""
    return spec.model_copy(update={"text": ""}) == _EMPTY_SPEC


def _query_of(node: QueryNode) -> Query:
    """A Query for a remembered tree, to ask `narrows` (which reads only the tree)."""
    return Query(text="", node=node, predicate=_match_all)


def _match_all(_haystack: str) -> bool:
    return True


def _default_states(spec: FilterSpec) -> bool:
    """Whether `spec` tests the state as the empty spec does (hides archived rows)."""
    return not spec.states and not spec.include_archived


_EMPTY_SPEC = FilterSpec()


def _dot_pixmap(colour: str) -> QPixmap:
    """A small filled circle: the STATE column's at-a-glance mark."""
    pixmap = QPixmap(_DOT_SIZE, _DOT_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(1, 1, _DOT_SIZE - 2, _DOT_SIZE - 2)
    painter.end()
    return pixmap
