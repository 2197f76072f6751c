"""The editor pane: read the selected opportunity, write the proposal, send it, follow it.

It renders what the main window hands it (an opportunity, its draft, its submissions and the
configured accounts) and emits intents (`draft_changed`, `submit_requested`, …); it never
calls a service. The only rules it runs are the pure checks of
`app.domain.policy.check_submission`, so a problem shows while the user types rather than
after Submit.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from PySide6.QtCore import QDateTime, QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeySequence,
    QPalette,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.bidding import budget_text, default_bid
from app.domain.money import CENT, format_money
from app.domain.opportunity import ClientInfo, Opportunity, Platform, Question, utcnow
from app.domain.policy import MAX_COVER_LETTER, PolicyIssue, Severity, check_submission
from app.domain.submission import (
    Answer,
    Bid,
    BidKind,
    Draft,
    Outcome,
    Submission,
    SubmissionState,
)
from app.services.platforms import RouteField, spec_for
from app.services.submissions import SubmitRequest, allowed_routes
from app.ui.widgets.question import Button, answered, question_box

__all__ = ["TIMELINES", "EditorPane", "budget_text"]

# Colours chosen to stay readable on both light and dark palettes.
ERROR_COLOR = "#d32f2f"
WARNING_COLOR = "#b86e00"
SUCCESS_COLOR = "#2e7d32"
INFO_COLOR = "#1e6fd9"
NEUTRAL_COLOR = "#6b7280"

# UpHunt's proposal timelines, verbatim (Bid.timeline).
TIMELINES = ("Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months")

# Autosave: a throttle, not a debounce. A pause in typing saves after DRAFT_IDLE_MS, and
# steady typing saves at the latest DRAFT_MAX_DELAY_MS after the first unsaved change (a
# debounce alone never fired while someone typed faster than it, and a kill -9 lost the
# whole letter). The cap sits below the promised second to leave room for a busy loop.
DRAFT_IDLE_MS = 400
DRAFT_MAX_DELAY_MS = 750
POLICY_DEBOUNCE_MS = 150
SIMILARITY_DEBOUNCE_MS = 700  # compares with every sent letter: once typing pauses

# Redrafts of the current letter through the model: (variant, button text).
VARIANT_BUTTONS = (
    ("shorter", "Shorter"),
    ("formal", "More formal"),
    ("friendlier", "Friendlier"),
    ("opening", "New opening"),
)
DESCRIPTION_COLLAPSED = 132
DESCRIPTION_EXPANDED = 420
MAX_AMOUNT = 1_000_000.0

_BID_KIND_TEXT = {
    BidKind.HOURLY: "Hourly rate",
    BidKind.FIXED: "Fixed price",
    BidKind.PLATFORM_DEFAULT: "Platform default",
}
_LIVE_PHRASE = {
    SubmissionState.STAGED: "queued",
    SubmissionState.SCHEDULED: "scheduled",
    SubmissionState.SUBMITTING: "sending",
    SubmissionState.UNKNOWN: "sent (checking with the platform)",
    SubmissionState.SUBMITTED: "sent",
}
_OUTCOME_TEXT = {
    Outcome.VIEWED: "Viewed by the client",
    Outcome.REPLIED: "The client replied",
    Outcome.ACCEPTED: "Accepted ✓",
    Outcome.REJECTED: "Rejected",
    Outcome.CLOSED: "Job closed",
}


# -- presentation helpers -------------------------------------------------------------------


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
    return f"Posted {_when(posted)}"


def _when(moment: datetime) -> str:
    """A local, compact time: "14 Mar, 09:30" (with the year when it is not this one)."""
    local = moment.astimezone()
    year = f" {local.year}" if local.year != datetime.now().astimezone().year else ""
    return f"{local.day} {local:%b}{year}, {local:%H:%M}"


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


def _question_key(text: str) -> str:
    """Question texts compared as the policy compares them: case and spacing do not count."""
    return " ".join(text.lower().split())


def _with_article(label: str) -> str:
    return f"an {label}" if label[:1].lower() in "aeiou" else f"a {label}"


def _missing_account_hint(route: Platform) -> str:
    return f"Add {_with_article(route.label)} account"


def _utf16_offsets(text: str, *indexes: int) -> list[int]:
    """Python (code point) indexes as QTextDocument (UTF-16) positions."""
    if text.isascii() or max(text) <= "\uffff":
        return list(indexes)
    return [len(text[:i].encode("utf-16-le")) // 2 for i in indexes]


def _set_text_color(widget: QWidget, color: str | QColor) -> None:
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(color))
    palette.setColor(QPalette.ColorRole.Text, QColor(color))
    widget.setPalette(palette)


def _muted(label: QLabel) -> QLabel:
    palette = label.palette()
    palette.setColor(
        QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
    )
    label.setPalette(palette)
    return label


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.08)
    label.setFont(font)
    return label


def _wrapping_label(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if name:
        label.setObjectName(name)
    return label


def _discard(widget: QWidget | None) -> None:
    """Take a widget out of the pane now (so lookups no longer find it) and delete it."""
    if widget is not None:
        widget.hide()
        widget.deleteLater()
        widget.setParent(None)


# -- small private widgets ------------------------------------------------------------------


class _FlowLayout(QLayout):
    """Lays out items left to right, wrapping to a new line when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x, y = area.x(), y + line_height + self._gap
                line_height = 0
            if apply:
                item.setGeometry(QRect(x, y, hint.width(), hint.height()))
            x += hint.width() + self._gap
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class _ScrollBody(QWidget):
    """A scroll area's content whose height follows its width.

    Wrapped labels report a minimum height for a one-word-wide column, and QScrollArea
    takes the larger of that and heightForWidth(): the page would end in a tall blank.
    Reporting no minimum height leaves heightForWidth() in charge.
    """

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 0)


class _IssueList(QWidget):
    """The policy issues under the letter: ✖ errors in red, ⚠ warnings in amber.

    Each row is an icon and a wrapped sentence with a hanging indent; an issue with a span
    in the letter gets a "Show" link that selects it.
    """

    span_activated = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("policy_issues")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 2, 0, 0)
        self._layout.setSpacing(4)
        self._rows: list[tuple[QWidget, QLabel, QLabel]] = []

    def rows(self) -> list[tuple[str, str]]:
        """The shown issues as (icon, message text), for tests and accessibility."""
        return [
            (icon.text(), text.text()) for row, icon, text in self._rows if row.isVisibleTo(self)
        ]

    def set_issues(self, issues: Sequence[PolicyIssue]) -> None:
        while len(self._rows) < len(issues):
            row = QWidget()
            layout = QHBoxLayout(row)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(6)
            icon = QLabel()
            icon.setObjectName("issue_icon")
            text = _wrapping_label(name="issue_text")
            text.setTextFormat(Qt.TextFormat.RichText)
            text.linkActivated.connect(self._on_text_link_activated)
            layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
            layout.addWidget(text, 1)
            self._layout.addWidget(row)
            self._rows.append((row, icon, text))
        for (row, icon, text), issue in zip(self._rows, issues, strict=False):
            error = issue.severity is Severity.ERROR
            color = ERROR_COLOR if error else WARNING_COLOR
            link = ""
            if issue.start is not None and issue.end is not None:
                link = f' &nbsp;<a href="span:{issue.start}:{issue.end}">Show</a>'
            icon.setText("✖" if error else "⚠")
            text.setText(f"{html.escape(issue.message)}{link}")
            row.setProperty("severity", issue.severity.value)
            _set_text_color(icon, color)
            _set_text_color(text, color)
            row.show()
        for row, _, _ in self._rows[len(issues) :]:
            row.hide()
        self.setVisible(bool(issues))

    def _on_text_link_activated(self, link: str) -> None:
        _, start, end = link.split(":")
        self.span_activated.emit(int(start), int(end))


