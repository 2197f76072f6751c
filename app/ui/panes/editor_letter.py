"""The editor's letter room: the cover letter with its counter, redraft buttons, policy
issues and warnings; the answers to the screening questions; the drafting controls (Draft,
Stop, Draft answers) through which a template or a model writes for the person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.drafting import LENGTH_NOTICE
from app.domain.opportunity import Opportunity, Question
from app.domain.policy import MAX_COVER_LETTER, PolicyIssue, Severity
from app.domain.proposal import matched_answers
from app.domain.submission import Answer, Draft
from app.ui.widgets.issue_list import IssueList
from app.ui.widgets.labels import (
    ERROR_COLOR,
    WARNING_COLOR,
    discard,
    muted,
    set_text_color,
    wrapping_label,
)
from app.ui.widgets.layouts import add_section
from app.ui.widgets.question import Button, answered, question_box

__all__ = ["SIMILARITY_DEBOUNCE_MS", "VARIANT_BUTTONS", "LetterRoom"]

SIMILARITY_DEBOUNCE_MS = 700  # compares with every sent letter: once typing pauses

# Redrafts of the current letter through the model: (variant, button text).
VARIANT_BUTTONS = (
    ("shorter", "Shorter"),
    ("formal", "More formal"),
    ("friendlier", "Friendlier"),
    ("opening", "New opening"),
)


def _utf16_offsets(text: str, *indexes: int) -> list[int]:
    """Python (code point) indexes as QTextDocument (UTF-16) positions."""
    if text.isascii() or max(text) <= "\uffff":
        return list(indexes)
    return [len(text[:i].encode("utf-16-le")) // 2 for i in indexes]


class LetterRoom(QObject):
    """The letter and answers of the editor pane, and the controls that draft them."""

    edited = Signal()  # the person (or a draft) changed the letter or an answer
    draft_requested = Signal(str)  # "template" or "model"
    draft_stop_requested = Signal()
    variant_requested = Signal(str, str)  # (variant, current letter)
    answers_draft_requested = Signal()
    continue_requested = Signal(str)  # the letter a model left at its length limit
    similarity_check_requested = Signal(str, str)  # (opportunity key, letter), debounced
    span_activated = Signal()  # a policy issue's span was selected in the letter

    def __init__(self, host: QWidget, opportunity: Callable[[], Opportunity | None]) -> None:
        super().__init__(host)
        self._host = host  # the pane: parent of the message boxes, watcher of focus-out
        self._opportunity = opportunity
        self.questions: list[tuple[Question, QPlainTextEdit]] = []
        self._drafting = False  # a model is streaming into the letter
        self._before_draft = ""  # the letter a model draft replaces, until it writes
        self._answers_box: QMessageBox | None = None
        self._pending_answers: list[tuple[QPlainTextEdit, str]] = []
        self._drafting_answers = False
        self._auto_bidder_key: str | None = None
        self._cut_off_key: str | None = None  # the job whose model letter was cut off
        self._similarity_timer = QTimer(self)
        self._similarity_timer.setSingleShot(True)
        self._similarity_timer.setInterval(SIMILARITY_DEBOUNCE_MS)
        self._similarity_timer.timeout.connect(self._on_similarity_timer_timeout)

    # -- building ---------------------------------------------------------------------------

    def build_letter(self, body: QVBoxLayout) -> None:
        add_section(body, "Cover letter")
        self.letter = QPlainTextEdit()
        self.letter.setObjectName("letter")
        self.letter.setPlaceholderText(
            "Write to the client: what you understood, how you would do it, why you."
        )
        self.letter.setTabChangesFocus(True)
        self.letter.setMinimumHeight(240)
        self.letter.textChanged.connect(self._on_letter_text_changed)
        body.addWidget(self.letter)
        # A model letter cut at its token limit (set_cut_off): said right under the letter,
        # where it stops, with Continue.
        self._cut_off = QWidget()
        self._cut_off.setObjectName("length_notice")
        row = QHBoxLayout(self._cut_off)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self._cut_off_label = wrapping_label(
            f"⚠ {LENGTH_NOTICE}: the letter may end mid-sentence.", "length_notice_text"
        )
        set_text_color(self._cut_off_label, WARNING_COLOR)
        self._continue_button = QToolButton()
        self._continue_button.setObjectName("draft_continue")
        self._continue_button.setText("Continue")
        self._continue_button.setToolTip(
            "Ask the model to go on from where it stopped; its text is added at the end"
        )
        self._continue_button.clicked.connect(self._on_continue_button_clicked)
        row.addWidget(self._cut_off_label, 1)
        row.addWidget(self._continue_button, 0, Qt.AlignmentFlag.AlignTop)
        self._cut_off.hide()
        body.addWidget(self._cut_off)
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
        variants.addWidget(muted(QLabel("Redraft:")))
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
        body.addLayout(under)
        self._issue_list = IssueList()
        self._issue_list.span_activated.connect(self._on_issue_list_span_activated)
        body.addWidget(self._issue_list)
        self._similarity = wrapping_label(name="similarity_warning")
        set_text_color(self._similarity, WARNING_COLOR)
        self._similarity.hide()
        body.addWidget(self._similarity)
        # A GigRadar scanner whose auto-bidder is on (set_auto_bidder_warning).
        self._auto_bidder = wrapping_label(name="auto_bidder_warning")
        set_text_color(self._auto_bidder, WARNING_COLOR)
        self._auto_bidder.hide()
        body.addWidget(self._auto_bidder)

    def build_questions(self, body: QVBoxLayout) -> None:
        self._answers_button = QToolButton()
        self._answers_button.setObjectName("draft_answers")
        self._answers_button.setText("Draft answers")
        self._answers_button.setToolTip(
            "Ask the model for an answer to each question; answers you wrote stay unless "
            "you agree to replace them"
        )
        self._answers_button.clicked.connect(self._on_answers_button_clicked)
        self._questions_title = add_section(body, "Screening questions", self._answers_button)
        self._questions_host = QWidget()
        self._questions_host.setObjectName("questions")
        self._questions_layout = QVBoxLayout(self._questions_host)
        self._questions_layout.setContentsMargins(0, 0, 0, 0)
        self._questions_layout.setSpacing(4)
        body.addWidget(self._questions_host)

    def build_draft_controls(self) -> tuple[QToolButton, QPushButton]:
        """The Draft menu button and the Stop button, for the pane's footer."""
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
        return self._draft_button, self._stop_button

    def editable_widgets(self) -> list[QWidget]:
        """The letter and the answers, in tab order."""
        return [self.letter, *(edit for _, edit in self.questions)]

    # -- filling and reading ----------------------------------------------------------------

    def fill(self, opp: Opportunity, draft: Draft | None) -> None:
        letter = draft.cover_letter if draft is not None else ""
        if self.letter.toPlainText() != letter:
            self.letter.setPlainText(letter)
        current = [q for q, _ in self.questions]
        if current != list(opp.questions):
            self._rebuild_questions(opp.questions)
        count = len(opp.questions)
        self._questions_title.setText(f"Screening questions ({count})")
        self._questions_title.setVisible(count > 0)
        self._answers_button.setVisible(count > 0)
        self._questions_host.setVisible(count > 0)
        saved = matched_answers(
            (q for q, _ in self.questions), draft.answers if draft is not None else ()
        )
        for (_, edit), answer in zip(self.questions, saved, strict=True):
            if edit.toPlainText() != answer:
                edit.setPlainText(answer)

    def refresh(self, *, same: bool) -> None:
        """After a fill: the counter, the redraft buttons, a similarity check to come."""
        self.update_counter()
        self._update_variants()
        if not same:
            self._similarity.hide()
            self.set_cut_off(None)
        self._similarity_timer.start()  # a restored draft may repeat a sent letter too

    def _rebuild_questions(self, questions: Sequence[Question]) -> None:
        for _, edit in self.questions:
            edit.removeEventFilter(self._host)
        while (item := self._questions_layout.takeAt(0)) is not None:
            discard(item.widget())
        self.questions = []
        for number, question in enumerate(questions, start=1):
            label = wrapping_label(f"{number}. {question.text}", f"question_{question.id}")
            edit = QPlainTextEdit()
            edit.setObjectName(f"answer_{question.id}")
            edit.setPlaceholderText("Your answer")
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(76)
            edit.textChanged.connect(self.edited.emit)
            edit.installEventFilter(self._host)
            label.setBuddy(edit)
            if number > 1:
                self._questions_layout.addSpacing(6)
            self._questions_layout.addWidget(label)
            self._questions_layout.addWidget(edit)
            self.questions.append((question, edit))

    def text(self) -> str:
        return self.letter.toPlainText()

    def answers(self) -> tuple[Answer, ...]:
        return tuple(
            Answer(question_id=q.id, question=q.text, answer=edit.toPlainText())
            for q, edit in self.questions
        )

    # -- policy -----------------------------------------------------------------------------

    def show_issues(self, issues: Sequence[PolicyIssue]) -> None:
        """List the issues under the letter and underline their spans in it."""
        self._issue_list.set_issues(issues)
        letter = self.letter.toPlainText()
        spans = [i for i in issues if i.start is not None and i.end is not None]
        selections = []
        limit = self.letter.document().characterCount() - 1
        for issue in spans:
            start, end = _utf16_offsets(letter, issue.start or 0, issue.end or 0)
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            color = ERROR_COLOR if issue.severity is Severity.ERROR else WARNING_COLOR
            fmt.setUnderlineColor(QColor(color))
            tint = QColor(color)
            tint.setAlpha(28)  # the wave alone is easy to miss in a long letter
            fmt.setBackground(tint)
            cursor = QTextCursor(self.letter.document())
            cursor.setPosition(min(start, limit))
            cursor.setPosition(min(end, limit), QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.letter.setExtraSelections(selections)

    def update_counter(self) -> None:
        length = len(self.letter.toPlainText())
        self._counter.setText(f"{length:,} / {MAX_COVER_LETTER:,}")
        over = length > MAX_COVER_LETTER
        self._counter.setProperty("over_limit", over)
        muted_color = self._host.palette().color(QPalette.ColorRole.PlaceholderText)
        set_text_color(self._counter, ERROR_COLOR if over else muted_color)
        font = self._counter.font()
        font.setBold(over)
        self._counter.setFont(font)

    # -- drafting ---------------------------------------------------------------------------

    @property
    def drafting(self) -> bool:
        return self._drafting

    def begin_model_draft(self, *, append: bool = False) -> None:
        """A model starts writing: into an empty letter, or (`append`, Continue) after
        the letter as it stands."""
        self._drafting = True
        self.set_cut_off(None)
        if append:
            self._before_draft = ""
            self.letter.moveCursor(QTextCursor.MoveOperation.End)
        else:
            self._before_draft = self.letter.toPlainText()
            self.letter.setPlainText("")
        self.letter.setReadOnly(True)
        self._issue_list.set_issues([])  # judged when the model is done, not word by word
        self._draft_button.setEnabled(False)
        self._variants.setEnabled(False)
        self._similarity.hide()
        self._similarity_timer.stop()
        self._stop_button.show()

    def append_draft_text(self, piece: str) -> None:
        cursor = self.letter.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self.letter.setTextCursor(cursor)

    def end_model_draft(self) -> None:
        """The letter is the person's again; the one it replaced comes back if the model
        wrote nothing at all."""
        self._drafting = False
        self.letter.setReadOnly(False)
        before, self._before_draft = self._before_draft, ""
        if not self.letter.toPlainText() and before:
            self.letter.setPlainText(before)
        self._draft_button.setEnabled(True)
        self._stop_button.hide()
        self._update_variants()

    def set_cut_off(self, key: str | None) -> None:
        """Flag the letter of job `key` as cut at the model's length limit, with Continue
        (None: no flag). Ignored unless `key` is the job shown."""
        opp = self._opportunity()
        shown = key is not None and opp is not None and opp.key == key
        self._cut_off_key = key if shown else None
        self._cut_off.setVisible(shown)

    def cut_off_text(self) -> str:
        """The length-limit sentence while it shows, else ""."""
        if not self._cut_off.isVisibleTo(self._host):
            return ""
        return self._cut_off_label.text()

    def _on_continue_button_clicked(self) -> None:
        opp = self._opportunity()
        if opp is None or self._drafting or self._cut_off_key != opp.key:
            return
        letter = self.letter.toPlainText()
        if letter.strip():
            self.continue_requested.emit(letter)

    def check_similarity_now(self) -> None:
        self._similarity_timer.stop()
        self._request_similarity()

    def set_similarity(self, key: str, message: str | None) -> None:
        opp = self._opportunity()
        if opp is None or opp.key != key:
            return
        self._similarity.setText(f"⚠ {message}" if message else "")
        self._similarity.setVisible(bool(message))

    def set_auto_bidder_warning(self, key: str, message: str | None) -> None:
        opp = self._opportunity()
        if opp is None or opp.key != key:
            return
        self._auto_bidder_key = key if message else None
        self._auto_bidder.setText(f"⚠ {message}" if message else "")
        self._auto_bidder.setVisible(bool(message))

    def auto_bidder_text(self) -> str:
        return self._auto_bidder.text() if self._auto_bidder.isVisibleTo(self._host) else ""

    def auto_bidder_warning(self) -> str:
        """The auto-bidder sentence as set, shown or not."""
        return self._auto_bidder.text()

    def auto_bidder_on(self) -> bool:
        opp = self._opportunity()
        return opp is not None and self._auto_bidder_key == opp.key

    def similarity_text(self) -> str:
        return self._similarity.text() if self._similarity.isVisibleTo(self._host) else ""

    def begin_answers_draft(self) -> None:
        self._drafting_answers = True
        self._answers_button.setEnabled(False)
        self._answers_button.setText("Drafting answers…")

    def end_answers_draft(self) -> None:
        self._drafting_answers = False
        self._answers_button.setEnabled(True)
        self._answers_button.setText("Draft answers")

    def fill_drafted_answers(self, key: str, answers: Sequence[Answer]) -> None:
        opp = self._opportunity()
        if opp is None or opp.key != key:
            return
        drafted = matched_answers((q for q, _ in self.questions), answers, skip_empty=True)
        typed: list[tuple[QPlainTextEdit, str]] = []
        for (_, edit), text in zip(self.questions, drafted, strict=True):
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
            self._host,
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
        alive = {id(edit) for _, edit in self.questions}
        for edit, text in pending:
            if id(edit) in alive:
                edit.setPlainText(text)

    def _update_variants(self) -> None:
        has_text = bool(self.letter.toPlainText().strip())
        self._variants.setEnabled(has_text and not self._drafting)

    def _request_similarity(self) -> None:
        opp = self._opportunity()
        if opp is None or self._drafting:
            return
        letter = self.letter.toPlainText()
        if not letter.strip():
            self.set_similarity(opp.key, None)
            return
        self.similarity_check_requested.emit(opp.key, letter)

    # -- slots ------------------------------------------------------------------------------

    def _on_letter_text_changed(self) -> None:
        self.update_counter()
        self.edited.emit()
        if not self._drafting:
            self._update_variants()
            if self._opportunity() is not None:
                self._similarity_timer.start()

    def _on_similarity_timer_timeout(self) -> None:
        self._request_similarity()

    def _on_variant_clicked(self, variant: str) -> None:
        if self._opportunity() is None or self._drafting:
            return
        letter = self.letter.toPlainText()
        if letter.strip():
            self.variant_requested.emit(variant, letter)

    def _on_answers_button_clicked(self) -> None:
        if self._opportunity() is None or self._drafting_answers or not self.questions:
            return
        self.answers_draft_requested.emit()

    def _on_issue_list_span_activated(self, start: int, end: int) -> None:
        letter = self.letter.toPlainText()
        start, end = _utf16_offsets(letter, min(start, len(letter)), min(end, len(letter)))
        cursor = self.letter.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.letter.setTextCursor(cursor)
        self.letter.setFocus(Qt.FocusReason.OtherFocusReason)
        self.span_activated.emit()
