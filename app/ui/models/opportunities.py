"""The inbox table: a thin Qt adapter over the Qt-free `InboxIndex`.

The rows, their columnar storage, the order, the filter and every display text live in
app/services/inbox_index.py and app/services/inbox_rows.py (STYLE.md §8: row order
computed in Python, here in numpy over a million rows). This model only answers Qt:
`rowCount` and the order come from the index, `data` by role from the few hundred
records around the rows painted (the index's page cache over the store), `headerData`,
`sort`, and it turns the index's changes of its visible rows into
beginInsertRows/beginRemoveRows/beginMoveRows/dataChanged/layoutChanged/resets. No proxy
model: the view asks only for the rows it paints.

`cell()` is a fast path for the view's delegate: the text and marks of one cell without
a `data()` round trip per role. `data()` gives the same values by role.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from app.domain.filter_rows import FilterFields
from app.domain.filters import FilterSpec
from app.domain.formatting import age_text, money_text
from app.domain.opportunity import Opportunity
from app.services import heap
from app.services.inbox_index import InboxIndex, IndexData, RowIndex, RowSource
from app.services.inbox_rows import (
    CELL_TEXTS,
    COLUMNS,
    OpportunityRow,
    budget_text,
    client_text,
    row_tooltip,
    sorted_order,
)
from app.services.inbox_rows import Column as Column

__all__ = [
    "KEY_ROLE",
    "SORT_ROLE",
    "STATE_ROLE",
    "Cell",
    "Column",
    "OpportunityTableModel",
    "age_text",
    "budget_text",
    "client_text",
    "money_text",
    "sorted_order",
]

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2
STATE_ROLE = int(Qt.ItemDataRole.UserRole) + 3

# Quiet after a query or a sort before the C heap's free pages go back to the system
# (`heap.trim`: ~5 ms at 1M rows). Queries and sorts leave freed scratch behind the
# arrays still in use: after a minute of them over a 1M inbox (bench_filter) the process
# held 402 MB, 381 once trimmed, and the session's trim comes only once a minute.
SETTLE_MS = 1_000

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
_NUMERIC = frozenset({Column.SCORE, Column.BUDGET, Column.POSTED, Column.CONNECTS})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGNMENT = tuple(_RIGHT if column in _NUMERIC else _LEFT for column in Column)
_RIGHT_ALIGNED = tuple(column in _NUMERIC for column in Column)

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


# What a row's cells are painted from (`OpportunityTableModel.row_look`): its record,
# state, starred, read, and the age text.
RowLook = tuple[Any, str, bool, bool, str]


class Cell(NamedTuple):
    """One cell as the view's delegate paints it (see `OpportunityTableModel.cell`)."""

    text: str
    bold: bool
    foreground: QColor | None
    dot: QPixmap | None
    right_aligned: bool


