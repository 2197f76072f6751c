"""Read-only commands work on a profile this user can read but not write.

Two ways to get there, honestly told apart:

- For real: the profile folder and database are chmod'ed read-only and the commands run
  in a subprocess that permission bits bind. As a normal user, chmod is enough. As root
  (CAP_DAC_OVERRIDE ignores permission bits), the subprocess runs under `setpriv` with
  CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER dropped from its bounding set, so
  the kernel refuses its writes exactly as it would another user's. Skipped only when
  neither works (root without setpriv).
- Through the seam (everywhere, in-process): `app.store.paths._can_write` says no, and the
  test checks that SQLite was opened with `mode=ro` and that nothing was written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import Store
from app.store import paths as store_paths
from tests.helpers.cli import run
from tests.store.factories import opportunity

DROP = "-dac_override,-dac_read_search,-fowner"


def _setpriv() -> list[str] | None:
    """A command prefix under which permission bits bind this process, if there is one."""
    if sys.platform == "win32":
        return None
    if os.geteuid() != 0:
        return []
    tool = shutil.which("setpriv")
    if tool is None:
        return None
    return [tool, f"--bounding-set={DROP}", f"--inh-caps={DROP}"]


def _binds(prefix: list[str], tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    probe.chmod(0o400)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-c", f"open({str(probe)!r}, 'ab')"],
            capture_output=True,
            timeout=60,
        )
    finally:
        probe.chmod(0o600)
    return result.returncode != 0 and b"PermissionError" in result.stderr


def _fill(profile: Path) -> None:
    with Store.open(profile) as store:
        store.opportunities.upsert_many([opportunity(title="Read-only sample job")])
        store.settings.set("webhooks", {"enabled": True, "port": 8123})


def _snapshot(profile: Path) -> dict[str, tuple[int, float]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime) for p in profile.iterdir()}


@pytest.fixture
def read_only_profile(tmp_path: Path) -> Iterator[Path]:
    profile = tmp_path / "profile"
    _fill(profile)
    # Others may traverse to it (the case of another user's profile, and of setpriv).
    tmp_path.chmod(0o755)
    (profile / "biddesk.sqlite3").chmod(0o444)
    profile.chmod(0o555)
    try:
        yield profile
    finally:
        profile.chmod(0o700)
        (profile / "biddesk.sqlite3").chmod(0o600)


def test_read_commands_work_on_a_truly_read_only_profile(
    read_only_profile: Path, tmp_path: Path
) -> None:
    prefix = _setpriv()
    if prefix is None or not _binds(prefix, tmp_path):
        pytest.skip("permission bits cannot be made to bind here (root without setpriv)")
    before = _snapshot(read_only_profile)
    env = {**os.environ, "BIDDESK_HOME": str(tmp_path / "unused-home")}

    def biddesk(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "app", "--profile", str(read_only_profile), *argv],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    note = f"biddesk: note: the profile {read_only_profile} is read-only; nothing is changed.\n"
    listed = biddesk("list")
    assert listed.returncode == 0, listed.stderr
    assert "Read-only sample job" in listed.stdout
    assert listed.stderr == note  # said once, and nothing else
    status = biddesk("status", "--no-refresh")
    assert status.returncode == 0, status.stderr
    assert "No submissions yet." in status.stdout
    assert status.stderr == note
    hooks = biddesk("webhooks", "status")
    assert hooks.returncode == 0, hooks.stderr
    assert "port 8123" in hooks.stdout
    for argv, command in ((["fetch"], "fetch"), (["status"], "status")):
        refused = biddesk(*argv)
        assert refused.returncode == 1
        assert refused.stderr.startswith(
            f"biddesk: error: The profile {read_only_profile} is read-only, so "
            f"`biddesk {command}` cannot change it"
        )
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert _snapshot(read_only_profile) == before  # no -wal, -shm, logs/, nothing touched


def test_the_seam_opens_sqlite_read_only_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile"
    _fill(profile)
    before = _snapshot(profile)
    monkeypatch.setattr(store_paths, "_can_write", lambda path: False)
    uris: list[str] = []
    real_connect = sqlite3.connect

    def spy(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        uris.append(str(database))
        return real_connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", spy)
    code, out, err = run(["--profile", str(profile), "list"], capsys)
    assert code == 0 and "Read-only sample job" in out
    assert err.count("is read-only") == 1
    assert uris and all(u.startswith("file:") and "mode=ro" in u for u in uris)
    # The database file is untouched and no log folder was made. (SQLite may still add
    # its -wal/-shm files here: the folder really is writable to this test, only the seam
    # says otherwise.)
    after = _snapshot(profile)
    assert after["biddesk.sqlite3"] == before["biddesk.sqlite3"]
    assert "logs" not in after
    code, _, err = run(
        [
            "--profile",
            str(profile),
            "account",
            "add",
            "x",
            "--platform",
            "gigiac",
            "--api-key-stdin",
        ],
        capsys,
    )
    assert code == 1 and "is read-only, so `biddesk account` cannot change it" in err


def test_a_writable_profile_is_not_read_only(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    assert not store_paths.profile_is_read_only(profile)  # no database yet: not "read-only"
    _fill(profile)
    assert not store_paths.profile_is_read_only(profile)
