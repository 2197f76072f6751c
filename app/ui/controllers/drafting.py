"""The letter: drafting it (template or model), its answers, its checks, and sending it.

`DraftingController` runs the editor's intents as named tasks (one model stream, one
answers run, one similarity check at a time; each stopped when the selection moves) and
opens the drafting dialogs: profiles, templates, model settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from app.domain import Draft, Opportunity, Platform, Submission
from app.domain.drafting import LENGTH_NOTICE, TemplateError
from app.services.container import Services
from app.services.drafting import DraftingError
from app.services.submissions import SubmitRequest
from app.ui.bridge import Bridge
from app.ui.controllers.feedback import Feedback
from app.ui.controllers.inbox import InboxController
from app.ui.dialogs._lifetime import DialogFeed
from app.ui.panes.editor import EditorPane

if TYPE_CHECKING:  # imported when first opened: the window's start does not need them
    from app.ui.controllers.model_settings import ModelSettingsController
    from app.ui.dialogs.templates import TemplatesDialog

log = logging.getLogger(__name__)

DRAFT_TASK = "draft:model"
ANSWERS_TASK = "draft:answers"
SIMILARITY_TASK = "draft:similarity"
AUTO_BIDDER_TASK = "editor:auto-bidder"


class DraftingController(QObject):
    def __init__(
        self,
        services: Services,
        bridge: Bridge,
        inbox: InboxController,
        editor: EditorPane,
        *,
        feedback: Feedback,
        keep: Callable[[QWidget], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.bridge = bridge
        self.inbox = inbox
        self.editor = editor
        self.feedback = feedback
        self._keep = keep
        self._window = parent
        self.model_settings: ModelSettingsController | None = None  # while its dialog is open
        inbox.leaving.connect(self._on_inbox_leaving)
        inbox.opportunity_shown.connect(self._check_auto_bidder)
        bridge.submit_finished.connect(self._on_bridge_submit_finished)
        bridge.freelancers_loaded.connect(editor.set_freelancers)
        editor.draft_changed.connect(self._on_editor_draft_changed)
        editor.submit_requested.connect(self._on_editor_submit_requested)
        editor.retry_requested.connect(bridge.retry)
        editor.open_url_requested.connect(self._on_editor_open_url_requested)
        editor.freelancers_requested.connect(bridge.load_freelancers)
        editor.draft_requested.connect(self.draft)
        editor.draft_stop_requested.connect(self._on_editor_draft_stop_requested)
        editor.variant_requested.connect(self._on_editor_variant_requested)
        editor.answers_draft_requested.connect(self._on_editor_answers_draft_requested)
        editor.continue_requested.connect(self._on_editor_continue_requested)
        editor.similarity_check_requested.connect(self._on_editor_similarity_check_requested)

    def _spawn(self, coro: object, name: str) -> None:
        self.services.tasks.spawn(coro, name=name, replace=True)  # type: ignore[arg-type]

    @property
    def _closing(self) -> bool:
        """The app is shutting down (the store may be closed already): a debounced check
        or a late intent from the editor is dropped, not run."""
        return self.services.tasks.closed

    def _on_inbox_leaving(self) -> None:
        # A model still writing belongs to the letter being left: stop it first.
        self.services.tasks.cancel(DRAFT_TASK)
        self.services.tasks.cancel(ANSWERS_TASK)

    # -- drafting -------------------------------------------------------------------------

    def draft(self, source: str) -> None:
        """Fill the letter of the selected job: from its template, or by the model."""
        if self._closing:
            return
        opp = self.inbox.current_opportunity()
        if opp is None or self.editor.drafting:
            return
        self.inbox.mark_read(opp.key)  # drafting for a job is reading it
        if source == "template":
            try:
                self.editor.set_letter_text(
                    self.services.library.draft_from_template(opp, None, None)
                )
            except (TemplateError, DraftingError) as exc:
                self.feedback.error("No draft", str(exc))
            return
        self._stream_model_draft(opp)

    def _on_editor_variant_requested(self, variant: str, letter: str) -> None:
        if self._closing:
            return
        opp = self.inbox.current_opportunity()
        if opp is None or self.editor.drafting:
            return
        self._stream_model_draft(opp, variant=variant, letter=letter)

    def _on_editor_continue_requested(self, letter: str) -> None:
        if self._closing:
            return
        opp = self.inbox.current_opportunity()
        if opp is None or self.editor.drafting:
            return
        self._stream_model_draft(opp, letter=letter, carry_on=True)

    def _stream_model_draft(
        self,
        opp: Opportunity,
        *,
        variant: str | None = None,
        letter: str | None = None,
        carry_on: bool = False,
    ) -> None:
        """Stream the model's letter (or its rewrite of `letter`) into the editor; with
        `carry_on` (Continue), the rest of `letter`, appended to it."""
        drafter = self.services.drafter
        try:
            # Built before the letter is cleared: a bad template or variant keeps it as is.
            if carry_on and letter is not None:
                draft = drafter.stream_continuation(opp, letter)
            else:
                draft = drafter.stream_draft(opp, None, variant=variant, letter=letter)
        except DraftingError as exc:
            self.feedback.error("The model could not draft", str(exc))
            return
        editor = self.editor

        async def stream() -> None:
            editor.begin_model_draft(append=carry_on)
            message: str | None = None
            try:
                async with draft:
                    async for piece in draft:
                        editor.append_draft_text(piece)
                usage = draft.result.usage
                cost = "" if usage.cost is None else f" · about ${usage.cost:.4f}"
                message = (
                    f"Drafted by {draft.result.model}: {usage.completion_tokens} tokens{cost}. "
                    "Read it through before sending."
                )
                if draft.result.cut_off:
                    # finish_reason "length": the letter may stop mid-sentence.
                    editor.set_cut_off(opp.key)
                    message = (
                        f"{LENGTH_NOTICE} after {usage.completion_tokens} tokens; Continue "
                        "asks it for the rest."
                    )
            except DraftingError as exc:
                self.feedback.error("The model could not draft", str(exc))
            except asyncio.CancelledError:
                message = "Stopped; the text so far is yours to edit."
                raise
            finally:
                editor.end_model_draft()
                if message:
                    self.feedback.notice(message, 10_000)

        self._spawn(stream(), DRAFT_TASK)

    def _on_editor_draft_stop_requested(self) -> None:
        self.services.tasks.cancel(DRAFT_TASK)

    def _on_editor_answers_draft_requested(self) -> None:
        if self._closing:
            return
        opp = self.inbox.current_opportunity()
        if opp is None or not opp.questions:
            return
        drafter, editor = self.services.drafter, self.editor

        async def run() -> None:
            editor.begin_answers_draft()
            try:
                answers = await drafter.draft_answers(opp)
            except DraftingError as exc:
                self.feedback.error("The model could not draft the answers", str(exc))
                return
            finally:
                editor.end_answers_draft()
            editor.fill_drafted_answers(opp.key, answers)
            self.feedback.notice("Answers drafted; read them through before sending.", 8000)

        self._spawn(run(), ANSWERS_TASK)

    # -- checks ---------------------------------------------------------------------------

    def _check_auto_bidder(self, opp: Opportunity) -> None:
        """GigRadar: warn in the editor when the opportunity's scanner has its auto-bidder
        on (read from GigRadar's scanner list where it offers one; cached by the client)."""
        self.editor.set_auto_bidder_warning(opp.key, None)  # until GigRadar says otherwise
        if opp.platform is not Platform.GIGRADAR or self._closing:
            return
        submissions, editor = self.services.submissions, self.editor

        async def run() -> None:
            warning = await submissions.auto_bidder_warning(opp)
            editor.set_auto_bidder_warning(opp.key, warning)

        self._spawn(run(), AUTO_BIDDER_TASK)

    def _on_editor_similarity_check_requested(self, key: str, letter: str) -> None:
        if self._closing:
            return
        opp = self.services.store.opportunities.get(key)
        if opp is None:
            return
        library, editor = self.services.library, self.editor

        async def run() -> None:
            # Hundreds of sent letters take ~0.1 s to compare: on a worker thread, not the loop.
            found = await asyncio.to_thread(library.similar_sent_letter, letter, opp)
            message = None
            if found is not None:
                other, score = found
                title = self.inbox.title(other) or "another job"
                message = f"This letter is {round(score * 100)}% like the one you sent for {title}."
            editor.set_similarity(key, message)

        self._spawn(run(), SIMILARITY_TASK)

    # -- saving and sending ---------------------------------------------------------------

    def _on_editor_draft_changed(self, draft: Draft) -> None:
        self.bridge.save_draft(draft)
        self.inbox.mark_read(draft.opportunity_key)  # writing to a job is reading it
        self.inbox.mark_drafted(draft.opportunity_key)

    def _on_editor_submit_requested(self, request: SubmitRequest) -> None:
        self.inbox.mark_read(request.opportunity_key)
        self.editor.set_sending(True)
        self.bridge.submit(request)

    def _on_bridge_submit_finished(self, key: str, submission: Submission | None) -> None:
        if key == self.inbox.current_key:
            self.editor.set_sending(False)
            if submission is not None:
                self.editor.show_submission(submission)

    def _on_editor_open_url_requested(self, url: str) -> None:
        self.inbox.mark_read()
        QDesktopServices.openUrl(QUrl(url))

    # -- dialogs --------------------------------------------------------------------------

    def open_profiles(self) -> None:
        from app.ui.dialogs.profiles import ProfilesDialog

        accounts = [a.name for a in self.services.accounts.list()]
        dialog = ProfilesDialog(self.services.library, accounts, self._window)
        dialog.saved.connect(lambda: self.feedback.notice("Profiles saved.", 4000))
        self._keep(dialog)
        dialog.open()

    def open_templates(self) -> None:
        from app.ui.dialogs.templates import TemplatesDialog

        opp = self.inbox.current_opportunity()
        dialog = TemplatesDialog(self.services.library, opp, self._window)
        dialog.saved.connect(lambda: self.feedback.notice("Templates saved.", 4000))
        self._keep(dialog)
        DialogFeed(dialog, self.inbox.view.current_key_changed, self._feed_templates_dialog)
        dialog.open()

    def _feed_templates_dialog(self, dialog: TemplatesDialog, key: str | None) -> None:
        """The selection moved while the templates are open: preview on that job."""
        opp = self.services.store.opportunities.get(key) if key else None
        dialog.set_opportunity(opp)

    def open_model_settings(self) -> None:
        from app.ui.controllers.model_settings import ModelSettingsController
        from app.ui.dialogs.model_settings import ModelSettingsDialog

        drafter = self.services.drafter
        dialog = ModelSettingsDialog(drafter.model_settings(), self._window)
        controller = ModelSettingsController(
            dialog, drafter, self.services.tasks, self.services.secrets
        )
        self.model_settings = controller  # the controller lives while the dialog is open
        dialog.saved.connect(lambda: self.feedback.notice("Model settings saved.", 4000))
        # Whatever it still waits for reports to a dialog that is gone: stop it.
        dialog.finished.connect(lambda _: self._on_model_settings_finished())
        self._keep(dialog)
        dialog.open()

    def _on_model_settings_finished(self) -> None:
        if self.model_settings is not None:
            self.model_settings.stop()
        self.model_settings = None
