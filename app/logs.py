"""The log file: private to the user whatever the folders around it allow.

Log lines are redacted, but they still name accounts, jobs and clients. The log folder is
made 0700 and every log file 0600 on each open — including a folder or file an older
version (or the user's umask) left readable by others, and each file a rotation creates.
A profile folder the user chose to share keeps its own mode; only `logs/` inside it is
tightened. (On Windows the modes mean little; the user's profile folder is private.)
"""

from __future__ import annotations

import io
import logging.handlers
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
LOG_NAME = "biddesk.log"


def _tighten(path: Path, mode: int) -> None:
    """Give `path` exactly `mode` if it has more; never follow a symlink planted there."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise PermissionError(f"{path} is a symbolic link; BidDesk does not log through one")
    if stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)


def private_log_dir(profile: Path) -> Path:
    """`profile/logs`, created or fixed to 0700, with every log file in it fixed to 0600."""
    logs = profile / "logs"
    logs.mkdir(mode=DIR_MODE, exist_ok=True)
    _tighten(logs, DIR_MODE)
    for child in logs.iterdir():
        if child.name.startswith(LOG_NAME) and not child.is_symlink() and child.is_file():
            _tighten(child, FILE_MODE)
    return logs


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is created 0600 (not at the umask's mercy)."""

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.baseFilename, flags, FILE_MODE)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode through O_CREAT
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


def open_log_file(
    profile: Path, *, max_bytes: int = 2_000_000, backups: int = 3
) -> tuple[Path, logging.Handler]:
    """The private log folder and a handler writing `biddesk.log` in it (raises OSError)."""
    path = private_log_dir(profile) / LOG_NAME
    handler = PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    return path, handler
