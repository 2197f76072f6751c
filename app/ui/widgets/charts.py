"""Small charts drawn with QPainter: a funnel, rates week by week, a distribution with its
median, and rates per group with their intervals.

Why not a plotting library: the four pictures Insights needs are bars, a line with a band
and whiskers; QPainter draws them in ~300 lines with nothing added to the installer.
pyqtgraph (1.9 MB) needs numpy (17 MB wheel, ~40 MB installed); QtCharts comes only with
PySide6-Addons (a 175 MB wheel, against the Essentials we ship); matplotlib is a 10 MB
wheel plus numpy, Pillow, fonttools and kiwisolver, and draws through its own backend
rather than the Qt palette. Drawing ourselves also means the charts take their colours
from the widget's palette (light and dark alike) and render offscreen like any widget.

Widgets know nothing of the app: they take plain numbers (`set_…`) and paint them.
`render_image` paints into a QImage of a given size, for tests and the screenshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = [
    "Chart",
    "DistributionChart",
    "FunnelChart",
    "GroupRate",
    "RateBarsChart",
    "WeekPoint",
    "WeeklyRateChart",
]

ACCENT = QColor("#e8910c")  # amber: reads on light and dark backgrounds alike


@dataclass(frozen=True, slots=True)
class Colors:
    background: QColor
    text: QColor
    faint: QColor  # secondary text, axes
    grid: QColor
    primary: QColor
    accent: QColor

    @classmethod
    def of(cls, palette: QPalette) -> Colors:
        text = palette.color(QPalette.ColorRole.WindowText)
        background = palette.color(QPalette.ColorRole.Base)
        faint = QColor(text)
        faint.setAlphaF(0.6)
        grid = QColor(text)
        grid.setAlphaF(0.12)
        primary = palette.color(QPalette.ColorRole.Highlight)
        if _distance(primary, background) < 120:  # a palette whose highlight is the base
            primary = QColor("#2f7dd1")
        return cls(background, text, faint, grid, primary, ACCENT)


def _distance(a: QColor, b: QColor) -> float:
    return float(abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()))


def _alpha(color: QColor, alpha: float) -> QColor:
    out = QColor(color)
    out.setAlphaF(alpha)
    return out


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


class Chart(QWidget):
    """A titled chart: subclasses draw the plot; an empty one says so."""

    EMPTY = "Nothing to show for this period yet."

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.caption = ""
        self.setMinimumSize(280, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(560, 230)

    def has_data(self) -> bool:
        raise NotImplementedError

    def title(self) -> str:
        return self._title

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self.paint(painter, QRectF(self.rect()))
        finally:
            painter.end()

    def render_image(self, width: int, height: int) -> QImage:
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(self.palette().color(QPalette.ColorRole.Window))
        painter = QPainter(image)
        try:
            self.paint(painter, QRectF(0, 0, width, height))
        finally:
            painter.end()
        return image

    def paint(self, painter: QPainter, rect: QRectF) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colors = Colors.of(self.palette())
        frame = rect.adjusted(1, 1, -1, -1)
        painter.setPen(QPen(colors.grid, 1))
        painter.setBrush(colors.background)
        painter.drawRoundedRect(frame, 6, 6)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(colors.text)
        metrics = painter.fontMetrics()
        title_rect = QRectF(
            frame.left() + 10, frame.top() + 6, frame.width() - 20, metrics.height()
        )
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft, self._title)
        painter.setFont(self.font())
        if self.caption:
            painter.setPen(colors.faint)
            painter.drawText(title_rect, Qt.AlignmentFlag.AlignRight, self.caption)
        plot = frame.adjusted(10, metrics.height() + 14, -12, -8)
        if not self.has_data():
            painter.setPen(colors.faint)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.EMPTY)
            return
        self.draw(painter, plot, colors)

    def draw(self, painter: QPainter, plot: QRectF, colors: Colors) -> None:
        raise NotImplementedError


class FunnelChart(Chart):
    """Stages as horizontal bars (log length: "seen" is often 100× "accepted"), each with
    its count and its share of the stage before."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Funnel", parent)
        self.caption = "bar length on a log scale"
        self._stages: list[tuple[str, int]] = []

    def set_stages(self, stages: Sequence[tuple[str, int]]) -> None:
        self._stages = list(stages)
        self.update()

    def has_data(self) -> bool:
        return any(count for _, count in self._stages)

    def draw(self, painter: QPainter, plot: QRectF, colors: Colors) -> None:
        metrics = painter.fontMetrics()
        label_w = max(metrics.horizontalAdvance(name) for name, _ in self._stages) + 12
        note_w = metrics.horizontalAdvance("00,000 · 100% of previous") + 8
        bar_area = QRectF(plot.left() + label_w, plot.top(), plot.width() - label_w - note_w, 0)
        top = max(1, max(count for _, count in self._stages))
        step = plot.height() / len(self._stages)
        height = min(22.0, step * 0.72)
        previous: int | None = None
        for i, (name, count) in enumerate(self._stages):
            y = plot.top() + i * step + (step - height) / 2
            painter.setPen(colors.text)
            painter.drawText(
                QRectF(plot.left(), y, label_w - 8, height),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
            share = math.log10(count + 1) / math.log10(top + 1) if count else 0.0
            width = max(2.0, bar_area.width() * share)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_alpha(colors.primary, 0.35 + 0.65 * (1 - i / len(self._stages))))
            painter.drawRoundedRect(QRectF(bar_area.left(), y, width, height), 3, 3)
            note = f"{count:,}"
            if previous:
                note += f" · {_pct(count / previous)} of previous"
            painter.setPen(colors.faint if i else colors.text)
            painter.drawText(
                QRectF(bar_area.left() + width + 6, y, note_w + bar_area.width(), height),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                note,
            )
            previous = count


