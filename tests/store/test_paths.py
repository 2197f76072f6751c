"""Where the data directory is, and that it is private."""

from __future__ import annotations

import stat
from pathlib import Path

import platformdirs
import pytest

from app.store import NotAFolderError, data_dir, db_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_profile_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDDESK_HOME", str(tmp_path / "env"))
    assert data_dir(tmp_path / "profile") == tmp_path / "profile"
    assert data_dir(str(tmp_path / "text")) == tmp_path / "text"


def test_env_wins_over_platformdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDDESK_HOME", str(tmp_path / "env"))

    def must_not_be_called(*args: object, **kwargs: object) -> Path:
        raise AssertionError("platformdirs consulted although BIDDESK_HOME is set")

    monkeypatch.setattr(platformdirs, "user_data_path", must_not_be_called)
    assert data_dir() == tmp_path / "env"


def test_platformdirs_when_nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, object]] = []

    def fake_user_data_path(appname: str, appauthor: object = None) -> Path:
        calls.append((appname, appauthor))
        return tmp_path / "platform" / appname

    monkeypatch.delenv("BIDDESK_HOME")
    monkeypatch.setattr(platformdirs, "user_data_path", fake_user_data_path)
    assert data_dir() == tmp_path / "platform" / "BidDesk"
    assert calls == [("BidDesk", False)]


def test_empty_profile_and_env_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDDESK_HOME", "")
    monkeypatch.setattr(platformdirs, "user_data_path", lambda *a, **k: tmp_path / "platform")
    assert data_dir("") == tmp_path / "platform"


def test_created_private_with_parents(tmp_path: Path) -> None:
    chosen = data_dir(tmp_path / "a" / "b" / "profile")
    assert chosen.is_dir()
    assert _mode(chosen) == 0o700


def test_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    assert data_dir(shared) == shared
    assert _mode(shared) == 0o755


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir("~/bd") == tmp_path / "bd"


def test_a_file_is_not_a_data_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NotAFolderError) as caught:
        data_dir(blocker)
    assert str(blocker) in caught.value.user_message


def test_db_path() -> None:
    assert db_path(Path("/x")) == Path("/x/biddesk.sqlite3")
