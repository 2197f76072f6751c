"""The templates editor: named letter templates with `{variable}` slots, a picker that
inserts the known variables, and a live preview on the job selected in the inbox.

The preview is the real `render_template` with the job and the profile that job drafts
with, redrawn on every keystroke (it takes microseconds). An unknown variable is shown as
the domain's own sentence under the editor and underlined in place, and blocks Save.
"""

from __future__ import annotations

import re
from typing import Protocol

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.drafting import (
    VARIABLES,
    FreelancerProfile,
    Template,
    TemplateError,
    check_template,
    render_template,
    template_variables,
)
from app.domain.opportunity import Opportunity
from app.services.drafting import DEFAULT_TEMPLATE, DraftingError
from app.ui.dialogs._named_list import named_list_panel, unique_name
from app.ui.dialogs._unsaved import UnsavedChangesDialog

__all__ = ["TemplatesDialog"]

ERROR_COLOR = "#c62828"
NO_JOB_TEXT = "Select a job in the inbox to see this template filled in for it."


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


class TemplateLibrary(Protocol):
    """Where the templates are kept (the `Library`): all the dialog needs of it."""

    def templates(self) -> list[Template]: ...
    def template(self, name: str | None = None) -> Template: ...
    def profile(self, name: str | None = None) -> FreelancerProfile: ...
    def profile_for(
        self, opportunity: Opportunity, name: str | None = None
    ) -> FreelancerProfile: ...
    def save_template(self, template: Template) -> None: ...
    def delete_template(self, name: str) -> bool: ...
    def set_default_template(self, name: str) -> None: ...


