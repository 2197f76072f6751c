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
import gzip
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"
SCREENSHOTS = ROOT / "resources" / "screenshots"
PYPROJECT = ROOT / "pyproject.toml"
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
# The project has no public web site yet, so the .deb and the metainfo carry no homepage
# rather than an invented one. A release sets BIDDESK_HOMEPAGE (the Homepage field and
# AppStream's homepage URL) and BIDDESK_SCREENSHOT_BASE_URL (where the PNGs of
# resources/screenshots/ are published: AppStream wants web URLs for screenshots, and
# appstreamcli rejects file paths) in the build's environment.
HOMEPAGE_ENV = "BIDDESK_HOMEPAGE"
SCREENSHOT_BASE_URL_ENV = "BIDDESK_SCREENSHOT_BASE_URL"
# Captions of the screenshots in resources/screenshots/ (any other PNG there is captioned
# from its file name); the first one listed is AppStream's default screenshot.
SCREENSHOT_CAPTIONS = {
    "main-window": "The inbox: every opportunity with its match score, and the proposal editor",
    "editor-drafting": "Drafting a proposal with the language model, checked against the rules",
    "webhooks": "Receiving opportunities from GigRadar and UpHunt through webhooks",
}
INSTALL_DIR = f"/opt/{PACKAGE}"
DOC_DIR = f"/usr/share/doc/{PACKAGE}"
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
# (recommended) a Secret Service provider so API keys can be saved in the keychain. keyring
# talks to org.freedesktop.secrets through secretstorage (bundled). gnome-keyring provides
# it, KeePassXC does with its Secret Service integration on, and KDE's kwalletd5
# (libkf5wallet-bin, KDE Frameworks 5.97 and later) does too. kwalletmanager is only KWallet's
# GUI and provides no Secret Service, so it is not an alternative.
DEB_EXTRA_DEPENDS = ("fonts-dejavu-core | fonts-liberation2 | fonts-noto-core",)
SECRET_SERVICE_PROVIDERS = ("gnome-keyring", "keepassxc", "libkf5wallet-bin")
DEB_RECOMMENDS = (" | ".join(SECRET_SERVICE_PROVIDERS), "xdg-utils")

