"""Build BidDesk for the current OS: freeze it, smoke-test the frozen app, make the installer.

    python packaging/build.py                 # everything for this OS
    python packaging/build.py --skip-freeze   # reuse the last PyInstaller output
    python packaging/build.py --no-installer  # freeze and smoke-test only

Outputs go to build/ (gitignored): build/pyinstaller/dist/biddesk (the one-dir app) and, per
OS, build/installers/: a .deb and a .tar.gz on Linux, a setup .exe from Inno Setup on Windows,
a .dmg on macOS. Each step is a function so tests can check the files it writes without
running PyInstaller.

The smoke test runs the frozen executable as a user would on a machine without a screen:
a fresh temporary profile, the embedded sandbox, Qt's offscreen platform, a screenshot and
a timed quit. It fails on a non-zero exit, a missing or empty screenshot, or any stderr line
that is not on a short allow-list of known-harmless Qt notices: a missing plugin or library
in the bundle shows up there first.
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"
BUILD = ROOT / "build"
DIST = BUILD / "pyinstaller" / "dist"
WORK = BUILD / "pyinstaller" / "work"
INSTALLERS = BUILD / "installers"
SPEC = PACKAGING / "biddesk.spec"

APP_NAME = "BidDesk"
PACKAGE = "biddesk"
APP_ID = "io.biddesk.biddesk"
SUMMARY = "Bidding assistant for GigRadar, UpHunt and Gigiac"
DESCRIPTION = (
    "BidDesk gathers opportunities from GigRadar, UpHunt and Gigiac into one inbox, "
    "helps you write a proposal from a template or a language model, sends it, and tracks "
    "it to its final state, with tray notifications on the way."
)
MAINTAINER = "BidDesk maintainers <maintainers@biddesk.invalid>"
HOMEPAGE = "https://biddesk.invalid/"
INSTALL_DIR = f"/opt/{PACKAGE}"
DEB_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# Shared libraries the .deb leaves to the distribution instead of bundling; PyInstaller would
# otherwise copy the build machine's copies into the app. Qt's own libraries, ICU and libpython
# stay bundled (the wheel's versions). The package names are Debian 12's, used only for a
# library the build machine lacks (Depends is otherwise read from its package database).
SYSTEM_LIBS: dict[str, tuple[str, ...]] = {
    "libc6": ("libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so"),
    "libstdc++6": ("libstdc++.so",),
    "libgcc-s1": ("libgcc_s.so",),
    "zlib1g": ("libz.so",),
    "libssl3": ("libssl.so", "libcrypto.so"),
    "libsqlite3-0": ("libsqlite3.so",),
    "libffi8": ("libffi.so",),
    "libbz2-1.0": ("libbz2.so",),
    "liblzma5": ("liblzma.so",),
    "libexpat1": ("libexpat.so",),
    "libuuid1": ("libuuid.so",),
    "libglib2.0-0": (
        "libglib-2.0.so",
        "libgio-2.0.so",
        "libgobject-2.0.so",
        "libgmodule-2.0.so",
        "libgthread-2.0.so",
    ),
    "libdbus-1-3": ("libdbus-1.so",),
    "libfontconfig1": ("libfontconfig.so",),
    "libfreetype6": ("libfreetype.so",),
    "libharfbuzz0b": ("libharfbuzz.so",),
    "libpng16-16": ("libpng16.so",),
    "libx11-6": ("libX11.so",),
    "libx11-xcb1": ("libX11-xcb.so",),
    "libxext6": ("libXext.so",),
    "libxrender1": ("libXrender.so",),
    "libxau6": ("libXau.so",),
    "libxdmcp6": ("libXdmcp.so",),
    "libxcb1": ("libxcb.so",),
    "libxcb-cursor0": ("libxcb-cursor.so",),
    "libxcb-glx0": ("libxcb-glx.so",),
    "libxcb-icccm4": ("libxcb-icccm.so",),
    "libxcb-image0": ("libxcb-image.so",),
    "libxcb-keysyms1": ("libxcb-keysyms.so",),
    "libxcb-randr0": ("libxcb-randr.so",),
    "libxcb-render0": ("libxcb-render.so",),
    "libxcb-render-util0": ("libxcb-render-util.so",),
    "libxcb-shape0": ("libxcb-shape.so",),
    "libxcb-shm0": ("libxcb-shm.so",),
    "libxcb-sync1": ("libxcb-sync.so",),
    "libxcb-util1": ("libxcb-util.so",),
    "libxcb-xfixes0": ("libxcb-xfixes.so",),
    "libxcb-xkb1": ("libxcb-xkb.so",),
    "libxkbcommon0": ("libxkbcommon.so",),
    "libxkbcommon-x11-0": ("libxkbcommon-x11.so",),
    "libwayland-client0": ("libwayland-client.so",),
    "libwayland-cursor0": ("libwayland-cursor.so",),
    "libwayland-egl1": ("libwayland-egl.so",),
    "libegl1": ("libEGL.so",),
    "libgl1": ("libGL.so",),
    "libglx0": ("libGLX.so",),
    "libopengl0": ("libOpenGL.so",),
    # pulled in by GLib and D-Bus, each already a dependency of the packages above
    "libsystemd0": ("libsystemd.so",),
    "libgcrypt20": ("libgcrypt.so",),
    "libgpg-error0": ("libgpg-error.so",),
    "liblz4-1": ("liblz4.so",),
    "libzstd1": ("libzstd.so",),
    "libcap2": ("libcap.so",),
    "libmount1": ("libmount.so",),
    "libblkid1": ("libblkid.so",),
    "libselinux1": ("libselinux.so",),
    "libpcre2-8-0": ("libpcre2-8.so",),
    "libbrotli1": ("libbrotlicommon.so", "libbrotlidec.so"),
    "libgraphite2-3": ("libgraphite2.so",),
    "libbsd0": ("libbsd.so",),
    "libmd0": ("libmd.so",),
    "libjpeg62-turbo": ("libjpeg.so",),
    "libgssapi-krb5-2": ("libgssapi_krb5.so",),
    "libkrb5-3": ("libkrb5.so",),
    "libkrb5support0": ("libkrb5support.so",),
    "libk5crypto3": ("libk5crypto.so",),
    "libcom-err2": ("libcom_err.so",),
    "libkeyutils1": ("libkeyutils.so",),
    "libreadline8": ("libreadline.so",),
    "libtinfo6": ("libtinfo.so",),
}
# What the .deb declares beyond the libraries above: a font so text is not boxes, and
# (recommended) a Secret Service so API keys can be saved in the keychain.
DEB_EXTRA_DEPENDS = ("fonts-dejavu-core | fonts-liberation2 | fonts-noto-core",)
DEB_RECOMMENDS = ("gnome-keyring | kwalletmanager", "xdg-utils")

# stderr lines the smoke test accepts from the frozen app (regular expressions, whole line).
ALLOWED_STDERR = (
    # offscreen platform: no window manager to honour size hints
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
    # running as root or in a container without a session
    r"QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to .*",
    r"QStandardPaths: runtime directory '.*' is not owned by UID \d+, but a directory "
    r"permissions .* owned by UID \d+ GID \d+",
)


# Modules the app imports lazily or discovers at run time; PyInstaller's import analysis must
# have put each in the bundle, or a user meets the ImportError only when drafting with a
# model, starting the sandbox or saving a key.
REQUIRED_MODULES = (
    "app.cli",
    "app.ui.app",
    "app.sandbox",
    "app.sandbox.server",
    "app.services.drafting",
    "openai",
    "aiohttp",
    "qasync",
    "keyring.backends.SecretService",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.fail",
)
REQUIRED_MODULES_LINUX = ("secretstorage", "jeepney")


class BuildError(Exception):
    """A step failed; the message says which and why."""


def is_system_lib(name: str) -> bool:
    """Whether a bundled shared library (by file name) is one the .deb takes from Debian."""
    return any(name.startswith(prefix) for prefixes in SYSTEM_LIBS.values() for prefix in prefixes)


def app_version() -> str:
    """The version in app/__init__.py, read as text so building never imports Qt."""
    text = (ROOT / "app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise BuildError("app/__init__.py has no __version__.")
    return match.group(1)


def release_date() -> str:
    """Today in UTC, or SOURCE_DATE_EPOCH's day when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%d")


