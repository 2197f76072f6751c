"""One instance per profile: answered before Qt loads, and no live socket ever removed."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import instance
from app.instance import AlreadyRunning, claim, instance_name
from app.launch import _plain_gui_start, chosen_profile
from app.store.paths import data_dir

pytestmark = pytest.mark.skipif(not instance.SUPPORTED, reason="Windows keeps Qt's named pipe")


@pytest.fixture(autouse=True)
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


def _sock(runtime: Path, profile: Path) -> Path:
    return runtime / f"{instance_name(profile)}.sock"


def test_a_second_claim_asks_the_first_and_leaves_its_socket(tmp_path: Path, runtime: Path) -> None:
    profile = tmp_path / "profile"
    with claim(profile) as first:
        assert first is not None
        inode = first.path.stat().st_ino
        with pytest.raises(AlreadyRunning) as caught:
            claim(profile)
        assert caught.value.answered
        assert "brought to the front" in str(caught.value)
        assert first.path.stat().st_ino == inode  # the live socket survives
        assert first.accept_pending() == 1  # the window was asked for
    assert not _sock(runtime, profile).exists()  # removed at a clean exit
    with claim(profile) as again:  # and the profile is free again
        assert again is not None


def test_a_stale_socket_is_removed_and_the_start_proceeds(tmp_path: Path, runtime: Path) -> None:
    profile = tmp_path / "profile"
    path = _sock(runtime, profile)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # what a crash leaves: the file, nobody listening
    dead.close()
    assert path.exists()
    with claim(profile) as lock:
        assert lock is not None
        assert lock.path == path and path.exists()
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(str(path))  # ours now: it accepts
        probe.close()


@contextlib.contextmanager
def _foreign_listener(path: Path, backlog: int = 8) -> Iterator[socket.socket]:
    """A live instance that does not take the lock (an older BidDesk)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(backlog)
    try:
        yield server
    finally:
        server.close()


def test_a_live_socket_without_the_lock_is_asked_not_removed(tmp_path: Path, runtime: Path) -> None:
    profile = tmp_path / "profile"
    path = _sock(runtime, profile)
    with _foreign_listener(path) as server:
        inode = path.stat().st_ino
        with pytest.raises(AlreadyRunning) as caught:
            claim(profile)
        assert caught.value.answered
        assert path.stat().st_ino == inode
        server.settimeout(5)
        conn, _ = server.accept()
        conn.settimeout(5)
        assert conn.recv(16) == instance.RAISE
        conn.close()


def test_a_connect_that_times_out_never_removes_the_socket(tmp_path: Path, runtime: Path) -> None:
    profile = tmp_path / "profile"
    path = _sock(runtime, profile)
    with _foreign_listener(path, backlog=0):
        clients = []
        try:
            while True:  # fill the backlog of a live instance that does not accept
                client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                client.setblocking(False)
                clients.append(client)
                client.connect(str(path))
        except BlockingIOError:
            pass
        try:
            inode = path.stat().st_ino
            with pytest.raises(AlreadyRunning) as caught:
                claim(profile, timeout=0.2)
            assert not caught.value.answered
            assert "did not answer" in str(caught.value)
            assert path.stat().st_ino == inode
        finally:
            for client in clients:
                client.close()


def test_a_lock_holder_that_never_listens_is_not_displaced(tmp_path: Path, runtime: Path) -> None:
    import fcntl

    profile = tmp_path / "profile"
    fd = os.open(runtime / f"{instance_name(profile)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(AlreadyRunning) as caught:
            claim(profile)
        assert not caught.value.answered
        assert not _sock(runtime, profile).exists()
    finally:
        os.close(fd)


def test_a_runtime_folder_others_can_write_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "tmp"
    planted = shared / f"biddesk-{os.getuid()}"
    planted.mkdir(parents=True)
    planted.chmod(0o777)  # made by someone else, or loosened: not ours to trust
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))  # 0755 here: not private either
    monkeypatch.setattr(instance.tempfile, "gettempdir", lambda: str(shared))
    assert instance.runtime_dir() is None
    assert claim(tmp_path / "profile") is None  # no check rather than a shared one
    planted.chmod(0o700)
    assert instance.runtime_dir() == planted


def test_plain_gui_starts_are_recognised() -> None:
    assert _plain_gui_start([]) == (True, None)
    assert _plain_gui_start(["--profile", "/p", "-v"]) == (True, "/p")
    assert _plain_gui_start(["--profile=/p", "--quit-after", "3"]) == (True, "/p")
    for argv in (["list"], ["--sandbox"], ["--screenshot", "x.png"], ["--help"], ["--profile"]):
        assert not _plain_gui_start(argv)[0], argv


def test_the_launcher_resolves_the_same_profile_as_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert chosen_profile(str(tmp_path / "p")) == data_dir(tmp_path / "p")
    monkeypatch.setenv("BIDDESK_HOME", str(tmp_path / "home"))
    assert chosen_profile(None) == data_dir(None)
    monkeypatch.delenv("BIDDESK_HOME")
    monkeypatch.setattr("platformdirs.user_data_path", lambda *a, **k: tmp_path / "default")
    assert chosen_profile(None) == data_dir(None)


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app.instance import claim
    lock = claim(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()  # until the test is done
    print(lock.accept_pending(), flush=True)
    lock.close()
    """
)


def test_a_second_start_answers_before_loading_qt_or_the_app(tmp_path: Path, runtime: Path) -> None:
    """The real entry point (`python -m app`) against a live holder in another process:
    it exits 0 at once, the holder's socket survives and it was asked for its window —
    and the second process never imported Qt, openai, pydantic or the CLI (what made
    detection take seconds)."""
    profile = tmp_path / "profile"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "BIDDESK_HOME": str(tmp_path / "h")}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(profile)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "ready"
        path = _sock(runtime, profile)
        inode = path.stat().st_ino
        second = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "app", "--profile", str(profile)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert second.returncode == 0, second.stderr
        assert "already running on this profile" in second.stderr
        imported = {
            line.split("|")[-1].strip()
            for line in second.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert "app.instance" in imported
        heavy = {"PySide6", "openai", "pydantic", "app.cli", "httpx", "qasync", "keyring"}
        assert imported.isdisjoint(heavy), imported & heavy
        assert path.stat().st_ino == inode
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert int(holder.stdout.readline()) == 1
    finally:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdin.close()
        holder.stdout.close()