# What the bundle carries besides BidDesk's own code, for /usr/share/doc/biddesk/copyright:
# (component, SPDX licence, copyright holders, paths under the install dir or "" when the
# code lives only in the executable's Python archive). Python packages are named as their
# distributions so a test can check the runtime dependency closure is covered.
THIRD_PARTY: tuple[tuple[str, str, str, str], ...] = (
    (
        "Python",
        "PSF-2.0",
        "2001-2024 Python Software Foundation",
        "_internal/libpython3* _internal/base_library.zip _internal/python3*/lib-dynload/*",
    ),
    ("PySide6-Essentials", "LGPL-3.0-only", "The Qt Company Ltd.", "_internal/PySide6/*"),
    ("shiboken6", "LGPL-3.0-only", "The Qt Company Ltd.", "_internal/shiboken6/*"),
    (
        "Qt 6",
        "LGPL-3.0-only",
        "The Qt Company Ltd. and other contributors",
        "_internal/PySide6/Qt/*",
    ),
    (
        "Expat (built into Python's pyexpat)",
        "MIT",
        "1998-2000 Thai Open Source Software Center Ltd, Clark Cooper; Expat maintainers",
        "_internal/python3*/lib-dynload/pyexpat*",
    ),
    (
        "ICU (bundled with Qt)",
        "Unicode-3.0",
        "Unicode, Inc. and others",
        "_internal/PySide6/Qt/lib/libicu*",
    ),
    (
        "PyInstaller bootloader",
        "GPL-2.0-or-later WITH Bootloader-exception",
        "2010-2024 PyInstaller Development Team",
        "",
    ),
    ("qasync", "BSD-2-Clause", "Mark Harviston, Arve Knudsen, Gerard Marull-Paretas", ""),
    ("httpx", "BSD-3-Clause", "Encode OSS Ltd.", ""),
    ("httpx2", "BSD-3-Clause", "Encode OSS Ltd.", ""),
    ("httpcore", "BSD-3-Clause", "Encode OSS Ltd.", ""),
    ("httpcore2", "BSD-3-Clause", "Encode OSS Ltd.", ""),
    ("h11", "MIT", "Nathaniel J. Smith and contributors", ""),
    ("anyio", "MIT", "Alex Grönholm", ""),
    ("sniffio", "MIT OR Apache-2.0", "Nathaniel J. Smith and contributors", ""),
    ("idna", "BSD-3-Clause", "Kim Davies and contributors", ""),
    ("certifi", "MPL-2.0", "Kenneth Reitz and contributors", "_internal/certifi/*"),
    ("truststore", "MIT", "Seth Michael Larson, David Glick, Quentin Pradet", ""),
    ("pydantic", "MIT", "Pydantic Services Inc. and contributors", ""),
    (
        "pydantic-core",
        "MIT",
        "Pydantic Services Inc. and contributors",
        "_internal/pydantic_core/*",
    ),
    ("annotated-types", "MIT", "the contributors", ""),
    ("typing-extensions", "PSF-2.0", "Guido van Rossum, Jukka Lehtosalo and others", ""),
    ("typing-inspection", "MIT", "Pydantic Services Inc.", ""),
    ("keyring", "MIT", "Jason R. Coombs and Kang Zhang", ""),
    ("jaraco.classes", "MIT", "Jason R. Coombs", ""),
    ("jaraco.context", "MIT", "Jason R. Coombs", ""),
    ("jaraco.functools", "MIT", "Jason R. Coombs", ""),
    ("more-itertools", "MIT", "Erik Rose", ""),
    ("backports.tarfile", "MIT", "Jason R. Coombs", ""),
    ("importlib-metadata", "Apache-2.0", "Jason R. Coombs", ""),
    ("zipp", "MIT", "Jason R. Coombs", ""),
    ("secretstorage", "BSD-3-Clause", "Dmitry Shachnev", ""),
    ("jeepney", "MIT", "Thomas Kluyver", ""),
    ("dbus-fast", "MIT", "Bluetooth Devices Authors", "_internal/dbus_fast/*"),
    # the inbox index: numpy's wheel bundles OpenBLAS and its runtime (BSD-3-Clause with
    # those libraries' own terms); pyroaring wraps CRoaring (Apache-2.0 OR MIT)
    ("numpy", "BSD-3-Clause", "NumPy Developers", "_internal/numpy/*"),
    (
        "OpenBLAS (bundled with numpy)",
        "BSD-3-Clause",
        "The OpenBLAS Project; 2009-2010 The University of Texas at Austin",
        "_internal/numpy.libs/libscipy_openblas*",
    ),
    (
        "libgfortran (GCC's runtime, bundled with numpy)",
        "GPL-3.0-or-later WITH GCC-exception-3.1",
        "Free Software Foundation, Inc.",
        "_internal/numpy.libs/libgfortran-*",
    ),
    (
        "libquadmath (GCC's runtime, bundled with numpy)",
        "LGPL-2.1-or-later",
        "Free Software Foundation, Inc.",
        "_internal/numpy.libs/libquadmath-*",
    ),
    ("pyroaring", "MIT", "Tom Cornebize and contributors", ""),
    ("psycopg", "LGPL-3.0-only", "Daniele Varrazzo and the psycopg developers", ""),
    ("psycopg-pool", "LGPL-3.0-only", "Daniele Varrazzo and the psycopg developers", ""),
    (
        "psycopg-binary",
        "LGPL-3.0-only",
        "Daniele Varrazzo and the psycopg developers",
        "_internal/psycopg_binary/*",
    ),
    # psycopg-binary's wheel bundles libpq and what libpq links to (auditwheel's
    # psycopg_binary.libs: OpenSSL, MIT Kerberos, OpenLDAP, Cyrus SASL and their runtime),
    # each under its own licence; `.libs` file names carry a hash, hence the patterns.
    (
        "libpq (PostgreSQL's client library, bundled with psycopg-binary)",
        "PostgreSQL",
        "1996-2025 The PostgreSQL Global Development Group; 1994 Regents of the U. of California",
        "_internal/psycopg_binary.libs/libpq-*",
    ),
    (
        "OpenSSL 3 (bundled with psycopg-binary)",
        "Apache-2.0",
        "The OpenSSL Project Authors",
        "_internal/psycopg_binary.libs/libssl-* _internal/psycopg_binary.libs/libcrypto-*",
    ),
    (
        "MIT Kerberos 5 (bundled with psycopg-binary; parts under the terms its NOTICE lists)",
        "BSD-2-Clause",
        "Massachusetts Institute of Technology and the other holders its NOTICE names",
        " ".join(
            f"_internal/psycopg_binary.libs/{name}"
            for name in ("libgssapi_krb5-*", "libkrb5-*", "libkrb5support-*", "libk5crypto-*")
        )
        + " _internal/psycopg_binary.libs/libcom_err-*.so.3*",
    ),
    (
        "OpenLDAP (bundled with psycopg-binary)",
        "OLDAP-2.8",
        "The OpenLDAP Foundation",
        "_internal/psycopg_binary.libs/libldap-* _internal/psycopg_binary.libs/liblber-*",
    ),
    (
        "Cyrus SASL (bundled with psycopg-binary)",
        "BSD-4-Clause",
        "1998-2003 Carnegie Mellon University",
        "_internal/psycopg_binary.libs/libsasl2-*",
    ),
    (
        "com_err of e2fsprogs (bundled with psycopg-binary, for Cyrus SASL)",
        "MIT",
        "1987-1988 Student Information Processing Board of the Massachusetts Inst. of Technology",
        "_internal/psycopg_binary.libs/libcom_err-*.so.2*",
    ),
    (
        "keyutils (bundled with psycopg-binary)",
        "LGPL-2.1-or-later",
        "Red Hat, Inc.",
        "_internal/psycopg_binary.libs/libkeyutils-*",
    ),
    (
        "libxcrypt (bundled with psycopg-binary; some files under permissive terms)",
        "LGPL-2.1-or-later",
        "the libxcrypt contributors",
        "_internal/psycopg_binary.libs/libcrypt-*",
    ),
    (
        "cryptography",
        "Apache-2.0 OR BSD-3-Clause",
        "Individual contributors; statically linked OpenSSL: The OpenSSL Project Authors",
        "_internal/cryptography/*",
    ),
    ("cffi", "MIT-0", "Armin Rigo, Maciej Fijalkowski", "_internal/_cffi_backend*"),
    ("pycparser", "BSD-3-Clause", "Eli Bendersky", ""),
    ("openai", "Apache-2.0", "OpenAI", ""),
    ("jiter", "MIT", "Pydantic Services Inc.", "_internal/jiter/*"),
    ("lazy-importer", "Apache-2.0", "the contributors", ""),
    ("aiohttp", "Apache-2.0 AND MIT", "aio-libs contributors", "_internal/aiohttp/*"),
    ("aiohappyeyeballs", "PSF-2.0", "J. Nick Koston", ""),
    ("aiosignal", "Apache-2.0", "aio-libs contributors", ""),
    ("attrs", "MIT", "Hynek Schlawack and the attrs contributors", ""),
    ("frozenlist", "Apache-2.0", "aio-libs contributors", "_internal/frozenlist/*"),
    ("multidict", "Apache-2.0", "aio-libs contributors", "_internal/multidict/*"),
    ("propcache", "Apache-2.0", "aio-libs contributors", "_internal/propcache/*"),
    ("yarl", "Apache-2.0", "aio-libs contributors", "_internal/yarl/*"),
    ("platformdirs", "MIT", "the platformdirs developers", ""),
)
# Licences Debian ships in /usr/share/common-licenses (referred to, not copied), and short
# stand-alone texts or pointers for the others.
COMMON_LICENSES = {
    "LGPL-3.0-only": "LGPL-3",
    "LGPL-2.1-or-later": "LGPL-2.1",
    "GPL-3.0-or-later": "GPL-3",
    "GPL-2.0-or-later": "GPL-2",
    "Apache-2.0": "Apache-2.0",
    "MPL-2.0": "MPL-2.0",
}

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
    # a build machine has no Secret Service: the sandbox's webhook secrets stay in memory
    r"biddesk: WARNING: webhook credentials of \S+ kept for this run only: "
    r"No system keyring is available: .*",
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
# dbus_fast: notifications through the desktop's service (imported when first used)
REQUIRED_MODULES_LINUX = ("secretstorage", "jeepney", "dbus_fast", "dbus_fast.aio")


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


