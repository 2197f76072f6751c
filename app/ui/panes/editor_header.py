"""The editor's job header room: the job's title, platform, budget and age, the client,
the competition and the client's history (where the platform reports them), the skills,
the description with the filter bar's search terms highlighted, and the button that
opens the job on its platform."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.bidding import budget_text
from app.domain.depth import client_history_text, competition_text, term_spans
from app.domain.money import format_money
from app.domain.opportunity import ClientInfo, Opportunity, Platform, utcnow
from app.services.platforms import spec_for
from app.ui.widgets.labels import (
    SUCCESS_COLOR,
    WARNING_COLOR,
    discard,
    muted,
    short_time,
    wrapping_label,
)
from app.ui.widgets.layouts import FlowLayout, add_section

__all__ = ["DESCRIPTION_COLLAPSED", "DESCRIPTION_EXPANDED", "JobHeader"]

DESCRIPTION_COLLAPSED = 132
DESCRIPTION_EXPANDED = 420
# Search terms in the description: a marker-pen tint that reads in light and dark themes.
HIGHLIGHT_BACKGROUND = "#ffe066"
HIGHLIGHT_FOREGROUND = "#1f2328"
# Platforms whose jobs are Upwork's, where proposals, interviews and invites exist.
_UPWORK_PLATFORMS = (Platform.GIGRADAR, Platform.UPHUNT)


def _age_text(posted: datetime, now: datetime) -> str:
    minutes = max(0, int((now - posted).total_seconds())) // 60
    if minutes < 1:
        return "Posted just now"
    if minutes < 60:
        return f"Posted {minutes} min ago"
    if minutes < 24 * 60:
        return f"Posted {minutes // 60} h ago"
    days = minutes // (24 * 60)
    if days < 31:
        return f"Posted {days} day{'s' if days != 1 else ''} ago"
    return f"Posted {short_time(posted)}"


def _client_html(client: ClientInfo) -> str:
    parts: list[str] = []
    if client.name:
        parts.append(f"<b>{html.escape(client.name)}</b>")
    place = ", ".join(p for p in (client.city, client.country) if p)
    if place:
        parts.append(html.escape(place))
    if client.total_spent is not None:
        parts.append(f"{format_money(client.total_spent)} spent")
    if client.hire_rate is not None:
        parts.append(f"{round(client.hire_rate * 100)}% hire rate")
    if client.rating is not None:
        reviews = f" ({client.reviews:,})" if client.reviews else ""
        parts.append(f"{client.rating:.1f} ★{reviews}")
    if client.payment_verified is True:
        parts.append(f'<span style="color:{SUCCESS_COLOR}">Payment verified ✓</span>')
    elif client.payment_verified is False:
        parts.append(f'<span style="color:{WARNING_COLOR}">Payment not verified</span>')
    return " · ".join(parts) if parts else "No details about the client"


def _utf16_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Code-point spans as QTextDocument (UTF-16) positions."""
    if text.isascii() or max(text) <= "\uffff":
        return spans
    return [
        (len(text[:start].encode("utf-16-le")) // 2, len(text[:end].encode("utf-16-le")) // 2)
        for start, end in spans
    ]


class JobHeader(QObject):
    """What the job is: the top of the editor pane, read-only."""

    open_requested = Signal(str)  # the job's URL

    def __init__(self, parent: QWidget, opportunity: Callable[[], Opportunity | None]) -> None:
        super().__init__(parent)
        self._opportunity = opportunity  # the pane's shown opportunity
        self._terms: tuple[str, ...] = ()  # the filter bar's search terms, highlighted
        self._spans: list[tuple[int, int]] = []  # where they are in the description

    def build_header(self, body: QVBoxLayout) -> None:
        top = QHBoxLayout()
        top.setSpacing(12)
        self._title = wrapping_label(name="title")
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self._title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self._title.setFont(font)
        self.open_button = QPushButton("Open job ↗")
        self.open_button.setObjectName("open_job")
        self.open_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        top.addWidget(self._title, 1)
        top.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(top)

        meta = QHBoxLayout()
        meta.setSpacing(8)
        self._badge = QLabel()
        self._badge.setObjectName("platform_badge")
        self._badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._meta = wrapping_label(name="job_meta")
        meta.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignTop)
        meta.addWidget(self._meta, 1)
        body.addSpacing(2)
        body.addLayout(meta)

        self._client = wrapping_label(name="client_facts")
        self._client.setTextFormat(Qt.TextFormat.RichText)
        body.addWidget(self._client)
        # Depth: the client's history and the competition, each where reported.
        self._history = wrapping_label(name="client_history")
        body.addWidget(self._history)
        self._competition = wrapping_label(name="competition_facts")
        body.addWidget(self._competition)

        self._skills = QWidget()
        self._skills.setObjectName("skills")
        self._skills_layout = FlowLayout(self._skills, spacing=5)
        body.addSpacing(2)
        body.addWidget(self._skills)

    def build_description(self, body: QVBoxLayout) -> None:
        self._description_toggle = QToolButton()
        self._description_toggle.setObjectName("description_toggle")
        self._description_toggle.setText("Show more")
        self._description_toggle.setCheckable(True)
        self._description_toggle.setAutoRaise(True)
        self._description_toggle.toggled.connect(self._on_description_toggle_toggled)
        self._description_title = add_section(body, "Job description", self._description_toggle)
        self.description = QPlainTextEdit()
        self.description.setObjectName("description")
        self.description.setReadOnly(True)
        self.description.setFixedHeight(DESCRIPTION_COLLAPSED)
        self.description.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.description.setTabChangesFocus(True)
        # A read-only text reads as such: the window's tint instead of the editors' white.
        palette = self.description.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self.description.setPalette(palette)
        body.addWidget(self.description)

    def fill(self, opp: Opportunity) -> None:
        self._title.setText(opp.title)
        color = spec_for(opp.platform).color
        self._badge.setText(opp.platform.label)
        self._badge.setStyleSheet(
            f"QLabel {{ background: {color}; color: white; border-radius: 4px;"
            " padding: 1px 7px; font-weight: 600; }"
        )
        facts = [budget_text(opp)]
        if opp.posted_at is not None:
            facts.append(_age_text(opp.posted_at, utcnow()))
        if opp.connects_price is not None:
            facts.append(f"{opp.connects_price} Connects")
        if opp.match_score is not None:
            facts.append(f"{round(opp.match_score * 100)}% match")
        if opp.category:
            facts.append(opp.category)
        self._meta.setText(" · ".join(facts))
        self._client.setText(_client_html(opp.client))
        self._fill_depth(opp)
        self.open_button.setEnabled(bool(opp.url))
        self.open_button.setToolTip(opp.url or "This job has no web address")

        while (item := self._skills_layout.takeAt(0)) is not None:
            discard(item.widget())
        for skill in opp.skills:
            chip = QLabel(skill)
            chip.setObjectName("skill_chip")
            chip.setStyleSheet(
                "QLabel { background: palette(alternate-base); border: 1px solid palette(mid);"
                " border-radius: 9px; padding: 1px 8px; }"
            )
            self._skills_layout.addWidget(chip)
        self._skills.setVisible(bool(opp.skills))

        description = opp.description.strip()
        self.description.setPlainText(description)
        self._description_title.setVisible(bool(description))
        self.description.setVisible(bool(description))
        long_text = len(description) > 500 or description.count("\n") > 6
        self._description_toggle.setVisible(long_text)
        self._description_toggle.setChecked(False)
        self.description.setFixedHeight(DESCRIPTION_COLLAPSED)
        self._highlight()

    def _fill_depth(self, opp: Opportunity) -> None:
        history = client_history_text(opp.client)
        self._history.setText(history or "")
        self._history.setVisible(history is not None)
        competition = competition_text(opp.competition)
        self._competition.setProperty("reported", competition is not None)
        if competition is not None:
            self._competition.setText(competition)
            self._competition.setPalette(self._history.palette())  # not muted
        elif opp.platform in _UPWORK_PLATFORMS:
            # The documented job objects carry no competition: say so rather than "0".
            self._competition.setText(
                f"Proposals, interviews and invites: not reported by {opp.platform.label}"
            )
            muted(self._competition)
        self._competition.setVisible(competition is not None or opp.platform in _UPWORK_PLATFORMS)

    # -- search terms ---------------------------------------------------------------------

    def set_search_terms(self, terms: tuple[str, ...]) -> None:
        """Highlight these terms (folded, as `Query.terms()` gives them) in the
        description, now and for every job shown after."""
        if terms == self._terms:
            return
        self._terms = terms
        self._highlight()

    def highlighted(self) -> list[str]:
        """The highlighted pieces of the description, in order."""
        text = self.description.toPlainText()
        return [text[start:end] for start, end in self._spans]

    def _highlight(self) -> None:
        text = self.description.toPlainText()
        self._spans = term_spans(text, self._terms) if self._terms and text else []
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(HIGHLIGHT_BACKGROUND))
        fmt.setForeground(QColor(HIGHLIGHT_FOREGROUND))
        selections = []
        document = self.description.document()
        for start, end in _utf16_spans(text, self._spans):
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.description.setExtraSelections(selections)
        # The first match in view, even in the collapsed description.
        cursor = QTextCursor(document)
        if selections:
            cursor.setPosition(selections[0].cursor.selectionStart())
        self.description.setTextCursor(cursor)
        self.description.ensureCursorVisible()

    def _on_description_toggle_toggled(self, checked: bool) -> None:
        self.description.setFixedHeight(DESCRIPTION_EXPANDED if checked else DESCRIPTION_COLLAPSED)
        self._description_toggle.setText("Show less" if checked else "Show more")

    def _on_open_button_clicked(self) -> None:
        opp = self._opportunity()
        if opp is not None and opp.url:
            self.open_requested.emit(opp.url)