# -- freezing -------------------------------------------------------------------------------


def freeze(dist: Path = DIST, work: Path = WORK) -> Path:
    """Run PyInstaller on the spec; returns the one-dir app folder."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    print("+", " ".join(command), flush=True)
    if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
        raise BuildError("PyInstaller failed; its output above says why.")
    return dist / PACKAGE


def executable(bundle: Path) -> Path:
    """The frozen app's executable inside a one-dir bundle (the console one on Windows)."""
    if sys.platform == "win32":
        return bundle / f"{PACKAGE}-cli.exe"
    return bundle / PACKAGE


def bundled_modules(work: Path = WORK) -> set[str]:
    """The Python modules PyInstaller put in the app's archive, from its table of contents."""
    toc = work / PACKAGE / "PYZ-00.toc"
    if not toc.is_file():
        raise BuildError(f"There is no PyInstaller table of contents at {toc}.")
    _archive, entries = ast.literal_eval(toc.read_text(encoding="utf-8"))
    return {name for name, _path, _kind in entries}


def missing_modules(modules: set[str], platform: str = sys.platform) -> list[str]:
    required = list(REQUIRED_MODULES)
    if platform.startswith("linux"):
        required += REQUIRED_MODULES_LINUX
    return [name for name in required if name not in modules]


