"""Start BidDesk at login: one small file or registry value per operating system.

Each desktop has its own documented place, and the file there *is* the setting (no copy
in our database that could disagree with what the OS will do):

- Linux and other XDG desktops: `$XDG_CONFIG_HOME/autostart/biddesk.desktop` (default
  `~/.config`), a Desktop Entry as the XDG Autostart specification describes.
- Windows: the `BidDesk` value under `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`,
  a command line quoted the way the C runtime parses it.
- macOS: `~/Library/LaunchAgents/app.biddesk.BidDesk.plist`, a launchd property list with
  `RunAtLoad`.

No Qt here: the Preferences dialog calls `Autostart`, the tests point it at a temp folder.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

APP_NAME = "BidDesk"
DESKTOP_FILE = "biddesk.desktop"
LAUNCH_AGENT_LABEL = "app.biddesk.BidDesk"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

# Desktop Entry spec, "The Exec key": inside a quoted argument these must be escaped.
_EXEC_ESCAPED = ('"', "`", "$", "\\")
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")


class AutostartError(OSError):
    """The login item could not be written or removed; the message says where."""


def launch_command() -> list[str]:
    """The command that starts this BidDesk: the frozen executable, the installed
    `biddesk` script beside this interpreter, or `python -m app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which("biddesk", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-m", "app"]


def desktop_exec(command: Sequence[str]) -> str:
    """`command` as the value of a Desktop Entry's Exec key.

    An argument with a reserved character is double-quoted with `"`, `` ` ``, `$` and
    `\\` backslash-escaped; then, because Exec is a string value, every backslash is
    escaped once more; `%` is doubled since it introduces field codes.
    """
    parts = []
    for arg in command:
        if arg and not (set(arg) & _EXEC_RESERVED):
            quoted = arg
        else:
            inner = "".join(f"\\{c}" if c in _EXEC_ESCAPED else c for c in arg)
            quoted = f'"{inner}"'
        parts.append(quoted.replace("%", "%%"))
    return " ".join(parts).replace("\\", "\\\\")


def desktop_entry(command: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Start BidDesk at login\n"
        f"Exec={desktop_exec(command)}\n"
        "Icon=biddesk\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent(command: Sequence[str]) -> bytes:
    """A launchd agent that runs `command` once when the user logs in."""
    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
    )


class Autostart:
    """Whether BidDesk starts at login for this user, and the switch to change it."""

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        platform: str = sys.platform,
        environ: Mapping[str, str] | None = None,
        home: Path | None = None,
        registry: ModuleType | None = None,
    ) -> None:
        self.command = list(command) if command is not None else launch_command()
        self.platform = platform
        self._environ = os.environ if environ is None else environ
        self._home = home
        self._registry = registry

    # -- where ----------------------------------------------------------------------------

    @property
    def home(self) -> Path:
        return self._home if self._home is not None else Path.home()

    @property
    def is_windows(self) -> bool:
        return self.platform.startswith("win")

    @property
    def is_macos(self) -> bool:
        return self.platform == "darwin"

    def location(self) -> str:
        """Where the setting lives, for the Preferences tooltip and error messages."""
        if self.is_windows:
            return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{APP_NAME}"
        return str(self._file())

    def _file(self) -> Path:
        if self.is_macos:
            return self.home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        config = self._environ.get("XDG_CONFIG_HOME") or ""
        # The spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
        base = Path(config) if os.path.isabs(config) else self.home / ".config"
        return base / "autostart" / DESKTOP_FILE

    # -- what -----------------------------------------------------------------------------

    def enabled(self) -> bool:
        if self.is_windows:
            return self._windows_value() is not None
        return self._file().is_file()

    def set_enabled(self, on: bool) -> None:
        """Write or remove the login item; raises AutostartError with a sentence."""
        try:
            if self.is_windows:
                self._windows_set(on)
            elif on:
                path = self._file()
                path.parent.mkdir(parents=True, exist_ok=True)
                if self.is_macos:
                    path.write_bytes(launch_agent(self.command))
                else:
                    path.write_text(desktop_entry(self.command), encoding="utf-8")
            else:
                self._file().unlink(missing_ok=True)
        except OSError as exc:
            action = "turn on" if on else "turn off"
            raise AutostartError(
                f"Could not {action} starting at login ({self.location()}): {exc.strerror or exc}."
            ) from exc

    # -- Windows --------------------------------------------------------------------------

    def _winreg(self) -> ModuleType:
        if self._registry is not None:
            return self._registry
        import winreg  # Windows only; imported here so the module loads everywhere

        return winreg

    def _windows_value(self) -> str | None:
        reg = self._winreg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_READ) as key:
                value, _kind = reg.QueryValueEx(key, APP_NAME)
        except FileNotFoundError:
            return None
        return str(value)

    def _windows_set(self, on: bool) -> None:
        reg = self._winreg()
        with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
            if on:
                reg.SetValueEx(key, APP_NAME, 0, reg.REG_SZ, subprocess.list2cmdline(self.command))
            else:
                try:
                    reg.DeleteValue(key, APP_NAME)
                except FileNotFoundError:
                    return
