"""`biddesk account …` tells a locked, missing, unreachable or absent keyring apart."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.services.secrets import LOCKED_MESSAGE, UNREACHABLE_MESSAGE
from tests.helpers.cli import run
from tests.helpers.memkeyring import LockedKeyring, MemoryKeyring, UnreachableKeyring


def _add(tmp_path: Path, capsys, monkeypatch, name: str = "gr") -> tuple[int, str, str]:
    return run(
        [
            "--profile",
            str(tmp_path / "p"),
            "account",
            "add",
            name,
            "--platform",
            "gigradar",
            "--api-key-stdin",
        ],
        capsys,
        stdin="gr_live_secret\n",
        monkeypatch=monkeypatch,
    )


def _list(tmp_path: Path, capsys) -> tuple[int, dict, str]:
    code, out, err = run(["--profile", str(tmp_path / "p"), "account", "list", "--json"], capsys)
    return code, json.loads(out), err


def test_add_with_a_locked_keyring_fails_and_stores_nothing(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    backend = LockedKeyring()
    keyring.set_keyring(backend)
    code, out, err = _add(tmp_path, capsys, monkeypatch)
    assert code == 1
    assert err == f"biddesk: error: {LOCKED_MESSAGE}\n"
    assert out == ""
    assert _list(tmp_path, capsys)[1] == {"accounts": []}
    backend.locked = False
    assert backend.store == {}


def test_add_with_no_session_bus_fails_and_stores_nothing(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    keyring.set_keyring(UnreachableKeyring())
    code, _, err = _add(tmp_path, capsys, monkeypatch)
    assert code == 1
    assert err == f"biddesk: error: {UNREACHABLE_MESSAGE}\n"
    assert _list(tmp_path, capsys)[1] == {"accounts": []}


def test_add_with_the_key_in_the_environment_still_works(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    keyring.set_keyring(LockedKeyring())
    monkeypatch.setenv("BIDDESK_API_KEY_GR", "gr_live_secret")
    code, out, err = _add(tmp_path, capsys, monkeypatch)
    assert code == 0
    assert "Added GigRadar account" in out
    assert LOCKED_MESSAGE in err and "BIDDESK_API_KEY_GR" in err
    _, listed, _ = _list(tmp_path, capsys)
    assert [a["key"] for a in listed["accounts"]] == ["environment"]


def test_list_tells_each_state_apart(
    tmp_path: Path, capsys, monkeypatch, memory_keyring: MemoryKeyring
) -> None:
    assert _add(tmp_path, capsys, monkeypatch, "stored")[0] == 0
    assert _add(tmp_path, capsys, monkeypatch, "gone")[0] == 0
    del memory_keyring.store[("BidDesk", "gone")]
    _, listed, err = _list(tmp_path, capsys)
    states = {a["name"]: a["key"] for a in listed["accounts"]}
    assert states == {"stored": "keyring", "gone": "missing"}
    assert "biddesk account set-key gone" in err

    locked = LockedKeyring()
    locked.store = dict(memory_keyring.store)
    keyring.set_keyring(locked)
    code, out, err = run(["--profile", str(tmp_path / "p"), "account", "list"], capsys)
    assert code == 0
    assert [line.split()[2] for line in out.splitlines()[1:]] == ["locked", "locked"]
    assert err == f"biddesk: {LOCKED_MESSAGE}\n"  # once, with its fix

    keyring.set_keyring(UnreachableKeyring())
    _, listed, _ = _list(tmp_path, capsys)
    assert {a["key"] for a in listed["accounts"]} == {"unreachable"}

    keyring.set_keyring(fail.Keyring())
    _, listed, _ = _list(tmp_path, capsys)
    assert {a["key"] for a in listed["accounts"]} == {"no keyring"}


def test_set_key_stores_a_new_key_or_says_why_not(
    tmp_path: Path, capsys, monkeypatch, memory_keyring: MemoryKeyring
) -> None:
    assert _add(tmp_path, capsys, monkeypatch)[0] == 0
    argv = ["--profile", str(tmp_path / "p"), "account", "set-key", "gr", "--api-key-stdin"]
    code, out, _ = run(argv, capsys, stdin="gr_live_new\n", monkeypatch=monkeypatch)
    assert code == 0 and "Stored the new API key" in out
    assert memory_keyring.store[("BidDesk", "gr")] == "gr_live_new"
    keyring.set_keyring(LockedKeyring())
    code, _, err = run(argv, capsys, stdin="gr_live_newer\n", monkeypatch=monkeypatch)
    assert code == 1 and err == f"biddesk: error: {LOCKED_MESSAGE}\n"


@pytest.mark.parametrize("backend", [LockedKeyring, UnreachableKeyring])
def test_remove_with_an_unusable_keyring_says_the_key_stays(
    backend: type, tmp_path: Path, capsys, monkeypatch
) -> None:
    assert _add(tmp_path, capsys, monkeypatch)[0] == 0
    keyring.set_keyring(backend())
    code, out, err = run(["--profile", str(tmp_path / "p"), "account", "remove", "gr"], capsys)
    assert code == 0
    assert "Removed account “gr”." in out
    assert "still in the keyring" in err
