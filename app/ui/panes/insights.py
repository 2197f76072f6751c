"""The Insights tab: what wins, in pictures — the funnel, rates week by week, time to send
with the user's median, reply rate against time to send, and a breakdown table.

The pane only renders a `Report` (app/domain/insights.py) and says what the user chose:
`query_changed` when the period, platform or breakdown changes. The controller
(`app/ui/controllers/insights.py`) computes reports off the loop and hands them back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.formatting import minutes_text
from app.domain.insights import STAGES, Dimension, Group, Query, Rate, Report, Spread, Week
from app.domain.opportunity import Platform
from app.ui.widgets.charts import (
    DistributionChart,
    FunnelChart,
    GroupRate,
    RateBarsChart,
    WeeklyRateChart,
    WeekPoint,
)

PERIODS: tuple[tuple[str, int | None], ...] = (
    ("Last 4 weeks", 28),
    ("Last 12 weeks", 84),
    ("Last 26 weeks", 182),
    ("Last year", 365),
    ("All time", None),
)
DEFAULT_PERIOD = 1
BREAKDOWNS: tuple[tuple[str, Dimension], ...] = (
    ("Template", Dimension.TEMPLATE),
    ("Profile", Dimension.PROFILE),
    ("Route (platform)", Dimension.PLATFORM),
    ("Niche", Dimension.NICHE),
    ("Skill", Dimension.SKILL),
    ("Bid against budget", Dimension.BID),
    ("Payment verified", Dimension.VERIFIED),
    ("Client spend", Dimension.SPEND),
    ("Client hire rate", Dimension.HIRE_RATE),
    ("Client country", Dimension.COUNTRY),
    ("Match score", Dimension.SCORE),
    ("Time to send (posted)", Dimension.SPEED),
    ("Time to send (detected)", Dimension.DETECTED_SPEED),
    ("Hour sent (UTC)", Dimension.HOUR),
    ("Member (who sent it)", Dimension.MEMBER),
)
TABLE_COLUMNS = ("Group", "Sent", "Viewed", "Replied", "Accepted", "Connects", "per win")


def _card(title: str) -> tuple[QFrame, QLabel]:
    frame = QFrame()
    frame.setObjectName("insight_card")
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 6, 10, 6)
    layout.setSpacing(0)
    caption = QLabel(title)
    caption.setStyleSheet("color: palette(mid);")
    value = QLabel("—")
    font = value.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    value.setFont(font)
    value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(caption)
    layout.addWidget(value)
    return frame, value


class InsightsPane(QWidget):
    query_changed = Signal()  # the period, the platform or the breakdown changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("insights")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 0)
        self.period = QComboBox()
        self.period.setObjectName("insights_period")
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.period.setCurrentIndex(DEFAULT_PERIOD)
        self.platform = QComboBox()
        self.platform.setObjectName("insights_platform")
        self.platform.addItem("All platforms", None)
        for p in Platform:
            self.platform.addItem(p.label, p.value)
        self.status = QLabel("")
        self.status.setObjectName("insights_status")
        self.status.setStyleSheet("color: palette(mid);")
        bar.addWidget(QLabel("Jobs detected in"))
        bar.addWidget(self.period)
        bar.addWidget(QLabel("on"))
        bar.addWidget(self.platform)
        bar.addStretch(1)
        bar.addWidget(self.status)
        outer.addLayout(bar)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(8)
        cards = QHBoxLayout()
        cards.setSpacing(8)
        self.cards: dict[str, QLabel] = {}
        for key, title in (
            ("sent", "Proposals sent"),
            ("replied", "Replied"),
            ("accepted", "Won"),
            ("median", "Median time to send"),
            ("cost", "Cost per win"),
        ):
            frame, value = _card(title)
            self.cards[key] = value
            cards.addWidget(frame, 1)
        layout.addLayout(cards)
        self.minutes = QLabel("")
        self.minutes.setObjectName("where_the_minutes_go")
        self.minutes.setWordWrap(True)
        layout.addWidget(self.minutes)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.funnel = FunnelChart()
        self.weekly = WeeklyRateChart()
        self.distribution = DistributionChart()
        self.by_speed = RateBarsChart("Reply rate by time to send")
        for i, chart in enumerate((self.funnel, self.weekly, self.distribution, self.by_speed)):
            chart.setMinimumHeight(215)
            grid.addWidget(chart, i // 2, i % 2)
        layout.addLayout(grid)

        row = QHBoxLayout()
        row.addWidget(QLabel("Break down by"))
        self.breakdown = QComboBox()
        self.breakdown.setObjectName("insights_breakdown")
        for label, dimension in BREAKDOWNS:
            self.breakdown.addItem(label, dimension.value)
        row.addWidget(self.breakdown)
        self.breakdown_note = QLabel("")
        self.breakdown_note.setStyleSheet("color: palette(mid);")
        row.addWidget(self.breakdown_note, 1)
        layout.addLayout(row)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setObjectName("insights_table")
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(TABLE_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(240)
        layout.addWidget(self.table)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self.period.currentIndexChanged.connect(lambda _: self.query_changed.emit())
        self.platform.currentIndexChanged.connect(lambda _: self.query_changed.emit())
        self.breakdown.currentIndexChanged.connect(lambda _: self.query_changed.emit())

    # -- what the user chose --------------------------------------------------------------

    def query(self, now: datetime) -> Query:
        days = self.period.currentData()
        platform = self.platform.currentData()
        return Query(
            since=None if days is None else now - timedelta(days=int(days)),
            until=None,
            platforms=frozenset() if platform is None else frozenset({Platform(platform)}),
        )

    def dimension(self) -> Dimension:
        return Dimension(self.breakdown.currentData())

    # -- showing a report -----------------------------------------------------------------

    def set_busy(self, text: str) -> None:
        self.status.setText(text)

    def show_report(self, report: Report, by: Dimension) -> None:
        funnel = report.funnel
        self.cards["sent"].setText(f"{funnel.sent:,} of {funnel.drafted:,} drafted")
        self.cards["replied"].setText(report.replied.text())
        self.cards["accepted"].setText(report.accepted.text())
        self.cards["median"].setText(minutes_text(report.speed.posted_to_sent.median))
        per_win = report.cost.per(funnel.accepted)
        if per_win["connects"] is None:
            self.cards["cost"].setText("no wins yet")
        else:
            text = f"{per_win['connects']:,.0f} Connects"
            if per_win["uphunt_credits"]:
                text += f" + {per_win['uphunt_credits']:.1f} UpHunt"
            self.cards["cost"].setText(text)
        self.cards["cost"].setToolTip(
            f"All sends: {report.cost.connects:,} Connects (${report.cost.connects_usd:,.2f}),"
            f" {report.cost.uphunt_credits:,} UpHunt credits,"
            f" {report.cost.gigiac_credits:,} Gigiac credits"
        )
        self.minutes.setText(_where_minutes_go(report))
        self.funnel.set_stages(
            [(stage.capitalize(), n) for stage, n in zip(STAGES, funnel.counts(), strict=True)]
        )
        self.weekly.set_weeks([_week_point(w) for w in report.weeks])
        self.distribution.set_minutes(report.send_minutes, report.speed.posted_to_sent.median)
        self.by_speed.set_groups(
            [_group_rate(g.key, g.replied) for g in report.breakdowns.get(Dimension.SPEED, ())]
        )
        self._fill_table(report.breakdowns.get(by, ()))
        seen = f"{funnel.seen:,} jobs seen"
        self.status.setText(seen)

    def _fill_table(self, groups: tuple[Group, ...]) -> None:
        self.table.setRowCount(len(groups))
        for row, g in enumerate(groups):
            per_win = g.cost.per(g.accepted.hits)["connects"]
            values = (
                g.key,
                f"{g.sent:,}",
                g.viewed.text(),
                g.replied.text(),
                g.accepted.text(),
                f"{g.cost.connects:,}",
                "—" if per_win is None else f"{per_win:,.0f}",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if g.small:
                    item.setForeground(self.palette().mid())
                    item.setToolTip("Fewer than 20 proposals: too few for a reliable rate.")
                self.table.setItem(row, column, item)
        small = sum(g.small for g in groups)
        self.breakdown_note.setText(
            f"Grey rows: fewer than 20 proposals ({small} of {len(groups)})" if small else ""
        )


def _week_point(week: Week) -> WeekPoint:
    low, high = week.replied.interval or (None, None)
    return WeekPoint(
        week.start.strftime("%b %d"), week.sent, week.replied.value, low, high, week.replied.small
    )


def _group_rate(label: str, rate: Rate) -> GroupRate:
    low, high = rate.interval or (None, None)
    return GroupRate(label, rate.hits, rate.n, low, high, rate.small)


def _where_minutes_go(report: Report) -> str:
    s = report.speed

    def part(name: str, spread: Spread) -> str | None:
        return None if spread.n == 0 else f"{name} {minutes_text(spread.median)}"

    parts = [
        part("notification → opened", s.notified_to_opened),
        part("detected → opened", s.detected_to_opened),
        part("opened → draft ready", s.opened_to_draft),
        part("draft ready → sent", s.draft_to_sent),
        part("time in the editor", s.active_minutes),
    ]
    shown = [p for p in parts if p]
    if not shown:
        return "Where the minutes go: nothing measured yet (BidDesk measures as you work)."
    return "Where the minutes go (medians): " + " · ".join(shown)
