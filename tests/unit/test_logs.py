"""The log file is 0600 in a 0700 folder, whatever the folders and files were before."""

from __future__ import annotations

import errno
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.logs import open_log_file

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask, so only our own modes can make files private."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_world_readable_profile_gets_a_private_log(tmp_path: Path, open_umask: None) -> None:
    profile = tmp_path / "shared"
    logs = profile / "logs"
    logs.mkdir(parents=True)
    profile.chmod(0o755)
    logs.chmod(0o755)
    for name in ("biddesk.log", "biddesk.log.1"):
        (logs / name).write_text("old line\n")
        (logs / name).chmod(0o644)
    assert main(["--profile", str(profile), "list"]) == 0
    assert _mode(logs) == 0o700
    assert _mode(logs / "biddesk.log") == 0o600
    assert _mode(logs / "biddesk.log.1") == 0o600
    assert _mode(profile) == 0o755  # the user's own choice for the profile stays


def test_a_new_log_and_each_rotation_are_private(tmp_path: Path, open_umask: None) -> None:
    path, handler = open_log_file(tmp_path, max_bytes=200, backups=2)
    logger = logging.getLogger("test.logs.rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(40):
            logger.warning("line %d of the log, long enough to rotate soon", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == ["biddesk.log", "biddesk.log.1", "biddesk.log.2"]
    assert {_mode(f) for f in files} == {0o600}
    assert _mode(path.parent) == 0o700


def test_a_symlinked_log_is_refused(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.txt"
    target.write_text("")
    target.chmod(0o644)
    (logs / "biddesk.log").symlink_to(target)
    with pytest.raises(OSError, match="symbolic link") as caught:
        open_log_file(tmp_path)
    assert caught.value.errno == errno.ELOOP  # O_NOFOLLOW
    assert _mode(target) == 0o644  # not followed, not changed
