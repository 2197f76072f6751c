"""The .deb's hygiene, checked on build.py's functions without running PyInstaller: no
build-machine RUNPATH, a DEP-5 copyright file and a Debian changelog, /opt left to the
system, the right Recommends, AppStream screenshots and no invented homepage (issue 16)."""

from __future__ import annotations

import fnmatch
import gzip
import importlib.metadata
import re
import shutil
import subprocess
import sysconfig
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement

from app import __version__
from tests.packaging.conftest import ROOT

needs_patchelf = pytest.mark.skipif(shutil.which("patchelf") is None, reason="needs patchelf")
needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
needs_appstream = pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream")


@pytest.fixture(autouse=True)
def _no_release_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIDDESK_HOMEPAGE", raising=False)
    monkeypatch.delenv("BIDDESK_SCREENSHOT_BASE_URL", raising=False)


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" "):
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def _fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "dist" / "biddesk"
    (bundle / "_internal" / "PySide6").mkdir(parents=True)
    (bundle / "biddesk").write_bytes(b"#!/bin/sh\nexit 0\n")
    (bundle / "biddesk").chmod(0o755)
    for name in ("libpython3.11.so.1.0", "PySide6/QtCore.abi3.so"):
        (bundle / "_internal" / name).write_bytes(b"\x7fELF not really")
        (bundle / "_internal" / name).chmod(0o755)
    return bundle


# -- RUNPATH ----------------------------------------------------------------------------------


def test_planned_runpath_drops_build_machine_paths_and_keeps_origin(
    build: ModuleType, tmp_path: Path
) -> None:
    bundle = tmp_path / "biddesk"
    internal = bundle / "_internal"
    dynload = internal / "python3.11" / "lib-dynload"
    qt_lib = internal / "PySide6" / "Qt" / "lib"
    for folder in (dynload, qt_lib, internal / "shiboken6"):
        folder.mkdir(parents=True)
    bundled = {"libpython3.11.so.1.0": internal, "libQt6Core.so.6": qt_lib}
    plan = build.planned_runpath
    # CPython's modules carry the build machine's prefix and need nothing bundled elsewhere.
    assert (
        plan(dynload / "_heapq.so", "/home/builder/.pyenv/versions/3.11.7/lib", [], bundled, bundle)
        == ""
    )
    # ...unless they do need libpython: then a path relative to themselves.
    assert (
        plan(
            dynload / "_x.so", "/home/builder/.pyenv/lib", ["libpython3.11.so.1.0"], bundled, bundle
        )
        == "$ORIGIN/../.."
    )
    # PySide6's own $ORIGIN entries inside the bundle stay, in order.
    pyside = "$ORIGIN/:$ORIGIN/Qt/lib:$ORIGIN/../shiboken6/"
    core = internal / "PySide6" / "QtCore.abi3.so"
    assert plan(core, pyside, ["libQt6Core.so.6"], bundled, bundle) == pyside
    # An $ORIGIN entry that climbs out of the bundle is as foreign as an absolute one.
    plugin = internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    assert plan(plugin, "$ORIGIN/../../lib:/usr/local/lib", [], bundled, bundle) == (
        "$ORIGIN/../../lib"
    )
    assert plan(dynload / "_y.so", "$ORIGIN/../../../../../lib", [], bundled, bundle) == ""
    assert plan(qt_lib / "libQt6Gui.so.6", "$ORIGIN", ["libQt6Core.so.6"], bundled, bundle) == (
        "$ORIGIN"
    )


def _small_shared_object() -> Path:
    dynload = Path(sysconfig.get_paths()["platlib"]).parent / "lib-dynload"
    candidates = sorted(Path(sysconfig.get_config_var("DESTSHARED") or dynload).glob("*.so"))
    candidates = [p for p in candidates if p.read_bytes()[:4] == b"\x7fELF"]
    if not candidates:
        pytest.skip("no CPython extension module to copy")
    return min(candidates, key=lambda p: p.stat().st_size)


