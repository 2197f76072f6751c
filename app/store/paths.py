"""Where BidDesk keeps its files: the data directory and the database inside it.

The data directory is chosen, in order, by the `--profile DIR` option, the `BIDDESK_HOME`
environment variable (tests and portable installs), then the platform's user data folder.
It holds the database, so it is created private to the user (0700).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from app.store.errors import NotAFolderError, classify_os_error

APP_NAME = "BidDesk"
ENV_HOME = "BIDDESK_HOME"
DB_FILENAME = "biddesk.sqlite3"

DIR_MODE = 0o700


def data_dir(profile: str | Path | None = None) -> Path:
    """The data directory to use, created (mode 0700) if it does not exist yet.

    An existing directory keeps its permissions: the user may have chosen a shared folder
    on purpose, and tightening it silently could lock another program out.
    """
    if profile is not None and str(profile):
        chosen = Path(profile).expanduser()
    elif os.environ.get(ENV_HOME):
        chosen = Path(os.environ[ENV_HOME]).expanduser()
    else:
        chosen = platformdirs.user_data_path(APP_NAME, appauthor=False)
    chosen = chosen.absolute()
    try:
        ensure_private_dir(chosen)
    except OSError as exc:
        error = classify_os_error(exc, chosen)
        if error is None:
            raise
        raise error from exc
    return chosen


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and its parents) if missing; the leaf gets mode 0700."""
    if path.is_dir():
        return
    if path.exists():
        raise NotAFolderError(path)
    path.mkdir(parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask, so set it explicitly.
    path.chmod(DIR_MODE)


def _can_write(path: Path) -> bool:
    """Whether this process may write `path` (a seam for tests: root writes anyway)."""
    return os.access(path, os.W_OK)


def profile_is_read_only(directory: str | Path) -> bool:
    """Whether the profile holds a database this process may read but not change: the
    file, or the folder SQLite keeps its -wal/-shm files in, is not writable (a backup
    copy, read-only media, another user's profile). False when there is no database
    yet: creating one is a write, and opening says so in its own sentence."""
    folder = Path(directory)
    file = db_path(folder)
    if not file.is_file():
        return False
    return not (_can_write(folder) and _can_write(file))


def db_path(directory: str | Path) -> Path:
    """The database file inside a data directory."""
    return Path(directory) / DB_FILENAME
