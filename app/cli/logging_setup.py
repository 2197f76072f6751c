"""Where the CLI's (and the window's) logs go: the console and the profile's log file."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

from app.logs import open_log_file
from app.platforms.http import RedactingFilter

_previous_levels: list[int] = []  # the root logger's level before each setup_logging


def setup_logging(
    directory: Path | None, verbose: bool
) -> tuple[Path | None, list[logging.Handler]]:
    """Console (warnings, or progress with -v) and a rotating file in the data folder;
    both redact secrets. Returns the log file and the handlers, which the caller removes."""
    root = logging.getLogger()
    _previous_levels.append(root.level)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    added: list[logging.Handler] = []
    redact = RedactingFilter()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("biddesk: %(levelname)s: %(message)s"))
    console.addFilter(redact)
    root.addHandler(console)
    added.append(console)
    log_file = None
    if directory is not None:
        try:
            # 0600 in a 0700 folder, whatever was there before (app/logs.py).
            log_file, handler = open_log_file(directory)
            handler.setLevel(logging.INFO)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            handler.addFilter(redact)
            root.addHandler(handler)
            added.append(handler)
        except OSError:
            log_file = None
    return log_file, added


def remove_logging(handlers: list[logging.Handler]) -> None:
    """Undo `setup_logging`: its handlers go, and the root logger's level is put back (a
    process that runs several commands, like the tests, must not keep the first's)."""
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()
    if _previous_levels:
        root.setLevel(_previous_levels.pop())
