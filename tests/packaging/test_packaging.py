"""What build.py writes into the installers, checked without running PyInstaller: the
desktop entry, the AppStream metainfo, the Debian control file and tree, the spec's trims,
and the smoke test's judgement of stderr."""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from app import __version__
from tests.packaging.conftest import ROOT

SPEC = ROOT / "packaging" / "biddesk.spec"
DEPS = ["libc6"]


def _spec_list(name: str) -> list[str]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return [ast.literal_eval(e) for e in node.value.elts]  # type: ignore[attr-defined]
    raise AssertionError(f"{name} is not in the spec")


def test_version_is_read_from_the_app(build: ModuleType) -> None:
    assert build.app_version() == __version__


def test_desktop_entry_launches_biddesk_with_its_icon(build: ModuleType) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(build.desktop_entry())
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "BidDesk"
    assert entry["Exec"].split()[0] == "biddesk"
    assert entry["Icon"] == "biddesk"  # the hicolor name the .deb installs
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")
    # Qt's desktopFileName is "biddesk": the shell matches windows to this file by it.
    assert 'setDesktopFileName("biddesk")' in (ROOT / "app/ui/app.py").read_text()


def test_metainfo_names_the_app_its_launcher_icon_and_this_release(build: ModuleType) -> None:
    root = ET.fromstring(build.metainfo_xml(__version__, "2026-01-31"))
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == build.APP_ID
    assert root.findtext("name") == "BidDesk"
    assert root.findtext("summary")
    assert root.findtext("metadata_license") == "CC0-1.0"
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == "biddesk.desktop"
    assert root.findtext("icon") == "biddesk"
    releases = root.findall("releases/release")
    assert [(r.get("version"), r.get("date")) for r in releases] == [(__version__, "2026-01-31")]
    assert root.find("description/p") is not None


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils")
def test_desktop_entry_passes_desktop_file_validate(build: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "biddesk.desktop"
    path.write_text(build.desktop_entry(), encoding="utf-8")
    done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="needs appstream")
def test_metainfo_passes_appstreamcli_validate(build: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / f"{build.APP_ID}.metainfo.xml"
    path.write_text(build.metainfo_xml(__version__, "2026-01-31"), encoding="utf-8")
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_release_date_follows_source_date_epoch(
    build: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00Z
    assert build.release_date() == "2026-01-01"


def _control_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" "):
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def test_control_file_has_what_dpkg_needs(build: ModuleType) -> None:
    text = build.deb_control(__version__, 123456, "amd64", ["libc6", "libxcb1"])
    assert text.endswith("\n")
    fields = _control_fields(text)
    for field in ("Package", "Version", "Architecture", "Maintainer", "Description"):
        assert fields.get(field), field
    assert fields["Package"] == "biddesk"
    assert re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", fields["Package"])
    assert fields["Version"] == __version__
    assert fields["Installed-Size"] == "123456"
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert depends[:2] == ["libc6", "libxcb1"]
    assert any(d.startswith("fonts-dejavu-core") for d in depends)
    synopsis, *body = fields["Description"].split("\n")
    assert synopsis and len(synopsis) <= 80
    assert body and all(line.startswith(" ") and len(line) <= 80 for line in body)


def test_ldd_output_is_split_into_found_and_missing(build: ModuleType) -> None:
    found, missing = build.parse_ldd(
        "\tlinux-vdso.so.1 (0x00007ffc)\n"
        "\tlibX11.so.6 => /lib/x86_64-linux-gnu/libX11.so.6 (0x00007f12)\n"
        "\tlibxcb-icccm.so.4 => not found\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f13)\n"
    )
    assert found == {"/lib/x86_64-linux-gnu/libX11.so.6"}
    assert missing == {"libxcb-icccm.so.4"}
    assert build.fallback_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert build.fallback_package("libQt6Core.so.6") is None


def test_system_libraries_are_left_to_debian_but_qt_and_python_are_bundled(
    build: ModuleType,
) -> None:
    for name in ("libX11.so.6", "libxcb-cursor.so.0", "libglib-2.0.so.0", "libssl.so.3"):
        assert build.is_system_lib(name), name
    for name in ("libQt6Core.so.6", "libicudata.so.73", "libpython3.11.so.1.0", "libpyside6"):
        assert not build.is_system_lib(name), name


def _fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "dist" / "biddesk"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "biddesk").write_bytes(b"#!/bin/sh\nexit 0\n")
    (bundle / "biddesk").chmod(0o755)
    (bundle / "_internal" / "data.txt").write_text("x" * 5000)
    return bundle


