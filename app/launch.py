"""The `biddesk` entry point: "already running?" is answered before anything heavy loads.

Importing the CLI loads pydantic, httpx, keyring and the services (~0.3 s here), and the
window adds PySide6 and the UI (~3 s on a busy machine). A second start on a profile whose
window is open only needs to ask that window to come forward, so a plain GUI start
(`biddesk`, `biddesk --profile DIR`) claims the profile first, with the standard library
only (`app.instance`), and hands the claim to the CLI. Anything else goes straight to
`app.cli.main`, which parses it properly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

_GUI_FLAGS = frozenset({"-v", "--verbose", "--hidden", "--minimized"})
_GUI_OPTIONS = frozenset({"--profile", "--quit-after"})


def _plain_gui_start(argv: Sequence[str]) -> tuple[bool, str | None]:
    """Whether argv starts the window on one profile (no subcommand, no --sandbox or
    --screenshot, no help), and the --profile given; unsure means no (the CLI decides)."""
    profile: str | None = None
    tokens = iter(argv)
    for token in tokens:
        option, eq, value = token.partition("=")
        if token in _GUI_FLAGS:
            continue
        if option in _GUI_OPTIONS:
            if not eq:
                value = next(tokens, "")
            if not value:
                return False, None
            if option == "--profile":
                profile = value
            continue
        return False, None
    return True, profile


def chosen_profile(profile: str | None) -> Path:
    """The folder `app.store.paths.data_dir` will use (without creating it)."""
    if profile:
        chosen = Path(profile).expanduser()
    elif os.environ.get("BIDDESK_HOME"):
        chosen = Path(os.environ["BIDDESK_HOME"]).expanduser()
    else:
        import platformdirs

        chosen = platformdirs.user_data_path("BidDesk", appauthor=False)
    return chosen.absolute()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    lock = None
    gui, profile = _plain_gui_start(args)
    if gui:
        from app import instance

        try:
            lock = instance.claim(chosen_profile(profile))
        except instance.AlreadyRunning as running:
            sys.stderr.write(f"biddesk: {running}\n")
            return 0 if running.answered else 1
        except OSError:
            lock = None  # the CLI's own check says what is wrong, in a sentence
    from app.cli import main as cli_main

    try:
        return cli_main(args, instance=lock)
    finally:
        if lock is not None:
            lock.close()