class OpportunityTableModel(QAbstractTableModel):
    """Every opportunity, filtered and sorted by an `InboxIndex`; see the module docstring."""

    SortRole = SORT_ROLE
    KeyRole = KEY_ROLE
    StateRole = STATE_ROLE

    counts_changed = Signal(int, int)  # visible, total

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.time,
        source: RowSource | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        # Rows shown are read from `source` (the store) a page at a time.
        self._index: RowIndex = InboxIndex(self, clock=clock, source=source)
        # Persistent indexes and the row ids under them, while a layout change runs.
        self._persistent: list[QModelIndex] = []
        self._persistent_ids: list[int | None] = []
        # Qt objects made on first use (a QGuiApplication exists by then).
        self._bold: QFont | None = None
        self._dots: dict[str, tuple[QPixmap, QIcon]] = {}
        self._muted = QColor(_MUTED)
        self._failed = QColor(_FAILED)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._trim_heap)
        index = self._index
        # Lazy per-row readers (a page cache over the source); the flag columns are
        # numpy arrays that grow, so they are read through the index each time.
        self._records, self._states = index.records, index.states
        records, states, keys = index.records, index.states, index.keys
        self._role_handlers: dict[int, Callable[[int, int], Any]] = {
            int(Qt.ItemDataRole.DisplayRole): self._text,
            int(Qt.ItemDataRole.FontRole): self._font,
            int(Qt.ItemDataRole.TextAlignmentRole): self._alignment,
            int(Qt.ItemDataRole.ForegroundRole): self._foreground,
            int(Qt.ItemDataRole.DecorationRole): self._decoration,
            int(Qt.ItemDataRole.ToolTipRole): lambda i, _column: (
                None if (record := records[i]) is None else row_tooltip(record)
            ),
            SORT_ROLE: index.sort_value,
            KEY_ROLE: lambda i, _column: keys[i],
            STATE_ROLE: lambda i, _column: states[i],
        }

    @property
    def inbox_index(self) -> RowIndex:
        """The Qt-free rows, order and filter behind this model."""
        return self._index

    # -- Qt's table interface ------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._index.visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMNS

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        handler = self._role_handlers.get(role)
        if handler is None:
            return None
        row = index.row()
        visible = self._index.visible
        if row < 0 or row >= len(visible):
            return None
        return handler(int(visible[row]), index.column())

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMNS:
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
        self._index.sort(column, order == Qt.SortOrder.DescendingOrder)
        self._settle.start()

    def _trim_heap(self) -> None:
        """The user has stopped asking for a while: hand back what their asking freed."""
        heap.trim()

    # -- the delegate's fast path ----------------------------------------------------------

    def cell(self, row: int, column: int) -> Cell | None:
        """Everything the view paints in one cell, in one call; None out of range."""
        visible = self._index.visible
        if not 0 <= row < len(visible) or not 0 <= column < COLUMNS:
            return None
        i = int(visible[row])
        record = self._records[i]
        if record is None:
            return None
        state = self._states[i]
        index = self._index
        return Cell(
            CELL_TEXTS[column](record, state, bool(index.starred[i]), self._clock),
            column == Column.TITLE and not index.read[i],
            self._foreground(i, column),
            self._dot(state)[0] if column == Column.STATE else None,
            _RIGHT_ALIGNED[column],
        )

    def row_look(self, row: int) -> tuple[int, RowLook] | None:
        """(row id, everything the row's cells are painted from), for the view's cache of
        painted rows: two rows with equal looks paint the same pixels. The age is the one
        text that changes with the clock. None out of range."""
        visible = self._index.visible
        if not 0 <= row < len(visible):
            return None
        i = int(visible[row])
        record = self._records[i]
        if record is None:
            return None
        index = self._index
        state = self._states[i]
        starred = bool(index.starred[i])
        age = CELL_TEXTS[Column.POSTED](record, state, starred, self._clock)
        return i, (record, state, starred, bool(index.read[i]), age)

    # -- loading, filtering, changes: the index's, reported back through RowChanges -------

    def load_rows(self, rows: Iterable[OpportunityRow], states: Mapping[str, str]) -> None:
        """Replace everything with `rows` (newest first, as the store loads them), held in
        memory: for tests and small inboxes. The window builds an `IndexData` over the
        store on a worker thread and hands it to `adopt`.

        `states` holds the workflow state of the keys that have a draft or a submission
        (`Inbox.local_states()`); every other row is new or read by its read flag.
        """
        self._index.load_rows(rows, states)

    def adopt(self, data: IndexData) -> None:
        """Replace everything with an index built by `build_index` (on a worker thread)."""
        self._index.adopt(data)

    def set_filter(self, spec: FilterSpec) -> None:
        """Show the rows `spec` accepts, in the current sort order."""
        self._index.set_filter(spec)
        self._settle.start()

    def preview_filter(self, spec: FilterSpec, rows: int = 120) -> None:
        """Show the first `rows` rows `spec` accepts at once, when its whole answer
        takes reading the text of many rows; `set_filter(spec)` shows the rest once it is
        known (see the index)."""
        self._index.preview_filter(spec, rows)
        self._settle.start()

    def spec(self) -> FilterSpec:
        return self._index.spec()

    @property
    def searching(self) -> bool:
        """Whether the rows shown are the first of the filter's answer only (a preview:
        more may come when the rest is checked)."""
        return self._index.searching

    def count_matching(self, spec: FilterSpec) -> int:
        """How many rows `spec` would show (the shown rows do not change)."""
        return self._index.count_matching(spec)

    def count_matching_steps(self, specs: Sequence[FilterSpec]) -> Iterator[list[int] | None]:
        """`count_matching` for several specs, one spec per step (see the index)."""
        return self._index.count_matching_steps(specs)

    def sort_state(self) -> tuple[int | None, bool]:
        """(column, descending) of the current sort, for `build_index` on a worker."""
        return self._index.sort_state()

    def add_or_update(self, opportunities: Iterable[Opportunity]) -> None:
        """Merge one coalesced batch from the bridge: new keys are inserted where the sort
        puts them (if they pass the filter), known keys are updated in place."""
        self._index.add_or_update(opportunities)

    def remove(self, keys: Iterable[str]) -> None:
        """Forget the opportunities of `keys`; shown rows leave the view."""
        self._index.remove(keys)

    def set_state(self, key: str, state: str) -> None:
        """Record the workflow state of one opportunity ("drafted", "submitted"...).

        "new" and "read" mean no draft or submission: the read flag is set to match.
        """
        self._index.set_state(key, state)

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
        self._index.set_flags(key, read=read, starred=starred, archived=archived)

    # -- lookups ---------------------------------------------------------------------------

    def key_at(self, row: int) -> str | None:
        return self._index.key_at(row)

    def row_of(self, key: str) -> int | None:
        return self._index.position_of(key)

    def visible_count(self) -> int:
        return self._index.visible_count()

    def total_count(self) -> int:
        return self._index.total_count()

    def state_of(self, key: str) -> str | None:
        return self._index.state_of(key)

    def haystack_of_key(self, key: str) -> str | None:
        """The text the query searches for one opportunity (tests, highlighting)."""
        return self._index.haystack_of_key(key)

    def fields_of_key(self, key: str) -> FilterFields | None:
        return self._index.fields_of_key(key)

    # -- RowChanges: the index's changes as Qt's signals ------------------------------------

    def begin_reset(self) -> None:
        self.beginResetModel()

    def end_reset(self) -> None:
        self.endResetModel()

    def begin_insert(self, first: int, last: int) -> None:
        self.beginInsertRows(QModelIndex(), first, last)

    def end_insert(self) -> None:
        self.endInsertRows()

    def begin_remove(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)

    def end_remove(self) -> None:
        self.endRemoveRows()

    def begin_move(self, source: int, destination: int) -> None:
        parent = QModelIndex()
        self.beginMoveRows(parent, source, source, parent, destination)

    def end_move(self) -> None:
        self.endMoveRows()

    def changed(self, position: int) -> None:
        self.dataChanged.emit(self.index(position, 0), self.index(position, COLUMNS - 1))

    def begin_layout(self) -> None:
        """A reorder that keeps the row count: persistent indexes will follow their rows."""
        # PySide's emit() takes no arguments here: the hint stays NoLayoutChangeHint.
        self.layoutAboutToBeChanged.emit()
        visible = self._index.visible
        self._persistent = self.persistentIndexList()
        self._persistent_ids = [
            int(visible[index.row()]) if 0 <= index.row() < len(visible) else None
            for index in self._persistent
        ]

    def end_layout(self) -> None:
        index = self._index
        moved = []
        # The persistent indexes are mostly one row's cells (the selection, the current
        # one): each row is looked for once, not once per cell.
        found: dict[int, int | None] = {}
        for persistent, i in zip(self._persistent, self._persistent_ids, strict=True):
            if i is not None and i not in found:
                found[i] = index.position_of_id(i)
            position = None if i is None else found[i]
            moved.append(
                QModelIndex() if position is None else self.index(position, persistent.column())
            )
        self.changePersistentIndexList(self._persistent, moved)
        self._persistent, self._persistent_ids = [], []
        self.layoutChanged.emit()

    def counts(self, visible: int, total: int) -> None:
        self.counts_changed.emit(visible, total)

    # -- data() by role ------------------------------------------------------------------

    def _text(self, i: int, column: int) -> str:
        record = self._records[i]
        if record is None:
            return ""
        starred = bool(self._index.starred[i])
        return CELL_TEXTS[column](record, self._states[i], starred, self._clock)

    def _font(self, i: int, column: int) -> QFont | None:
        # Unread rows have a bold title (and the blue "new" dot): enough to stand out,
        # and the cheapest to paint.
        if column != Column.TITLE or self._index.read[i]:
            return None
        if self._bold is None:
            self._bold = QFont()
            self._bold.setBold(True)
        return self._bold

    def _alignment(self, _i: int, column: int) -> Qt.AlignmentFlag:
        return _ALIGNMENT[column]

    def _foreground(self, i: int, column: int) -> QColor | None:
        state = self._states[i]
        if state in _MUTED_STATES:
            return self._muted
        if state == "failed" and column == Column.STATE:
            return self._failed
        return None

    def _decoration(self, i: int, column: int) -> QIcon | None:
        if column != Column.STATE:
            return None
        return self._dot(self._states[i])[1]

    def _dot(self, state: str) -> tuple[QPixmap | None, QIcon | None]:
        dot = self._dots.get(state)
        if dot is None:
            colour = STATE_COLOURS.get(state)
            if colour is None:
                return None, None
            pixmap = _dot_pixmap(colour)
            dot = self._dots[state] = (pixmap, QIcon(pixmap))
        return dot


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