def project_metadata() -> dict[str, str]:
    """Name, version and licence from pyproject.toml's [project] table."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    licence = project.get("license", {})
    text = licence.get("text", "") if isinstance(licence, dict) else str(licence)
    if not text:
        raise BuildError("pyproject.toml's [project] has no license.")
    return {"name": project["name"], "version": project["version"], "license": text}


def homepage() -> str | None:
    """The project's web site for Homepage and AppStream, or None while it has none."""
    return os.environ.get(HOMEPAGE_ENV, "").strip() or None


def screenshot_base_url() -> str | None:
    """Where resources/screenshots/ is published (AppStream needs web URLs), or None."""
    url = os.environ.get(SCREENSHOT_BASE_URL_ENV, "").strip()
    return url.rstrip("/") + "/" if url else None


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


@dataclass(frozen=True)
class Screenshot:
    file: str
    caption: str
    width: int
    height: int


def screenshots(folder: Path = SCREENSHOTS) -> list[Screenshot]:
    """The PNGs in resources/screenshots/ with captions and sizes, the captioned ones first."""
    order = list(SCREENSHOT_CAPTIONS)
    found = []
    for path in sorted(folder.glob("*.png")):
        width, height = png_dimensions(path)
        caption = SCREENSHOT_CAPTIONS.get(path.stem) or path.stem.replace("-", " ").capitalize()
        found.append(Screenshot(path.name, caption, width, height))
    found.sort(key=lambda s: order.index(Path(s.file).stem) if Path(s.file).stem in order else 99)
    return found


