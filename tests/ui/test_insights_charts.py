"""The Insights charts render offscreen, in a light and a dark palette, and draw what
they are given: bars in the palette's highlight, the median in the accent colour."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from app.ui.widgets.charts import (
    ACCENT,
    DistributionChart,
    FunnelChart,
    GroupRate,
    RateBarsChart,
    WeeklyRateChart,
    WeekPoint,
    bin_index,
)

LIGHT = {"window": "#f4f4f4", "base": "#ffffff", "text": "#1b1b1b", "highlight": "#2f7dd1"}
DARK = {"window": "#202124", "base": "#2a2b2e", "text": "#e8e8e8", "highlight": "#7ab7ff"}


def _palette(colors: dict[str, str]) -> QPalette:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(colors["window"]))
    palette.setColor(QPalette.ColorRole.Base, QColor(colors["base"]))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(colors["text"]))
    palette.setColor(QPalette.ColorRole.Text, QColor(colors["text"]))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(colors["highlight"]))
    return palette


def _count_near(image: QImage, color: QColor, tolerance: int = 40) -> int:
    hits = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - color.red())
                + abs(c.green() - color.green())
                + abs(c.blue() - color.blue())
                < tolerance
            ):
                hits += 1
    return hits


def _charts():
    funnel = FunnelChart()
    funnel.set_stages([("Seen", 3600), ("Drafted", 500), ("Sent", 440), ("Replied", 88)])
    weekly = WeeklyRateChart()
    weekly.set_weeks(
        [WeekPoint(f"Oct {d:02d}", 30 + d, 0.2, 0.1, 0.3, d < 3) for d in range(1, 12)]
    )
    dist = DistributionChart()
    dist.set_minutes([3, 8, 20, 25, 40, 45, 50, 90, 300, 2000], median=42.5)
    bars = RateBarsChart("Reply rate by time to send")
    bars.set_groups(
        [
            GroupRate("< 15 min", 9, 30, 0.17, 0.48, False),
            GroupRate("15–60 min", 68, 298, 0.18, 0.28, False),
            GroupRate("12–24 h", 0, 3, 0.0, 0.56, True),
        ]
    )
    return [funnel, weekly, dist, bars]


@pytest.mark.parametrize("scheme", [LIGHT, DARK], ids=["light", "dark"])
def test_charts_render_offscreen_in_the_palette(qtbot, scheme: dict[str, str]) -> None:
    assert QApplication.instance() is not None
    for chart in _charts():
        qtbot.addWidget(chart)
        chart.setPalette(_palette(scheme))
        image = chart.render_image(560, 230)
        assert not image.isNull()
        base = QColor(scheme["base"])
        # the plot sits on the palette's base colour …
        assert _count_near(image, base, 10) > 560 * 230 / 4 * 0.4, chart.title()
        # … and the data is drawn in the palette's highlight (or a shade of it)
        assert _count_near(image, QColor(scheme["highlight"]), 90) > 20, chart.title()


def test_the_median_is_marked_where_it_falls(qtbot) -> None:
    dist = DistributionChart()
    qtbot.addWidget(dist)
    dist.set_minutes([10, 20, 40, 45, 50], median=40.0)
    assert dist.counts == [0, 1, 1, 3, 0, 0, 0, 0, 0]
    assert "40 min" in dist.caption
    with_median = dist.render_image(560, 230)
    assert _count_near(with_median, ACCENT, 60) > 10
    dist.set_minutes([10, 20, 40, 45, 50], median=None)
    assert _count_near(dist.render_image(560, 230), ACCENT, 60) == 0
    assert bin_index(4.9) == 0 and bin_index(5) == 1 and bin_index(10_000) == 8


def test_light_and_dark_differ_and_an_empty_chart_says_so(qtbot) -> None:
    weekly = WeeklyRateChart()
    qtbot.addWidget(weekly)
    assert not weekly.has_data()
    weekly.setPalette(_palette(DARK))
    dark = weekly.render_image(400, 200)
    weekly.setPalette(_palette(LIGHT))
    light = weekly.render_image(400, 200)
    assert dark != light
    # nothing but text on the base: no highlight-coloured data
    assert _count_near(light, QColor(LIGHT["highlight"]), 60) == 0