class _LifecycleStrip(QFrame):
    """The latest submission of the shown opportunity, live, with Retry and its history."""

    retry_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lifecycle")
        self._submission: Submission | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 8, 10, 8)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.state_label = QLabel()
        self.state_label.setObjectName("lifecycle_state")
        font = self.state_label.font()
        font.setBold(True)
        self.state_label.setFont(font)
        self.time_label = _muted(QLabel())
        self.time_label.setObjectName("lifecycle_time")
        self.detail_label = _wrapping_label(name="lifecycle_detail")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setObjectName("retry")
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.history_button = QToolButton()
        self.history_button.setObjectName("history_toggle")
        self.history_button.setCheckable(True)
        self.history_button.setAutoRaise(True)
        self.history_button.setArrowType(Qt.ArrowType.RightArrow)
        self.history_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.history_button.toggled.connect(self._on_history_button_toggled)
        self.history_label = _wrapping_label(name="lifecycle_history")
        self.history_label.setTextFormat(Qt.TextFormat.RichText)
        self.history_label.hide()
        grid.addWidget(self.state_label, 0, 0)
        grid.addWidget(self.time_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.detail_label, 1, 0, 1, 2)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        actions.addWidget(self.history_button)
        actions.addStretch(1)
        actions.addWidget(self.retry_button)
        grid.addLayout(actions, 2, 0, 1, 2)
        grid.addWidget(self.history_label, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.hide()

    def show_submission(self, sub: Submission | None, *, retry_pending: bool) -> None:
        self._submission = sub
        if sub is None:
            self.hide()
            return
        title, tone = self._title_and_tone(sub)
        self.state_label.setText(title)
        self.setProperty("tone", tone)
        rgb = QColor(tone)
        self.setStyleSheet(
            f"QFrame#lifecycle {{ border: 1px solid {tone}; border-left: 4px solid {tone};"
            f" border-radius: 6px;"
            f" background: rgba({rgb.red()}, {rgb.green()}, {rgb.blue()}, 22); }}"
        )
        _set_text_color(self.state_label, tone)
        moment = sub.submitted_at if sub.state is SubmissionState.SUBMITTED else sub.updated_at
        self.time_label.setText(_when(moment or sub.updated_at))
        route = f"via {sub.platform.label} as {sub.account}"
        if sub.state is SubmissionState.FAILED and sub.failure is not None:
            detail = sub.failure.describe()
        elif sub.platform_status:
            detail = f"{route} · platform status “{sub.platform_status}”"
        else:
            detail = route
        self.detail_label.setText(detail)
        self.retry_button.setVisible(sub.retryable)
        self.retry_button.setEnabled(not retry_pending)
        self.retry_button.setText("Retrying…" if retry_pending else "Retry")
        entries = sorted(sub.history, key=lambda e: e.at, reverse=True)
        self.history_button.setText(f"History ({len(entries)})")
        self.history_button.setVisible(bool(entries))
        rows = "".join(
            f"<tr><td>{_when(e.at)}</td><td>&nbsp;&nbsp;{e.state.value}"
            f"{'' if e.outcome is Outcome.NONE else ' · ' + e.outcome.value}</td>"
            f"<td>&nbsp;&nbsp;{e.via}</td></tr>"
            for e in entries
        )
        self.history_label.setText(f"<table>{rows}</table>")
        self.history_label.setVisible(self.history_button.isChecked() and bool(entries))
        self.show()

    @staticmethod
    def _title_and_tone(sub: Submission) -> tuple[str, str]:
        state = sub.state
        if state is SubmissionState.SUBMITTED:
            if sub.outcome is Outcome.NONE:
                return "Submitted", SUCCESS_COLOR
            tone = {
                Outcome.ACCEPTED: SUCCESS_COLOR,
                Outcome.REJECTED: NEUTRAL_COLOR,
                Outcome.CLOSED: NEUTRAL_COLOR,
            }.get(sub.outcome, INFO_COLOR)
            return f"Submitted · {_OUTCOME_TEXT[sub.outcome]}", tone
        if state is SubmissionState.SCHEDULED:
            when = f" for {_when(sub.scheduled_at)}" if sub.scheduled_at else ""
            return f"Scheduled{when}", INFO_COLOR
        if state is SubmissionState.UNKNOWN:
            return "Checking with the platform…", WARNING_COLOR
        if state is SubmissionState.FAILED:
            return "Not sent", ERROR_COLOR
        if state is SubmissionState.WITHDRAWN:
            return "Withdrawn", NEUTRAL_COLOR
        if state is SubmissionState.STAGED:
            return "Queued", INFO_COLOR
        if state is SubmissionState.DRAFT:
            return "Draft", NEUTRAL_COLOR
        return "Submitting…", INFO_COLOR

    def _on_retry_button_clicked(self) -> None:
        if self._submission is not None and self._submission.retryable:
            self.retry_clicked.emit(self._submission.id)

    def _on_history_button_toggled(self, checked: bool) -> None:
        self.history_button.setArrowType(
            Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow
        )
        self.history_label.setVisible(checked)


# -- the pane -------------------------------------------------------------------------------


class EditorPane(QWidget):
    """The pane right of the inbox: the selected opportunity and the proposal for it."""

    # Draft: throttled while typing (DRAFT_MAX_DELAY_MS at most), at once on a field's
    # focus-out, on switching opportunity and whenever the window asks (deactivate, quit).
    draft_changed = Signal(object)
    submit_requested = Signal(object)  # SubmitRequest
    retry_requested = Signal(str)  # submission id
    open_url_requested = Signal(str)  # the job's URL
    freelancers_requested = Signal(str)  # UpHunt account name
    draft_requested = Signal(str)  # "template" or "model": fill the letter for this job
    draft_stop_requested = Signal()
    variant_requested = Signal(str, str)  # (variant, current letter): rewrite it
    answers_draft_requested = Signal()  # draft an answer for each screening question
    similarity_check_requested = Signal(str, str)  # (opportunity key, letter), debounced

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editor_pane")
        self._clock = clock  # seconds; tests pass a fake one to type "for three seconds"
        self._unsaved_since: float | None = None  # the clock at the first unsaved edit
        self._opportunity: Opportunity | None = None
        self._accounts: dict[Platform, list[str]] = {}
        self._submissions: dict[str, Submission] = {}
        self._questions: list[tuple[Question, QPlainTextEdit]] = []
        self._issues: list[PolicyIssue] = []
        self._loading = False  # widgets are being filled from data, not edited by the user
        self._dirty = False
        self._last_edit_at: datetime | None = None
        self._sending_key: str | None = None
        self._drafting = False  # a model is streaming into the letter
        self._before_draft = ""  # the letter a model draft replaces, until it writes
        self._retrying_id: str | None = None
        self._confirm_box: QMessageBox | None = None
        self._pending_request: SubmitRequest | None = None
        self._profiles: dict[str, list[tuple[str, str]]] = {}
        self._profiles_requested: set[str] = set()
        self._wanted_profile_id: str | None = None

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_IDLE_MS)
        self._draft_timer.timeout.connect(self._on_draft_timer_timeout)
        self._policy_timer = QTimer(self)
        self._policy_timer.setSingleShot(True)
        self._policy_timer.setInterval(POLICY_DEBOUNCE_MS)
        self._policy_timer.timeout.connect(self._on_policy_timer_timeout)
        self._similarity_timer = QTimer(self)
        self._similarity_timer.setSingleShot(True)
        self._similarity_timer.setInterval(SIMILARITY_DEBOUNCE_MS)
        self._similarity_timer.timeout.connect(self._on_similarity_timer_timeout)
        self._answers_box: QMessageBox | None = None
        self._pending_answers: list[tuple[QPlainTextEdit, str]] = []
        self._drafting_answers = False

        self._stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)
        self._stack.addWidget(self._build_empty_page())
        self._stack.addWidget(self._build_editor_page())

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self._on_submit_shortcut_activated)
        for widget in self._editable_widgets():
            widget.installEventFilter(self)
        self.setMinimumWidth(420)

    # -- building ---------------------------------------------------------------------------

    def _build_empty_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = QLabel("Select an opportunity")
        title.setObjectName("empty_title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        hint = _muted(QLabel("Pick a job in the inbox to read it and write a proposal."))
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addStretch(2)
        return page

    def _build_editor_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._scroll = QScrollArea()
        self._scroll.setObjectName("editor_scroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = _ScrollBody()
        self._body = QVBoxLayout(body)
        self._body.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._body.setContentsMargins(20, 16, 20, 20)
        self._body.setSpacing(6)
        self._build_header()
        self._add_separator()
        self._build_description()
        self._build_letter()
        self._build_questions()
        self._build_terms()
        self._body.addStretch(1)
        self._scroll.setWidget(body)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self._build_footer())
        return page

    def _add_separator(self) -> None:
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setForegroundRole(QPalette.ColorRole.Mid)
        self._body.addSpacing(8)
        self._body.addWidget(line)

    def _add_section(self, title: str, trailing: QWidget | None = None) -> QLabel:
        label = _section_title(title)
        self._body.addSpacing(12)
        if trailing is None:
            self._body.addWidget(label)
        else:
            row = QHBoxLayout()
            row.addWidget(label)
            row.addStretch(1)
            row.addWidget(trailing)
            self._body.addLayout(row)
        self._body.addSpacing(2)
        return label

    def _build_header(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(12)
        self._title = _wrapping_label(name="title")
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self._title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self._title.setFont(font)
        self._open_button = QPushButton("Open job ↗")
        self._open_button.setObjectName("open_job")
        self._open_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._open_button.clicked.connect(self._on_open_button_clicked)
        top.addWidget(self._title, 1)
        top.addWidget(self._open_button, 0, Qt.AlignmentFlag.AlignTop)
        self._body.addLayout(top)

        meta = QHBoxLayout()
        meta.setSpacing(8)
        self._badge = QLabel()
        self._badge.setObjectName("platform_badge")
        self._badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._meta = _wrapping_label(name="job_meta")
        meta.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignTop)
        meta.addWidget(self._meta, 1)
        self._body.addSpacing(2)
        self._body.addLayout(meta)

        self._client = _wrapping_label(name="client_facts")
        self._client.setTextFormat(Qt.TextFormat.RichText)
        self._body.addWidget(self._client)

        self._skills = QWidget()
        self._skills.setObjectName("skills")
        self._skills_layout = _FlowLayout(self._skills, spacing=5)
        self._body.addSpacing(2)
        self._body.addWidget(self._skills)

    def _build_description(self) -> None:
        self._description_toggle = QToolButton()
        self._description_toggle.setObjectName("description_toggle")
        self._description_toggle.setText("Show more")
        self._description_toggle.setCheckable(True)
        self._description_toggle.setAutoRaise(True)
        self._description_toggle.toggled.connect(self._on_description_toggle_toggled)
        self._description_title = self._add_section("Job description", self._description_toggle)
        self._description = QPlainTextEdit()
        self._description.setObjectName("description")
        self._description.setReadOnly(True)
        self._description.setFixedHeight(DESCRIPTION_COLLAPSED)
        self._description.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._description.setTabChangesFocus(True)
        # A read-only text reads as such: the window's tint instead of the editors' white.
        palette = self._description.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self._description.setPalette(palette)
        self._body.addWidget(self._description)

    def _build_letter(self) -> None:
        self._add_section("Cover letter")
        self._letter = QPlainTextEdit()
        self._letter.setObjectName("letter")
        self._letter.setPlaceholderText(
            "Write to the client: what you understood, how you would do it, why you."
        )
        self._letter.setTabChangesFocus(True)
        self._letter.setMinimumHeight(240)
        self._letter.textChanged.connect(self._on_letter_text_changed)
        self._body.addWidget(self._letter)
        self._counter = QLabel()
        self._counter.setObjectName("letter_counter")
        self._counter.setAlignment(Qt.AlignmentFlag.AlignRight)
        under = QHBoxLayout()
        under.setSpacing(4)
        self._variants = QWidget()
        self._variants.setObjectName("variants")
        variants = QHBoxLayout(self._variants)
        variants.setContentsMargins(0, 0, 0, 0)
        variants.setSpacing(4)
        variants.addWidget(_muted(QLabel("Redraft:")))
        self._variant_buttons: dict[str, QToolButton] = {}
        for variant, text in VARIANT_BUTTONS:
            button = QToolButton()
            button.setObjectName(f"variant_{variant}")
            button.setText(text)
            button.setToolTip(f"Ask the model to rewrite this letter: {text.lower()}")
            button.clicked.connect(lambda _=False, v=variant: self._on_variant_clicked(v))
            variants.addWidget(button)
            self._variant_buttons[variant] = button
        under.addWidget(self._variants)
        under.addStretch(1)
        under.addWidget(self._counter, 0, Qt.AlignmentFlag.AlignVCenter)
        self._body.addLayout(under)
        self._issue_list = _IssueList()
        self._issue_list.span_activated.connect(self._on_issue_list_span_activated)
        self._body.addWidget(self._issue_list)
        self._similarity = _wrapping_label(name="similarity_warning")
        _set_text_color(self._similarity, WARNING_COLOR)
        self._similarity.hide()
        self._body.addWidget(self._similarity)
        # A GigRadar scanner whose auto-bidder is on (set_auto_bidder_warning).
        self._auto_bidder = _wrapping_label(name="auto_bidder_warning")
        _set_text_color(self._auto_bidder, WARNING_COLOR)
        self._auto_bidder.hide()
        self._body.addWidget(self._auto_bidder)
        self._auto_bidder_key: str | None = None

    def _build_questions(self) -> None:
        self._answers_button = QToolButton()
        self._answers_button.setObjectName("draft_answers")
        self._answers_button.setText("Draft answers")
        self._answers_button.setToolTip(
            "Ask the model for an answer to each question; answers you wrote stay unless "
            "you agree to replace them"
        )
        self._answers_button.clicked.connect(self._on_answers_button_clicked)
        self._questions_title = self._add_section("Screening questions", self._answers_button)
        self._questions_host = QWidget()
        self._questions_host.setObjectName("questions")
        self._questions_layout = QVBoxLayout(self._questions_host)
        self._questions_layout.setContentsMargins(0, 0, 0, 0)
        self._questions_layout.setSpacing(4)
        self._body.addWidget(self._questions_host)

    def _build_terms(self) -> None:
        self._add_section("Bid and route")
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        self._form = form

        # Route first: it decides which bid kinds and extra fields exist.
        route_row = QWidget()
        route_row.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        route_layout = QVBoxLayout(route_row)
        route_layout.setContentsMargins(0, 0, 0, 0)
        route_layout.setSpacing(2)
        radios = QHBoxLayout()
        radios.setSpacing(16)
        self._route_group = QButtonGroup(self)
        self._route_buttons: dict[Platform, QRadioButton] = {}
        for index, platform in enumerate(Platform):
            button = QRadioButton(platform.label)
            button.setObjectName(f"route_{platform.value}")
            self._route_group.addButton(button, index)
            self._route_buttons[platform] = button
            radios.addWidget(button)
        radios.addStretch(1)
        self._route_group.idToggled.connect(self._on_route_group_id_toggled)
        self._route_hint = _muted(_wrapping_label(name="route_hint"))
        route_layout.addLayout(radios)
        route_layout.addWidget(self._route_hint)
        form.addRow("Submit via", route_row)

        self._account_combo = QComboBox()
        self._account_combo.setObjectName("account")
        self._account_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._account_combo.currentIndexChanged.connect(
            self._on_account_combo_current_index_changed
        )
        form.addRow("Account", self._account_combo)

        bid_row = QWidget()
        bid_row.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bid_layout = QHBoxLayout(bid_row)
        bid_layout.setContentsMargins(0, 0, 0, 0)
        bid_layout.setSpacing(8)
        self._kind_combo = QComboBox()
        self._kind_combo.setObjectName("bid_kind")
        self._kind_combo.currentIndexChanged.connect(self._on_kind_combo_current_index_changed)
        self._fixed_label = QLabel("Fixed price")
        self._fixed_label.setObjectName("bid_kind_fixed")
        self._amount = QDoubleSpinBox()
        self._amount.setObjectName("bid_amount")
        self._amount.setDecimals(2)
        self._amount.setRange(0.0, MAX_AMOUNT)
        self._amount.setPrefix("$")
        self._amount.setSpecialValueText("—")  # 0 reads as "no amount"
        self._amount.setGroupSeparatorShown(True)
        self._amount.setMinimumWidth(120)
        self._amount.valueChanged.connect(self._on_amount_spin_value_changed)
        self._budget_hint = _muted(_wrapping_label(name="budget_hint"))
        bid_layout.addWidget(self._kind_combo)
        bid_layout.addWidget(self._fixed_label)
        bid_layout.addWidget(self._amount)
        bid_layout.addWidget(self._budget_hint, 1)
        form.addRow("Bid", bid_row)
        self._gigiac_note = _muted(
            _wrapping_label(
                "Gigiac proposals are fixed-price: the bid amount is the amount you propose.",
                "gigiac_note",
            )
        )
        self._gigiac_note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        form.addRow("", self._gigiac_note)

        # UpHunt: freelancer profile, timeline, boost.
        self._profile_combo = QComboBox()
        self._profile_combo.setObjectName("profile")
        self._profile_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._profile_combo.setMinimumContentsLength(18)
        self._profile_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._profile_combo.currentIndexChanged.connect(
            self._on_profile_combo_current_index_changed
        )
        form.addRow("Freelancer", self._profile_combo)
        self._timeline_combo = QComboBox()
        self._timeline_combo.setObjectName("timeline")
        self._timeline_combo.addItem("Job default", "")
        for label in TIMELINES:
            self._timeline_combo.addItem(label, label)
        self._timeline_combo.currentIndexChanged.connect(
            self._on_timeline_combo_current_index_changed
        )
        form.addRow("Timeline", self._timeline_combo)
        self._boost_spin = QSpinBox()
        self._boost_spin.setObjectName("boost")
        self._boost_spin.setRange(0, 50)
        self._boost_spin.setSuffix(" Connects")
        self._boost_spin.setSpecialValueText("No boost")
        self._boost_spin.valueChanged.connect(self._on_boost_spin_value_changed)
        form.addRow("Boost", self._boost_spin)

        # GigRadar: send now, or at a chosen time.
        schedule_row = QWidget()
        schedule_row.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        schedule_layout = QHBoxLayout(schedule_row)
        schedule_layout.setContentsMargins(0, 0, 0, 0)
        schedule_layout.setSpacing(10)
        self._schedule_combo = QComboBox()
        self._schedule_combo.setObjectName("schedule")
        self._schedule_combo.addItem("Now", False)
        self._schedule_combo.addItem("At a set time", True)
        self._schedule_combo.currentIndexChanged.connect(
            self._on_schedule_combo_current_index_changed
        )
        self._schedule_edit = QDateTimeEdit()
        self._schedule_edit.setObjectName("schedule_time")
        self._schedule_edit.setCalendarPopup(True)
        self._schedule_edit.setDisplayFormat("d MMM yyyy, HH:mm")
        self._schedule_edit.dateTimeChanged.connect(self._on_schedule_edit_date_time_changed)
        self._schedule_edit.setVisible(False)
        schedule_layout.addWidget(self._schedule_combo)
        schedule_layout.addWidget(self._schedule_edit)
        schedule_layout.addStretch(1)
        form.addRow("Send", schedule_row)
        self._body.addLayout(form)

    def _build_footer(self) -> QWidget:
        footer = QWidget()
        footer.setObjectName("editor_footer")
        layout = QVBoxLayout(footer)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setForegroundRole(QPalette.ColorRole.Mid)
        layout.addWidget(line)
        inner = QVBoxLayout()
        inner.setContentsMargins(20, 10, 20, 12)
        inner.setSpacing(8)
        self._strip = _LifecycleStrip()
        self._strip.retry_clicked.connect(self._on_strip_retry_clicked)
        inner.addWidget(self._strip)
        bar = QHBoxLayout()
        bar.setSpacing(12)
        self._status = _wrapping_label(name="submit_status")
        self._submit = QPushButton("Submit proposal")
        self._submit.setObjectName("submit")
        self._submit.setToolTip("Send the proposal (Ctrl+Enter)")
        self._submit.setMinimumWidth(150)
        font = self._submit.font()
        font.setBold(True)
        self._submit.setFont(font)
        self._submit.clicked.connect(self._on_submit_button_clicked)
        self._draft_button = QToolButton()
        self._draft_button.setObjectName("draft")
        self._draft_button.setText("Draft")
        self._draft_button.setToolTip("Write the letter from your template, or with your model")
        self._draft_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self._draft_button)
        self._draft_template_action = menu.addAction("From the template")
        self._draft_template_action.setObjectName("draft_template")
        self._draft_template_action.triggered.connect(lambda: self.draft_requested.emit("template"))
        self._draft_model_action = menu.addAction("With the model (streamed)")
        self._draft_model_action.setObjectName("draft_model")
        self._draft_model_action.triggered.connect(lambda: self.draft_requested.emit("model"))
        self._draft_button.setMenu(menu)
        self._stop_button = QPushButton("Stop")
        self._stop_button.setObjectName("draft_stop")
        self._stop_button.setToolTip("Stop the model; what it wrote so far stays")
        self._stop_button.clicked.connect(self.draft_stop_requested.emit)
        self._stop_button.hide()
        bar.addWidget(self._draft_button, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._stop_button, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._status, 1)
        bar.addWidget(self._submit, 0, Qt.AlignmentFlag.AlignVCenter)
        inner.addLayout(bar)
        layout.addLayout(inner)
        return footer

    def _editable_widgets(self) -> list[QWidget]:
        return [
            self._letter,
            *(edit for _, edit in self._questions),
            self._kind_combo,
            self._amount,
            *self._route_buttons.values(),
            self._account_combo,
            self._profile_combo,
            self._timeline_combo,
            self._boost_spin,
            self._schedule_combo,
            self._schedule_edit,
        ]

    # -- public API -------------------------------------------------------------------------

    def show_opportunity(
        self,
        opportunity: Opportunity | None,
        draft: Draft | None,
        submissions: Sequence[Submission],
        accounts: Mapping[Platform, Sequence[str]],
    ) -> None:
        """Show an opportunity with its draft, or the empty state for None.

        Switching away first emits the pending draft of the previous opportunity. Showing the
        same opportunity again (a refresh) keeps edits newer than the given draft.
        """
        previous = self._opportunity
        same = previous is not None and opportunity is not None and previous.key == opportunity.key
        if same and (
            draft is None
            or (self._last_edit_at is not None and draft.updated_at < self._last_edit_at)
        ):
            draft = self.current_draft()
        self.flush_draft()
        self._dismiss_confirm_box()
        self._policy_timer.stop()
        self._accounts = {Platform(p): list(names) for p, names in accounts.items()}
        self._opportunity = opportunity
        if not same:
            self._last_edit_at = None
            # A request that never got its answer is asked again for a new opportunity.
            self._profiles_requested &= set(self._profiles)
        if opportunity is None:
            self._submissions = {}
            self._stack.setCurrentIndex(0)
            return
        self._submissions = {s.id: s for s in submissions if s.opportunity_key == opportunity.key}
        self._loading = True
        try:
            self._fill_header(opportunity)
            self._fill_letter_and_questions(opportunity, draft)
            self._fill_terms(opportunity, draft)
        finally:
            self._loading = False
        self._update_counter()
        self._update_variants()
        if not same:
            self._similarity.hide()
        self._similarity_timer.start()  # a restored draft may repeat a sent letter too
        self._run_policy()
        self._refresh_strip()
        self._stack.setCurrentIndex(1)
        if not same:
            self._scroll.verticalScrollBar().setValue(0)

    def show_submission(self, submission: Submission) -> None:
        """A lifecycle update; ignored unless it belongs to the shown opportunity."""
        opp = self._opportunity
        if opp is None or submission.opportunity_key != opp.key:
            return
        self._submissions[submission.id] = submission
        if self._sending_key == opp.key:
            self._sending_key = None
        if self._retrying_id == submission.id:
            self._retrying_id = None
        self._refresh_strip()
        self._refresh_submit()

    def set_freelancers(self, account: str, profiles: Sequence[tuple[str, str]]) -> None:
        """The UpHunt profiles of `account`, as (profile_id, label)."""
        self._profiles[account] = [(str(pid), str(label)) for pid, label in profiles]
        self._profiles_requested.add(account)
        if spec_for(self._route()).has(RouteField.FREELANCER) and self._account() == account:
            self._fill_profiles()

    def set_sending(self, sending: bool) -> None:
        """While a request is in flight Submit stays disabled."""
        opp = self._opportunity
        if sending:
            self._sending_key = opp.key if opp is not None else None
        else:
            self._sending_key = None
            self._retrying_id = None
            self._refresh_strip()
        self._refresh_submit()

    # -- drafting ---------------------------------------------------------------------------

    def set_letter_text(self, text: str) -> None:
        """Replace the letter (a template draft); the person edits it from there."""
        self._letter.setPlainText(text)
        self.focus_letter()

    def begin_model_draft(self) -> None:
        """A model starts writing: the letter is replaced as the text streams in."""
        self._drafting = True
        self._before_draft = self._letter.toPlainText()
        self._letter.setPlainText("")
        self._letter.setReadOnly(True)
        self._issue_list.set_issues([])  # judged when the model is done, not word by word
        self._draft_button.setEnabled(False)
        self._variants.setEnabled(False)
        self._similarity.hide()
        self._similarity_timer.stop()
        self._stop_button.show()
        self._refresh_submit()

    def append_draft_text(self, piece: str) -> None:
        cursor = self._letter.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self._letter.setTextCursor(cursor)

    def end_model_draft(self) -> None:
        """The stream ended (done, stopped or failed); the letter is the person's again.
        If the model wrote nothing at all (it failed, or was stopped at once), the letter
        it was to replace comes back rather than leaving the person with an empty page."""
        self._drafting = False
        self._letter.setReadOnly(False)
        before, self._before_draft = self._before_draft, ""
        if not self._letter.toPlainText() and before:
            self._letter.setPlainText(before)
        self._draft_button.setEnabled(True)
        self._stop_button.hide()
        self._update_variants()
        self._run_policy()  # the rules apply to what it wrote, at once
        self._similarity_timer.stop()
        self._request_similarity()

    def set_similarity(self, key: str, message: str | None) -> None:
        """The similarity verdict for the letter of opportunity `key` (None: not alike)."""
        opp = self._opportunity
        if opp is None or opp.key != key:
            return
        self._similarity.setText(f"⚠ {message}" if message else "")
        self._similarity.setVisible(bool(message))

    def set_auto_bidder_warning(self, key: str, message: str | None) -> None:
        """One sentence when opportunity `key`'s GigRadar scanner has its auto-bidder on
        (None: off or unknown). While shown, Submit asks for a confirmation first."""
        opp = self._opportunity
        if opp is None or opp.key != key:
            return
        self._auto_bidder_key = key if message else None
        self._auto_bidder.setText(f"⚠ {message}" if message else "")
        self._auto_bidder.setVisible(bool(message))

    def auto_bidder_text(self) -> str:
        return self._auto_bidder.text() if self._auto_bidder.isVisibleTo(self) else ""

    def _auto_bidder_on(self) -> bool:
        opp = self._opportunity
        return opp is not None and self._auto_bidder_key == opp.key

    def similarity_text(self) -> str:
        return self._similarity.text() if self._similarity.isVisibleTo(self) else ""

    def begin_answers_draft(self) -> None:
        self._drafting_answers = True
        self._answers_button.setEnabled(False)
        self._answers_button.setText("Drafting answers…")

    def end_answers_draft(self) -> None:
        self._drafting_answers = False
        self._answers_button.setEnabled(True)
        self._answers_button.setText("Draft answers")

    def fill_drafted_answers(self, key: str, answers: Sequence[Answer]) -> None:
        """Put drafted answers into the empty answer fields; answers the person wrote are
        replaced only if they agree (asked once, for all of them)."""
        opp = self._opportunity
        if opp is None or opp.key != key:
            return
        by_id = {a.question_id: a.answer for a in answers if a.question_id}
        by_text = {_question_key(a.question): a.answer for a in answers}
        typed: list[tuple[QPlainTextEdit, str]] = []
        for question, edit in self._questions:
            text = by_id.get(question.id) or by_text.get(_question_key(question.text)) or ""
            if not text.strip():
                continue
            current = edit.toPlainText()
            if not current.strip():
                edit.setPlainText(text)
            elif current.strip() != text.strip():
                typed.append((edit, text))
        if typed:
            self._ask_to_replace_answers(typed)

    def _ask_to_replace_answers(self, typed: list[tuple[QPlainTextEdit, str]]) -> None:
        if self._answers_box is not None:
            self._answers_box.close()
        self._pending_answers = typed
        count = len(typed)
        plural = "s" if count != 1 else ""
        box = question_box(
            self,
            name="replace_answers",
            title="Replace your answers?",
            text=f"You already wrote {count} answer{plural}. Replace "
            f"{'them' if count != 1 else 'it'} with the model's draft{plural}?",
            accept=(Button.Yes, "Replace"),
            reject=(Button.No, "Keep mine"),
        )
        box.finished.connect(self._on_answers_box_finished)
        self._answers_box = box
        box.open()

    def _on_answers_box_finished(self, _result: int) -> None:
        box, self._answers_box = self._answers_box, None
        pending, self._pending_answers = self._pending_answers, []
        if box is None:
            return
        replace = answered(box, Button.Yes)
        box.deleteLater()
        if not replace:
            return
        alive = {id(edit) for _, edit in self._questions}
        for edit, text in pending:
            if id(edit) in alive:
                edit.setPlainText(text)

    def _update_variants(self) -> None:
        has_text = bool(self._letter.toPlainText().strip())
        self._variants.setEnabled(has_text and not self._drafting)

    def _request_similarity(self) -> None:
        opp = self._opportunity
        if opp is None or self._drafting:
            return
        letter = self._letter.toPlainText()
        if not letter.strip():
            self.set_similarity(opp.key, None)
            return
        self.similarity_check_requested.emit(opp.key, letter)

    @property
    def drafting(self) -> bool:
        return self._drafting

    def focus_letter(self) -> None:
        if self._opportunity is None:
            return
        self._letter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._scroll.ensureWidgetVisible(self._letter, 0, 40)

    def current_draft(self) -> Draft | None:
        opp = self._opportunity
        if opp is None:
            return None
        route = self._route()
        spec = spec_for(route)
        return Draft(
            opportunity_key=opp.key,
            cover_letter=self._letter.toPlainText(),
            bid=self._bid(),
            answers=self._answers(),
            via=route,
            account=self._account(),
            profile_id=self._profile_id() if spec.has(RouteField.FREELANCER) else None,
            scheduled_at=self._scheduled_at() if spec.has(RouteField.SEND_TIME) else None,
        )

    def flush_draft(self) -> None:
        """Emit draft_changed now if there are unsaved edits."""
        self._draft_timer.stop()
        self._unsaved_since = None
        if not self._dirty or self._opportunity is None:
            self._dirty = False
            return
        self._dirty = False
        self.draft_changed.emit(self.current_draft())

    # -- filling ----------------------------------------------------------------------------

    def _fill_header(self, opp: Opportunity) -> None:
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
        self._open_button.setEnabled(bool(opp.url))
        self._open_button.setToolTip(opp.url or "This job has no web address")

        while (item := self._skills_layout.takeAt(0)) is not None:
            _discard(item.widget())
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
        self._description.setPlainText(description)
        self._description_title.setVisible(bool(description))
        self._description.setVisible(bool(description))
        long_text = len(description) > 500 or description.count("\n") > 6
        self._description_toggle.setVisible(long_text)
        self._description_toggle.setChecked(False)
        self._description.setFixedHeight(DESCRIPTION_COLLAPSED)

    def _fill_letter_and_questions(self, opp: Opportunity, draft: Draft | None) -> None:
        letter = draft.cover_letter if draft is not None else ""
        if self._letter.toPlainText() != letter:
            self._letter.setPlainText(letter)
        answers = draft.answers if draft is not None else ()
        by_id = {a.question_id: a.answer for a in answers if a.question_id}
        by_text = {_question_key(a.question): a.answer for a in answers}
        current = [q for q, _ in self._questions]
        if current != list(opp.questions):
            self._rebuild_questions(opp.questions)
        count = len(opp.questions)
        self._questions_title.setText(f"Screening questions ({count})")
        self._questions_title.setVisible(count > 0)
        self._answers_button.setVisible(count > 0)
        self._questions_host.setVisible(count > 0)
        for question, edit in self._questions:
            answer = by_id.get(question.id)
            if answer is None:
                answer = by_text.get(_question_key(question.text), "")
            if edit.toPlainText() != answer:
                edit.setPlainText(answer)
        self._set_tab_order()

    def _rebuild_questions(self, questions: Sequence[Question]) -> None:
        for _, edit in self._questions:
            edit.removeEventFilter(self)
        while (item := self._questions_layout.takeAt(0)) is not None:
            _discard(item.widget())
        self._questions = []
        for number, question in enumerate(questions, start=1):
            label = _wrapping_label(f"{number}. {question.text}", f"question_{question.id}")
            edit = QPlainTextEdit()
            edit.setObjectName(f"answer_{question.id}")
            edit.setPlaceholderText("Your answer")
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(76)
            edit.textChanged.connect(self._on_answer_text_changed)
            edit.installEventFilter(self)
            label.setBuddy(edit)
            if number > 1:
                self._questions_layout.addSpacing(6)
            self._questions_layout.addWidget(label)
            self._questions_layout.addWidget(edit)
            self._questions.append((question, edit))

    def _fill_terms(self, opp: Opportunity, draft: Draft | None) -> None:
        routes = allowed_routes(opp)
        route = draft.via if draft is not None and draft.via in routes else None
        if route is None:
            with_account = [r for r in routes if self._accounts.get(r)]
            route = (with_account or list(routes))[0]
        for platform, button in self._route_buttons.items():
            button.setVisible(platform in routes and len(routes) > 1)
            button.setEnabled(bool(self._accounts.get(platform)))
            button.setToolTip(
                "" if self._accounts.get(platform) else _missing_account_hint(platform)
            )
        missing = [_missing_account_hint(r) for r in routes if not self._accounts.get(r)]
        if len(routes) == 1:
            text = route.label if not missing else f"{route.label} — {missing[0]}"
        else:
            text = " · ".join(missing)
        self._route_hint.setText(text)
        self._route_hint.setVisible(bool(text))
        self._route_buttons[route].setChecked(True)

        self._wanted_profile_id = draft.profile_id if draft is not None else None
        self._apply_route(route, preferred_account=draft.account if draft else None)

        bid = draft.bid if draft is not None else default_bid(opp, spec_for(route).bids)
        self._select_kind(bid.kind)
        amount = bid.amount
        self._amount.setValue(float(amount) if amount is not None else 0.0)
        timeline = (draft.bid.timeline if draft is not None else None) or ""
        index = self._timeline_combo.findData(timeline)
        self._timeline_combo.setCurrentIndex(max(index, 0))
        self._boost_spin.setValue((draft.bid.boost_connects or 0) if draft is not None else 0)
        scheduled = draft.scheduled_at if draft is not None else None
        self._schedule_combo.setCurrentIndex(1 if scheduled is not None else 0)
        self._schedule_edit.setVisible(scheduled is not None)
        if scheduled is not None:
            self._schedule_edit.setDateTime(
                QDateTime.fromSecsSinceEpoch(int(scheduled.timestamp()))
            )
        else:
            self._schedule_edit.setDateTime(self._next_hour())
        self._update_bid_widgets()
        self._budget_hint.setText(f"Client: {budget_text(opp)}")

    @staticmethod
    def _next_hour() -> QDateTime:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return QDateTime.fromSecsSinceEpoch(int(now.timestamp()))

    def _apply_route(self, route: Platform, *, preferred_account: str | None = None) -> None:
        """Show the fields this route has, and its accounts."""
        opp = self._opportunity
        names = self._accounts.get(route, [])
        previous = preferred_account or self._account()
        default = opp.account if opp is not None and route is opp.platform else None
        chosen = next((n for n in (previous, default) if n and n in names), None)
        was_loading, self._loading = self._loading, True
        try:
            self._account_combo.clear()
            for name in names:
                self._account_combo.addItem(name, name)
            if names:
                self._account_combo.setCurrentIndex(names.index(chosen) if chosen else 0)
            self._fill_kinds(route)
        finally:
            self._loading = was_loading
        self._set_row_visible(self._account_combo, bool(names))
        spec = spec_for(route)
        self._set_row_visible(self._profile_combo, spec.has(RouteField.FREELANCER))
        self._set_row_visible(self._timeline_combo, spec.has(RouteField.TIMELINE))
        self._set_row_visible(self._boost_spin, spec.has(RouteField.BOOST))
        schedule_row = self._schedule_combo.parentWidget()
        if schedule_row is not None:
            self._set_row_visible(schedule_row, spec.has(RouteField.SEND_TIME))
        fixed_only = spec.bids.fixed_only
        self._set_row_visible(self._gigiac_note, fixed_only)
        self._kind_combo.setVisible(not fixed_only)
        self._fixed_label.setVisible(fixed_only)
        if spec.has(RouteField.FREELANCER):
            self._ensure_profiles()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self._form.setRowVisible(field, visible)

    def _fill_kinds(self, route: Platform) -> None:
        current = self._kind()
        kinds = list(spec_for(route).bids.kinds)
        self._kind_combo.clear()
        for kind in kinds:
            self._kind_combo.addItem(_BID_KIND_TEXT[kind], kind.value)
        self._select_kind(current if current in kinds else kinds[0])

    def _select_kind(self, kind: BidKind) -> None:
        index = self._kind_combo.findData(kind.value)
        self._kind_combo.setCurrentIndex(index if index >= 0 else 0)

    def _update_bid_widgets(self) -> None:
        kind = self._kind()
        self._amount.setEnabled(kind is not BidKind.PLATFORM_DEFAULT)
        self._amount.setSuffix("/h" if kind is BidKind.HOURLY else "")
        self._amount.setToolTip(
            "The route's default terms apply" if kind is BidKind.PLATFORM_DEFAULT else ""
        )

    def _ensure_profiles(self) -> None:
        account = self._account()
        if account is None:
            self._fill_profiles()
            return
        if account not in self._profiles_requested:
            self._profiles_requested.add(account)
            self.freelancers_requested.emit(account)
        self._fill_profiles()

    def _fill_profiles(self) -> None:
        account = self._account()
        profiles = self._profiles.get(account) if account is not None else []
        was_loading, self._loading = self._loading, True
        try:
            self._profile_combo.clear()
            if profiles is None:
                self._profile_combo.addItem("Loading…", None)
                self._profile_combo.setEnabled(False)
                return
            self._profile_combo.setEnabled(True)
            self._profile_combo.addItem("Account default profile", "")
            for pid, label in profiles:
                self._profile_combo.addItem(label, pid)
            wanted = self._wanted_profile_id
            if wanted and self._profile_combo.findData(wanted) < 0:
                # Keep the draft's choice even if the roster no longer lists it.
                self._profile_combo.addItem(f"Profile {wanted}", wanted)
            index = self._profile_combo.findData(wanted or "")
            self._profile_combo.setCurrentIndex(max(index, 0))
        finally:
            self._loading = was_loading

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self._open_button,
            self._description,
            self._letter,
            *(edit for _, edit in self._questions),
            *self._route_buttons.values(),
            self._account_combo,
            self._kind_combo,
            self._amount,
            self._profile_combo,
            self._timeline_combo,
            self._boost_spin,
            self._schedule_combo,
            self._schedule_edit,
            self._strip.retry_button,
            self._submit,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- reading the widgets ----------------------------------------------------------------

    def _route(self) -> Platform:
        checked = self._route_group.checkedId()
        if checked >= 0:
            return list(Platform)[checked]
        return self._opportunity.platform if self._opportunity else Platform.GIGRADAR

    def _account(self) -> str | None:
        data = self._account_combo.currentData()
        return str(data) if data else None

    def _kind(self) -> BidKind:
        data = self._kind_combo.currentData()
        return BidKind(data) if data else BidKind.PLATFORM_DEFAULT

    def _amount_value(self) -> Decimal | None:
        value = self._amount.value()
        if value <= self._amount.minimum():
            return None
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)

    def _bid(self) -> Bid:
        spec = spec_for(self._route())
        kind = self._kind() if self._kind() in spec.bids.kinds else spec.bids.fallback
        timeline = spec.has(RouteField.TIMELINE)
        boost = spec.has(RouteField.BOOST)
        return Bid(
            kind=kind,
            amount=None if kind is BidKind.PLATFORM_DEFAULT else self._amount_value(),
            timeline=(self._timeline_combo.currentData() or None) if timeline else None,
            boost_connects=(self._boost_spin.value() or None) if boost else None,
        )

    def _answers(self) -> tuple[Answer, ...]:
        return tuple(
            Answer(question_id=q.id, question=q.text, answer=edit.toPlainText())
            for q, edit in self._questions
        )

    def _profile_id(self) -> str | None:
        # Follows the picker, and survives while the roster is still loading.
        return self._wanted_profile_id

    def _scheduled_at(self) -> datetime | None:
        if not self._schedule_combo.currentData():
            return None
        seconds = self._schedule_edit.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds, UTC).replace(second=0)

    def _build_request(
        self, *, confirm_warnings: bool, confirm_auto_bidder: bool = False
    ) -> SubmitRequest:
        draft = self.current_draft()
        assert draft is not None
        return SubmitRequest(
            opportunity_key=draft.opportunity_key,
            cover_letter=draft.cover_letter,
            bid=draft.bid,
            answers=draft.answers,
            via=draft.via,
            account=draft.account,
            profile_id=draft.profile_id,
            scheduled_at=draft.scheduled_at,
            confirm_warnings=confirm_warnings,
            confirm_auto_bidder=confirm_auto_bidder,
        )

    # -- state ------------------------------------------------------------------------------

    def _latest_submission(self) -> Submission | None:
        if not self._submissions:
            return None
        return max(self._submissions.values(), key=lambda s: (s.created_at, s.updated_at))

    def _live_submission(self) -> Submission | None:
        live = [s for s in self._submissions.values() if s.is_live]
        return max(live, key=lambda s: s.created_at) if live else None

    def _refresh_strip(self) -> None:
        latest = self._latest_submission()
        self._strip.show_submission(
            latest, retry_pending=latest is not None and latest.id == self._retrying_id
        )

    def _blocker(self) -> tuple[str, str] | None:
        """Why Submit is disabled now, as (sentence, colour); None when it may be pressed."""
        opp = self._opportunity
        if opp is None:
            return "", NEUTRAL_COLOR
        if self._sending_key == opp.key:
            return "Sending…", INFO_COLOR
        if self._confirm_box is not None:
            return "Waiting for your confirmation…", WARNING_COLOR
        if self._drafting:
            return "The model is writing… (Stop keeps what it wrote so far)", INFO_COLOR
        live = self._live_submission()
        if live is not None:
            phrase = _LIVE_PHRASE.get(live.state, "sent")
            return f"Already {phrase}: BidDesk sends one proposal per job.", NEUTRAL_COLOR
        route = self._route()
        if self._account() is None:
            return f"{_missing_account_hint(route)} to send through {route.label}.", WARNING_COLOR
        errors = sum(1 for i in self._issues if i.severity is Severity.ERROR)
        if errors:
            plural = "s" if errors != 1 else ""
            return f"✖ Fix {errors} problem{plural} before sending.", ERROR_COLOR
        return None

    def _refresh_submit(self) -> None:
        blocker = self._blocker()
        self._submit.setEnabled(blocker is None)
        self._submit.setText(
            "Sending…" if blocker is not None and blocker[0] == "Sending…" else "Submit proposal"
        )
        if blocker is not None:
            text, color = blocker
        else:
            warnings = sum(1 for i in self._issues if i.severity is Severity.WARNING)
            if warnings:
                plural = "s" if warnings != 1 else ""
                text = f"⚠ {warnings} warning{plural}: you will be asked to confirm."
                color = WARNING_COLOR
            else:
                text, color = "Ready to send · Ctrl+Enter", NEUTRAL_COLOR
        self._status.setText(text)
        _set_text_color(self._status, color)

    def _update_counter(self) -> None:
        length = len(self._letter.toPlainText())
        self._counter.setText(f"{length:,} / {MAX_COVER_LETTER:,}")
        over = length > MAX_COVER_LETTER
        self._counter.setProperty("over_limit", over)
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        _set_text_color(self._counter, ERROR_COLOR if over else muted)
        font = self._counter.font()
        font.setBold(over)
        self._counter.setFont(font)

    def _run_policy(self) -> None:
        opp = self._opportunity
        if opp is None or self._drafting:
            return
        letter = self._letter.toPlainText()
        self._issues = check_submission(letter, self._bid(), self._answers(), opp, self._route())
        self._issue_list.set_issues(self._issues)
        self._highlight(letter)
        self._refresh_submit()

    def _highlight(self, letter: str) -> None:
        spans = [i for i in self._issues if i.start is not None and i.end is not None]
        selections = []
        limit = self._letter.document().characterCount() - 1
        for issue in spans:
            start, end = _utf16_offsets(letter, issue.start or 0, issue.end or 0)
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            color = ERROR_COLOR if issue.severity is Severity.ERROR else WARNING_COLOR
            fmt.setUnderlineColor(QColor(color))
            tint = QColor(color)
            tint.setAlpha(28)  # the wave alone is easy to miss in a long letter
            fmt.setBackground(tint)
            cursor = QTextCursor(self._letter.document())
            cursor.setPosition(min(start, limit))
            cursor.setPosition(min(end, limit), QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self._letter.setExtraSelections(selections)

    def _mark_edited(self) -> None:
        if self._loading or self._opportunity is None:
            return
        self._dirty = True
        self._last_edit_at = utcnow()
        self._policy_timer.start()
        self._schedule_draft_save()

    def _schedule_draft_save(self) -> None:
        """Save after a pause, but never later than DRAFT_MAX_DELAY_MS after the first
        unsaved edit, however steadily the typing goes on.

        The deadline is checked here too, not only by the timer: if the loop is so busy
        that the timer is late, the next keystroke saves.
        """
        now = self._clock()
        if self._unsaved_since is None:
            self._unsaved_since = now
        left_ms = DRAFT_MAX_DELAY_MS - (now - self._unsaved_since) * 1000
        if left_ms <= 0:
            self.flush_draft()
            return
        self._draft_timer.start(max(1, min(DRAFT_IDLE_MS, int(left_ms))))

    def _dismiss_confirm_box(self) -> None:
        box, self._confirm_box = self._confirm_box, None
        self._pending_request = None
        if box is not None:
            box.finished.disconnect(self._on_confirm_box_finished)
            box.close()
            box.deleteLater()

    def _emit_submit(self, request: SubmitRequest) -> None:
        # Mark as sending before emitting: a slot may answer synchronously (set_sending,
        # show_submission), and a second click must find Submit already disabled.
        self._sending_key = request.opportunity_key
        self._refresh_submit()
        self.submit_requested.emit(request)

    # -- slots ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and self._dirty:
            # Whatever takes the focus (another field, the inbox, another window), what
            # was typed in this field is saved now: one small write.
            self.flush_draft()
        return super().eventFilter(watched, event)

    def _on_letter_text_changed(self) -> None:
        self._update_counter()
        self._mark_edited()
        if not self._drafting:
            self._update_variants()
            if self._opportunity is not None:
                self._similarity_timer.start()

    def _on_similarity_timer_timeout(self) -> None:
        self._request_similarity()

    def _on_variant_clicked(self, variant: str) -> None:
        if self._opportunity is None or self._drafting:
            return
        letter = self._letter.toPlainText()
        if letter.strip():
            self.variant_requested.emit(variant, letter)

    def _on_answers_button_clicked(self) -> None:
        if self._opportunity is None or self._drafting_answers or not self._questions:
            return
        self.answers_draft_requested.emit()

    def _on_answer_text_changed(self) -> None:
        self._mark_edited()

    def _on_kind_combo_current_index_changed(self, _index: int) -> None:
        self._update_bid_widgets()
        self._mark_edited()

    def _on_amount_spin_value_changed(self, _value: float) -> None:
        self._mark_edited()

    def _on_route_group_id_toggled(self, _id: int, checked: bool) -> None:
        if not checked or self._opportunity is None:
            return
        if not self._loading:
            self._apply_route(self._route())
            self._update_bid_widgets()
        self._mark_edited()

    def _on_account_combo_current_index_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._wanted_profile_id = None  # profiles belong to one account
        if spec_for(self._route()).has(RouteField.FREELANCER):
            self._ensure_profiles()
        self._mark_edited()

    def _on_profile_combo_current_index_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._wanted_profile_id = self._profile_combo.currentData() or None
        self._mark_edited()

    def _on_timeline_combo_current_index_changed(self, _index: int) -> None:
        self._mark_edited()

    def _on_boost_spin_value_changed(self, _value: int) -> None:
        self._mark_edited()

    def _on_schedule_combo_current_index_changed(self, _index: int) -> None:
        checked = bool(self._schedule_combo.currentData())
        self._schedule_edit.setVisible(checked)
        if (
            checked
            and not self._loading
            and self._schedule_edit.dateTime() < QDateTime.currentDateTime()
        ):
            self._schedule_edit.setDateTime(self._next_hour())
        self._mark_edited()

    def _on_schedule_edit_date_time_changed(self, _value: QDateTime) -> None:
        self._mark_edited()

    def _on_draft_timer_timeout(self) -> None:
        self.flush_draft()

    def _on_policy_timer_timeout(self) -> None:
        self._run_policy()

    def _on_issue_list_span_activated(self, start: int, end: int) -> None:
        letter = self._letter.toPlainText()
        start, end = _utf16_offsets(letter, min(start, len(letter)), min(end, len(letter)))
        cursor = self._letter.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self._letter.setTextCursor(cursor)
        self._letter.setFocus(Qt.FocusReason.OtherFocusReason)
        self._scroll.ensureWidgetVisible(self._letter, 0, 40)

    def _on_description_toggle_toggled(self, checked: bool) -> None:
        self._description.setFixedHeight(DESCRIPTION_EXPANDED if checked else DESCRIPTION_COLLAPSED)
        self._description_toggle.setText("Show less" if checked else "Show more")

    def _on_open_button_clicked(self) -> None:
        if self._opportunity is not None and self._opportunity.url:
            self.open_url_requested.emit(self._opportunity.url)

    def _on_strip_retry_clicked(self, submission_id: str) -> None:
        if self._retrying_id is not None:
            return
        self._retrying_id = submission_id
        self._refresh_strip()
        self.retry_requested.emit(submission_id)

    def _on_submit_shortcut_activated(self) -> None:
        if self._submit.isEnabled() and self._submit.isVisible():
            self._on_submit_button_clicked()

    def _on_submit_button_clicked(self) -> None:
        if self._opportunity is None or self._confirm_box is not None:
            return
        self._policy_timer.stop()
        self._run_policy()  # the last keystroke may still be inside the debounce
        if self._blocker() is not None:
            return
        self.flush_draft()
        warnings = [i for i in self._issues if i.severity is Severity.WARNING]
        auto_bidder = self._auto_bidder_on()
        if not warnings and not auto_bidder:
            self._emit_submit(self._build_request(confirm_warnings=False))
            return
        self._pending_request = self._build_request(
            confirm_warnings=True, confirm_auto_bidder=auto_bidder
        )
        lines = [f"⚠ {i.message}" for i in warnings]
        if auto_bidder:
            lines.insert(0, self._auto_bidder.text())
        box = question_box(
            self,
            name="confirm_auto_bidder" if auto_bidder else "confirm_warnings",
            title="Send anyway?",
            text=(
                "GigRadar's auto-bidder is on for this scanner. Send anyway?"
                if auto_bidder
                else "This proposal has warnings. Send anyway?"
            ),
            accept=(Button.Yes, "Send anyway"),
            reject=(Button.No, "Keep editing"),
            icon=QMessageBox.Icon.Warning,
            informative="\n".join(lines),
        )
        box.finished.connect(self._on_confirm_box_finished)
        self._confirm_box = box
        self._refresh_submit()
        box.open()

    def _on_confirm_box_finished(self, _result: int) -> None:
        box, self._confirm_box = self._confirm_box, None
        request, self._pending_request = self._pending_request, None
        if box is None:
            return
        accepted = answered(box, Button.Yes)
        box.deleteLater()
        opp = self._opportunity
        if (
            accepted
            and request is not None
            and opp is not None
            and request.opportunity_key == opp.key
            and self._blocker() is None
        ):
            self._emit_submit(request)
            return
        self._refresh_submit()