def _screenshots_xml(base_url: str | None, shots: list[Screenshot]) -> str:
    if base_url is None or not shots:
        return ""
    items = []
    for index, shot in enumerate(shots):
        kind = ' type="default"' if index == 0 else ""
        items.append(
            f"    <screenshot{kind}>\n"
            f"      <caption>{escape(shot.caption)}</caption>\n"
            f'      <image type="source" width="{shot.width}" height="{shot.height}">'
            f"{escape(base_url + shot.file)}</image>\n"
            "    </screenshot>\n"
        )
    return "  <screenshots>\n" + "".join(items) + "  </screenshots>\n"


def metainfo_xml(
    version: str,
    date: str,
    homepage_url: str | None = None,
    screenshot_base: str | None = None,
    shots: list[Screenshot] | None = None,
) -> str:
    """AppStream metadata: what software centres show for the app.

    Homepage and screenshots appear only with real web URLs: appstreamcli rejects file
    paths for screenshots, and an invented address would send users nowhere.
    """
    url = f'  <url type="homepage">{escape(homepage_url)}</url>\n' if homepage_url else ""
    shots_xml = _screenshots_xml(screenshot_base, screenshots() if shots is None else shots)
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
{url}{shots_xml}  <categories>
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


def build_metainfo(version: str) -> str:
    """The metainfo this build ships: today's release, homepage and screenshots if set."""
    return metainfo_xml(version, release_date(), homepage(), screenshot_base_url())


# -- RUNPATH: no build-machine paths in shipped binaries -----------------------------------


def require_patchelf() -> str:
    """patchelf's path, or a BuildError saying how to get it."""
    tool = shutil.which("patchelf")
    if tool is None:
        raise BuildError(
            "patchelf is not installed; it removes the build machine's RUNPATH from the "
            "bundled libraries (sudo apt-get install patchelf)."
        )
    return tool


def is_origin_relative(entry: str) -> bool:
    return entry.startswith(("$ORIGIN", "${ORIGIN}"))


def _resolve_origin(entry: str, origin: Path) -> Path:
    rest = entry.removeprefix("${ORIGIN}").removeprefix("$ORIGIN")
    return Path(os.path.normpath(str(origin) + rest))


