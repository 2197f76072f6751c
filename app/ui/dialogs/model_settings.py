"""Model settings: which OpenAI-compatible server drafts, with which model, how.

Presets fill the address and a typical model name for the hosted API and the usual local
servers. The API key goes to the keyring through `Drafter.aset_api_key` and is never shown
again: the field only says whether a key is stored. "Test" asks the model for one word
and reports the result in one sentence.

`ModelSettingsDialog` only collects and shows; `app.ui.controllers.model_settings` runs
what may block or wait (the keyring, the network) as named tasks on the loop, off the
GUI's way, and reports back through the dialog's setters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.drafting import DEFAULT_SYSTEM_PROMPT, ModelSettings

__all__ = ["PRESETS", "ModelSettingsDialog", "Preset"]

ERROR_COLOR = "#c62828"
OK_COLOR = "#2e7d32"
BANNER_STYLE = (
    "QLabel#keyring_banner { background: #fff4e0; color: #5c3b00;"
    " border: 1px solid #f0c36d; border-radius: 4px; padding: 6px 8px; }"
)


@dataclass(frozen=True)
class Preset:
    label: str
    base_url: str
    model: str  # a typical model name; the person changes it to what they run


PRESETS: tuple[Preset, ...] = (
    Preset("OpenAI (hosted)", "https://api.openai.com/v1", "gpt-4o-mini"),
    Preset("Ollama (local)", "http://127.0.0.1:11434/v1", "llama3.1"),
    Preset("LM Studio (local)", "http://127.0.0.1:1234/v1", "local-model"),
    Preset("llama.cpp server (local)", "http://127.0.0.1:8080/v1", "local-model"),
    Preset("vLLM (local)", "http://127.0.0.1:8000/v1", "meta-llama/Llama-3.1-8B-Instruct"),
)
CUSTOM = "Custom server"


def _same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


class ModelSettingsDialog(QDialog):
    """Edits `ModelSettings` and the model's key; emits what to test or save."""

    test_requested = Signal(object, object)  # (ModelSettings, typed key or None)
    save_requested = Signal(object, object)  # (ModelSettings, typed key or None)
    saved = Signal()

    def __init__(self, settings: ModelSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelSettingsDialog")
        self.setWindowTitle("Model settings")
        self._settings = settings
        self._loading = False
        self._key_stored: bool | None = None  # None: not known yet
        # Where the key in use comes from: "keyring", "environment" (the variable named
        # `_env_var`), "run" (handed over for this run: the sandbox's model) or "missing".
        self._key_source: str | None = None
        self._env_var = ""
        self._keyring_problem: str | None = None

        self._preset = QComboBox()
        self._preset.setObjectName("model_preset")
        for preset in PRESETS:
            self._preset.addItem(preset.label, preset.label)
        self._preset.addItem(CUSTOM, CUSTOM)
        self._preset.currentIndexChanged.connect(self._on_preset_changed)
        self._base_url = QLineEdit()
        self._base_url.setObjectName("model_base_url")
        self._base_url.setPlaceholderText("https://…/v1")
        self._base_url.textEdited.connect(self._on_base_url_edited)
        self._model = QLineEdit()
        self._model.setObjectName("model_name")
        self._temperature = QDoubleSpinBox()
        self._temperature.setObjectName("model_temperature")
        self._temperature.setRange(0.0, 2.0)
        self._temperature.setSingleStep(0.1)
        self._temperature.setDecimals(2)
        self._temperature.setToolTip("Lower is steadier, higher is more varied (0–2)")
        self._prompt = QPlainTextEdit()
        self._prompt.setObjectName("model_system_prompt")
        self._prompt.setTabChangesFocus(True)
        self._prompt.setMinimumHeight(110)
        self._reset_prompt = QPushButton("Reset to default")
        self._reset_prompt.setObjectName("model_reset_prompt")
        self._reset_prompt.clicked.connect(self._on_reset_prompt_clicked)
        prompt_box = QWidget()
        prompt_layout = QVBoxLayout(prompt_box)
        prompt_layout.setContentsMargins(0, 0, 0, 0)
        prompt_layout.addWidget(self._prompt, 1)
        reset_row = QHBoxLayout()
        reset_row.addStretch(1)
        reset_row.addWidget(self._reset_prompt)
        prompt_layout.addLayout(reset_row)

        self._key = QLineEdit()
        self._key.setObjectName("model_api_key")
        self._key.setEchoMode(QLineEdit.EchoMode.Password)
        self._key_state = QLabel()
        self._key_state.setObjectName("model_key_state")
        self._key_state.setWordWrap(True)
        self._banner = QLabel()
        self._banner.setObjectName("keyring_banner")
        self._banner.setWordWrap(True)
        self._banner.setStyleSheet(BANNER_STYLE)
        key_box = QWidget()
        key_layout = QVBoxLayout(key_box)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.addWidget(self._key)
        key_layout.addWidget(self._key_state)

        self._test = QPushButton("Test")
        self._test.setObjectName("model_test")
        self._test.setToolTip("Ask the model for one word with these settings")
        self._test.clicked.connect(self._on_test_clicked)
        self._result = QLabel()
        self._result.setObjectName("model_test_result")
        self._result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self._test)
        test_row.addWidget(self._result, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Server", self._preset)
        form.addRow("Base URL", self._base_url)
        form.addRow("Model", self._model)
        form.addRow("Temperature", self._temperature)
        form.addRow("System prompt", prompt_box)
        form.addRow("API key", key_box)

        self._error = QLabel()
        self._error.setObjectName("model_settings_error")
        self._error.setWordWrap(True)
        self._error.setStyleSheet(f"color: {ERROR_COLOR};")
        self._error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        self._save = buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        layout.addWidget(self._banner)
        layout.addLayout(form, 1)
        layout.addLayout(test_row)
        layout.addWidget(self._error)
        layout.addWidget(buttons)
        self._banner.hide()
        self._fill(self._settings)
        self._refresh_key_state()

    def sizeHint(self) -> QSize:
        return QSize(640, 560)

    # -- reading and showing ----------------------------------------------------------------

    def _fill(self, settings: ModelSettings) -> None:
        self._loading = True
        try:
            self._base_url.setText(settings.base_url)
            self._model.setText(settings.model)
            self._temperature.setValue(settings.temperature)
            self._prompt.setPlainText(settings.system_prompt)
            self._select_preset_for(settings.base_url)
        finally:
            self._loading = False

    def _select_preset_for(self, url: str) -> None:
        label = next((p.label for p in PRESETS if _same_url(p.base_url, url)), CUSTOM)
        was, self._loading = self._loading, True
        try:
            self._preset.setCurrentIndex(self._preset.findData(label))
        finally:
            self._loading = was

    def form_settings(self) -> ModelSettings:
        """The settings as the form holds them (not yet checked or saved)."""
        return replace(
            self._settings,
            base_url=self._base_url.text().strip().rstrip("/"),
            model=self._model.text().strip(),
            temperature=round(self._temperature.value(), 2),
            system_prompt=self._prompt.toPlainText().strip() or DEFAULT_SYSTEM_PROMPT,
        )

    def set_key_state(self, stored: bool, keyring_problem: str | None) -> None:
        """Whether a key is stored, and the keyring's own sentence when it cannot store."""
        self.set_key_source("keyring" if stored else "missing", keyring_problem)

    def set_key_source(self, source: str, keyring_problem: str | None, env_var: str = "") -> None:
        """Where the key in use comes from ("keyring", "environment", "run", "missing"),
        the keyring's sentence when it cannot store, and the key's environment variable.
        The dialog then says one thing about the key, not a banner against a status."""
        self._key_source = source
        self._key_stored = source != "missing"
        self._env_var = env_var
        self._keyring_problem = keyring_problem
        # The banner only where it is the news: no key, and no keyring to put one in.
        show_banner = keyring_problem is not None and source == "missing"
        self._banner.setText(keyring_problem or "")
        self._banner.setVisible(show_banner)
        self._refresh_key_state()

    def _refresh_key_state(self) -> None:
        local = self.form_settings().is_local
        source, problem = self._key_source, self._keyring_problem
        variable = self._env_var or "the environment variable"
        placeholder = "Paste the API key"
        if self._key_stored is None:
            text = "Checking the keyring…"
        elif source == "environment":
            if problem is not None:
                placeholder = f"No keyring here: change {variable} instead"
                text = (
                    f"The key comes from {variable} for this run. There is no keyring to "
                    "store another one; change the variable to change the key."
                )
            else:
                placeholder = f"Stored in the keyring; {variable} wins while it is set"
                text = f"The key comes from {variable} for this run."
        elif source == "run":
            placeholder = "Type a key to store it for your own model"
            text = "The sandbox's model uses its own key for this run."
        elif self._key_stored:
            placeholder = "A key is stored — type a new one to replace it"
            text = "A key is stored."
        elif local:
            placeholder = "Not needed for a server on this computer"
            text = "No key is stored; a local server does not need one."
        elif problem is not None:
            text = f"No key is stored; set {variable} to give one without a keyring."
        else:
            text = "No key is stored; the hosted API needs one."
        self._key.setPlaceholderText(placeholder)
        self._key_state.setText(text)

    def key_state_text(self) -> str:
        return self._key_state.text()

    def result_text(self) -> str:
        return self._result.text()

    def set_testing(self, testing: bool) -> None:
        self._test.setEnabled(not testing)
        if testing:
            self._result.setStyleSheet("")
            self._result.setText("Asking the model…")

    def set_test_result(self, ok: bool, message: str) -> None:
        self._result.setText(("✔ " if ok else "✖ ") + message)
        self._result.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")

    def _set_error(self, message: str | None) -> None:
        self._error.setText(message or "")
        self._error.setVisible(bool(message))

    def _check(self, settings: ModelSettings) -> str | None:
        if not settings.model:
            return "Enter the model's name, e.g. gpt-4o-mini or llama3.1."
        if not settings.base_url.lower().startswith(("http://", "https://")):
            return "Enter a base URL that starts with http:// or https://."
        return None

    # -- saving ---------------------------------------------------------------------------

    def set_saving(self, saving: bool) -> None:
        self._save.setEnabled(not saving)

    def save_failed(self, message: str) -> None:
        self.set_saving(False)
        self._set_error(message)

    def save_succeeded(self, key_stored: bool) -> None:
        """Stored: the typed key is forgotten at once and the dialog closes."""
        self._key.clear()
        self._key_stored = self._key_stored or key_stored
        if key_stored and self._key_source == "missing":
            self._key_source = "keyring"
        self._set_error(None)
        self.saved.emit()
        self.accept()

    # -- slots ------------------------------------------------------------------------------

    def _on_preset_changed(self, _index: int) -> None:
        if self._loading:
            return
        label = self._preset.currentData()
        preset = next((p for p in PRESETS if p.label == label), None)
        if preset is None:
            return
        self._base_url.setText(preset.base_url)
        self._model.setText(preset.model)
        self._refresh_key_state()

    def _on_base_url_edited(self, text: str) -> None:
        self._select_preset_for(text)
        self._refresh_key_state()

    def _on_reset_prompt_clicked(self) -> None:
        self._prompt.setPlainText(DEFAULT_SYSTEM_PROMPT)

    def _on_test_clicked(self) -> None:
        settings = self.form_settings()
        problem = self._check(settings)
        if problem is not None:
            self.set_test_result(False, problem)
            return
        self.set_testing(True)
        self.test_requested.emit(settings, self._key.text().strip() or None)

    def _on_buttons_accepted(self) -> None:
        settings = self.form_settings()
        problem = self._check(settings)
        if problem is not None:
            self._set_error(problem)
            return
        self._set_error(None)
        self.set_saving(True)
        self.save_requested.emit(settings, self._key.text().strip() or None)
