"""Start BidDesk at login: one small file or registry value per operating system.

Each desktop has its own documented place, and the file there *is* the setting (no copy
in our database that could disagree with what the OS will do):

- Linux and other XDG desktops: `$XDG_CONFIG_HOME/autostart/biddesk.desktop` (default
  `~/.config`), a Desktop Entry as the XDG Autostart specification describes.
- Windows: the `BidDesk` value under `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`,
  a command line quoted the way the C runtime parses it.
- macOS: `~/Library/LaunchAgents/app.biddesk.BidDesk.plist`, a launchd property list with
  `RunAtLoad`.

The entry starts the *installed launcher*, found so that it outlives upgrades: the
packaged `/usr/bin/biddesk` rather than the `/opt/biddesk/biddesk` it links to, pipx's
`~/.local/bin/biddesk` rather than the venv script behind it (`launch_command`). With
"start hidden" the command carries `--hidden` (the tray icon only; minimized where the
desktop has no tray). The XDG entry names its program in `TryExec`, so once BidDesk is
uninstalled the session skips the leftover entry (no package may delete files in a home
folder), and `repair` rewrites an entry whose program has gone — a tarball unpacked
elsewhere, a venv rebuilt — to this BidDesk at the next start.

No Qt here: the Preferences dialog calls `Autostart`, the tests point it at a temp folder.
"""

from __future__ import annotations

import configparser
import logging
import os
import plistlib
import shlex
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
HIDDEN_FLAG = "--hidden"  # `biddesk --hidden`: start in the tray (app/cli/parser.py)
LAUNCHER = "biddesk"

log = logging.getLogger(__name__)

# Desktop Entry spec, "The Exec key": inside a quoted argument these must be escaped.
_EXEC_ESCAPED = ('"', "`", "$", "\\")
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")


def _split_windows(command_line: str) -> list[str]:
    """A Run value as `subprocess.list2cmdline` writes it, back into arguments (the C
    runtime's rules: quotes group, a backslash escapes only a quote or backslashes
    before a quote)."""
    args: list[str] = []
    current: list[str] = []
    in_quotes = started = False
    i = 0
    while i < len(command_line):
        c = command_line[i]
        if c == "\\":
            j = i
            while j < len(command_line) and command_line[j] == "\\":
                j += 1
            n = j - i
            if j < len(command_line) and command_line[j] == '"':
                current.append("\\" * (n // 2))
                if n % 2:
                    current.append('"')
                    i = j + 1
                else:
                    i = j
            else:
                current.append("\\" * n)
                i = j
            started = True
            continue
        if c == '"':
            in_quotes = not in_quotes
            started = True
        elif c in " \t" and not in_quotes:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


class AutostartError(OSError):
    """The login item could not be written or removed; the message says where."""


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    search_path: str | None = None,
) -> list[str]:
    """The command that starts this BidDesk, as stable as the install allows.

    Frozen (the .deb, the tarball, the Windows and macOS builds): the executable, or the
    `biddesk` on PATH that is the same file (the .deb's `/usr/bin/biddesk` symlink, which
    stays put while `/opt/biddesk` is replaced). From Python: the `biddesk` console script
    beside the interpreter, or again the one on PATH that is the same file (pipx's link
    in `~/.local/bin`); else `python -m app`.
    """
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    on_path = shutil.which(LAUNCHER, path=search_path)
    if frozen:
        program = executable
    else:
        beside = shutil.which(LAUNCHER, path=str(Path(executable).parent))
        if beside is None:
            return [executable, "-m", "app"]
        program = beside
    if on_path and os.path.isabs(on_path) and _same_file(on_path, program):
        return [on_path]
    return [program]


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


def _string_value(value: str) -> str:
    """A Desktop Entry string value: backslash and control characters escaped."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    )


def desktop_entry(command: Sequence[str]) -> str:
    """The XDG autostart entry; `TryExec` makes a session skip it once the program is
    gone (BidDesk uninstalled), instead of failing at every login."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Start BidDesk at login\n"
        f"TryExec={_string_value(command[0])}\n"
        f"Exec={desktop_exec(command)}\n"
        "Icon=biddesk\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def parse_desktop_exec(value: str) -> list[str]:
    """The arguments of an Exec value as `desktop_exec` writes it (the reverse)."""
    return [arg.replace("%%", "%") for arg in shlex.split(_unescape_string(value))]


def _unescape_string(value: str) -> str:
    """A Desktop Entry string value's text: `\\s`, `\\n`, `\\t`, `\\r`, `\\\\` undone."""
    out = []
    chars = iter(value)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
        else:
            out.append(c)
    return "".join(out)


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

    def entry_command(self) -> list[str] | None:
        """The command the login item runs now, or None when there is none (or it is
        unreadable: then it is not BidDesk's to interpret)."""
        try:
            if self.is_windows:
                value = self._windows_value()
                return None if value is None else _split_windows(value)
            path = self._file()
            if not path.is_file():
                return None
            if self.is_macos:
                arguments = plistlib.loads(path.read_bytes()).get("ProgramArguments")
                return [str(a) for a in arguments] if isinstance(arguments, list) else None
            entry = configparser.ConfigParser(interpolation=None, strict=False)
            entry.optionxform = str  # type: ignore[assignment,method-assign]
            entry.read_string(path.read_text(encoding="utf-8"))
            return parse_desktop_exec(entry.get("Desktop Entry", "Exec", fallback="")) or None
        except (OSError, ValueError, configparser.Error, plistlib.InvalidFileException):
            return None

    def starts_hidden(self) -> bool:
        """Whether the login item starts BidDesk in the tray (its command says so)."""
        command = self.entry_command()
        return command is not None and HIDDEN_FLAG in command[1:]

    def set_enabled(self, on: bool, *, hidden: bool | None = None) -> None:
        """Write or remove the login item; raises AutostartError with a sentence.

        `hidden`: start in the tray; None keeps what the current item says."""
        if on and hidden is None:
            hidden = self.starts_hidden()
        command = [*self.command, HIDDEN_FLAG] if on and hidden else list(self.command)
        try:
            if self.is_windows:
                self._windows_set(on, command)
            elif on:
                path = self._file()
                path.parent.mkdir(parents=True, exist_ok=True)
                if self.is_macos:
                    path.write_bytes(launch_agent(command))
                else:
                    path.write_text(desktop_entry(command), encoding="utf-8")
            else:
                self._file().unlink(missing_ok=True)
        except OSError as exc:
            action = "turn on" if on else "turn off"
            raise AutostartError(
                f"Could not {action} starting at login ({self.location()}): {exc.strerror or exc}."
            ) from exc

    def repair(self) -> bool:
        """Point a login item whose program has gone (an old tarball folder, a removed
        venv) at this BidDesk, keeping "start hidden"; True if it was rewritten.

        An item that runs another BidDesk that still exists is left alone: the user may
        keep two installs, and the one they chose starts."""
        command = self.entry_command()
        if command is None or command[:1] == self.command[:1]:
            return False
        program = Path(command[0])
        if not program.is_absolute() or program.exists():
            return False
        self.set_enabled(True, hidden=HIDDEN_FLAG in command[1:])
        log.info("start at login pointed at %s, which is gone; now at %s", program, self.command[0])
        return True

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

    def _windows_set(self, on: bool, command: Sequence[str]) -> None:
        reg = self._winreg()
        with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
            if on:
                reg.SetValueEx(key, APP_NAME, 0, reg.REG_SZ, subprocess.list2cmdline(command))
            else:
                try:
                    reg.DeleteValue(key, APP_NAME)
                except FileNotFoundError:
                    return
