"""Accounts: the list with each key's state, adding, editing, testing and removing.

Every keyring read or write goes through the services' async calls (a worker thread): a
locked Secret Service that prompts must never freeze the window, the polling and the
webhooks together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.domain import Account
from app.services.container import Services
from app.services.secrets import KeyStatus
from app.ui.bridge import Bridge
from app.ui.controllers.feedback import EXPECTED_ERRORS, Feedback, sentence
from app.ui.dialogs._lifetime import OpenDialog, alive

if TYPE_CHECKING:  # imported when first opened: the window's start does not need them
    from app.ui.dialogs.accounts import AccountDialog, AccountForm, AccountsDialog

log = logging.getLogger(__name__)

TEST_TASK = "account:test"
KEYS_TASK = "accounts:keys"
KEYRING_TASK = "account:keyring"
SAVE_TASK = "account:save"
CHECKING = "checking the key…"
RUN_ONLY = "given for this run (sandbox)"  # a key handed over in memory, not stored


class AccountsController(QObject):
    def __init__(
        self,
        services: Services,
        bridge: Bridge,
        *,
        feedback: Feedback,
        keep: Callable[[QWidget], None],
        accounts_changed: Callable[[], None],
        account_removed: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.bridge = bridge
        self.feedback = feedback
        self._keep = keep
        self._accounts_changed = accounts_changed
        self._account_removed = account_removed
        self._window = parent
        self._list: OpenDialog[AccountsDialog] = OpenDialog()

    def _spawn(self, coro: object, name: str) -> object:
        return self.services.tasks.spawn(coro, name=name, replace=True)  # type: ignore[arg-type]

    # -- the list -------------------------------------------------------------------------

    def open_accounts(self) -> None:
        from app.ui.dialogs.accounts import AccountsDialog

        dialog = AccountsDialog(self._window)
        # The rows at once; each key's state as soon as the keyring answered (off the loop).
        dialog.set_accounts([(a, CHECKING) for a in self.services.accounts.list()])
        dialog.add_requested.connect(self.add_account)
        dialog.edit_requested.connect(self.edit_account)
        dialog.remove_requested.connect(lambda name: self.remove(name, dialog))
        self._keep(dialog)
        self._list.set(dialog)
        self._refresh_list(dialog)
        dialog.open()

    def _refresh_list(self, dialog: AccountsDialog | None = None) -> None:
        dialog = dialog or self._list.get()
        if dialog is None:
            return
        target = dialog

        async def run() -> None:
            # Where each key comes from, as it is: the keyring, the environment, this run
            # only (the sandbox's), or why there is none — not "key stored" for all three.
            secrets = self.services.secrets
            rows: list[tuple[Account, str | KeyStatus]] = []
            for account in self.services.accounts.list():
                if secrets.overridden(account.name):
                    rows.append((account, RUN_ONLY))
                else:
                    rows.append((account, await secrets.akey_status(account.name)))
            if alive(target):
                target.set_accounts(rows)

        self._spawn(run(), KEYS_TASK)

    # -- one account ----------------------------------------------------------------------

    def add_account(self) -> None:
        self._open_account_dialog(None)

    def edit_account(self, name: str) -> None:
        self._open_account_dialog(name)

    def _open_account_dialog(self, name: str | None) -> None:
        from app.ui.dialogs.accounts import AccountDialog

        account = self.services.accounts.get(name) if name else None
        dialog = (
            AccountDialog(self._window, account=account) if account else AccountDialog(self._window)
        )
        secrets = self.services.secrets

        async def keyring_status() -> None:
            status = await secrets.astatus()
            if alive(dialog):
                dialog.set_keyring_status(status.state.value, status.message)

        self._spawn(keyring_status(), KEYRING_TASK)
        dialog.test_requested.connect(lambda form: self.test(form, dialog))
        dialog.accepted.connect(lambda: self.save(dialog.accepted_form(), editing=name))
        # A test still running reports to a dialog that is gone: stop it.
        dialog.finished.connect(lambda _: self.services.tasks.cancel(TEST_TASK))
        self._keep(dialog)
        dialog.open()

    def test(self, form: AccountForm, dialog: AccountDialog) -> None:
        """Ask the platform whether the form's address and key work."""

        def report(ok: bool, message: str) -> None:
            if alive(dialog):  # closing the dialog cancels the test; it may be gone already
                dialog.set_test_result(ok, message)

        async def run() -> None:
            dialog.set_testing(True)
            try:
                message = await self.services.accounts.test_connection(
                    form.platform, form.base_url, name=form.name, api_key=form.api_key or ""
                )
            except EXPECTED_ERRORS as exc:
                report(False, sentence(exc))
            except Exception as exc:
                log.exception("testing the connection of %s failed", form.name or "a new account")
                report(False, sentence(exc))
            else:
                report(True, message)
            finally:
                if alive(dialog):
                    dialog.set_testing(False)

        self._spawn(run(), TEST_TASK)

    def save(self, form: AccountForm, *, editing: str | None) -> object:
        """Add the account, or change the edited one (its address, a new key); the task."""

        async def run() -> None:
            accounts = self.services.accounts
            try:
                if editing:
                    account: Account = await accounts.update(
                        editing, base_url=form.base_url, api_key=form.api_key or None
                    )
                    warning = None
                else:
                    account, warning = await accounts.aadd(
                        form.name,
                        form.platform,
                        api_key=form.api_key or None,
                        base_url=form.base_url,
                    )
            except EXPECTED_ERRORS as exc:
                log.info("account not saved: %s", exc)
                self.feedback.error("Account not saved", sentence(exc))
                return
            except Exception as exc:
                log.exception("saving the account failed")
                self.feedback.error("Account not saved", sentence(exc))
                return
            if warning:
                self.feedback.error("Key not stored", warning)
            self.bridge.start_account(account)
            self._accounts_changed()
            self._refresh_list()

        return self._spawn(run(), f"{SAVE_TASK}:{editing or form.name}")

    def remove(self, name: str, dialog: AccountsDialog) -> object:
        """Remove the account and its key (off the loop); the task."""

        async def run() -> None:
            try:
                warning = await self.services.accounts.aremove(name)
            except EXPECTED_ERRORS as exc:
                log.info("account %s not removed: %s", name, exc)
                self.feedback.error("Account not removed", sentence(exc))
                return
            except Exception as exc:
                log.exception("removing the account %s failed", name)
                self.feedback.error("Account not removed", sentence(exc))
                return
            if warning:
                log.warning("%s", warning)
            self.bridge.stop_account(name)
            self._account_removed(name)
            self._refresh_list(dialog if alive(dialog) else None)
            self._accounts_changed()

        return self._spawn(run(), f"account:remove:{name}")
