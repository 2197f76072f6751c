"""What a cold start imports before the first screen of rows (issue 15).

Measured in a fresh interpreter, in the order the start benchmark imports (Qt first): the
modules the window does not need for its first rows — the webhook receiver with aiohttp,
the tray, the dialogs — wait until after the paint, and PySide's `__feature__` import hook
(which reads the source of every module imported after Qt) is gone before our imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
import qasync
from PySide6.QtWidgets import QApplication
import app.ui.app
import app.ui.main_window
feature = sys.modules.get("shibokensupport.feature")
inspected = sorted(getattr(feature, "pyside_feature_dict", {}))
print(json.dumps({"modules": sorted(sys.modules), "inspected": inspected}))
"""

LATER = (
    "aiohttp",
    "app.ingest.runtime",
    "app.ingest.webhooks",
    "app.services.autostart",
    "app.ui.controllers.database",
    "app.ui.controllers.model_settings",
    "app.ui.dialogs.accounts",
    "app.ui.dialogs.database_problem",
    "app.ui.dialogs.first_run",
    "app.ui.dialogs.model_settings",
    "app.ui.dialogs.profiles",
    "app.ui.dialogs.shortcuts",
    "app.ui.dialogs.templates",
    "app.ui.dialogs.webhooks",
    "app.ui.tray",
    # the team database's driver: a SQLite profile never needs it
    "psycopg",
    "psycopg_pool",
)


# The `biddesk` command's own path to the window: `app.launch` imports the CLI package
# (to parse the arguments), whose GUI start then imports the window.
REAL_PROBE = r"""
import json, sys
import app.cli
import app.ui.app
import app.ui.main_window
print(json.dumps({"modules": sorted(sys.modules)}))
"""

# What only the CLI's subcommands need: the team commands' database driver, the
# insights export, the narrated demo.
COMMANDS = (
    "app.cli.commands.accounts",
    "app.cli.commands.insights",
    "app.cli.commands.maintenance",
    "app.cli.commands.sandbox",
    "app.cli.commands.submit",
    "app.cli.commands.team",
    "app.cli.commands.webhooks",
    "app.cli.demo",
    "app.store.pg",
)


def _probe(probe: str = PROBE) -> dict[str, list[str]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_window_modules_leave_the_receiver_tray_and_dialogs_for_later() -> None:
    probe = _probe()
    loaded = set(probe["modules"])
    assert "app.ui.main_window" in loaded  # the probe did import the window
    assert sorted(loaded.intersection(LATER)) == []
    # PySide's hook saw the probe's own `import app.ui.app` (it hands the hook the
    # package `app`: the hook was there), and none of the imports made below it.
    inspected = set(probe["inspected"])
    assert "app" in inspected
    assert sorted(m for m in inspected if m.startswith("app.")) == []


def test_the_biddesk_command_starts_the_window_without_the_subcommands() -> None:
    loaded = set(_probe(REAL_PROBE)["modules"])
    assert {"app.cli", "app.ui.main_window"} <= loaded  # the command's path was taken
    assert sorted(loaded.intersection(LATER + COMMANDS)) == []


RUNTIME_PROBE = r"""
import json, sys
import app.ingest.runtime
print(json.dumps({"modules": sorted(sys.modules)}))
"""


def test_the_runtime_leaves_aiohttp_and_psycopg_to_those_who_use_them() -> None:
    # Every window builds the runtime after its first rows, webhooks on or off, team
    # database or not: the receiver's aiohttp (~8 MB) waits until a receiver starts
    # (tests/ingest start them), the team database's psycopg (~9 MB) for a team database.
    loaded = set(_probe(RUNTIME_PROBE)["modules"])
    assert {"app.ingest.webhooks", "app.store.outbox"} <= loaded  # the probe's own imports
    assert sorted(m for m in loaded if m.split(".")[0] in ("aiohttp", "psycopg")) == []