def planned_runpath(
    elf: Path, runpath: str, needed: list[str], bundled: dict[str, Path], bundle: Path
) -> str:
    """The RUNPATH an ELF file in the bundle should have ("" for none).

    Keeps the $ORIGIN-relative entries that stay inside the bundle, drops every other one
    (a build machine's ~/.pyenv/... or /usr/local/lib), and adds a $ORIGIN-relative
    entry for each needed library that the bundle holds in another folder, so libpython's
    extension modules still find it without the bootloader's help.
    """
    origin = elf.parent
    root = bundle.resolve()
    kept: list[str] = []
    for entry in filter(None, runpath.split(":")):
        if not is_origin_relative(entry):
            continue
        target = _resolve_origin(entry, origin.resolve())
        if (target == root or root in target.parents) and entry not in kept:
            kept.append(entry)
    searched = {origin.resolve()} | {_resolve_origin(e, origin.resolve()) for e in kept}
    for soname in needed:
        folder = bundled.get(soname)
        if folder is None or folder.resolve() in searched:
            continue
        relative = os.path.relpath(folder.resolve(), origin.resolve())
        entry = "$ORIGIN" if relative == "." else f"$ORIGIN/{relative}"
        kept.append(entry)
        searched.add(folder.resolve())
    return ":".join(kept)


def _patchelf(tool: str, *args: str) -> str:
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"patchelf {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def restore_wheel_libs(bundle: Path, site_packages: Path) -> int:
    """Put back, unstripped, the libraries wheels vendor in `<package>.libs` folders
    (auditwheel's: numpy's OpenBLAS and gfortran). auditwheel rewrote them with patchelf,
    and `strip` on such a file breaks its program headers: the frozen app then failed to
    import numpy ("ELF load command address/offset not page-aligned"). Returns how many."""
    restored = 0
    for folder in bundle.rglob("*.libs"):
        source = site_packages / folder.name
        if not folder.is_dir() or not source.is_dir():
            continue
        for original in source.iterdir():
            target = folder / original.name
            if original.is_file() and target.exists():
                shutil.copy2(original, target)
                restored += 1
    return restored


def fix_runpaths(bundle: Path) -> int:
    """Rewrite every ELF file's RUNPATH in the bundle to planned_runpath; returns how many
    changed. Idempotent, so --skip-freeze runs it again safely."""
    tool = require_patchelf()
    elves = _elf_files(bundle)
    bundled = {path.name: path.parent for path in elves}
    changed = 0
    for elf in elves:
        current = _patchelf(tool, "--print-rpath", str(elf))
        if not current:
            continue
        needed = _patchelf(tool, "--print-needed", str(elf)).split()
        wanted = planned_runpath(elf, current, needed, bundled, bundle)
        if wanted == current:
            continue
        if wanted:
            _patchelf(tool, "--set-rpath", wanted, str(elf))
        else:
            _patchelf(tool, "--remove-rpath", str(elf))
        changed += 1
    return changed


def foreign_runpaths(bundle: Path) -> list[str]:
    """ELF files whose RUNPATH/RPATH names anything but $ORIGIN-relative folders."""
    tool = require_patchelf()
    bad = []
    for elf in _elf_files(bundle):
        entries = _patchelf(tool, "--print-rpath", str(elf)).split(":")
        if any(e and not is_origin_relative(e) for e in entries):
            bad.append(f"{elf.relative_to(bundle)}: {':'.join(entries)}")
    return bad


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


def deb_control(
    version: str,
    installed_kib: int,
    arch: str,
    depends: list[str],
    homepage_url: str | None = None,
) -> str:
    """The DEBIAN/control file (a Homepage field only for a real web site)."""
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
        + (f"Homepage: {homepage_url}\n" if homepage_url else "")
        + f"Description: {summary}\n"
        f"{body}\n"
    )


_SHORT_LICENSES = {
    "Proprietary": (
        "All rights reserved. BidDesk is proprietary software of the BidDesk maintainers;\n"
        "copying, modifying or distributing it needs their written permission. The\n"
        "third-party components listed below keep their own licences."
    ),
    "MIT": (
        "Permission is hereby granted, free of charge, to any person obtaining a copy of\n"
        'this software and associated documentation files (the "Software"), to deal in\n'
        "the Software without restriction, including without limitation the rights to\n"
        "use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of\n"
        "the Software, and to permit persons to whom the Software is furnished to do so,\n"
        "subject to the following conditions:\n"
        ".\n"
        "The above copyright notice and this permission notice shall be included in all\n"
        "copies or substantial portions of the Software.\n"
        ".\n"
        'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n'
        "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS\n"
        "FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR\n"
        "COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN\n"
        "AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION\n"
        "WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."
    ),
}


