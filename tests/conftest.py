"""Test setup shared by every test: isolated paths, an in-memory keyring, offscreen Qt.

Every app path is redirected to a temporary directory, so no test can read or write the
user's real profile, and the real OS keychain is never touched.
"""

from __future__ import annotations

import os

# Qt must never try to open a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app.store import Store
from tests.helpers.memkeyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("biddesk-home")
    monkeypatch.setenv("BIDDESK_HOME", str(home))
    # Start-at-login writes an XDG autostart entry: never into the real ~/.config.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # The single-instance lock and socket (app/instance.py): not in the real runtime dir.
    run = home / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    for name in list(os.environ):
        if name.startswith("BIDDESK_API_KEY_"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh profile's store (tests/store has its own, on its `profile` fixture)."""
    with Store.open(tmp_path / "profile") as opened:
        yield opened