@needs_patchelf
def test_fix_runpaths_rewrites_a_real_binary(build: ModuleType, tmp_path: Path) -> None:
    bundle = tmp_path / "biddesk"
    dynload = bundle / "_internal" / "python3.11" / "lib-dynload"
    dynload.mkdir(parents=True)
    elf = dynload / "_mod.so"
    shutil.copyfile(_small_shared_object(), elf)
    subprocess.run(
        ["patchelf", "--set-rpath", "/home/builder/.pyenv/versions/3.11.7/lib", str(elf)],
        check=True,
    )
    assert build.foreign_runpaths(bundle) == [
        "_internal/python3.11/lib-dynload/_mod.so: /home/builder/.pyenv/versions/3.11.7/lib"
    ]
    assert build.fix_runpaths(bundle) == 1
    assert build.foreign_runpaths(bundle) == []
    done = subprocess.run(["patchelf", "--print-rpath", str(elf)], capture_output=True, text=True)
    assert done.stdout.strip() == ""
    assert build.fix_runpaths(bundle) == 0  # idempotent: --skip-freeze runs it again


def test_missing_patchelf_is_one_clear_sentence(
    build: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(build.shutil, "which", lambda _name: None)
    with pytest.raises(build.BuildError, match=r"patchelf is not installed.*apt-get install"):
        build.fix_runpaths(tmp_path)


def test_main_rewrites_runpaths_before_the_smoke_test_and_make_deb_refuses_leftovers() -> None:
    source = (ROOT / "packaging" / "build.py").read_text(encoding="utf-8")
    main = source[source.index("def main(") :]
    assert main.index("require_patchelf()") < main.index("freeze()")
    assert main.index("fix_runpaths(bundle)") < main.index("smoke_test_demo(")
    make_deb = source[source.index("def make_deb(") : source.index("def validate_linux")]
    assert "foreign_runpaths(bundle)" in make_deb and "raise BuildError" in make_deb


# -- control file -----------------------------------------------------------------------------


def test_control_recommends_a_secret_service_provider_not_kwalletmanager(
    build: ModuleType,
) -> None:
    fields = _fields(build.deb_control(__version__, 1, "amd64", ["libc6"]))
    recommends = [r.strip() for r in fields["Recommends"].split(",")]
    keyring = recommends[0].split(" | ")
    assert keyring[0] == "gnome-keyring"
    assert "keepassxc" in keyring
    assert "kwalletmanager" not in fields["Recommends"]


def test_control_has_no_invented_homepage(
    build: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = build.deb_control(__version__, 1, "amd64", ["libc6"], build.homepage())
    assert "Homepage" not in _fields(text)
    assert ".invalid/" not in text
    monkeypatch.setenv("BIDDESK_HOMEPAGE", "https://example.org/biddesk")
    text = build.deb_control(__version__, 1, "amd64", ["libc6"], build.homepage())
    assert _fields(text)["Homepage"] == "https://example.org/biddesk"


# -- copyright and changelog ------------------------------------------------------------------


def _paragraphs(text: str) -> list[dict[str, str]]:
    return [_fields(block) for block in text.strip().split("\n\n")]


def test_copyright_is_dep5_with_the_project_licence_and_the_bundled_ones(
    build: ModuleType,
) -> None:
    text = build.deb_copyright("2026")
    licence = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert licence == "Proprietary"
    header, own, *rest = _paragraphs(text)
    assert header["Format"] == "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    assert header["Upstream-Name"] == "BidDesk"
    assert own["Files"] == "*" and own["License"] == licence and "2026" in own["Copyright"]
    files = [p for p in rest if "Files" in p]
    standalone = {p["License"].split("\n")[0] for p in rest if "Files" not in p}
    by_comment = {p["Comment"].split(" (")[0]: p for p in files}
    assert by_comment["Python"]["License"] == "PSF-2.0"
    assert by_comment["Qt 6"]["License"] == "LGPL-3.0-only"
    assert by_comment["PySide6-Essentials"]["License"] == "LGPL-3.0-only"
    # one paragraph per path pattern, so no component's licence is shadowed by another's
    assert len({p["Files"] for p in files}) == len(files)
    # the executable: the bootloader plus the archive of BidDesk and the pure-Python packages
    (exe,) = [p for p in files if p["Files"] == "opt/biddesk/biddesk"]
    assert exe["License"].startswith(f"{licence} and ")
    assert "GPL-2.0-or-later with Bootloader exception" in exe["License"]
    for component, spdx, _holders, where in build.THIRD_PARTY:
        if not where:
            assert f" {component}: {build.dep5_license(spdx)}\n" in exe["Comment"] + "\n"
    # every licence named has its stand-alone paragraph, the project's own included
    used = {licence}
    for paragraph in files:
        used |= set(build._license_ids(paragraph["License"]))
        assert paragraph["Copyright"], paragraph
        assert paragraph["Files"].startswith("opt/biddesk/"), paragraph
    assert used == standalone
    # the long licences point at Debian's copies instead of being pasted in
    assert "/usr/share/common-licenses/LGPL-3" in text
    assert "GNU LESSER GENERAL PUBLIC LICENSE" not in text
    for line in text.splitlines():
        assert not line or line.startswith(" ") or re.match(r"[A-Z][A-Za-z-]*: ", line), line
        assert len(line) <= 100 or line.startswith(("Files:", "License:")), line


def _runtime_distributions() -> set[str]:
    """The distributions `biddesk` needs at run time, following the extras it asks for
    (`psycopg[binary]` brings psycopg-binary, which bundles libpq)."""
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [("biddesk", "")]
    while todo:
        raw, extra = todo.pop()
        name = re.sub(r"[-_.]+", "-", raw).lower()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for text in importlib.metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                todo.append((requirement.name, ""))
                todo += [(requirement.name, wanted) for wanted in requirement.extras]
    return {name for name, _extra in seen} - {"biddesk"}


def test_copyright_names_every_python_package_the_app_bundles(build: ModuleType) -> None:
    listed = {re.sub(r"[-_.]+", "-", c).lower() for c, *_ in build.THIRD_PARTY}
    missing = sorted(_runtime_distributions() - listed)
    assert not missing, f"add these to THIRD_PARTY in packaging/build.py: {missing}"


def test_copyright_names_every_library_a_bundled_wheel_vendors(build: ModuleType) -> None:
    """auditwheel puts the C libraries a wheel links to in `<package>.libs` (psycopg-binary:
    libpq, OpenSSL, Kerberos, OpenLDAP, SASL; numpy: OpenBLAS, libgfortran); PyInstaller
    bundles them as `_internal/<package>.libs/<file>`. Each needs a paragraph of its own,
    or the copyright file would leave it under `Files: *`, BidDesk's own licence."""
    patterns = [pattern for _c, _s, _h, files in build.THIRD_PARTY for pattern in files.split()]
    vendored: list[str] = []
    for name in sorted(_runtime_distributions()):
        for file in importlib.metadata.distribution(name).files or []:
            folder, *rest = file.parts
            if folder.endswith(".libs") and len(rest) == 1:
                vendored.append(f"_internal/{folder}/{rest[0]}")
    assert any("psycopg_binary.libs/libpq" in path for path in vendored), vendored
    unnamed = [p for p in vendored if not any(fnmatch.fnmatch(p, pat) for pat in patterns)]
    assert not unnamed, f"add these to THIRD_PARTY in packaging/build.py: {unnamed}"


def test_changelog_is_in_debian_format_with_the_pyproject_version(
    build: ModuleType, tmp_path: Path
) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version == build.app_version() == __version__
    from datetime import UTC, datetime

    text = build.deb_changelog(version, datetime(2026, 12, 7, 6, 30, tzinfo=UTC))
    lines = text.splitlines()
    assert re.fullmatch(rf"biddesk \({re.escape(version)}\) unstable; urgency=medium", lines[0])
    assert lines[1] == "" and lines[2].startswith("  * ")
    assert lines[-1] == (
        " -- BidDesk maintainers <maintainers@biddesk.invalid>  Mon, 07 Dec 2026 06:30:00 +0000"
    )
    if shutil.which("dpkg-parsechangelog"):
        path = tmp_path / "changelog"
        path.write_text(text)
        done = subprocess.run(
            ["dpkg-parsechangelog", "-l", str(path), "-S", "Version"],
            capture_output=True,
            text=True,
        )
        assert done.stdout.strip() == version, done.stderr


# -- the staged tree and the .deb ---------------------------------------------------------------


def test_deb_tree_has_copyright_changelog_and_library_modes(
    build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    staging = build.stage_deb(_fake_bundle(tmp_path), tmp_path / "root", "1.2.3", "amd64", [])
    doc = staging / "usr/share/doc/biddesk"
    assert (doc / "copyright").read_text() == build.deb_copyright("2026")
    raw = (doc / "changelog.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # no timestamp: the same build gives the same bytes
    assert gzip.decompress(raw).decode().startswith("biddesk (1.2.3) unstable;")
    assert not (doc / "changelog.Debian.gz").exists()  # a native package's name is changelog.gz
    assert (doc / "copyright").stat().st_mode & 0o777 == 0o644
    internal = staging / "opt/biddesk/_internal"
    assert (internal / "libpython3.11.so.1.0").stat().st_mode & 0o777 == 0o644
    assert (internal / "PySide6/QtCore.abi3.so").stat().st_mode & 0o777 == 0o644
    assert (staging / "opt/biddesk/biddesk").stat().st_mode & 0o777 == 0o755
    overrides = (staging / "usr/share/lintian/overrides/biddesk").read_text()
    assert "dir-or-file-in-opt" not in overrides  # that one is reported, not hidden
    assert "custom-library-search-path" not in overrides
    for line in overrides.splitlines():
        assert line.startswith(("#", "biddesk: ")), line
    md5sums = (staging / "DEBIAN/md5sums").read_text()
    assert "  usr/share/doc/biddesk/copyright\n" in md5sums
    assert "  opt/biddesk/biddesk\n" in md5sums
    preinst = staging / "DEBIAN/preinst"
    assert preinst.stat().st_mode & 0o777 == 0o755
    assert subprocess.run(["sh", "-n", str(preinst)]).returncode == 0


@needs_dpkg
def test_deb_does_not_own_opt_only_opt_biddesk(build: ModuleType, tmp_path: Path) -> None:
    staging = build.stage_deb(_fake_bundle(tmp_path), tmp_path / "root", "1.2.3", "amd64", [])
    deb = tmp_path / "biddesk.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Znone", "--build", str(staging), str(deb)],
        check=True,
        capture_output=True,
    )
    build.drop_unowned_dirs(deb)
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], check=True, capture_output=True, text=True
    ).stdout
    paths = [line.split()[5] for line in listing.splitlines()]
    assert "./opt/" not in paths
    assert "./opt/biddesk/" in paths and "./opt/biddesk/biddesk" in paths
    assert "./usr/share/doc/biddesk/copyright" in paths
    members = subprocess.run(["ar", "t", str(deb)], capture_output=True, text=True).stdout.split()
    assert members == ["debian-binary", "control.tar.xz", "data.tar.xz"]
    info = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Version"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Package: biddesk" in info and "Version: 1.2.3" in info
    out = tmp_path / "x"
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(out)], check=True)
    assert (out / "opt/biddesk/biddesk").read_bytes().startswith(b"#!/bin/sh")


