"""The editor stays split into rooms (issue 12): no module of the pane or of the shared
widgets grows back past the size one person can hold in mind."""

from __future__ import annotations

from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "app" / "ui"
LIMIT = 700


def test_the_editor_rooms_and_widgets_stay_small() -> None:
    files = [*UI.glob("panes/editor*.py"), *UI.glob("widgets/*.py")]
    assert len(files) >= 8  # the pane, its three rooms and the widgets it shares
    too_long = {
        str(path.relative_to(UI)): lines
        for path in files
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert too_long == {}, f"over {LIMIT} lines: {too_long}"
