"""One BidDesk window per profile, decided before anything heavy is imported.

A second `biddesk` on the same profile should show the first one's window and exit at
once: the check runs from `app.launch` with the standard library only (no Qt, no
pydantic, no openai), in well under half a second.

On Linux and macOS the running instance holds two things in a private runtime folder
(`$XDG_RUNTIME_DIR`, or `<tmp>/biddesk-<uid>` made 0700): an exclusive `flock` on
`<name>.lock`, which the kernel releases when the process dies however it dies, and a
listening AF_UNIX socket `<name>.sock`, which a later start connects to so the window is
raised. The socket file is only ever removed by a process that holds the lock *and* whose
connect attempt failed with ECONNREFUSED or ENOENT: a connect that succeeds, or times out
(a live instance too busy to accept), never removes it. So a start can neither steal a
live instance's socket nor be blocked by a crashed one's.

Windows keeps Qt's QLocalServer (a named pipe vanishes with its process): `claim` returns
None there and `app.ui.app` does the rest.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import socket
import stat
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

RAISE = b"raise\n"
CONNECT_TIMEOUT = 0.25  # seconds a live instance gets to accept our connection
STARTING_GRACE = 0.25  # how long the lock's holder may take between locking and listening

SUPPORTED = sys.platform != "win32"


class AlreadyRunning(Exception):
    """Another BidDesk holds this profile; the message is a sentence for the user."""

    def __init__(self, answered: bool) -> None:
        self.answered = answered
        super().__init__(
            "BidDesk is already running on this profile; its window was brought to the front."
            if answered
            else "BidDesk is already running on this profile but did not answer; close it "
            "(or end its process) and start again."
        )


def instance_name(directory: Path) -> str:
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    return f"biddesk-{digest}"


def _private_dir(path: Path) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not stat.S_IMODE(info.st_mode) & 0o077
    )


def runtime_dir() -> Path | None:
    """A folder only this user can write, for the lock and the socket; None if there is
    none we can trust (then there is no single-instance check, never a shared one)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and _private_dir(Path(xdg)):
        return Path(xdg)
    folder = Path(tempfile.gettempdir()) / f"biddesk-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    if _private_dir(folder):
        return folder
    log.warning("%s is not private to this user: no single-instance check", folder)
    return None


def _knock(path: Path, timeout: float) -> str:
    """Connect to the socket at `path` and ask for the window: "answered", "refused"
    (ECONNREFUSED: a socket file nobody listens on), "absent" (ENOENT) or "busy" (the
    connect timed out or the backlog is full: someone is there)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        try:
            client.connect(str(path))
        except FileNotFoundError:
            return "absent"
        except ConnectionRefusedError:
            return "refused"
        except (TimeoutError, BlockingIOError):
            return "busy"
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return "busy"
            raise
        with contextlib.suppress(OSError):  # it accepted: alive, whether or not it reads
            client.sendall(RAISE)
    return "answered"


class InstanceLock:
    """This process is the profile's one instance: it holds the lock and listens."""

    def __init__(self, lock_fd: int, server: socket.socket, path: Path) -> None:
        self._lock_fd: int | None = lock_fd
        self.socket: socket.socket | None = server
        self.path = path
        self._inode = path.lstat().st_ino

    def fileno(self) -> int:
        assert self.socket is not None
        return self.socket.fileno()

    def accept_pending(self) -> int:
        """Accept and close every waiting connection; how many asked for the window."""
        asked = 0
        while self.socket is not None:
            try:
                conn, _ = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                log.debug("accepting a single-instance connection failed", exc_info=True)
                break
            with conn:
                asked += 1
        return asked

    def close(self) -> None:
        """Stop listening and remove our socket file (not one a later owner put there)."""
        server, self.socket = self.socket, None
        if server is not None:
            server.close()
            try:
                if self.path.lstat().st_ino == self._inode:
                    self.path.unlink()
            except OSError:
                pass
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # releases the flock

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def claim(directory: Path, *, timeout: float = CONNECT_TIMEOUT) -> InstanceLock | None:
    """Become the profile's single instance, or have the running one show its window.

    Returns the lock (listening; close it at exit), or None where there is no check
    (Windows: Qt's; no private runtime folder). Raises `AlreadyRunning` when another
    instance holds the profile.
    """
    if not SUPPORTED:
        return None
    import fcntl

    folder = runtime_dir()
    if folder is None:
        return None
    name = instance_name(directory)
    sock_path = folder / f"{name}.sock"
    lock_fd = os.open(
        folder / f"{name}.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600
    )
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock_fd)
        _ask_the_holder(sock_path, timeout)
        raise AssertionError("unreachable") from None  # _ask_the_holder always raises
    except BaseException:
        os.close(lock_fd)
        raise
    try:
        # We hold the lock: whoever listened here died, unless an instance that does not
        # take the lock (an older BidDesk) is there. Ask before removing anything.
        found = _knock(sock_path, timeout)
        if found == "answered":
            raise AlreadyRunning(answered=True)
        if found == "busy":
            raise AlreadyRunning(answered=False)
        if found == "refused":
            log.info("removing the stale single-instance socket %s", sock_path)
            with contextlib.suppress(FileNotFoundError):
                sock_path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(sock_path))
            os.chmod(sock_path, 0o600)
            server.listen(8)
            server.setblocking(False)
        except BaseException:
            server.close()
            raise
        return InstanceLock(lock_fd, server, sock_path)
    except BaseException:
        os.close(lock_fd)
        raise


def _ask_the_holder(sock_path: Path, timeout: float) -> None:
    """Another process holds the lock: ask it for its window; never touch its socket."""
    deadline = time.monotonic() + STARTING_GRACE
    while True:
        found = _knock(sock_path, timeout)
        if found == "answered":
            raise AlreadyRunning(answered=True)
        if found == "busy" or time.monotonic() >= deadline:
            raise AlreadyRunning(answered=False)
        time.sleep(0.02)  # it took the lock and is about to listen
