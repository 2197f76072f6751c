"""The inbox table view: compact rows, one selected opportunity, tracked by key.

The model (`OpportunityTableModel`) resets on every new filter and reorders on a sort;
the view keeps the user's place by remembering the selected opportunity's key and
selecting it again afterwards, and tells the window only when that key really changes
(`current_key_changed`). j/k move like the arrows.

Rows that arrive, leave or move while the user reads (scrolled down) or aims (the pointer
over the rows) do not move the rows under their eyes: the row at the pointer, or the top
row, stays where it was on screen, and the table scrolls by what changed above it. At the
top with the pointer elsewhere, new rows show at the top as they come; rows held above
only while the pointer was on the table show as soon as it leaves (unless the user
scrolled meanwhile): being early is the point, so new jobs never stay out of sight.

Every keystroke in the search box repaints the whole table, so painting is on the
keystroke's budget: Qt's default delegate asks the model for seven roles per cell and
lays the text out with QTextLayout (about 20 ms for a screenful here). `_CellDelegate`
takes each cell from the model's `cell()` in one call and draws cached, pre-laid-out
`QStaticText`, about 8 ms. Models without `cell()` are painted the default way.

Webhooks made painting matter again: rows arriving in a burst repaint the table dozens of
times a second, and at ~25 µs a cell the delegate (Qt calling into Python once per cell,
with an option and an index to wrap each time) was 6–7 ms a paint. `InboxView.paintEvent`
paints the visible rows in one Python call instead — the row backgrounds (alternate
colour, selection) once per row, then each cell's dot and text with the delegate's own
`paint_cell` — and renders exactly what the delegate path renders (a test compares
the two pixel for pixel).

Most of a paint is rows painted before: a new row at the top moves every other row down
one, the selection moving repaints the rest unchanged, scrolling shows all but a few
rows again. So a row seen a second time with the same look — its record, state, flags
and age text (`row_look`), on the same background, columns, font and screen — is kept as
a picture and drawn again with one call: ~0.3 ms for an unchanged screenful instead of
~2 ms, and an arrival's repaint costs its new rows. A row seen once is painted straight
on (a picture would cost more than it saves when a new filter shows new rows). The
pictures kept are about two screenfuls (a row alternates backgrounds as rows arrive
above it): ~130 KB a row at 1,280 px.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from app.ui.models.opportunities import KEY_ROLE, Cell, Column

__all__ = ["InboxView"]

# Default widths as sample texts they must fit (plus padding), so they follow the font.
_SAMPLES: dict[Column, str] = {
    Column.SCORE: "Score",
    # One row per job: a job that two scanners found reads "GigRadar ×2" in full (and
    # "GigRadar · Up…" where UpHunt too; the tooltip and the editor list every source).
    Column.PLATFORM: "GigRadar ×2",
    Column.KIND: "Hourly",
    Column.BUDGET: "$150–200/h",
    Column.CLIENT: "United States · $250k · 85% · ✓",
    Column.SKILLS: "React, Node.js, Postgre",
    Column.POSTED: "Posted",
    Column.CONNECTS: "Connects",
    Column.STATE: "Submitting",
}
_PADDING = 18  # the cell's margins and the sort arrow's room
_DECORATED = {Column.STATE: 16}  # the state dot beside the text
# Narrow views (the inbox pane beside the editor) keep the title readable: CLIENT and
# SKILLS shrink to these widths, then whole columns hide, least needed first (KIND is
# implied by the budget's "/h"; the skills show in the editor, while Connects are money
# spent on every proposal), unless the user chose them in the header menu.
_TITLE_MIN = 220
_FLEX_MIN = {Column.CLIENT: 130, Column.SKILLS: 100}
# In this order, until the title has its minimum (a laptop's inbox pane is ~540 px):
# Connects, money spent on every proposal, stay longer than the skills (the editor shows
# those).
_HIDE_WHEN_NARROW = (Column.KIND, Column.SKILLS, Column.CONNECTS, Column.CLIENT, Column.PLATFORM)
_MARGIN = 5  # text inset from the cell's edges
_DOT_GAP = 5
_STATIC_CACHE = 4096  # laid-out texts kept; a screenful is ~400


class _CellDelegate(QStyledItemDelegate):
    """Paints a cell from `model.cell(row, column)`: text, bold, colour, dot, alignment."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view
        self._cell: Callable[[int, int], Cell | None] | None = None  # the model's `cell`
        self._static: dict[tuple[str, int, bool], tuple[QStaticText, int]] = {}
        self.generation = 0
        self.refresh_style()

    def set_model(self, model: QAbstractItemModel | None) -> None:
        self._cell = getattr(model, "cell", None)

    def refresh_style(self) -> None:
        """Take the view's font and palette again (they changed)."""
        view = self._view
        self._font = QFont(view.font())
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._metrics = QFontMetrics(self._font)
        self._bold_metrics = QFontMetrics(self._bold)
        palette = view.palette()
        self._text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)
        self._colours = {
            group: (
                palette.brush(group, QPalette.ColorRole.Highlight),
                palette.color(group, QPalette.ColorRole.HighlightedText),
            )
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)
        }
        self._static.clear()
        self.generation += 1  # rows painted with the old style are painted again

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        cell = self._cell(index.row(), index.column()) if self._cell is not None else None
        if cell is None:
            super().paint(painter, option, index)
            return
        rect = option.rect
        state = option.state
        pen = None
        if state & QStyle.StateFlag.State_Selected:
            highlight, pen = self.selection_colours(bool(state & QStyle.StateFlag.State_Active))
            painter.fillRect(rect, highlight)
        self.paint_cell(painter, rect.x(), rect.y(), rect.width(), rect.height(), cell, pen)

    def selection_colours(self, active: bool) -> tuple[QBrush, QColor]:
        """The selected row's background and text colours."""
        group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
        return self._colours[group]

    def paint_cell(
        self,
        painter: QPainter,
        left: int,
        top: int,
        cell_width: int,
        height: int,
        cell: Cell,
        pen: QColor | None,
    ) -> None:
        """A cell's dot and text (its background is painted already); `pen` overrides the
        cell's own colour (a selected row)."""
        text, bold, foreground, dot, right_aligned = cell
        x = left + _MARGIN
        width = cell_width - 2 * _MARGIN
        if dot is not None:
            painter.drawPixmap(x, top + (height - dot.height()) // 2, dot)
            step = dot.width() + _DOT_GAP
            x += step
            width -= step
        if not text or width <= 0:
            return
        static, advance = self._laid_out(text, width, bold)
        metrics = self._bold_metrics if bold else self._metrics
        painter.setPen(pen or foreground or self._text)
        painter.setFont(self._bold if bold else self._font)
        x = x + width - advance if right_aligned else x
        painter.drawStaticText(x, top + (height - metrics.height()) // 2, static)

    def _laid_out(self, text: str, width: int, bold: bool) -> tuple[QStaticText, int]:
        key = (text, width, bold)
        found = self._static.get(key)
        if found is None:
            if len(self._static) >= _STATIC_CACHE:
                self._static.clear()
            metrics = self._bold_metrics if bold else self._metrics
            if "\n" in text or "\r" in text:
                text = " ".join(text.split())
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
            static = QStaticText(elided)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self._bold if bold else self._font)
            found = self._static[key] = (static, metrics.horizontalAdvance(elided))
        return found


class InboxView(QTableView):
    """A QTableView set up for the opportunity table model."""

    current_key_changed = Signal(object)  # str | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._current_key: str | None = None
        self._restoring = False
        self._anchor: tuple[str, int] | None = None  # (key, row) held across a change
        self._held_from_top = False  # rows wait above only because the pointer is here
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setCornerButtonEnabled(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.verticalScrollBar().actionTriggered.connect(self._on_scroll_bar_action_triggered)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        columns = self.horizontalHeader()
        columns.setHighlightSections(False)
        columns.setSortIndicatorShown(True)
        columns.setSectionsMovable(True)
        columns.setStretchLastSection(False)
        columns.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        columns.customContextMenuRequested.connect(self._on_header_menu_requested)
        columns.sectionResized.connect(self._on_header_section_resized)
        self._natural: dict[Column, int] = {}
        self._user_columns: set[Column] = set()  # shown or hidden by the user
        self._user_widths: set[Column] = set()  # resized by the user
        self._fitting = False
        self._delegate = _CellDelegate(self)
        self.setItemDelegate(self._delegate)
        # Paint rows in one Python call (see the module's docstring); False: cell by cell
        # through the delegate, as Qt does (the reference the tests compare against).
        self.batch_paint = True
        # Rows painted once are kept as pictures and drawn again while their look is the
        # same (see the module's docstring); False: every row painted cell by cell.
        self.cache_rows = True
        self._painted: OrderedDict[tuple[int, int], tuple[object, object, QPixmap | None]] = (
            OrderedDict()
        )

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        cell = getattr(model, "cell", None)
        if cell is None or not self.batch_paint:
            super().paintEvent(event)
            return
        area = event.rect()
        count = model.rowCount()
        first = self.rowAt(area.top())
        if count == 0 or first < 0:
            return  # no rows, or the area lies below the last one
        last = self.rowAt(area.bottom())
        last = count - 1 if last < 0 else last
        viewport = self.viewport()
        header = self.horizontalHeader()
        # Every column on screen, not only those in `area`: a row is painted whole (the
        # painter clips it to the area), so its cached picture serves any later area.
        columns: list[tuple[int, int, int]] = []  # (logical, x, width) in visual order
        right = viewport.width()
        for visual in range(header.count()):
            logical = header.logicalIndex(visual)
            width = header.sectionSize(logical)
            if header.isSectionHidden(logical) or width <= 0:
                continue
            x = header.sectionViewportPosition(logical)
            if x + width > 0 and x < right:
                columns.append((logical, x, width))
        if not columns:
            return
        left = columns[0][1]
        span = columns[-1][1] + columns[-1][2] - left
        height = self.rowHeight(first)
        selection = self.selectionModel()
        selected = {index.row() for index in selection.selectedRows()} if selection else set()
        delegate = self._delegate
        active = self.isActiveWindow()
        highlight, selected_pen = delegate.selection_colours(active)
        group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
        alternate = None
        if self.alternatingRowColors():
            alternate = self.palette().brush(group, QPalette.ColorRole.AlternateBase)
        look = getattr(model, "row_look", None) if self.cache_rows else None
        cache = self._painted
        # What every cached row was painted with, besides its own look.
        layout = (
            tuple(columns),
            height,
            viewport.devicePixelRatioF(),
            delegate.generation,
            active,
            self.isEnabled(),  # the palette's group: the base background may differ
        )
        base = viewport.palette().brush(viewport.backgroundRole())
        paint_cell = delegate.paint_cell
        painter = QPainter(viewport)
        try:
            for row in range(first, last + 1):
                y = self.rowViewportPosition(row)
                pen = None
                background = None
                kind = 0
                if row in selected:
                    background, pen, kind = highlight, selected_pen, 2
                elif alternate is not None and row & 1:
                    background, kind = alternate, 1
                found = look(row) if look is not None else None
                picture = None
                if found is not None:
                    i, row_look = found
                    key = (i, kind)
                    entry = cache.get(key)
                    if entry is None or entry[0] != layout or entry[1] != row_look:
                        # Seen first (a new row, a new filter's rows): painted straight
                        # on, as a picture would cost more than it saves if never reused.
                        cache[key] = (layout, row_look, None)
                    else:
                        cache.move_to_end(key)
                        picture = entry[2]
                        if picture is None:  # seen again, unchanged: worth keeping
                            picture = self._picture(
                                row, columns, height, background or base, pen, layout[2]
                            )
                            cache[key] = (layout, row_look, picture)
                if picture is not None:
                    painter.drawPixmap(left, y, picture)
                    continue
                if background is not None:
                    painter.fillRect(left, y, span, height, background)
                for logical, x, width in columns:
                    content = cell(row, logical)
                    if content is not None:
                        paint_cell(painter, x, y, width, height, content, pen)
        finally:
            painter.end()
        # The rows on screen twice over (both backgrounds, as rows shift by one) and a few.
        keep = 2 * (viewport.height() // max(height, 1) + 2) + 8
        while len(cache) > keep:
            cache.popitem(last=False)

    def _picture(
        self,
        row: int,
        columns: list[tuple[int, int, int]],
        height: int,
        background: QBrush,
        pen: QColor | None,
        ratio: float,
    ) -> QPixmap:
        """Row `row` painted on a picture of its own, as `paintEvent` paints it on screen."""
        cell = self.model().cell  # type: ignore[attr-defined]  # paintEvent checked it
        paint_cell = self._delegate.paint_cell
        left = columns[0][1]
        span = columns[-1][1] + columns[-1][2] - left
        picture = QPixmap(math.ceil(span * ratio), math.ceil(height * ratio))
        picture.setDevicePixelRatio(ratio)
        painter = QPainter(picture)
        try:
            painter.fillRect(0, 0, span, height, background)
            for logical, x, width in columns:
                content = cell(row, logical)
                if content is not None:
                    paint_cell(painter, x - left, 0, width, height, content, pen)
        finally:
            painter.end()
        return picture

    # -- model wiring ----------------------------------------------------------------------

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            for signal, slot in self._model_connections(old):
                signal.disconnect(slot)
        super().setModel(model)
        self._painted.clear()
        self._delegate.set_model(model)
        if model is None:
            return
        for signal, slot in self._model_connections(model):
            signal.connect(slot)
        self.selectionModel().currentRowChanged.connect(self._on_selection_current_row_changed)
        self._set_up_columns()
        # Newest first until the user picks another column.
        self.sortByColumn(Column.POSTED, Qt.SortOrder.DescendingOrder)
        self.setSortingEnabled(True)

    def _model_connections(
        self, model: QAbstractItemModel
    ) -> list[tuple[SignalInstance, Callable[..., None]]]:
        return [
            (model.modelAboutToBeReset, self._on_model_about_to_change),
            (model.modelReset, self._on_model_changed),
            (model.layoutAboutToBeChanged, self._on_model_about_to_change),
            (model.layoutChanged, self._on_model_changed),
            (model.rowsAboutToBeInserted, self._hold_place),
            (model.rowsAboutToBeRemoved, self._hold_place),
            (model.rowsAboutToBeMoved, self._hold_place),
            (model.rowsInserted, self._keep_place),
            (model.rowsRemoved, self._keep_place),
            (model.rowsMoved, self._keep_place),
        ]

    def _holds_place(self) -> bool:
        """Is the user reading (scrolled down) or aiming (pointer over the rows)?"""
        return self.verticalScrollBar().value() > 0 or self.viewport().underMouse()

    def _hold_place(self, *_args: object) -> None:
        if self._anchor is not None or not self._holds_place():
            return
        if self.verticalScrollBar().value() == 0:
            self._held_from_top = True  # the user was at the top, aiming
        y = self.viewport().mapFromGlobal(QCursor.pos()).y()
        if not self.viewport().underMouse() or not 0 <= y < self.viewport().height():
            y = 0
        row = self.rowAt(y)
        if row < 0:
            return
        key = self.model().index(row, 0).data(KEY_ROLE)
        if isinstance(key, str):
            self._anchor = (key, row)

    def _keep_place(self, *_args: object) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        key, before = anchor
        row = self._row_of(key)
        if row is None or row == before:
            return
        self.updateGeometries()  # Qt lays out later: the scroll range must count the change
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + row - before)  # one step is one row (ScrollPerItem)

    def _on_scroll_bar_action_triggered(self, _action: int) -> None:
        self._held_from_top = False  # the user scrolled: where they are now is theirs

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave and self._held_from_top:
            # The pointer left: the rows that waited above while it aimed show now.
            self._held_from_top = False
            self.verticalScrollBar().setValue(0)
        return super().viewportEvent(event)

    def _set_up_columns(self) -> None:
        header = self.horizontalHeader()
        metrics = self.fontMetrics()
        model = self.model()
        self._natural = {}
        for column, sample in _SAMPLES.items():
            title = str(model.headerData(column, Qt.Orientation.Horizontal))
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            self._natural[column] = width + _PADDING + _DECORATED.get(column, 0)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, self._natural[column])
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(metrics.horizontalAdvance("00") + _PADDING)
        self._fit_columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Give the title room: shrink CLIENT and SKILLS, then hide columns if need be."""
        if self.model() is None or not self._natural:
            return
        header = self.horizontalHeader()
        available = self.viewport().width()
        auto_hide = [column for column in _HIDE_WHEN_NARROW if column not in self._user_columns]
        shown = {
            column
            for column in self._natural
            if column in auto_hide or not header.isSectionHidden(column)
        }

        def fixed() -> int:
            return sum(self._natural[c] for c in shown if c not in _FLEX_MIN or self._user_sized(c))

        def flexible() -> list[Column]:
            return [c for c in _FLEX_MIN if c in shown and not self._user_sized(c)]

        for column in auto_hide:
            if fixed() + sum(_FLEX_MIN[c] for c in flexible()) + _TITLE_MIN <= available:
                break
            shown.discard(column)
        spare = available - fixed() - _TITLE_MIN
        flex = flexible()
        wanted = sum(self._natural[c] for c in flex)
        self._fitting = True
        try:
            for column in auto_hide:
                header.setSectionHidden(column, column not in shown)
            for column in flex:
                share = spare * self._natural[column] // wanted if wanted else 0
                width = max(_FLEX_MIN[column], min(self._natural[column], share))
                header.resizeSection(column, width)
        finally:
            self._fitting = False

    def _user_sized(self, column: Column) -> bool:
        return column in self._user_widths

    def _on_header_section_resized(self, section: int, _old: int, _new: int) -> None:
        # Only a drag with the mouse is the user's choice; our own fitting, a reset or a
        # restored header state are not.
        if self._fitting or section == Column.TITLE:
            return
        if QApplication.mouseButtons() & Qt.MouseButton.LeftButton:
            self._user_widths.add(Column(section))

    # -- the current opportunity ---------------------------------------------------------

    def current_key(self) -> str | None:
        return self._current_key

    def select_key(self, key: str | None) -> bool:
        """Select the row of `key`; False (and no selection) if it is not visible."""
        row = None if key is None else self._row_of(key)
        if row is None:
            self._select_row(None)
            return False
        self._select_row(row)
        return True

    def move_selection(self, delta: int) -> None:
        """Move the selection `delta` rows (j/k), staying within the table."""
        count = self.model().rowCount() if self.model() is not None else 0
        if count == 0:
            return
        current = self.currentIndex()
        if not current.isValid():
            row = 0 if delta > 0 else count - 1
        else:
            row = min(max(current.row() + delta, 0), count - 1)
        self._select_row(row)

    def _row_of(self, key: str) -> int | None:
        model = self.model()
        row_of = getattr(model, "row_of", None)
        if row_of is not None:
            found: int | None = row_of(key)
            return found
        hits = model.match(model.index(0, 0), KEY_ROLE, key, 1, Qt.MatchFlag.MatchExactly)
        return hits[0].row() if hits else None

    def _select_row(self, row: int | None, *, scroll: bool = True) -> None:
        selection = self.selectionModel()
        if selection is None:
            return
        if row is None:
            selection.clear()  # emits currentRowChanged → current_key_changed(None)
            self._set_current_key(None)
            return
        index = self.model().index(row, Column.TITLE)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        selection.setCurrentIndex(index, flags)
        if scroll:
            self._held_from_top = False  # the user moved to a row: that place is theirs
            self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def _set_current_key(self, key: str | None) -> None:
        if key != self._current_key:
            self._current_key = key
            self.current_key_changed.emit(key)

    def _on_selection_current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        if self._restoring:
            return
        key = current.data(KEY_ROLE) if current.isValid() else None
        if current.isValid() and not self.selectionModel().isRowSelected(current.row()):
            # Qt moved the current index off a removed row, without selecting: select it
            # once the removal is over (not while the model is half-way through it).
            QTimer.singleShot(0, self, self._select_current_row)
        self._set_current_key(key)

    def _select_current_row(self) -> None:
        current = self.currentIndex()
        if current.isValid() and not self.selectionModel().isRowSelected(current.row()):
            self._select_row(current.row())

    def _on_model_about_to_change(self, *_args: object) -> None:
        self._restoring = True

    def _on_model_changed(self, *_args: object) -> None:
        # A reset drops the selection and a layout change may have moved it: put it back
        # on the same opportunity, or tell the window it is gone. Without scrolling to
        # it: after a new filter the user looks at the top matches, and arrivals must
        # not move the table under the user's eyes.
        self._restoring = False
        key = self._current_key
        if key is None:
            return
        row = self._row_of(key)
        if row is None:
            self.selectionModel().clear()
            self._set_current_key(None)
            return
        index = self.currentIndex()
        if not index.isValid() or index.row() != row:
            self._select_row(row, scroll=False)

    # -- keyboard and header -----------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (
            QEvent.Type.FontChange,
            QEvent.Type.PaletteChange,
            QEvent.Type.StyleChange,
        ):
            self._delegate.refresh_style()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if plain and event.key() == Qt.Key.Key_J:
            self.move_selection(1)
        elif plain and event.key() == Qt.Key.Key_K:
            self.move_selection(-1)
        else:
            super().keyPressEvent(event)

    def keyboardSearch(self, search: str) -> None:
        # Qt's type-to-find asks the model for every row's text: 100,000 Python calls
        # per key. The filter bar is the way to find rows.
        del search

    def _on_header_menu_requested(self, position: QPoint) -> None:
        header = self.horizontalHeader()
        menu = QMenu(self)
        for column in Column:
            if column == Column.TITLE:
                continue
            action = menu.addAction(str(self.model().headerData(column, Qt.Orientation.Horizontal)))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(
                lambda shown, section=column: self.set_column_shown(section, shown)
            )
        menu.popup(header.mapToGlobal(position))

    def set_column_shown(self, column: Column, shown: bool) -> None:
        """Show or hide a column for good (no longer hidden or shown to fit the width)."""
        self._user_columns.add(column)
        self.horizontalHeader().setSectionHidden(column, not shown)
        self._fit_columns()
