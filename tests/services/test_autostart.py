"""Start at login: the file (or registry value) each OS reads, written and removed."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.services.autostart import (
    APP_NAME,
    RUN_KEY,
    Autostart,
    AutostartError,
    desktop_exec,
    launch_command,
)

COMMAND = ["/opt/Bid Desk/biddesk", "--profile", "/home/me/100% work"]


def test_linux_writes_an_xdg_autostart_entry_in_the_config_dir(tmp_path: Path) -> None:
    config = tmp_path / "config"
    auto = Autostart(COMMAND, platform="linux", environ={"XDG_CONFIG_HOME": str(config)})
    assert not auto.enabled()
    auto.set_enabled(True)
    path = config / "autostart" / "biddesk.desktop"
    assert auto.enabled() and path.is_file()
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(path, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "BidDesk"
    # Undo the spec's escaping layers: string escapes, %% field codes, then shell-like quoting.
    exec_line = section["Exec"].replace("\\\\", "\\").replace("%%", "%")
    assert shlex.split(exec_line) == COMMAND
    auto.set_enabled(False)
    assert not path.exists() and not auto.enabled()
    auto.set_enabled(False)  # turning off twice is fine


def test_linux_without_xdg_config_home_uses_dot_config(tmp_path: Path) -> None:
    auto = Autostart(["biddesk"], platform="linux", environ={}, home=tmp_path)
    auto.set_enabled(True)
    assert (tmp_path / ".config" / "autostart" / "biddesk.desktop").is_file()


def test_exec_quoting_escapes_what_the_spec_reserves() -> None:
    assert desktop_exec(["/usr/bin/biddesk"]) == "/usr/bin/biddesk"
    assert desktop_exec(['a"b$c']) == '"a\\\\"b\\\\$c"'


def test_macos_writes_a_launch_agent(tmp_path: Path) -> None:
    auto = Autostart(COMMAND, platform="darwin", home=tmp_path)
    auto.set_enabled(True)
    path = tmp_path / "Library" / "LaunchAgents" / "app.biddesk.BidDesk.plist"
    plist = plistlib.loads(path.read_bytes())
    assert plist["ProgramArguments"] == COMMAND
    assert plist["RunAtLoad"] is True and plist["Label"] == "app.biddesk.BidDesk"
    assert auto.enabled()
    auto.set_enabled(False)
    assert not path.exists()


class FakeWinreg:
    """The few `winreg` calls Autostart makes, over a dict."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_READ = 1
    KEY_SET_VALUE = 2
    REG_SZ = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], dict[str, Any]] = {}

    class _Key(SimpleNamespace):
        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def OpenKey(self, root: str, path: str, reserved: int, access: int) -> Any:
        if (root, path) not in self.values:
            raise FileNotFoundError(path)
        return self._Key(values=self.values[(root, path)])

    def CreateKeyEx(self, root: str, path: str, reserved: int, access: int) -> Any:
        return self._Key(values=self.values.setdefault((root, path), {}))

    def QueryValueEx(self, key: Any, name: str) -> tuple[str, int]:
        if name not in key.values:
            raise FileNotFoundError(name)
        return key.values[name], self.REG_SZ

    def SetValueEx(self, key: Any, name: str, reserved: int, kind: int, value: str) -> None:
        key.values[name] = value

    def DeleteValue(self, key: Any, name: str) -> None:
        if name not in key.values:
            raise FileNotFoundError(name)
        del key.values[name]


def test_windows_sets_and_deletes_the_run_value() -> None:
    reg = FakeWinreg()
    command = ["C:\\Program Files\\BidDesk\\BidDesk.exe"]
    auto = Autostart(command, platform="win32", registry=reg)  # type: ignore[arg-type]
    assert not auto.enabled()
    auto.set_enabled(True)
    assert reg.values[("HKCU", RUN_KEY)][APP_NAME] == '"C:\\Program Files\\BidDesk\\BidDesk.exe"'
    assert subprocess.list2cmdline(command) == reg.values[("HKCU", RUN_KEY)][APP_NAME]
    assert auto.enabled()
    auto.set_enabled(False)
    assert not auto.enabled()
    auto.set_enabled(False)


def test_a_write_that_fails_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("not a folder")
    auto = Autostart(["biddesk"], platform="linux", environ={"XDG_CONFIG_HOME": str(blocker)})
    with pytest.raises(AutostartError, match="Could not turn on starting at login"):
        auto.set_enabled(True)


def test_the_launch_command_runs_this_biddesk() -> None:
    command = launch_command()
    assert command and (command[-2:] == ["-m", "app"] or command[0].endswith("biddesk"))
