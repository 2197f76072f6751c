"""The editor's terms room: which route a proposal goes through (platform, account and,
per route, freelancer profile, timeline, boost or send time) and the bid.

It builds its rows into the pane's form and renders the draft's terms; the pane reads the
terms back (`route()`, `account()`, `bid()` …) to save the draft and build the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.bidding import budget_text, default_bid
from app.domain.opportunity import Opportunity, Platform
from app.domain.proposal import (
    amount_from_input,
    choose_account,
    choose_route,
    form_bid,
    missing_account_hint,
    next_full_hour,
    route_hint,
    route_terms,
)
from app.domain.submission import Bid, BidKind, Draft
from app.services.platforms import spec_for
from app.services.submissions import allowed_routes
from app.ui.widgets.labels import muted, wrapping_label

__all__ = ["MAX_AMOUNT", "TIMELINES", "TermsRoom", "budget_text"]

# UpHunt's proposal timelines, verbatim (Bid.timeline).
TIMELINES = ("Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months")
MAX_AMOUNT = 1_000_000.0

_BID_KIND_TEXT = {
    BidKind.HOURLY: "Hourly rate",
    BidKind.FIXED: "Fixed price",
    BidKind.PLATFORM_DEFAULT: "Platform default",
}


class TermsRoom(QObject):
    """The "Bid and route" rows of the editor pane."""

    edited = Signal()  # the person changed a term
    freelancers_requested = Signal(str)  # UpHunt account name

    def __init__(self, parent: QWidget, opportunity: Callable[[], Opportunity | None]) -> None:
        super().__init__(parent)
        self._opportunity = opportunity  # the pane's shown opportunity
        self._accounts: dict[Platform, list[str]] = {}
        self._loading = False  # widgets are being filled from data, not edited
        self._profiles: dict[str, list[tuple[str, str]]] = {}
        self._profiles_requested: set[str] = set()
        self._wanted_profile_id: str | None = None

    # -- building ---------------------------------------------------------------------------

    def build(self, host: QWidget) -> QFormLayout:
        """The form with every row; `host` owns the route radio group."""
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
        self._route_group = QButtonGroup(host)
        self.route_buttons: dict[Platform, QRadioButton] = {}
        for index, platform in enumerate(Platform):
            button = QRadioButton(platform.label)
            button.setObjectName(f"route_{platform.value}")
            self._route_group.addButton(button, index)
            self.route_buttons[platform] = button
            radios.addWidget(button)
        radios.addStretch(1)
        self._route_group.idToggled.connect(self._on_route_group_id_toggled)
        self._route_hint = muted(wrapping_label(name="route_hint"))
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
        self._budget_hint = muted(wrapping_label(name="budget_hint"))
        bid_layout.addWidget(self._kind_combo)
        bid_layout.addWidget(self._fixed_label)
        bid_layout.addWidget(self._amount)
        bid_layout.addWidget(self._budget_hint, 1)
        form.addRow("Bid", bid_row)
        self._gigiac_note = muted(
            wrapping_label(
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
        return form

    def account_widget(self) -> QWidget:
        """Where the person picks the account (a route button when no account shows)."""
        combo = self._account_combo
        if not combo.isHidden() and combo.isEnabled() and combo.count():
            return combo
        return next(iter(self.route_buttons.values()), combo)

    def amount_widget(self) -> QWidget:
        return self._amount

    def editable_widgets(self) -> list[QWidget]:
        """The fields a person edits, in tab order."""
        return [
            *self.route_buttons.values(),
            self._account_combo,
            self._kind_combo,
            self._amount,
            self._profile_combo,
            self._timeline_combo,
            self._boost_spin,
            self._schedule_combo,
            self._schedule_edit,
        ]

    # -- public API -------------------------------------------------------------------------

    def forget_unanswered_requests(self) -> None:
        """A roster request that never got its answer is asked again (a new opportunity)."""
        self._profiles_requested &= set(self._profiles)

    def set_freelancers(self, account: str, profiles: Sequence[tuple[str, str]]) -> None:
        """The UpHunt profiles of `account`, as (profile_id, label)."""
        self._profiles[account] = [(str(pid), str(label)) for pid, label in profiles]
        self._profiles_requested.add(account)
        if route_terms(self.route()).freelancer_terms and self.account() == account:
            self._fill_profiles()

    def fill(
        self,
        opp: Opportunity,
        draft: Draft | None,
        accounts: Mapping[Platform, Sequence[str]],
    ) -> None:
        """Show the draft's terms (or the job's defaults) with the configured accounts."""
        self._accounts = {Platform(p): list(names) for p, names in accounts.items()}
        was_loading, self._loading = self._loading, True
        try:
            self._fill(opp, draft)
        finally:
            self._loading = was_loading

    def _fill(self, opp: Opportunity, draft: Draft | None) -> None:
        routes = allowed_routes(opp)
        route = choose_route(routes, self._accounts, draft.via if draft is not None else None)
        for platform, button in self.route_buttons.items():
            button.setVisible(platform in routes and len(routes) > 1)
            button.setEnabled(bool(self._accounts.get(platform)))
            button.setToolTip(
                "" if self._accounts.get(platform) else missing_account_hint(platform)
            )
        text = route_hint(route, routes, self._accounts)
        self._route_hint.setText(text)
        self._route_hint.setVisible(bool(text))
        self.route_buttons[route].setChecked(True)

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

    # -- reading the widgets ----------------------------------------------------------------

    def route(self) -> Platform:
        checked = self._route_group.checkedId()
        if checked >= 0:
            return list(Platform)[checked]
        opp = self._opportunity()
        return opp.platform if opp else Platform.GIGRADAR

    def account(self) -> str | None:
        data = self._account_combo.currentData()
        return str(data) if data else None

    def _kind(self) -> BidKind:
        data = self._kind_combo.currentData()
        return BidKind(data) if data else BidKind.PLATFORM_DEFAULT

    def bid(self) -> Bid:
        return form_bid(
            self.route(),
            self._kind(),
            amount_from_input(self._amount.value()),
            timeline=self._timeline_combo.currentData() or None,
            boost_connects=self._boost_spin.value(),
        )

    def profile_id(self) -> str | None:
        """The chosen freelancer profile, when the route has one."""
        if not route_terms(self.route()).freelancer_terms:
            return None
        # Follows the picker, and survives while the roster is still loading.
        return self._wanted_profile_id

    def scheduled_at(self) -> datetime | None:
        """The chosen send time, when the route can schedule and one is chosen."""
        if not route_terms(self.route()).schedulable:
            return None
        if not self._schedule_combo.currentData():
            return None
        seconds = self._schedule_edit.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds, UTC).replace(second=0)

    # -- rules of the form ------------------------------------------------------------------

    @staticmethod
    def _next_hour() -> QDateTime:
        moment = next_full_hour(datetime.now(UTC))
        return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))

    def _apply_route(self, route: Platform, *, preferred_account: str | None = None) -> None:
        """Show the fields this route has, and its accounts."""
        names = self._accounts.get(route, [])
        chosen = choose_account(
            route, names, self._opportunity(), preferred_account or self.account()
        )
        terms = route_terms(route)
        was_loading, self._loading = self._loading, True
        try:
            self._account_combo.clear()
            for name in names:
                self._account_combo.addItem(name, name)
            if chosen is not None:
                self._account_combo.setCurrentIndex(names.index(chosen))
            self._fill_kinds(terms.bid_kinds)
        finally:
            self._loading = was_loading
        self._set_row_visible(self._account_combo, bool(names))
        for widget in (self._profile_combo, self._timeline_combo, self._boost_spin):
            self._set_row_visible(widget, terms.freelancer_terms)
        schedule_row = self._schedule_combo.parentWidget()
        if schedule_row is not None:
            self._set_row_visible(schedule_row, terms.schedulable)
        self._set_row_visible(self._gigiac_note, terms.fixed_only)
        self._kind_combo.setVisible(not terms.fixed_only)
        self._fixed_label.setVisible(terms.fixed_only)
        if terms.freelancer_terms:
            self._ensure_profiles()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self._form.setRowVisible(field, visible)

    def _fill_kinds(self, kinds: Sequence[BidKind]) -> None:
        current = self._kind()
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
        account = self.account()
        if account is None:
            self._fill_profiles()
            return
        if account not in self._profiles_requested:
            self._profiles_requested.add(account)
            self.freelancers_requested.emit(account)
        self._fill_profiles()

    def _fill_profiles(self) -> None:
        account = self.account()
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

    # -- slots ------------------------------------------------------------------------------

    def _on_kind_combo_current_index_changed(self, _index: int) -> None:
        self._update_bid_widgets()
        self.edited.emit()

    def _on_amount_spin_value_changed(self, _value: float) -> None:
        self.edited.emit()

    def _on_route_group_id_toggled(self, _id: int, checked: bool) -> None:
        if not checked or self._opportunity() is None:
            return
        if not self._loading:
            self._apply_route(self.route())
            self._update_bid_widgets()
        self.edited.emit()

    def _on_account_combo_current_index_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._wanted_profile_id = None  # profiles belong to one account
        if route_terms(self.route()).freelancer_terms:
            self._ensure_profiles()
        self.edited.emit()

    def _on_profile_combo_current_index_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._wanted_profile_id = self._profile_combo.currentData() or None
        self.edited.emit()

    def _on_timeline_combo_current_index_changed(self, _index: int) -> None:
        self.edited.emit()

    def _on_boost_spin_value_changed(self, _value: int) -> None:
        self.edited.emit()

    def _on_schedule_combo_current_index_changed(self, _index: int) -> None:
        checked = bool(self._schedule_combo.currentData())
        self._schedule_edit.setVisible(checked)
        if (
            checked
            and not self._loading
            and self._schedule_edit.dateTime() < QDateTime.currentDateTime()
        ):
            self._schedule_edit.setDateTime(self._next_hour())
        self.edited.emit()

    def _on_schedule_edit_date_time_changed(self, _value: QDateTime) -> None:
        self.edited.emit()