def test_deb_tree_puts_app_launcher_icons_and_metainfo_where_linux_looks(
    build: ModuleType, tmp_path: Path
) -> None:
    staging = build.stage_deb(
        _fake_bundle(tmp_path), tmp_path / "root", "1.2.3", "amd64", ["libc6"]
    )
    link = staging / "usr/bin/biddesk"
    assert link.is_symlink() and str(link.readlink()) == "/opt/biddesk/biddesk"
    assert (staging / "opt/biddesk/biddesk").stat().st_mode & 0o777 == 0o755
    assert (staging / "opt/biddesk/_internal/data.txt").stat().st_mode & 0o777 == 0o644
    assert (staging / "usr/share/applications/biddesk.desktop").read_text() == (
        build.desktop_entry()
    )
    meta = staging / f"usr/share/metainfo/{build.APP_ID}.metainfo.xml"
    assert ET.parse(meta).getroot().find("releases/release").get("version") == "1.2.3"
    for size in build.DEB_ICON_SIZES:
        assert (staging / f"usr/share/icons/hicolor/{size}x{size}/apps/biddesk.png").is_file()
    assert (staging / "usr/share/icons/hicolor/scalable/apps/biddesk.svg").is_file()
    fields = _control_fields((staging / "DEBIAN/control").read_text())
    assert fields["Version"] == "1.2.3"
    assert int(fields["Installed-Size"]) >= 5  # KiB, counts the app's files


@pytest.mark.skipif(not Path("/usr/bin/dpkg-deb").exists(), reason="needs dpkg-deb")
def test_staged_tree_builds_a_deb_dpkg_reads(build: ModuleType, tmp_path: Path) -> None:
    staging = build.stage_deb(
        _fake_bundle(tmp_path), tmp_path / "root", "1.2.3", "amd64", ["libc6"]
    )
    deb = tmp_path / "biddesk.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(staging), str(deb)],
        check=True,
        capture_output=True,
    )
    info = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Package: biddesk" in info and "Version: 1.2.3" in info


def test_tarball_holds_the_app_and_its_launcher(build: ModuleType, tmp_path: Path) -> None:
    path = build.make_tarball(_fake_bundle(tmp_path), tmp_path / "out")
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
    top = f"biddesk-{__version__}"
    assert {f"{top}/biddesk", f"{top}/share/biddesk.desktop", f"{top}/share/biddesk.png"} <= names