@dataclass(frozen=True, slots=True)
class WeekPoint:
    label: str  # "Nov 30"
    sent: int
    rate: float | None
    low: float | None
    high: float | None
    small: bool


class WeeklyRateChart(Chart):
    """Reply rate week by week: a line with its 95% band; sent counts as faint bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reply rate, week by week", parent)
        self.caption = "band: 95% interval · bars: proposals sent"
        self._weeks: list[WeekPoint] = []

    def set_weeks(self, weeks: Sequence[WeekPoint]) -> None:
        self._weeks = list(weeks)
        self.update()

    def has_data(self) -> bool:
        return any(w.sent for w in self._weeks)

    def draw(self, painter: QPainter, plot: QRectF, colors: Colors) -> None:
        metrics = painter.fontMetrics()
        axis_w = metrics.horizontalAdvance("100%") + 6
        area = plot.adjusted(axis_w, 4, 0, -metrics.height() - 4)
        top = max([w.high or 0.0 for w in self._weeks] + [0.1])
        top = min(1.0, math.ceil(top * 10) / 10)
        most = max(w.sent for w in self._weeks) or 1
        n = len(self._weeks)
        step = area.width() / n

        def y_of(rate: float) -> float:
            return area.bottom() - area.height() * rate / top

        _grid(painter, area, colors, top, axis_w)
        for i, w in enumerate(self._weeks):  # sent counts
            h = area.height() * 0.35 * w.sent / most
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors.grid)
            painter.drawRect(
                QRectF(area.left() + i * step + step * 0.2, area.bottom() - h, step * 0.6, h)
            )
        band = QPainterPath()
        line = QPainterPath()
        points = [
            (area.left() + (i + 0.5) * step, w)
            for i, w in enumerate(self._weeks)
            if w.rate is not None
        ]
        for j, (x, w) in enumerate(points):
            (band.moveTo if j == 0 else band.lineTo)(QPointF(x, y_of(w.high or 0)))
            (line.moveTo if j == 0 else line.lineTo)(QPointF(x, y_of(w.rate or 0)))
        for x, w in reversed(points):
            band.lineTo(QPointF(x, y_of(w.low or 0)))
        if points:
            band.closeSubpath()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_alpha(colors.primary, 0.18))
            painter.drawPath(band)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(colors.primary, 2))
            painter.drawPath(line)
        for x, w in points:
            painter.setPen(QPen(colors.primary, 1.5))
            painter.setBrush(colors.background if w.small else colors.primary)
            painter.drawEllipse(QPointF(x, y_of(w.rate or 0)), 3.5, 3.5)
        painter.setPen(colors.faint)
        every = max(
            1, math.ceil(n / max(1, area.width() / (metrics.horizontalAdvance("Mmm 00") + 10)))
        )
        for i, w in enumerate(self._weeks):
            if i % every == 0:
                painter.drawText(
                    QRectF(
                        area.left() + i * step - 20, area.bottom() + 3, step + 40, metrics.height()
                    ),
                    Qt.AlignmentFlag.AlignHCenter,
                    w.label,
                )


def _grid(painter: QPainter, area: QRectF, colors: Colors, top: float, axis_w: float) -> None:
    metrics = painter.fontMetrics()
    # Round steps (5%, 10%, 20%) so the labels read as whole percentages.
    step = next(s for s in (0.05, 0.1, 0.2, 0.25) if top / s <= 6 + 1e-9)
    ticks = int(top / step + 1e-9)
    for t in range(ticks + 1):
        rate = step * t
        y = area.bottom() - area.height() * rate / top
        painter.setPen(QPen(colors.grid, 1))
        painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        painter.setPen(colors.faint)
        painter.drawText(
            QRectF(area.left() - axis_w, y - metrics.height() / 2, axis_w - 4, metrics.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            _pct(rate),
        )


# Minutes: the edges of the distribution's bins, as a reader thinks of them.
BIN_EDGES: tuple[float, ...] = (0, 5, 15, 30, 60, 120, 240, 480, 1440, math.inf)
BIN_LABELS: tuple[str, ...] = (
    "<5m",
    "5–15m",
    "15–30m",
    "30–60m",
    "1–2h",
    "2–4h",
    "4–8h",
    "8–24h",
    ">1d",
)


def bin_index(minutes: float) -> int:
    for i in range(len(BIN_EDGES) - 1):
        if minutes < BIN_EDGES[i + 1]:
            return i
    return len(BIN_EDGES) - 2


class DistributionChart(Chart):
    """How long after posting proposals went out, with the user's median marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Time to send (posted → sent)", parent)
        self._counts: list[int] = []
        self._median: float | None = None

    def set_minutes(self, minutes: Sequence[float], median: float | None) -> None:
        counts = [0] * (len(BIN_EDGES) - 1)
        for m in minutes:
            counts[bin_index(m)] += 1
        self._counts = counts
        self._median = median
        self.caption = "" if median is None else f"your median: {_duration(median)}"
        self.update()

    @property
    def counts(self) -> list[int]:
        return list(self._counts)

    def has_data(self) -> bool:
        return any(self._counts)

    def draw(self, painter: QPainter, plot: QRectF, colors: Colors) -> None:
        metrics = painter.fontMetrics()
        area = plot.adjusted(4, metrics.height() + 2, -4, -metrics.height() - 4)
        most = max(self._counts) or 1
        n = len(self._counts)
        step = area.width() / n
        for i, count in enumerate(self._counts):
            h = area.height() * count / most
            rect = QRectF(area.left() + i * step + step * 0.1, area.bottom() - h, step * 0.8, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors.primary)
            painter.drawRoundedRect(rect, 2, 2)
            painter.setPen(colors.faint)
            painter.drawText(
                QRectF(
                    rect.left() - 10,
                    rect.top() - metrics.height() - 1,
                    rect.width() + 20,
                    metrics.height(),
                ),
                Qt.AlignmentFlag.AlignHCenter,
                str(count) if count else "",
            )
            painter.drawText(
                QRectF(area.left() + i * step, area.bottom() + 3, step, metrics.height()),
                Qt.AlignmentFlag.AlignHCenter,
                BIN_LABELS[i],
            )
        if self._median is not None:
            i = bin_index(self._median)
            low, high = BIN_EDGES[i], BIN_EDGES[i + 1]
            within = 0.5 if math.isinf(high) else (self._median - low) / (high - low)
            x = area.left() + (i + within) * step
            painter.setPen(QPen(colors.accent, 2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            text = f"median {_duration(self._median)}"
            width = metrics.horizontalAdvance(text) + 8
            left = x + 4 if x + 4 + width < area.right() else x - 4 - width
            label = QRectF(left, area.top() + area.height() * 0.25, width, metrics.height() + 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors.background)
            painter.drawRoundedRect(label, 3, 3)
            painter.setPen(colors.accent)
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


@dataclass(frozen=True, slots=True)
class GroupRate:
    label: str
    hits: int
    n: int
    low: float | None
    high: float | None
    small: bool

    @property
    def rate(self) -> float | None:
        return None if self.n == 0 else self.hits / self.n


class RateBarsChart(Chart):
    """A rate per group as a bar with its 95% interval; groups with few proposals are
    drawn hollow and say "few"."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.caption = "whiskers: 95% interval · hollow: fewer than 20"
        self._groups: list[GroupRate] = []

    def set_groups(self, groups: Sequence[GroupRate]) -> None:
        self._groups = list(groups)
        self.update()

    def has_data(self) -> bool:
        return any(g.n for g in self._groups)

    def draw(self, painter: QPainter, plot: QRectF, colors: Colors) -> None:
        metrics = painter.fontMetrics()
        axis_w = metrics.horizontalAdvance("100%") + 6
        area = plot.adjusted(axis_w, 4, 0, -2 * metrics.height() - 6)
        top = max([g.high or 0.0 for g in self._groups] + [0.1])
        top = min(1.0, math.ceil(top * 10) / 10)
        _grid(painter, area, colors, top, axis_w)
        step = area.width() / max(1, len(self._groups))

        def y_of(rate: float) -> float:
            return area.bottom() - area.height() * rate / top

        for i, g in enumerate(self._groups):
            x = area.left() + i * step
            if g.rate is not None:
                rect = QRectF(
                    x + step * 0.2, y_of(g.rate), step * 0.6, area.bottom() - y_of(g.rate)
                )
                painter.setPen(QPen(colors.primary, 1.5))
                painter.setBrush(
                    _alpha(colors.primary, 0.12) if g.small else _alpha(colors.primary, 0.7)
                )
                painter.drawRect(rect)
                if g.low is not None and g.high is not None:
                    cx = x + step / 2
                    painter.setPen(QPen(colors.text, 1.2))
                    painter.drawLine(QPointF(cx, y_of(g.low)), QPointF(cx, y_of(g.high)))
                    for yy in (y_of(g.low), y_of(g.high)):
                        painter.drawLine(QPointF(cx - 4, yy), QPointF(cx + 4, yy))
            painter.setPen(colors.text)
            painter.drawText(
                QRectF(x, area.bottom() + 3, step, metrics.height()),
                Qt.AlignmentFlag.AlignHCenter,
                metrics.elidedText(g.label, Qt.TextElideMode.ElideRight, int(step) - 2),
            )
            painter.setPen(colors.faint)
            painter.drawText(
                QRectF(x, area.bottom() + 3 + metrics.height(), step, metrics.height()),
                Qt.AlignmentFlag.AlignHCenter,
                f"{g.hits}/{g.n}" + (" few" if g.small else ""),
            )