class TemplatesDialog(UnsavedChangesDialog):
    """Lists the templates, edits one at a time with a live preview, saves them all."""

    DISCARD_QUESTION = "The templates have changes that are not saved. Discard them?"
    DISCARD_BOX_NAME = "discard_templates"

    saved = Signal()

    def __init__(
        self,
        library: TemplateLibrary,
        opportunity: Opportunity | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("templatesDialog")
        self.setWindowTitle("Letter templates")
        self._library = library
        self._opportunity = opportunity
        self._profile = library.profile_for(opportunity) if opportunity else library.profile()
        self._templates: list[Template] = list(library.templates())
        self._original_names = {t.name for t in self._templates}
        self._default = library.template().name
        self._current = -1
        self._loading = False
        self._dirty = False
        self._discard_box: QMessageBox | None = None

        panel = named_list_panel(
            "template",
            on_row=self._on_list_current_row_changed,
            on_add=self._on_add_clicked,
            on_duplicate=self._on_duplicate_clicked,
            on_delete=self._on_delete_clicked,
        )
        self._list, self._delete = panel.list, panel.delete
        self._make_default = QPushButton("Use by default")
        self._make_default.setObjectName("template_default")
        self._make_default.setToolTip("Draft from this template unless you pick another")
        self._make_default.clicked.connect(self._on_make_default_clicked)
        panel.layout.addWidget(self._make_default)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(panel.widget)
        splitter.addWidget(self._build_editor())
        splitter.addWidget(self._build_preview())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([190, 420, 400])

        self._save_error = QLabel()
        self._save_error.setObjectName("templates_error")
        self._save_error.setWordWrap(True)
        self._save_error.setStyleSheet(f"color: {ERROR_COLOR};")
        self._save_error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._save_error)
        layout.addWidget(buttons)
        self._refresh_list(self._index_of(self._default))

    def sizeHint(self) -> QSize:
        return QSize(1060, 600)

    # -- building ---------------------------------------------------------------------------

    def _build_editor(self) -> QWidget:
        host = QWidget()
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Name"))
        self._name = QLineEdit()
        self._name.setObjectName("template_name")
        self._name.textEdited.connect(self._on_name_edited)
        top.addWidget(self._name, 1)
        self._picker = QPushButton("Insert variable")
        self._picker.setObjectName("variable_picker")
        self._picker.setToolTip("Insert a {variable} at the cursor")
        menu = QMenu(self._picker)
        for name in VARIABLES:
            action = menu.addAction("{" + name + "}")
            action.setObjectName(f"insert_{name}")
            action.triggered.connect(lambda _=False, n=name: self.insert_variable(n))
        self._picker.setMenu(menu)
        top.addWidget(self._picker)
        layout.addLayout(top)
        self._body = QPlainTextEdit()
        self._body.setObjectName("template_body")
        self._body.setTabChangesFocus(True)
        self._body.textChanged.connect(self._on_body_text_changed)
        layout.addWidget(self._body, 1)
        self._error = QLabel()
        self._error.setObjectName("template_error")
        self._error.setWordWrap(True)
        self._error.setStyleSheet(f"color: {ERROR_COLOR};")
        self._error.hide()
        layout.addWidget(self._error)
        hint = QLabel("Write {{ or }} for a literal brace.")
        hint.setEnabled(False)
        layout.addWidget(hint)
        return host

    def _build_preview(self) -> QWidget:
        host = QWidget()
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 0, 0)
        opp = self._opportunity
        about = (
            f"Preview for “{opp.title}” as {self._profile.name}" if opp is not None else "Preview"
        )
        self._preview_title = QLabel(about)
        self._preview_title.setObjectName("preview_title")
        self._preview_title.setWordWrap(True)
        layout.addWidget(self._preview_title)
        self._preview = QPlainTextEdit()
        self._preview.setObjectName("template_preview")
        self._preview.setReadOnly(True)
        palette = self._preview.palette()
        palette.setColor(palette.ColorRole.Base, palette.color(palette.ColorRole.Window))
        self._preview.setPalette(palette)
        layout.addWidget(self._preview, 1)
        return host

    # -- public -----------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        return self._dirty

    def preview_text(self) -> str:
        return self._preview.toPlainText()

    def error_text(self) -> str:
        return self._error.text() if self._error.isVisibleTo(self) else ""

    def insert_variable(self, name: str) -> None:
        """Put `{name}` at the cursor of the template being edited."""
        self._body.insertPlainText("{" + name + "}")
        self._body.setFocus()

    def set_opportunity(self, opportunity: Opportunity | None) -> None:
        """The inbox selection changed: preview on the new job."""
        self._opportunity = opportunity
        if opportunity is not None:
            self._profile = self._library.profile_for(opportunity)
            self._preview_title.setText(
                f"Preview for “{opportunity.title}” as {self._profile.name}"
            )
        self._update_preview()

    # -- the working copy -------------------------------------------------------------------

    def _index_of(self, name: str) -> int:
        for row, template in enumerate(self._templates):
            if template.name.lower() == name.lower():
                return row
        return 0

    def _label(self, template: Template) -> str:
        return template.name + ("  ★" if template.name == self._default else "")

    def _mark(self, item: QListWidgetItem, template: Template) -> None:
        """The default template: a star, in bold, with a tooltip saying what that means."""
        default = template.name == self._default
        item.setText(self._label(template))
        font = item.font()
        font.setBold(default)
        item.setFont(font)
        item.setToolTip("Drafts use this template unless you pick another" if default else "")

    def _refresh_list(self, select: int) -> None:
        self._loading = True
        try:
            self._list.clear()
            for template in self._templates:
                item = QListWidgetItem()
                self._mark(item, template)
                self._list.addItem(item)
        finally:
            self._loading = False
        self._current = -1
        self._list.setCurrentRow(max(0, min(select, len(self._templates) - 1)))

    def _update_buttons(self) -> None:
        current = self._templates[self._current] if self._current >= 0 else None
        builtin = current is not None and current.name == DEFAULT_TEMPLATE.name
        self._delete.setEnabled(current is not None and not builtin)
        self._delete.setToolTip(
            "The built-in Default template cannot be deleted; edit it instead." if builtin else ""
        )
        self._make_default.setEnabled(current is not None and current.name != self._default)

    def _update_preview(self) -> None:
        body = self._body.toPlainText()
        problem: str | None = None
        try:
            check_template(body)
        except TemplateError as exc:
            problem = str(exc)
        self._error.setText(problem or "")
        self._error.setVisible(problem is not None)
        self._underline_unknown(body)
        if problem is not None:
            self._preview.setPlainText("")
            self._preview.setPlaceholderText("Fix the template to see the preview.")
            return
        if self._opportunity is None:
            self._preview.setPlainText("")
            self._preview.setPlaceholderText(NO_JOB_TEXT)
            return
        rendered = render_template(
            Template(name="preview", body=body), self._opportunity, self._profile
        )
        self._preview.setPlainText(rendered)

    def _underline_unknown(self, body: str) -> None:
        unknown = {n for n in template_variables(body) if n not in VARIABLES}
        selections = []
        if unknown:
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor(ERROR_COLOR))
            for match in re.finditer(r"\{\{|\}\}|\{([^{}\n]*)\}", body):
                name = match.group(1)
                if name is None or name.strip() not in unknown:
                    continue
                cursor = QTextCursor(self._body.document())
                cursor.setPosition(_utf16(body, match.start()))
                cursor.setPosition(_utf16(body, match.end()), QTextCursor.MoveMode.KeepAnchor)
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor
                selection.format = fmt
                selections.append(selection)
        self._body.setExtraSelections(selections)

    def _commit_form(self) -> None:
        row = self._current
        if not 0 <= row < len(self._templates):
            return
        old = self._templates[row]
        name = " ".join(self._name.text().split()) or old.name
        body = self._body.toPlainText()
        if name != old.name and self._default == old.name:
            self._default = name
        self._templates[row] = Template(name=name, body=body)
        item = self._list.item(row)
        if item is not None:
            self._mark(item, self._templates[row])

    def _set_save_error(self, message: str | None) -> None:
        self._save_error.setText(message or "")
        self._save_error.setVisible(bool(message))

    # -- saving -----------------------------------------------------------------------------

    def _problem(self) -> tuple[int, str] | None:
        seen: set[str] = set()
        for row, template in enumerate(self._templates):
            key = template.name.lower()
            if key in seen:
                return row, f"Two templates are called “{template.name}”; rename one."
            seen.add(key)
            try:
                check_template(template.body)
            except TemplateError as exc:
                return row, f"Template “{template.name}”: {exc}"
        if not self._name.text().strip() and self._current >= 0:
            return self._current, "Give every template a name."
        return None

    def save(self) -> bool:
        """Check every template, then write them all through the library."""
        self._commit_form()
        problem = self._problem()
        if problem is not None:
            row, message = problem
            self._list.setCurrentRow(row)
            self._set_save_error(message)
            return False
        names = {t.name for t in self._templates}
        try:
            for name in self._original_names - names:
                self._library.delete_template(name)
            for template in self._templates:
                self._library.save_template(template)
            self._library.set_default_template(self._default)
        except (DraftingError, TemplateError) as exc:
            self._set_save_error(str(exc))
            return False
        self._original_names = names
        self._dirty = False
        self._set_save_error(None)
        self.saved.emit()
        return True

    # -- slots ------------------------------------------------------------------------------

    def _on_list_current_row_changed(self, row: int) -> None:
        if self._loading or row == self._current:
            return
        self._commit_form()
        self._current = row
        template = self._templates[row] if 0 <= row < len(self._templates) else None
        self._loading = True
        try:
            self._name.setText(template.name if template else "")
            self._body.setPlainText(template.body if template else "")
        finally:
            self._loading = False
        self._update_preview()
        self._update_buttons()

    def _on_name_edited(self, _text: str) -> None:
        self._dirty = True
        self._commit_form()
        self._update_buttons()

    def _on_body_text_changed(self) -> None:
        self._update_preview()
        if not self._loading:
            self._dirty = True

    def _unique_name(self, base: str) -> str:
        return unique_name(base, (t.name for t in self._templates))

    def _insert(self, template: Template) -> None:
        self._commit_form()
        self._templates.append(template)
        self._dirty = True
        self._refresh_list(len(self._templates) - 1)
        self._name.setFocus()
        self._name.selectAll()

    def _on_add_clicked(self) -> None:
        body = "Hi {client_name},\n\n\n\n{signature}"
        self._insert(Template(name=self._unique_name("New template"), body=body))

    def _on_duplicate_clicked(self) -> None:
        self._commit_form()
        if self._current < 0:
            return
        current = self._templates[self._current]
        self._insert(current.model_copy(update={"name": self._unique_name(f"{current.name} copy")}))

    def _on_delete_clicked(self) -> None:
        row = self._current
        if not 0 <= row < len(self._templates):
            return
        removed = self._templates.pop(row)
        if removed.name == self._default:
            self._default = DEFAULT_TEMPLATE.name
        self._dirty = True
        self._current = -1
        self._refresh_list(min(row, len(self._templates) - 1))

    def _on_make_default_clicked(self) -> None:
        self._commit_form()
        if self._current < 0:
            return
        self._default = self._templates[self._current].name
        self._dirty = True
        for row, template in enumerate(self._templates):
            item = self._list.item(row)
            if item is not None:
                self._mark(item, template)
        self._update_buttons()

    def _on_buttons_accepted(self) -> None:
        if self.save():
            self.accept()
