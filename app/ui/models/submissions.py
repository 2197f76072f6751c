"""The submissions table: one row per Submission, filtered and sorted in Python.

The model keeps every submission it was given and exposes a light list of visible ids in
display order (STYLE.md §8: no QSortFilterProxyModel). A state/outcome filter resets that
list; a sort reorders it with `layoutChanged`; `upsert` is incremental — `dataChanged` for
a known submission (moved into place when a sort is active, inserted or removed when it
enters or leaves the filter), `beginInsertRows` for a new one. Colours, icons and wording
of states live here too, so the pane's detail area speaks the same language as the table.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap

from app.domain.submission import (
    TERMINAL_OUTCOMES,
    Outcome,
    Submission,
    SubmissionState,
)

_Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
OBJECT_ROLE = int(Qt.ItemDataRole.UserRole) + 2

_HISTORY_IN_TOOLTIP = 12
# PySide6 exposes the hinted overload of the layout signals only by its C++ signature.
_LAYOUT_WITH_HINT = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")


class Column(IntEnum):
    STATE = 0
    OUTCOME = 1
    PLATFORM = 2
    TITLE = 3
    ACCOUNT = 4
    ATTEMPTS = 5
    CREATED = 6
    UPDATED = 7
    REASON = 8


HEADERS: dict[Column, str] = {
    Column.STATE: "State",
    Column.OUTCOME: "Outcome",
    Column.PLATFORM: "Route",
    Column.TITLE: "Opportunity",
    Column.ACCOUNT: "Account",
    Column.ATTEMPTS: "Tries",
    Column.CREATED: "Created",
    Column.UPDATED: "Updated",
    Column.REASON: "Reason / platform status",
}

_HEADER_TIPS: dict[Column, str] = {
    Column.STATE: "Whether the proposal got delivered",
    Column.OUTCOME: "What the client did after it was submitted",
    Column.PLATFORM: "The platform the proposal goes through",
    Column.ATTEMPTS: "How many times it was sent",
    Column.REASON: "Why it failed, or the platform's own status",
}

STATE_LABELS: dict[SubmissionState, str] = {
    SubmissionState.DRAFT: "Draft",
    SubmissionState.STAGED: "Staged",
    SubmissionState.SCHEDULED: "Scheduled",
    SubmissionState.SUBMITTING: "Submitting",
    SubmissionState.UNKNOWN: "Unknown",
    SubmissionState.SUBMITTED: "Submitted",
    SubmissionState.FAILED: "Failed",
    SubmissionState.WITHDRAWN: "Withdrawn",
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.NONE: "",
    Outcome.VIEWED: "Viewed",
    Outcome.REPLIED: "Replied",
    Outcome.ACCEPTED: "Accepted",
    Outcome.REJECTED: "Rejected",
    Outcome.CLOSED: "Closed",
}

STATE_HINTS: dict[SubmissionState, str] = {
    SubmissionState.UNKNOWN: (
        "The platform's answer to the send was lost; BidDesk checks the platform "
        "before anything is sent again."
    ),
    SubmissionState.SCHEDULED: "Waiting for its sending time.",
    SubmissionState.SUBMITTING: "Being sent; waiting for the platform.",
}

# Lifecycle order, so that sorting by state groups rows the way the lifecycle reads.
_STATE_ORDER: dict[SubmissionState, int] = {state: i for i, state in enumerate(SubmissionState)}
_OUTCOME_ORDER: dict[Outcome, int] = {outcome: i for i, outcome in enumerate(Outcome)}

_RECONCILABLE = frozenset(
    {SubmissionState.SCHEDULED, SubmissionState.SUBMITTING, SubmissionState.UNKNOWN}
)


class Tone(StrEnum):
    """How a submission should look at a glance."""

    PENDING = "pending"
    UNKNOWN = "unknown"
    FAILED = "failed"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ENDED = "ended"  # rejected, closed, withdrawn: done, de-emphasised


# Text colours readable on a light base (first) and on a dark one (second).
_TONE_TEXT: dict[Tone, tuple[str, str]] = {
    Tone.FAILED: ("#c62828", "#ff8a80"),
    Tone.UNKNOWN: ("#a15c00", "#ffcc66"),
    Tone.SUBMITTED: ("#2e7d32", "#81c784"),
    Tone.ACCEPTED: ("#1b5e20", "#a5d6a7"),
    Tone.ENDED: ("#6b7280", "#9ca3af"),
}
# Icon dots: saturated, they sit on either base.
_TONE_DOT: dict[Tone, str] = {
    Tone.PENDING: "#1e88e5",
    Tone.UNKNOWN: "#f59e0b",
    Tone.FAILED: "#e53935",
    Tone.SUBMITTED: "#43a047",
    Tone.ACCEPTED: "#2e7d32",
    Tone.ENDED: "#9ca3af",
}


def tone_of(sub: Submission) -> Tone:
    if sub.state is SubmissionState.FAILED:
        return Tone.FAILED
    if sub.state is SubmissionState.UNKNOWN:
        return Tone.UNKNOWN
    if sub.state is SubmissionState.WITHDRAWN:
        return Tone.ENDED
    if sub.state is SubmissionState.SUBMITTED:
        if sub.outcome is Outcome.ACCEPTED:
            return Tone.ACCEPTED
        if sub.outcome in TERMINAL_OUTCOMES:
            return Tone.ENDED
        return Tone.SUBMITTED
    return Tone.PENDING


def tone_color(tone: Tone) -> QColor | None:
    """The text colour of a tone for the current palette; None = the palette's own."""
    pair = _TONE_TEXT.get(tone)
    if pair is None:
        return None
    base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    return QColor(pair[1] if base.lightness() < 128 else pair[0])