# -- AppStream --------------------------------------------------------------------------------


def test_metainfo_has_no_invented_homepage(build: ModuleType) -> None:
    text = build.metainfo_xml(__version__, "2026-01-31", build.homepage())
    assert ".invalid" not in text
    assert ET.fromstring(text).find("url") is None
    text = build.metainfo_xml(__version__, "2026-01-31", "https://example.org/biddesk")
    url = ET.fromstring(text).find("url")
    assert url is not None and url.get("type") == "homepage"
    assert url.text == "https://example.org/biddesk"


def test_metainfo_screenshots_come_from_resources_screenshots(build: ModuleType) -> None:
    shots = build.screenshots()
    on_disk = sorted(p.name for p in (ROOT / "resources" / "screenshots").glob("*.png"))
    assert sorted(s.file for s in shots) == on_disk and on_disk
    assert shots[0].file == "main-window.png"
    base = "https://example.org/media/"
    root = ET.fromstring(build.metainfo_xml(__version__, "2026-01-31", None, base))
    elements = root.findall("screenshots/screenshot")
    assert [e.get("type") for e in elements] == ["default"] + [None] * (len(shots) - 1)
    for element, shot in zip(elements, shots, strict=True):
        assert element.findtext("caption")
        image = element.find("image")
        assert image is not None and image.text == base + shot.file
        assert (image.get("width"), image.get("height")) == (str(shot.width), str(shot.height))
        assert (int(shot.width), int(shot.height)) == build.png_dimensions(
            ROOT / "resources" / "screenshots" / shot.file
        )
    # without a place the PNGs are published, no screenshot element (file paths do not validate)
    assert ET.fromstring(build.metainfo_xml(__version__, "2026-01-31")).find("screenshots") is None


