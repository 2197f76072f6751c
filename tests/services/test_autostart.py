"""Start at login: the file (or registry value) each OS reads, written and removed."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.services.autostart import (
    APP_NAME,
    HIDDEN_FLAG,
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


# -- start hidden, the launcher, upgrades and uninstalls (issue 16, item 6) -----------------


def _entry(path: Path) -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(path, encoding="utf-8")
    return entry["Desktop Entry"]


def _program(path: Path, text: str = "#!/bin/sh\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_the_entry_names_its_program_in_tryexec_and_passes_desktop_file_validate(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    auto = Autostart(COMMAND, platform="linux", environ={"XDG_CONFIG_HOME": str(config)})
    auto.set_enabled(True)
    path = config / "autostart" / "biddesk.desktop"
    # A session skips an entry whose TryExec program is gone: after an uninstall the
    # leftover entry in the home folder is harmless.
    assert _entry(path)["TryExec"] == COMMAND[0]
    assert auto.entry_command() == COMMAND
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate (desktop-file-utils) is not installed")
    done = subprocess.run([validate, str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_start_hidden_is_the_hidden_option_in_the_login_item(tmp_path: Path, platform: str) -> None:
    reg = FakeWinreg()
    auto = Autostart(
        COMMAND,
        platform=platform,
        environ={"XDG_CONFIG_HOME": str(tmp_path / "config")},
        home=tmp_path,
        registry=reg,  # type: ignore[arg-type]
    )
    assert not auto.starts_hidden()
    auto.set_enabled(True, hidden=True)
    assert auto.entry_command() == [*COMMAND, HIDDEN_FLAG] and auto.starts_hidden()
    auto.set_enabled(True)  # turned on again without saying: stays hidden
    assert auto.starts_hidden()
    auto.set_enabled(True, hidden=False)
    assert auto.entry_command() == COMMAND and not auto.starts_hidden()
    auto.set_enabled(False)
    assert auto.entry_command() is None and not auto.starts_hidden()


def test_the_packaged_link_is_the_launcher_and_survives_an_upgrade(tmp_path: Path) -> None:
    """The .deb: /usr/bin/biddesk links to /opt/biddesk/biddesk. The entry names the link,
    an upgrade that replaces the program keeps it working, and after `apt remove` the
    entry's TryExec names nothing (the session skips it)."""
    root = tmp_path / "root"
    program = _program(root / "opt" / "biddesk" / "biddesk")
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "biddesk").symlink_to(program)
    command = launch_command(frozen=True, executable=str(program), search_path=str(bin_dir))
    assert command == [str(bin_dir / "biddesk")]

    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    auto = Autostart(command, platform="linux", environ=environ)
    auto.set_enabled(True, hidden=True)
    entry = tmp_path / "config" / "autostart" / "biddesk.desktop"

    program.unlink()  # the upgrade: dpkg replaces the file behind the link
    _program(program, "#!/bin/sh\n# 0.2.0\n")
    upgraded = launch_command(frozen=True, executable=str(program), search_path=str(bin_dir))
    assert upgraded == command
    assert not Autostart(upgraded, platform="linux", environ=environ).repair()
    try_exec = Path(_entry(entry)["TryExec"])
    assert try_exec.exists() and os.access(try_exec, os.X_OK)

    program.unlink()  # the removal: the program and its link are gone
    (bin_dir / "biddesk").unlink()
    assert not Path(_entry(entry)["TryExec"]).exists()


def test_a_different_biddesk_on_path_is_not_taken_for_this_one(tmp_path: Path) -> None:
    program = _program(tmp_path / "tarball" / "biddesk")
    other = _program(tmp_path / "bin" / "biddesk")
    command = launch_command(frozen=True, executable=str(program), search_path=str(other.parent))
    assert command == [str(program)]


def test_from_python_the_launcher_is_pipxs_link_else_the_venv_script(tmp_path: Path) -> None:
    venv_bin = tmp_path / "venvs" / "biddesk" / "bin"
    python = _program(venv_bin / "python")
    script = _program(venv_bin / "biddesk")
    local_bin = tmp_path / "home" / ".local" / "bin"
    local_bin.mkdir(parents=True)
    (local_bin / "biddesk").symlink_to(script)
    on_path = str(local_bin)
    assert launch_command(frozen=False, executable=str(python), search_path=on_path) == [
        str(local_bin / "biddesk")
    ]
    assert launch_command(frozen=False, executable=str(python), search_path="") == [str(script)]
    script.unlink()
    assert launch_command(frozen=False, executable=str(python), search_path="") == [
        str(python),
        "-m",
        "app",
    ]


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_an_entry_whose_program_is_gone_is_repointed_at_this_biddesk(
    tmp_path: Path, platform: str
) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    gone = tmp_path / "biddesk-0.1.0" / "biddesk"  # an old tarball folder, deleted
    old = Autostart([str(gone)], platform=platform, environ=environ, home=tmp_path)
    old.set_enabled(True, hidden=True)
    current = _program(tmp_path / "biddesk-0.2.0" / "biddesk")
    auto = Autostart([str(current)], platform=platform, environ=environ, home=tmp_path)
    assert auto.repair()
    assert auto.entry_command() == [str(current), HIDDEN_FLAG]  # still starts hidden
    assert not auto.repair()  # nothing left to repair


def test_an_entry_for_another_install_that_exists_is_left_alone(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    other = _program(tmp_path / "other" / "biddesk")
    Autostart([str(other)], platform="linux", environ=environ).set_enabled(True)
    auto = Autostart([str(tmp_path / "this" / "biddesk")], platform="linux", environ=environ)
    assert not auto.repair()
    assert auto.entry_command() == [str(other)]
    assert not Autostart(
        ["x"], platform="linux", environ={"XDG_CONFIG_HOME": str(tmp_path / "n")}
    ).repair()


@pytest.mark.parametrize(
    "command",
    [
        ["C:\\Program Files\\BidDesk\\biddesk.exe", "--hidden"],
        ['C:\\a "b"\\c.exe', "x y", "", "tail\\\\"],
        ["plain"],
    ],
)
def test_windows_run_values_read_back_as_written(command: list[str]) -> None:
    reg = FakeWinreg()
    auto = Autostart(command, platform="win32", registry=reg)  # type: ignore[arg-type]
    auto.set_enabled(True)
    assert auto.entry_command() == command


def test_the_windows_uninstaller_deletes_the_run_value_autostart_writes() -> None:
    iss = (Path(__file__).resolve().parents[2] / "packaging" / "windows" / "biddesk.iss").read_text(
        encoding="utf-8"
    )
    assert f"RegDeleteValue(HKEY_CURRENT_USER, '{RUN_KEY}', '{APP_NAME}')" in iss