def _license_ids(expression: str) -> list[str]:
    """The licence names in an SPDX or DEP-5 licence expression, in order, no operators."""
    words = expression.replace("(", " ").replace(")", " ").split()
    ids: list[str] = []
    skipping = False
    for word in words:
        lowered = word.lower()
        if skipping:  # SPDX "WITH X-exception[-1.0]", DEP-5 "with X exception"
            skipping = "exception" not in lowered
            continue
        if lowered == "with":
            skipping = True
            continue
        if lowered not in ("and", "or") and word not in ids:
            ids.append(word)
    return ids


def dep5_license(spdx: str) -> str:
    """An SPDX expression in DEP-5 spelling: lower-case operators, "with X exception"."""
    text = re.sub(
        r" WITH (\S+?)-exception(-[\d.]+)?(?=[\s)]|$)",
        lambda found: f" with {found[1]}{found[2] or ''} exception",
        spdx,
    )
    return text.replace(" AND ", " and ").replace(" OR ", " or ")


def _license_paragraph(name: str) -> str:
    if name in _SHORT_LICENSES:
        text = _SHORT_LICENSES[name]
    elif name in COMMON_LICENSES:
        text = (
            f"On Debian systems, the complete text of the licence is in\n"
            f"/usr/share/common-licenses/{COMMON_LICENSES[name]}."
        )
    else:
        text = (
            f"The {name} licence; its full text is at https://spdx.org/licenses/{name}.html\n"
            "and in the component's own distribution."
        )
    if name == "GPL-2.0-or-later":
        text += (
            "\n.\nThe PyInstaller bootloader's exception allows it to be combined with\n"
            "programs under any licence and distributed under terms of their choice."
        )
    body = "\n".join(f" {line}" if line != "." else " ." for line in text.split("\n"))
    return f"License: {name}\n{body}\n"


def deb_copyright(year: str, license_name: str | None = None) -> str:
    """/usr/share/doc/biddesk/copyright in Debian's machine-readable format (DEP-5)."""
    own = license_name or project_metadata()["license"]
    install = INSTALL_DIR.lstrip("/")
    paragraphs = [
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {APP_NAME}\n"
        f"Upstream-Contact: {MAINTAINER}\n"
        "Comment: BidDesk bundles Python, Qt (through PySide6) and the Python packages it\n"
        " needs into /opt/biddesk; each keeps its own licence, summarised below. Qt,\n"
        " PySide6 and Shiboken are used under the LGPLv3 as separate shared libraries\n"
        " under /opt/biddesk/_internal, which a user may replace with compatible builds.\n"
        " The Python packages are compiled into the executable's archive (pure Python)\n"
        " or lie under /opt/biddesk/_internal (extension modules).\n",
        f"Files: *\nCopyright: {year} BidDesk maintainers\nLicense: {own}\n",
    ]
    licences: list[str] = [own]
    archived: list[tuple[str, str, str]] = []
    for component, spdx, holders, files in THIRD_PARTY:
        licences += [name for name in _license_ids(spdx) if name not in licences]
        if not files:
            archived.append((component, spdx, holders))
            continue
        patterns = " ".join(f"{install}/{f}" for f in files.split())
        paragraphs.append(
            f"Files: {patterns}\nCopyright: {holders}\nLicense: {dep5_license(spdx)}\n"
            f"Comment: {component}\n"
        )
    # The executable is the PyInstaller bootloader with an archive of BidDesk's code and the
    # pure-Python packages appended: all their licences apply to that one file (an "or"
    # choice is listed as all its terms, which satisfies each).
    terms = [own]
    for _component, spdx, _holders in archived:
        parts = _license_ids(spdx) if " OR " in spdx else spdx.split(" AND ")
        terms += [dep5_license(t) for t in parts if dep5_license(t) not in terms]
    holders_lines = "\n".join(f" {h}" for h in dict.fromkeys(h for _c, _s, h in archived))
    contents = "\n".join(f" {c}: {dep5_license(spdx)}" for c, spdx, _h in archived)
    paragraphs.append(
        f"Files: {install}/{PACKAGE}\n"
        f"Copyright: {year} BidDesk maintainers\n"
        f"{holders_lines}\n"
        f"License: {' and '.join(terms)}\n"
        "Comment: The PyInstaller bootloader with BidDesk's own code and these Python\n"
        " packages in its archive:\n"
        f"{contents}\n"
    )
    paragraphs += [_license_paragraph(name) for name in licences]
    return "\n".join(paragraphs)