def test_screenshot_base_url_comes_from_the_environment(
    build: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build.screenshot_base_url() is None
    monkeypatch.setenv("BIDDESK_SCREENSHOT_BASE_URL", "https://example.org/shots")
    assert build.screenshot_base_url() == "https://example.org/shots/"
    root = ET.fromstring(build.build_metainfo("1.2.3"))
    assert root.find("screenshots/screenshot/image").text.startswith("https://example.org/shots/")


@needs_appstream
@pytest.mark.parametrize("with_urls", [False, True])
def test_metainfo_with_and_without_urls_passes_appstreamcli(
    build: ModuleType, tmp_path: Path, with_urls: bool
) -> None:
    args = ("https://example.org/biddesk", "https://example.org/media/") if with_urls else ()
    path = tmp_path / f"{build.APP_ID}.metainfo.xml"
    path.write_text(build.metainfo_xml(__version__, "2026-01-31", *args), encoding="utf-8")
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--pedantic", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
    assert ("screenshot" in path.read_text()) is with_urls


def test_wheel_vendored_libraries_are_put_back_unstripped(
    build: ModuleType, tmp_path: Path
) -> None:
    """`strip` broke numpy's OpenBLAS (auditwheel had patchelf'd it): the frozen app could
    not import numpy. The build puts each `<package>.libs` file back as the wheel had it."""
    site = tmp_path / "site-packages" / "numpy.libs"
    site.mkdir(parents=True)
    (site / "libopenblas.so").write_bytes(b"\x7fELF original")
    bundled = tmp_path / "bundle" / "_internal" / "numpy.libs"
    bundled.mkdir(parents=True)
    (bundled / "libopenblas.so").write_bytes(b"\x7fELF stripped")
    (bundled / "only-in-bundle.so").write_bytes(b"\x7fELF kept")
    assert build.restore_wheel_libs(tmp_path / "bundle", tmp_path / "site-packages") == 1
    assert (bundled / "libopenblas.so").read_bytes() == b"\x7fELF original"
    assert (bundled / "only-in-bundle.so").read_bytes() == b"\x7fELF kept"
