"""A private desktop session for notification tests: Xvfb, a D-Bus session bus, dunst.

`desktop_session(tmp_path)` starts a virtual X display (dunst draws its popups there), a
session bus of our own (its config lists no service folder, so nothing is D-Bus activated
behind the test's back) and, unless `daemon=False`, Debian's `dunst` as the
`org.freedesktop.Notifications` service. `dunstctl` then reads the daemon's history,
pauses it (do not disturb) and clicks a notification, as a user would.

The tests skip, saying which program is missing, only where these cannot be installed
(`.ci/run` installs them on Debian).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.wait import wait_for_sync

PROGRAMS = ("Xvfb", "dbus-daemon", "dbus-send", "dunst", "dunstctl")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Popups stay until closed (timeout 0), so the test decides when they go to the history.
DUNST_CONFIG = """[global]
    markup = {markup}
    history_length = 50
    sticky_history = yes
    idle_threshold = 0
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
"""


def require_programs() -> None:
    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} for a real notification daemon "
            "(Debian: apt-get install xvfb dbus-daemon dbus-bin dunst)"
        )


@dataclass
class DesktopSession:
    address: str  # DBUS_SESSION_BUS_ADDRESS of the private bus
    display: str
    env: dict[str, str]

    def dunstctl(self, *args: str) -> str:
        done = subprocess.run(
            ["dunstctl", *args], env=self.env, capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise AssertionError(f"dunstctl {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def count(self, which: str) -> int:
        return int(self.dunstctl("count", which).strip())

    def history(self) -> list[dict[str, Any]]:
        """The daemon's history, newest first: one dict per notification, plain values."""
        data = json.loads(self.dunstctl("history"))["data"][0]
        return [{k: v.get("data") for k, v in entry.items()} for entry in data]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def desktop_session(
    tmp_path: Path, *, daemon: bool = True, markup: bool = False
) -> Iterator[DesktopSession]:
    """The session; `markup`: dunst reads markup in bodies (and says so)."""
    require_programs()
    folder = tmp_path / "session"
    folder.mkdir()
    started: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    try:
        # The display: Xvfb picks a free number and writes it to the pipe.
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            pytest.fail("Xvfb did not start")
        display = f":{number}"

        config = folder / "bus.conf"
        config.write_text(BUS_CONFIG.format(folder=folder), encoding="utf-8")
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        started.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            pytest.fail("dbus-daemon did not start")

        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")
        }
        env.update(DBUS_SESSION_BUS_ADDRESS=address, DISPLAY=display, HOME=str(folder))
        session = DesktopSession(address, display, env)
        if daemon:
            config_text = DUNST_CONFIG.format(markup="full" if markup else "no")
            (folder / "dunstrc").write_text(config_text, encoding="utf-8")
            logs.append((folder / "dunst.log").open("wb"))
            dunst = subprocess.Popen(
                ["dunst", "-config", str(folder / "dunstrc")],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=logs[-1],
            )
            started.append(dunst)

            def answering() -> bool:
                if dunst.poll() is not None:
                    log = (folder / "dunst.log").read_text(errors="replace")
                    pytest.fail(f"dunst exited: {log[-2000:]}")
                with contextlib.suppress(AssertionError):
                    session.dunstctl("is-paused")
                    return True
                return False

            wait_for_sync(answering, message="dunst answers on the private bus")
        yield session
    finally:
        for process in reversed(started):
            _stop(process)
        for process in started:
            if process.stdout is not None:
                process.stdout.close()
        for log in logs:
            log.close()


__all__ = ["DesktopSession", "desktop_session", "require_programs"]