def deb_changelog(version: str, when: datetime) -> str:
    """A Debian-format changelog entry for this version (installed as changelog.gz)."""
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f"{PACKAGE} ({version}) unstable; urgency=medium\n"
        "\n"
        f"  * {APP_NAME} {version}: see the README for what this release does.\n"
        "\n"
        f" -- {MAINTAINER}  {stamp}\n"
    )


def release_moment() -> datetime:
    """Now in UTC, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)


def _gzip_n(data: bytes) -> bytes:
    """gzip -9n: no name, no timestamp, so the same input gives the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as f:
        f.write(data)
    return buffer.getvalue()


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
    (meta / f"{APP_ID}.metainfo.xml").write_text(build_metainfo(version), encoding="utf-8")
    hicolor = usr / "share" / "icons" / "hicolor"
    for size in DEB_ICON_SIZES:
        target = hicolor / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copyfile(ICONS / f"{PACKAGE}-{size}.png", target / f"{PACKAGE}.png")
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(ICONS / f"{PACKAGE}.svg", hicolor / "scalable" / "apps" / f"{PACKAGE}.svg")
    doc = staging / DOC_DIR.lstrip("/")
    doc.mkdir(parents=True)
    moment = release_moment()
    (doc / "copyright").write_text(deb_copyright(str(moment.year)), encoding="utf-8")
    (doc / "changelog.gz").write_bytes(_gzip_n(deb_changelog(version, moment).encode()))
    overrides = usr / "share" / "lintian" / "overrides"
    overrides.mkdir(parents=True)
    (overrides / PACKAGE).write_text(LINTIAN_OVERRIDES, encoding="utf-8")
    for path in staging.rglob("*"):
        if not path.is_symlink():
            path.chmod(_deb_mode(path))
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "md5sums").write_text(_md5sums(staging), encoding="utf-8")
    (debian / "control").write_text(
        deb_control(version, _tree_kib(staging), arch, depends, homepage()), encoding="utf-8"
    )
    (debian / "preinst").write_text(PREINST, encoding="utf-8")
    for path in debian.iterdir():
        path.chmod(0o755 if path.name == "preinst" else 0o644)
    return staging


def _deb_mode(path: Path) -> int:
    """0755 for folders and programs; 0644 for data and shared libraries (dlopen needs no
    execute bit, and Debian policy wants none on a library)."""
    if path.is_dir():
        return 0o755
    if SHARED_LIBRARY.search(path.name):
        return 0o644
    return 0o755 if os.access(path, os.X_OK) else 0o644


SHARED_LIBRARY = re.compile(r"\.so(\.[0-9.]+)?$")

# What lintian reports about CPython's own build that the package cannot change (each
# checked by hand, and the reason kept with it).
LINTIAN_OVERRIDES = """\
# CPython's pyexpat embeds its own copy of Expat (listed in the copyright file); a
# different libexpat could not be swapped in without rebuilding the interpreter.
biddesk: embedded-library expat [opt/biddesk/_internal/python3*/lib-dynload/pyexpat.*]
# These two extension modules call no libc function (only libm and libuuid, and
# weak references the loader resolves), so they have no reason to link libc.
biddesk: library-not-linked-against-libc [opt/biddesk/_internal/python3*/lib-dynload/_statistics.*]
biddesk: library-not-linked-against-libc [opt/biddesk/_internal/python3*/lib-dynload/_uuid.*]
# numpy's vendored OpenBLAS ships as its wheel has it: auditwheel rewrote it with
# patchelf, and strip then breaks its program headers (numpy fails to import).
biddesk: unstripped-binary-or-object [opt/biddesk/_internal/numpy.libs/*]
"""

# /opt is the system's (no Debian package ships it), so the .deb leaves it out of its
# archive and only makes sure it exists before dpkg unpacks /opt/biddesk into it.
PREINST = """#!/bin/sh
set -e
if [ ! -d "$DPKG_ROOT/opt" ]; then
    mkdir -m 0755 "$DPKG_ROOT/opt"
fi
"""
# Directories the .deb must not list as its own: removing the package would rmdir them.
UNOWNED_DIRS = ("./opt",)