# -- smoke test -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmokeResult:
    seconds: float
    screenshot_bytes: int
    stderr: list[str]


def unexpected_stderr(stderr: str) -> list[str]:
    """The stderr lines that match none of ALLOWED_STDERR."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    return [line for line in lines if not any(re.fullmatch(pat, line) for pat in ALLOWED_STDERR)]


def png_dimensions(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its header."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise BuildError(f"{path.name} is not a PNG image.")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def smoke_test(
    command: list[str] | Path, quit_after: float = 3.0, keep: Path | None = None
) -> SmokeResult:
    """Start the app on a temporary profile with the sandbox, offscreen; check it rendered.

    The screenshot is copied to `keep` so a person can look at what the frozen app drew.
    """
    argv = [str(command)] if isinstance(command, Path) else list(command)
    with tempfile.TemporaryDirectory(prefix="biddesk-smoke-") as tmp:
        shot = Path(tmp) / "window.png"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIDDESK_")}
        env["QT_QPA_PLATFORM"] = "offscreen"
        argv += [
            "--profile",
            str(Path(tmp) / "profile"),
            "--sandbox",
            "--screenshot",
            str(shot),
            "--quit-after",
            str(quit_after),
        ]
        print("+", " ".join(argv), flush=True)
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=60 + quit_after, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildError("The frozen app did not exit within a minute.") from exc
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise BuildError(
                f"The frozen app exited with {done.returncode}; stderr:\n{done.stderr.strip()}"
            )
        bad = unexpected_stderr(done.stderr)
        if bad:
            raise BuildError("The frozen app wrote unexpected stderr:\n" + "\n".join(bad))
        if not shot.is_file() or shot.stat().st_size == 0:
            raise BuildError("The frozen app exited without writing its screenshot.")
        width, height = png_dimensions(shot)
        if width < 400 or height < 300:
            raise BuildError(f"The screenshot is {width}×{height}: the window is not laid out.")
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, keep)
        return SmokeResult(seconds, shot.stat().st_size, done.stderr.splitlines())


def smoke_test_demo(command: list[str] | Path) -> float:
    """Run `biddesk demo`: the sandbox, every platform client and the store, without Qt."""
    argv = [str(command)] if isinstance(command, Path) else list(command)
    with tempfile.TemporaryDirectory(prefix="biddesk-demo-") as tmp:
        argv += ["--profile", str(Path(tmp) / "profile"), "demo", "--speed", "60"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIDDESK_")}
        print("+", " ".join(argv), flush=True)
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildError("`biddesk demo` did not finish within two minutes.") from exc
        if done.returncode != 0 or unexpected_stderr(done.stderr):
            raise BuildError(
                f"`biddesk demo` exited with {done.returncode}; stderr:\n{done.stderr.strip()}"
            )
        if "submitted" not in done.stdout:
            raise BuildError("`biddesk demo` finished without submitting a proposal.")
        return time.monotonic() - started


# -- Linux: desktop entry, AppStream metainfo, .deb, tarball --------------------------------


def desktop_entry() -> str:
    """The freedesktop.org launcher; its name matches QGuiApplication.desktopFileName."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "GenericName=Bidding Assistant\n"
        f"Comment={SUMMARY}\n"
        f"Exec={PACKAGE}\n"
        f"TryExec={PACKAGE}\n"
        f"Icon={PACKAGE}\n"
        "Terminal=false\n"
        "Categories=Office;ProjectManagement;\n"
        "Keywords=bid;proposal;freelance;job;upwork;\n"
        "StartupNotify=true\n"
        f"StartupWMClass={APP_NAME}\n"
    )