def can_reconcile(sub: Submission) -> bool:
    """Whether asking the platform for this submission's state could tell anything new."""
    return sub.state in _RECONCILABLE or (
        sub.state is SubmissionState.SUBMITTED and sub.outcome not in TERMINAL_OUTCOMES
    )


def reason_text(sub: Submission) -> str:
    """The REASON column: the failure sentence, else the platform's verbatim status."""
    if sub.failure is not None:
        return sub.failure.describe()
    return sub.platform_status or ""


def explain(sub: Submission) -> str:
    """One sentence on why a submission is where it is, or "" when nothing needs saying."""
    return reason_text(sub) or STATE_HINTS.get(sub.state, "")


def format_time(value: datetime, *, full: bool = False) -> str:
    """Local time: short in the table ("02 May 14:31"), complete in details."""
    local = value.astimezone()
    if full:
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if local.year == datetime.now().astimezone().year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def _sort_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class SubmissionTableModel(QAbstractTableModel):
    """Submissions for a QTableView; see the module docstring for how rows move."""

    SortRole = SORT_ROLE
    ObjectRole = OBJECT_ROLE

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: dict[str, Submission] = {}
        self._rank: dict[str, int] = {}  # unsorted order: smaller is higher up
        self._top_rank = 0
        self._titles: dict[str, str] = {}
        self._visible: list[str] = []  # ids, in display order
        self._row_by_id: dict[str, int] = {}
        self._states: frozenset[SubmissionState] | None = None
        self._outcomes: frozenset[Outcome] | None = None
        self._sort_column: Column | None = None
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._dots: dict[Tone, QIcon] = {}  # painted on first use: needs a QGuiApplication
        self._bold: QFont | None = None
        self._roles = {
            int(Qt.ItemDataRole.DisplayRole): self._display,
            SORT_ROLE: self._sort_value,
            OBJECT_ROLE: lambda sub, _column: sub,
            int(Qt.ItemDataRole.ToolTipRole): self._tooltip,
            int(Qt.ItemDataRole.ForegroundRole): self._foreground,
            int(Qt.ItemDataRole.DecorationRole): self._decoration,
            int(Qt.ItemDataRole.FontRole): self._font,
            int(Qt.ItemDataRole.TextAlignmentRole): self._alignment,
        }

    # --- Qt's interface -------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._visible):
            return None
        handler = self._roles.get(int(role))
        if handler is None:
            return None
        return handler(self._records[self._visible[index.row()]], Column(index.column()))

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        role = int(role)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(None, column)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Reorder rows by `column`'s sort-role values; column -1 restores the given order."""
        self._sort_column = Column(column) if 0 <= column < len(Column) else None
        self._sort_order = order
        self._relayout()

    # --- our interface --------------------------------------------------------------

    def set_submissions(self, subs: Sequence[Submission], titles: Mapping[str, str]) -> None:
        """Replace everything; `subs` in the order to show when no sort is active."""
        self.beginResetModel()
        self._records = {}
        self._rank = {}
        for rank, sub in enumerate(subs):
            self._records[sub.id] = sub
            self._rank.setdefault(sub.id, rank)
        self._top_rank = 0
        self._titles = dict(titles)
        self._refilter()
        self.endResetModel()

    def upsert(self, sub: Submission, title: str | None = None) -> None:
        """Add a submission (at the top, or in sort order) or update one in place."""
        if title is not None and self._titles.get(sub.opportunity_key) != title:
            self._titles[sub.opportunity_key] = title
            self._title_changed(sub.opportunity_key, except_id=sub.id)
        known = sub.id in self._records
        self._records[sub.id] = sub
        if not known:
            self._top_rank -= 1
            self._rank[sub.id] = self._top_rank
        row = self._row_by_id.get(sub.id)
        if not self._accepts(sub):
            if row is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._visible[row]
                self._reindex()
                self.endRemoveRows()
            return
        if row is None:
            order = self._ordered([*self._visible, sub.id])
            row = order.index(sub.id)
            self.beginInsertRows(QModelIndex(), row, row)
            self._visible = order
            self._reindex()
            self.endInsertRows()
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
        self._move_into_place(sub.id, row)

    def set_filter(
        self,
        states: Iterable[str] | None = None,
        outcomes: Iterable[str] | None = None,
    ) -> None:
        """Show only these states and outcomes (values or enum members); None = any."""
        new_states = None if states is None else frozenset(SubmissionState(s) for s in states)
        new_outcomes = None if outcomes is None else frozenset(Outcome(o) for o in outcomes)
        if (new_states, new_outcomes) == (self._states, self._outcomes):
            return
        self.beginResetModel()
        self._states, self._outcomes = new_states, new_outcomes
        self._refilter()
        self.endResetModel()

    def set_state_filter(self, states: frozenset[str] | None) -> None:
        """Show only submissions in these states (None = all), whatever their outcome."""
        self.set_filter(states=states)

    def submission_at(self, row: int) -> Submission:
        if not 0 <= row < len(self._visible):
            raise IndexError(f"no submission at row {row}")
        return self._records[self._visible[row]]

    def row_of(self, submission_id: str) -> int | None:
        """The visible row of a submission, None when it is unknown or filtered out."""
        return self._row_by_id.get(submission_id)

    def submission(self, submission_id: str) -> Submission | None:
        """A submission by id, visible or not."""
        return self._records.get(submission_id)

    def title_of(self, sub: Submission) -> str:
        return self._titles.get(sub.opportunity_key) or sub.opportunity_key

    def total_count(self) -> int:
        """How many submissions the model holds, filtered out or not."""
        return len(self._records)

    # --- order ----------------------------------------------------------------------

    def _accepts(self, sub: Submission) -> bool:
        return (self._states is None or sub.state in self._states) and (
            self._outcomes is None or sub.outcome in self._outcomes
        )

    def _ordered(self, ids: Iterable[str]) -> list[str]:
        ordered = sorted(ids, key=self._rank.__getitem__)
        column = self._sort_column
        if column is not None:
            records = self._records
            # Stable, also with reverse=True: equal values keep the unsorted order.
            ordered.sort(
                key=lambda sid: _sort_key(self._sort_value(records[sid], column)),
                reverse=self._sort_order == Qt.SortOrder.DescendingOrder,
            )
        return ordered

    def _refilter(self) -> None:
        self._visible = self._ordered(
            sid for sid, sub in self._records.items() if self._accepts(sub)
        )
        self._reindex()

    def _reindex(self) -> None:
        self._row_by_id = {sid: row for row, sid in enumerate(self._visible)}

    def _relayout(self) -> None:
        hint = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
        self.layoutAboutToBeChanged[_LAYOUT_WITH_HINT].emit([], hint)  # type: ignore[index]
        old = self.persistentIndexList()
        keys = [(self._visible[index.row()], index.column()) for index in old]
        self._visible = self._ordered(self._visible)
        self._reindex()
        self.changePersistentIndexList(
            old, [self.index(self._row_by_id[sid], column) for sid, column in keys]
        )
        self.layoutChanged[_LAYOUT_WITH_HINT].emit([], hint)  # type: ignore[index]

    def _move_into_place(self, submission_id: str, row: int) -> None:
        if self._sort_column is None:
            return  # the unsorted order (rank) of a known submission never changes
        order = self._ordered(self._visible)
        target = order.index(submission_id)
        if target == row:
            return
        # beginMoveRows wants the destination in the numbering before the move.
        destination = target + 1 if target > row else target
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        self._visible = order
        self._reindex()
        self.endMoveRows()

    def _title_changed(self, opportunity_key: str, *, except_id: str) -> None:
        if self._sort_column is Column.TITLE:
            self._relayout()
            return
        for row, sid in enumerate(self._visible):
            if sid != except_id and self._records[sid].opportunity_key == opportunity_key:
                cell = self.index(row, Column.TITLE)
                self.dataChanged.emit(cell, cell, [int(Qt.ItemDataRole.DisplayRole)])

    # --- roles ----------------------------------------------------------------------

    def _display(self, sub: Submission, column: Column) -> str:
        match column:
            case Column.STATE:
                return STATE_LABELS[sub.state]
            case Column.OUTCOME:
                return OUTCOME_LABELS[sub.outcome]
            case Column.PLATFORM:
                return sub.platform.label
            case Column.TITLE:
                return self.title_of(sub)
            case Column.ACCOUNT:
                return sub.account
            case Column.ATTEMPTS:
                return str(sub.attempts)
            case Column.CREATED:
                return format_time(sub.created_at)
            case Column.UPDATED:
                return format_time(sub.updated_at)
            case Column.REASON:
                return reason_text(sub)

    def _sort_value(self, sub: Submission, column: Column) -> str | int | datetime:
        match column:
            case Column.STATE:
                return _STATE_ORDER[sub.state]
            case Column.OUTCOME:
                return _OUTCOME_ORDER[sub.outcome]
            case Column.ATTEMPTS:
                return sub.attempts
            case Column.CREATED:
                return sub.created_at
            case Column.UPDATED:
                return sub.updated_at
            case _:
                return self._display(sub, column)

    def _tooltip(self, sub: Submission, column: Column) -> str:
        esc = html.escape
        parts = [f"<p><b>{esc(self.title_of(sub))}</b><br>"]
        status = STATE_LABELS[sub.state]
        if sub.outcome is not Outcome.NONE:
            status += f" · {OUTCOME_LABELS[sub.outcome]}"
        parts.append(f"{esc(status)} — via {esc(sub.platform.label)}, account {esc(sub.account)}")
        parts.append("</p>")
        sentence = explain(sub)
        if sentence:
            parts.append(f"<p>{esc(sentence)}</p>")
        if sub.history:
            shown = sub.history[-_HISTORY_IN_TOOLTIP:]
            parts.append("<table cellspacing='0' cellpadding='1'>")
            if len(sub.history) > len(shown):
                earlier = len(sub.history) - len(shown)
                parts.append(f"<tr><td colspan='4'><i>{earlier} earlier steps…</i></td></tr>")
            for entry in shown:
                step = STATE_LABELS[entry.state]
                if entry.outcome is not Outcome.NONE:
                    step += f" · {OUTCOME_LABELS[entry.outcome]}"
                parts.append(
                    f"<tr><td>{esc(format_time(entry.at, full=True))}&nbsp;&nbsp;</td>"
                    f"<td>{esc(step)}&nbsp;&nbsp;</td><td>{esc(entry.via)}&nbsp;&nbsp;</td>"
                    f"<td>{esc(entry.detail or '')}</td></tr>"
                )
            parts.append("</table>")
        return "".join(parts)

    def _foreground(self, sub: Submission, column: Column) -> QColor | None:
        tone = tone_of(sub)
        if tone is Tone.ENDED:
            return tone_color(tone)  # the whole row steps back
        if column in (Column.STATE, Column.OUTCOME) or (
            column is Column.REASON and tone in (Tone.FAILED, Tone.UNKNOWN)
        ):
            return tone_color(tone)
        return None

    def _decoration(self, sub: Submission, column: Column) -> QIcon | None:
        if column is not Column.STATE:
            return None
        tone = tone_of(sub)
        icon = self._dots.get(tone)
        if icon is None:
            icon = self._dots[tone] = _dot_icon(QColor(_TONE_DOT[tone]))
        return icon

    def _font(self, sub: Submission, column: Column) -> QFont | None:
        if tone_of(sub) is not Tone.ACCEPTED:
            return None
        if self._bold is None:
            self._bold = QFont()
            self._bold.setBold(True)
        return self._bold

    def _alignment(self, sub: Submission | None, column: Column) -> int:
        horizontal = (
            Qt.AlignmentFlag.AlignRight if column is Column.ATTEMPTS else Qt.AlignmentFlag.AlignLeft
        )
        return int(horizontal | Qt.AlignmentFlag.AlignVCenter)


def _dot_icon(color: QColor, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(color.darker(125))
    painter.setBrush(color)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)