def _md5sums(staging: Path) -> str:
    import hashlib

    lines = []
    for path in sorted(staging.rglob("*")):
        if path.is_file() and not path.is_symlink() and "DEBIAN" not in path.parts:
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {path.relative_to(staging).as_posix()}\n")
    return "".join(lines)


def _ar_members(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(b"!<arch>\n"):
        raise BuildError("The .deb is not an ar archive.")
    members, offset = [], 8
    while offset < len(data):
        header = data[offset : offset + 60]
        size = int(header[48:58].decode().strip())
        members.append((header, data[offset + 60 : offset + 60 + size]))
        offset += 60 + size + (size % 2)
    return members


def _xz(data: bytes) -> bytes:
    """xz -6, on every core with the xz tool (dpkg-deb's own choice), else Python's lzma."""
    if shutil.which("xz"):
        done = subprocess.run(
            ["xz", "-6", "--threads=0", "--stdout"], input=data, capture_output=True, check=False
        )
        if done.returncode == 0:
            return done.stdout
    import lzma

    return lzma.compress(data, preset=6)


def _rewrite_tar(payload: bytes, compressed: bool, unowned: tuple[str, ...]) -> bytes:
    """The tar archive `payload` as .tar.xz, without the directory entries in `unowned`."""
    buffer = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(payload), mode="r:xz" if compressed else "r:") as source,
        tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as target,
    ):
        for info in source:
            if info.isdir() and info.name.rstrip("/") in unowned:
                continue
            target.addfile(info, source.extractfile(info) if info.isreg() else None)
    return _xz(buffer.getvalue())


def drop_unowned_dirs(deb: Path, unowned: tuple[str, ...] = UNOWNED_DIRS) -> None:
    """Rewrite the .deb's data archive without the directory entries in `unowned`, so dpkg
    does not record /opt as the package's (dpkg-deb always archives every parent).

    dpkg-deb builds with uncompressed members (-Znone, which also leaves control.tar
    uncompressed); this writes control.tar.xz and data.tar.xz once.
    """
    members = _ar_members(deb.read_bytes())
    out = bytearray(b"!<arch>\n")
    for header, payload in members:
        name = header[:16].decode().strip().rstrip("/")
        kind, _, suffix = name.partition(".tar")
        if kind in ("control", "data"):
            if suffix not in ("", ".xz"):
                raise BuildError(f"Expected {kind}.tar or {kind}.tar.xz in the .deb, found {name}.")
            skip = unowned if kind == "data" else ()
            payload = _rewrite_tar(payload, suffix == ".xz", skip)
            header = (
                f"{kind + '.tar.xz':<16}".encode()
                + header[16:48]
                + f"{len(payload):<10}".encode()
                + header[58:]
            )
        out += header + payload + (b"\n" if len(payload) % 2 else b"")
    deb.write_bytes(bytes(out))


def make_deb(bundle: Path, out: Path = INSTALLERS) -> Path:
    """Build the .deb with dpkg-deb (files owned by root, whoever builds)."""
    version, arch = app_version(), deb_architecture()
    foreign = foreign_runpaths(bundle)
    if foreign:
        raise BuildError(
            "These bundled files still carry a build-machine RUNPATH:\n" + "\n".join(foreign)
        )
    depends = system_depends(bundle)
    staging = stage_deb(bundle, BUILD / "deb-root", version, arch, depends)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    command = ["dpkg-deb", "--root-owner-group", "-Znone", "--build", str(staging), str(deb)]
    print("+", " ".join(command), flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        raise BuildError("dpkg-deb failed; its output above says why.")
    drop_unowned_dirs(deb)
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
            (f"{APP_ID}.metainfo.xml", build_metainfo(version)),
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
        if sys.platform.startswith("linux"):
            require_patchelf()  # before the two minutes of freezing, not after
        bundle = DIST / PACKAGE if args.skip_freeze else freeze()
        if not executable(bundle).exists():
            raise BuildError(f"There is no frozen app at {bundle}; run without --skip-freeze.")
        print(f"one-dir app: {bundle} ({_size(bundle)})")
        if sys.platform.startswith("linux"):
            site_packages = Path(sysconfig.get_paths()["purelib"])
            print(
                f"wheel libraries restored unstripped: {restore_wheel_libs(bundle, site_packages)}"
            )
            print(f"RUNPATH rewritten in {fix_runpaths(bundle)} files (no build-machine paths)")
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