def metainfo_xml(version: str, date: str) -> str:
    """AppStream metadata: what software centres show for the app."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application">
  <id>{APP_ID}</id>
  <name>{APP_NAME}</name>
  <summary>{escape(SUMMARY)}</summary>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>LicenseRef-proprietary</project_license>
  <developer id="io.biddesk">
    <name>BidDesk maintainers</name>
  </developer>
  <description>
    <p>{escape(DESCRIPTION)}</p>
    <p>A built-in sandbox emulates all three platforms and an OpenAI-compatible model, so
    the whole workflow can be tried without accounts.</p>
  </description>
  <launchable type="desktop-id">{PACKAGE}.desktop</launchable>
  <icon type="stock">{PACKAGE}</icon>
  <url type="homepage">{HOMEPAGE}</url>
  <categories>
    <category>Office</category>
  </categories>
  <provides>
    <binary>{PACKAGE}</binary>
  </provides>
  <content_rating type="oars-1.1"/>
  <releases>
    <release version="{escape(version)}" date="{date}"/>
  </releases>
</component>
"""


def _elf_files(tree: Path) -> list[Path]:
    files = []
    for path in tree.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    files.append(path)
    return files


def _owning_packages(paths: set[str]) -> dict[str, str]:
    """Debian package of each library path (trying the /usr twin of merged-/usr paths)."""
    owners: dict[str, str] = {}
    for path in sorted(paths):
        candidates = [path, os.path.realpath(path)]
        candidates += [
            c.removeprefix("/usr") if c.startswith("/usr/") else "/usr" + c for c in candidates
        ]
        for candidate in candidates:
            done = subprocess.run(
                ["dpkg-query", "-S", candidate], capture_output=True, text=True, check=False
            )
            if done.returncode == 0:
                owners[path] = done.stdout.split(":", 1)[0].strip()
                break
    return owners


def parse_ldd(output: str) -> tuple[set[str], set[str]]:
    """(resolved library paths, sonames not found) from `ldd` output."""
    found: set[str] = set()
    missing: set[str] = set()
    for line in output.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if not arrow:
            continue
        if rest.startswith("not found"):
            missing.add(name)
        elif rest.startswith("/"):
            found.add(rest.split(" (", 1)[0])
    return found, missing


def fallback_package(soname: str) -> str | None:
    """The Debian 12 package of a library that is not installed on the build machine."""
    for package, prefixes in SYSTEM_LIBS.items():
        if any(soname.startswith(prefix) for prefix in prefixes):
            return package
    return None


