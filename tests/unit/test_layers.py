"""The core stays Qt-free, and each layer imports only what DESIGN.md allows."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
QT_MODULES = ("PySide6", "shiboken6", "qasync", "PyQt5", "PyQt6")

# package -> app packages it must not import (DESIGN.md, Layers)
FORBIDDEN = {
    "domain": {"platforms", "store", "services", "ingest", "sandbox", "ui", "cli"},
    "platforms": {"store", "services", "ingest", "sandbox", "ui", "cli"},
    "store": {"platforms", "services", "ingest", "sandbox", "ui", "cli"},
    "sandbox": {"store", "services", "ingest", "ui", "cli", "platforms"},
    # services are below ingest: what composes the poller and webhooks with them (the
    # Runtime) lives in app/ingest
    "services": {"ui", "cli", "sandbox", "ingest"},
    "ingest": {"ui", "cli"},
}


# app/ui: what only the composition (app.py), the bridge and the controllers may import.
# Widgets, panes, dialogs, models, the tray, the status bar and the window itself get
# services, plain data and signals; they never reach the store, the ingest or a platform.
UI_COMPOSERS = ("app.py", "bridge.py", "controllers")
UI_FORBIDDEN = {"store", "ingest", "platforms"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _core_files() -> list[Path]:
    return [p for p in APP.rglob("*.py") if "ui" not in p.relative_to(APP).parts[:1]]


def test_no_qt_import_outside_app_ui() -> None:
    offenders = {
        str(p.relative_to(APP.parent)): sorted(
            n for n in _imports(p) if n.split(".")[0] in QT_MODULES
        )
        for p in _core_files()
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"Qt imported outside app/ui: {offenders}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_boundaries(package: str) -> None:
    bad: dict[str, list[str]] = {}
    for path in (APP / package).rglob("*.py"):
        hits = [
            n
            for n in _imports(path)
            if n.startswith("app.") and n.split(".")[1] in FORBIDDEN[package]
        ]
        if hits:
            bad[str(path.relative_to(APP.parent))] = hits
    assert bad == {}


def test_importing_the_whole_core_loads_no_qt() -> None:
    modules = sorted(
        ".".join(p.relative_to(APP.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in _core_files()
        if p.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def _ui_files_that_only_compose() -> list[Path]:
    ui = APP / "ui"
    return [p for p in ui.rglob("*.py") if p.relative_to(ui).parts[0] not in UI_COMPOSERS]


def test_the_ui_reaches_store_ingest_and_platforms_only_through_its_controllers() -> None:
    bad: dict[str, list[str]] = {}
    for path in _ui_files_that_only_compose():
        name = str(path.relative_to(APP.parent))
        hits = sorted(
            n for n in _imports(path) if n.startswith("app.") and n.split(".")[1] in UI_FORBIDDEN
        )
        if hits:
            bad[name] = hits
    assert bad == {}


def test_the_ui_rule_sees_the_files_it_guards() -> None:
    """The rule above is not vacuous: it covers the window, dialogs, panes, widgets and
    models, and leaves the composers out."""
    names = {str(p.relative_to(APP / "ui")) for p in _ui_files_that_only_compose()}
    assert {"main_window.py", "tray.py", "dialogs/webhooks.py", "panes/submissions.py"} <= names
    assert "widgets/inbox_view.py" in names and "models/submissions.py" in names
    assert not any(n.startswith("controllers/") or n in ("app.py", "bridge.py") for n in names)