def test_spec_excludes_the_heavy_qt_modules_and_keeps_the_needed_ones() -> None:
    excluded = set(_spec_list("QT_EXCLUDES"))
    heavy = {"PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtPdf", "PySide6.QtSql"}
    assert heavy <= excluded
    used = {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtNetwork"}
    assert not used & excluded
    plugins = set(_spec_list("KEEP_PLUGIN_DIRS")) if False else None
    assert plugins is None
    text = SPEC.read_text(encoding="utf-8")
    assert '"platforms"' in text and '"iconengines"' in text and '"tls"' in text
    assert "qml" in text and "translations" in text  # both pruned


def test_spec_carries_the_lazily_imported_modules_and_keyring_backends() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert 'collect_submodules("app")' in text
    assert 'collect_submodules("keyring.backends")' in text
    assert 'copy_metadata("keyring")' in text  # backends are found through entry points
    assert '"openai"' in text and '"aiohttp"' in text
    assert '(str(ICONS), "resources/icons")' in text


def test_missing_modules_reports_what_the_bundle_lacks(build: ModuleType) -> None:
    complete = set(build.REQUIRED_MODULES) | set(build.REQUIRED_MODULES_LINUX)
    assert build.missing_modules(complete, "linux") == []
    assert build.missing_modules(complete - {"openai"}, "linux") == ["openai"]
    assert build.missing_modules(set(build.REQUIRED_MODULES), "win32") == []
    assert "secretstorage" in build.missing_modules(set(build.REQUIRED_MODULES), "linux")


def test_smoke_test_allows_known_qt_notices_only(build: ModuleType) -> None:
    stderr = (
        "This plugin does not support propagateSizeHints()\n"
        "QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '/tmp/runtime-root'\n"
        "\n"
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb"\n'
        "Traceback (most recent call last):\n"
    )
    assert build.unexpected_stderr(stderr) == [
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb"',
        "Traceback (most recent call last):",
    ]


def test_smoke_test_fails_on_a_bad_exit_and_passes_a_good_run(
    build: ModuleType, tmp_path: Path
) -> None:
    # A stand-in for the frozen app: writes the screenshot it is asked for, then exits.
    fake = tmp_path / "fake_app.py"
    png = ROOT / "resources" / "icons" / "biddesk-512.png"
    fake.write_text(
        "import shutil, sys\n"
        "args = sys.argv[1:]\n"
        f"shutil.copyfile({str(png)!r}, args[args.index('--screenshot') + 1])\n"
        "sys.exit(int(__import__('os').environ.get('FAKE_EXIT', '0')))\n"
    )
    kept = tmp_path / "kept.png"
    result = build.smoke_test([sys.executable, str(fake)], quit_after=0.1, keep=kept)
    assert result.screenshot_bytes == kept.stat().st_size > 0
    failing = tmp_path / "failing.py"
    failing.write_text("import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n")
    with pytest.raises(build.BuildError, match="exited with 3"):
        build.smoke_test([sys.executable, str(failing)], quit_after=0.1)
    noisy = tmp_path / "noisy.py"
    noisy.write_text(
        fake.read_text().replace("sys.exit", "print('oops', file=sys.stderr); sys.exit")
    )
    with pytest.raises(build.BuildError, match="oops"):
        build.smoke_test([sys.executable, str(noisy)], quit_after=0.1)


def test_windows_and_macos_scripts_match_the_build(build: ModuleType) -> None:
    iss = (ROOT / "packaging" / "windows" / "biddesk.iss").read_text(encoding="utf-8")
    for define in ("AppVersion", "SourceDir", "IconFile"):
        assert "{#" + define + "}" in iss
    assert "biddesk.exe" in iss and "BidDesk-{#AppVersion}-setup" in iss
    dmg = (ROOT / "packaging" / "macos" / "make_dmg.sh").read_text(encoding="utf-8")
    assert "hdiutil create" in dmg and "/Applications" in dmg
    assert subprocess.run(["bash", "-n", str(ROOT / "packaging/macos/make_dmg.sh")]).returncode == 0
    workflow = (ROOT / "packaging" / "ci" / "build.yml").read_text(encoding="utf-8")
    assert "python packaging/build.py" in workflow
    for runner in ("ubuntu", "windows", "macos"):
        assert runner in workflow


def test_windowed_entry_point_gives_the_app_real_std_streams() -> None:
    # What a console-less biddesk.exe meets: no stdout or stderr at all. The CLI writes to
    # sys.stdout directly when streaming a draft; that must not raise.
    script = (
        "import sys, runpy\n"
        "sys.stdout = None\n"
        "sys.stderr = None\n"
        f"runpy.run_path({str(ROOT / 'packaging' / 'biddesk_main.py')!r}, run_name='entry')\n"
        "sys.stdout.write('letter'); sys.stdout.flush(); sys.stderr.fileno()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
