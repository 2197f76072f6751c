"""Preferences (Ctrl+,): what to be notified about, quiet hours, tray and login behaviour,
and (its own tab, `preferences_team`) the team database this profile uses.

The dialog edits a `PreferenceValues` and hands it back on OK (`values()`); it saves
nothing itself. `apply_preferences` is where the values go: notification rules to the
notification service, close-to-tray to the settings, start-at-login to the OS login item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.autostart import Autostart, AutostartError
from app.services.notifications import NotificationRules, NotificationService
from app.ui.dialogs.preferences_team import TeamPage
from app.ui.tray import CLOSE_TO_TRAY_KEY, Settings, close_to_tray_enabled

DEFAULT_QUIET = (time(22, 0), time(7, 0))


@dataclass(frozen=True)
class PreferenceValues:
    saved_filters: tuple[str, ...]  # names, in the order shown
    rules: NotificationRules
    close_to_tray: bool
    start_at_login: bool
    start_hidden: bool = False  # at login: the tray icon only (minimized without a tray)


def _qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def _time(value: QTime) -> time:
    return time(value.hour(), value.minute())


class PreferencesDialog(QDialog):
    """One form; `values()` reads it back. `tray` False greys out close-to-tray. With
    `team`, a second tab holds the Team page (which saves on its own button, not on OK)."""

    def __init__(
        self,
        values: PreferenceValues,
        *,
        tray: bool,
        parent: QWidget | None = None,
        team: TeamPage | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self._names = values.saved_filters
        rules = values.rules

        matches = QGroupBox("Notify me about new opportunities matching", self)
        match_layout = QVBoxLayout(matches)
        self.filter_boxes: dict[str, QCheckBox] = {}
        for name in values.saved_filters:
            box = QCheckBox(name, matches)
            box.setChecked(name in rules.filters)
            self.filter_boxes[name] = box
            match_layout.addWidget(box)
        if not values.saved_filters:
            hint = QLabel(
                "No saved filters yet. Set up a filter in the inbox, then save it from the "
                "filter bar's Saved menu; it will appear here.",
                matches,
            )
            hint.setObjectName("noSavedFilters")
            hint.setWordWrap(True)
            match_layout.addWidget(hint)

        self.submissions = QCheckBox(
            "Proposal outcomes: sent, not sent (with the reason), accepted, declined", self
        )
        self.submissions.setObjectName("notifySubmissions")
        self.submissions.setChecked(rules.submissions)

        self.quiet = QCheckBox("Quiet hours from", self)
        self.quiet.setObjectName("quietHours")
        start, end = (
            (rules.quiet_from, rules.quiet_to)
            if rules.quiet_from is not None and rules.quiet_to is not None
            else DEFAULT_QUIET
        )
        self.quiet.setChecked(rules.quiet_from is not None and rules.quiet_to is not None)
        self.quiet_from = QTimeEdit(_qtime(start), self)
        self.quiet_from.setObjectName("quietFrom")
        self.quiet_to = QTimeEdit(_qtime(end), self)
        self.quiet_to.setObjectName("quietTo")
        for edit in (self.quiet_from, self.quiet_to):
            edit.setDisplayFormat("HH:mm")
            edit.setEnabled(self.quiet.isChecked())
            self.quiet.toggled.connect(edit.setEnabled)
        quiet_row = QHBoxLayout()
        quiet_row.addWidget(self.quiet)
        quiet_row.addWidget(self.quiet_from)
        quiet_row.addWidget(QLabel("to", self))
        quiet_row.addWidget(self.quiet_to)
        quiet_row.addStretch(1)
        quiet_note = QLabel("Nothing pops up then; matches still show on the tray icon.", self)
        quiet_note.setEnabled(False)

        notify = QGroupBox("Other notifications", self)
        notify_layout = QVBoxLayout(notify)
        notify_layout.addWidget(self.submissions)
        notify_layout.addLayout(quiet_row)
        notify_layout.addWidget(quiet_note)

        self.close_to_tray = QCheckBox("Keep BidDesk running in the tray when I close the window")
        self.close_to_tray.setObjectName("closeToTray")
        self.close_to_tray.setChecked(values.close_to_tray and tray)
        self.close_to_tray.setEnabled(tray)
        if not tray:
            self.close_to_tray.setToolTip("This desktop has no system tray: closing quits.")
        self.start_at_login = QCheckBox("Start BidDesk when I log in")
        self.start_at_login.setObjectName("startAtLogin")
        self.start_at_login.setChecked(values.start_at_login)
        self.start_hidden = QCheckBox(
            "Start hidden in the tray" if tray else "Start minimized (this desktop has no tray)"
        )
        self.start_hidden.setObjectName("startHidden")
        self.start_hidden.setChecked(values.start_at_login and values.start_hidden)
        self.start_hidden.setEnabled(values.start_at_login)
        self.start_at_login.toggled.connect(self.start_hidden.setEnabled)
        hidden_row = QHBoxLayout()
        hidden_row.addSpacing(self.fontMetrics().horizontalAdvance("M") * 2)
        hidden_row.addWidget(self.start_hidden)
        desktop = QGroupBox("Desktop", self)
        desktop_layout = QVBoxLayout(desktop)
        desktop_layout.addWidget(self.close_to_tray)
        if not tray:
            no_tray = QLabel("This desktop has no system tray, so closing the window quits.")
            no_tray.setObjectName("noTray")
            no_tray.setEnabled(False)
            desktop_layout.addWidget(no_tray)
        desktop_layout.addWidget(self.start_at_login)
        desktop_layout.addLayout(hidden_row)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        general = QWidget(self)
        general_layout = QVBoxLayout(general)
        general_layout.setContentsMargins(0, 0, 0, 0)
        general_layout.addWidget(matches)
        general_layout.addWidget(notify)
        general_layout.addWidget(desktop)
        general_layout.addStretch(1)
        layout = QVBoxLayout(self)
        self.team = team
        if team is None:
            layout.addWidget(general)
        else:
            tabs = QTabWidget(self)
            tabs.setObjectName("preferencesTabs")
            tabs.addTab(general, "General")
            tabs.addTab(team, "Team")
            self.tabs = tabs
            layout.addWidget(tabs)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 40)
        self.setWindowModality(Qt.WindowModality.WindowModal)

    def values(self) -> PreferenceValues:
        quiet = self.quiet.isChecked()
        rules = NotificationRules(
            filters=frozenset(n for n, box in self.filter_boxes.items() if box.isChecked()),
            submissions=self.submissions.isChecked(),
            quiet_from=_time(self.quiet_from.time()) if quiet else None,
            quiet_to=_time(self.quiet_to.time()) if quiet else None,
        )
        return PreferenceValues(
            saved_filters=self._names,
            rules=rules,
            close_to_tray=self.close_to_tray.isChecked(),
            start_at_login=self.start_at_login.isChecked(),
            start_hidden=self.start_at_login.isChecked() and self.start_hidden.isChecked(),
        )


def current_preferences(
    notifications: NotificationService, settings: Settings, autostart: Autostart
) -> PreferenceValues:
    names: Sequence[str] = sorted(notifications.saved_filters(), key=str.casefold)
    return PreferenceValues(
        saved_filters=tuple(names),
        rules=notifications.rules,
        close_to_tray=close_to_tray_enabled(settings),
        start_at_login=autostart.enabled(),
        start_hidden=autostart.starts_hidden(),
    )


def apply_preferences(
    values: PreferenceValues,
    notifications: NotificationService,
    settings: Settings,
    autostart: Autostart,
    *,
    tray: bool,
) -> str | None:
    """Save `values`; returns a sentence if starting at login could not be changed."""
    notifications.set_rules(values.rules)
    if tray:  # without a tray the box is greyed out: keep what the user chose elsewhere
        settings.set(CLOSE_TO_TRAY_KEY, values.close_to_tray)
    on = values.start_at_login
    if on != autostart.enabled() or (on and values.start_hidden != autostart.starts_hidden()):
        try:
            autostart.set_enabled(on, hidden=values.start_hidden)
        except AutostartError as exc:
            return str(exc)
    return None