def system_depends(bundle: Path) -> list[str]:
    """The Debian packages holding every library the bundle loads from the system.

    Like dpkg-shlibdeps, from the build machine's own package database, so the names fit the
    distribution the .deb is built on (Debian's and Ubuntu's differ: t64, libjpeg...).
    """
    lib_dirs = sorted({str(p.parent) for p in bundle.rglob("*.so*")} | {str(bundle)})
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(lib_dirs))
    outside: set[str] = set()
    missing: set[str] = set()
    for elf in _elf_files(bundle):
        done = subprocess.run(
            ["ldd", str(elf)], capture_output=True, text=True, env=env, check=False
        )
        found, absent = parse_ldd(done.stdout)
        outside |= {path for path in found if not path.startswith(str(bundle))}
        missing |= absent
    owners = _owning_packages(outside)
    packages = {pkg.split(":", 1)[0] for pkg in owners.values()}
    unowned = sorted(outside - owners.keys())
    if unowned:
        raise BuildError("No Debian package owns these libraries: " + ", ".join(unowned))
    for soname in sorted(missing):
        package = fallback_package(soname)
        if package is None:
            raise BuildError(f"The bundle needs {soname}, which is neither bundled nor known.")
        packages.add(package)
    return sorted(packages)


def deb_architecture() -> str:
    machine = os.uname().machine if hasattr(os, "uname") else "x86_64"
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}.get(machine, machine)


def deb_control(version: str, installed_kib: int, arch: str, depends: list[str]) -> str:
    """The DEBIAN/control file."""
    summary, *_ = SUMMARY.splitlines()
    body = "\n".join(f" {line}" if line else " ." for line in _wrap(DESCRIPTION, 72))
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join([*depends, *DEB_EXTRA_DEPENDS])}\n"
        f"Recommends: {', '.join(DEB_RECOMMENDS)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Homepage: {HOMEPAGE}\n"
        f"Description: {summary}\n"
        f"{body}\n"
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _tree_kib(path: Path) -> int:
    total = sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024


def stage_deb(bundle: Path, staging: Path, version: str, arch: str, depends: list[str]) -> Path:
    """Lay out the .deb's file tree in `staging`; returns it."""
    if staging.exists():
        shutil.rmtree(staging)
    opt = staging / INSTALL_DIR.lstrip("/")
    shutil.copytree(bundle, opt, symlinks=True)
    usr = staging / "usr"
    (usr / "bin").mkdir(parents=True)
    (usr / "bin" / PACKAGE).symlink_to(f"{INSTALL_DIR}/{PACKAGE}")
    apps = usr / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / f"{PACKAGE}.desktop").write_text(desktop_entry(), encoding="utf-8")
    meta = usr / "share" / "metainfo"
    meta.mkdir(parents=True)
    (meta / f"{APP_ID}.metainfo.xml").write_text(
        metainfo_xml(version, release_date()), encoding="utf-8"
    )
    hicolor = usr / "share" / "icons" / "hicolor"
    for size in DEB_ICON_SIZES:
        target = hicolor / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copyfile(ICONS / f"{PACKAGE}-{size}.png", target / f"{PACKAGE}.png")
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(ICONS / f"{PACKAGE}.svg", hicolor / "scalable" / "apps" / f"{PACKAGE}.svg")
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(
        deb_control(version, _tree_kib(staging), arch, depends), encoding="utf-8"
    )
    for path in staging.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    return staging


def make_deb(bundle: Path, out: Path = INSTALLERS) -> Path:
    """Build the .deb with dpkg-deb (files owned by root, whoever builds)."""
    version, arch = app_version(), deb_architecture()
    depends = system_depends(bundle)
    staging = stage_deb(bundle, BUILD / "deb-root", version, arch, depends)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    command = ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(staging), str(deb)]
    print("+", " ".join(command), flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise BuildError("dpkg-deb failed; its output above says why.")
    validate_linux_metadata(staging)
    return deb


def validate_linux_metadata(staging: Path) -> None:
    """Run desktop-file-validate and appstreamcli when installed (CI images may lack them)."""
    desktop = staging / "usr" / "share" / "applications" / f"{PACKAGE}.desktop"
    metainfo = staging / "usr" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml"
    checks = [
        ("desktop-file-validate", [str(desktop)]),
        ("appstreamcli", ["validate", "--no-net", "--pedantic", str(metainfo)]),
    ]
    for tool, args in checks:
        if shutil.which(tool) is None:
            print(f"({tool} is not installed; skipped)")
            continue
        done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
        print(done.stdout.strip() or f"{tool}: ok")
        if done.returncode != 0:
            raise BuildError(f"{tool} rejected {Path(args[-1]).name}:\n{done.stdout}{done.stderr}")


def make_tarball(bundle: Path, out: Path = INSTALLERS) -> Path:
    """The one-dir app as biddesk-VERSION-linux-ARCH.tar.gz, with the icon and .desktop file."""
    version = app_version()
    out.mkdir(parents=True, exist_ok=True)
    top = f"{PACKAGE}-{version}"
    path = out / f"{top}-linux-{os.uname().machine}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(bundle, arcname=top)
        for name, data in (
            (f"{PACKAGE}.desktop", desktop_entry()),
            (f"{APP_ID}.metainfo.xml", metainfo_xml(version, release_date())),
        ):
            info = tarfile.TarInfo(f"{top}/share/{name}")
            raw = data.encode()
            info.size, info.mode, info.mtime = len(raw), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(raw))
        tar.add(ICONS / f"{PACKAGE}-256.png", arcname=f"{top}/share/{PACKAGE}.png")
    return path


# -- Windows and macOS ----------------------------------------------------------------------


def make_windows_installer(out: Path = INSTALLERS) -> Path:
    """Compile packaging/windows/biddesk.iss with Inno Setup's iscc."""
    iscc = shutil.which("iscc") or shutil.which(r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe")
    if iscc is None:
        raise BuildError("Inno Setup's iscc is not installed (choco install innosetup).")
    out.mkdir(parents=True, exist_ok=True)
    command = [
        iscc,
        f"/DAppVersion={app_version()}",
        f"/DSourceDir={DIST / PACKAGE}",
        f"/DIconFile={ICONS / 'biddesk.ico'}",
        f"/O{out}",
        str(PACKAGING / "windows" / "biddesk.iss"),
    ]
    print("+", " ".join(command), flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise BuildError("Inno Setup failed; its output above says why.")
    return out / f"BidDesk-{app_version()}-setup.exe"


def make_dmg(out: Path = INSTALLERS) -> Path:
    """Run packaging/macos/make_dmg.sh on the BidDesk.app the spec bundled."""
    out.mkdir(parents=True, exist_ok=True)
    dmg = out / f"BidDesk-{app_version()}.dmg"
    script = PACKAGING / "macos" / "make_dmg.sh"
    command = ["bash", str(script), str(DIST / "BidDesk.app"), str(dmg)]
    print("+", " ".join(command), flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise BuildError("make_dmg.sh failed; its output above says why.")
    return dmg


# -- driver ---------------------------------------------------------------------------------


def _size(path: Path) -> str:
    size = path.stat().st_size if path.is_file() else _tree_kib(path) * 1024
    return f"{size / 1_000_000:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-freeze", action="store_true", help="reuse build/pyinstaller")
    parser.add_argument("--no-installer", action="store_true", help="freeze and smoke-test only")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        bundle = DIST / PACKAGE if args.skip_freeze else freeze()
        if not executable(bundle).exists():
            raise BuildError(f"There is no frozen app at {bundle}; run without --skip-freeze.")
        print(f"one-dir app: {bundle} ({_size(bundle)})")
        missing = missing_modules(bundled_modules())
        if missing:
            raise BuildError("The bundle lacks modules the app needs: " + ", ".join(missing))
        print(f"demo smoke test passed in {smoke_test_demo(executable(bundle)):.1f} s")
        result = smoke_test(executable(bundle), keep=BUILD / "smoke-screenshot.png")
        print(
            f"smoke test passed in {result.seconds:.1f} s "
            f"(screenshot {result.screenshot_bytes} bytes: build/smoke-screenshot.png)"
        )
        if not args.no_installer:
            outputs: list[Path] = []
            if sys.platform.startswith("linux"):
                outputs += [make_deb(bundle), make_tarball(bundle)]
            elif sys.platform == "win32":
                outputs.append(make_windows_installer())
            elif sys.platform == "darwin":
                outputs.append(make_dmg())
            for path in outputs:
                print(f"installer: {path} ({_size(path)})")
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 1
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
