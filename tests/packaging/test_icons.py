"""The committed icons: every size present, square, with real transparency, and the ICO and
ICNS containers hold what the OSes look for."""

from __future__ import annotations

import struct
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage

from tests.packaging.conftest import ROOT

ICONS = ROOT / "resources" / "icons"


def _image(path: Path) -> QImage:
    image = QImage(str(path))
    assert not image.isNull(), f"{path.name} does not load"
    return image


def _alpha(image: QImage, x: int, y: int) -> int:
    return image.pixelColor(x, y).alpha()


def _expected_pngs(icons: ModuleType) -> dict[str, int]:
    names = {f"biddesk-{s}.png": s for s in icons.APP_SIZES}
    for theme in ("light", "dark"):
        names |= {f"tray-{theme}-{s}.png": s for s in icons.TRAY_SIZES}
    return names | dict(icons.TEMPLATE_SIZES)


def test_every_png_has_its_size_and_a_transparent_corner(icons: ModuleType) -> None:
    for name, size in _expected_pngs(icons).items():
        path = ICONS / name
        assert path.is_file(), f"missing {name}"
        assert icons.png_size(path.read_bytes()) == (size, size), name
        image = _image(path)
        assert image.hasAlphaChannel(), name
        assert _alpha(image, 0, 0) == 0, f"{name}: the corner is not transparent"
        opaque = sum(_alpha(image, x, y) == 255 for x in range(size) for y in range(size))
        assert opaque >= size * size // 8, f"{name}: the glyph is missing or faint"


def test_app_icon_tile_is_blue_and_glyph_white(icons: ModuleType) -> None:
    image = _image(ICONS / "biddesk-64.png")
    tile = image.pixelColor(8, 32)  # left of the B's stem, inside the tile
    assert tile.blue() > 150 and tile.red() < 100
    stem = image.pixelColor(20, 32)
    assert (stem.red(), stem.green(), stem.blue()) == (255, 255, 255)


@pytest.mark.parametrize(("theme", "dark_glyph"), [("light", True), ("dark", False)])
def test_tray_glyph_contrasts_with_its_panel(theme: str, dark_glyph: bool) -> None:
    image = _image(ICONS / f"tray-{theme}-32.png")
    stem = image.pixelColor(8, 16)  # inside the B's stem (x 6-10 at 32 px)
    assert stem.alpha() == 255
    assert (stem.lightness() < 64) is dark_glyph


def test_template_icon_is_black_with_alpha_only() -> None:
    for name in ("tray-template.png", "tray-template@2x.png"):
        image = _image(ICONS / name)
        colours = {
            (c.red(), c.green(), c.blue())
            for x in range(image.width())
            for y in range(image.height())
            if (c := image.pixelColor(x, y)).alpha() > 0
        }
        assert colours == {(0, 0, 0)}, name


def test_ico_holds_each_size_as_png(icons: ModuleType) -> None:
    data = (ICONS / "biddesk.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(icons.ICO_SIZES))
    sizes = []
    for i in range(count):
        w, h, _, _, planes, bpp, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        payload = data[offset : offset + length]
        assert len(payload) == length and (planes, bpp) == (1, 32)
        width, height = icons.png_size(payload)
        assert (w or 256, h or 256) == (width, height)
        sizes.append(width)
    assert sorted(sizes) == sorted(icons.ICO_SIZES)


def test_icns_holds_png_elements_of_the_right_sizes(icons: ModuleType) -> None:
    data = (ICONS / "biddesk.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    found: dict[bytes, int] = {}
    offset = 8
    while offset < len(data):
        kind, length = data[offset : offset + 4], struct.unpack_from(">I", data, offset + 4)[0]
        found[kind] = icons.png_size(data[offset + 8 : offset + length])[0]
        offset += length
    assert offset == len(data)
    assert found == dict(icons.ICNS_TYPES)
    assert {b"ic07", b"ic08", b"ic09", b"ic10"} <= found.keys()  # 128-1024 for Finder/Dock


def test_svg_sources_match_the_generator(icons: ModuleType) -> None:
    # The PNGs are rendered from these; an SVG edited by hand would drift from them.
    assert (ICONS / "biddesk.svg").read_text(encoding="utf-8") == icons.app_svg()
    light = icons.tray_svg(icons.GLYPH_FOR_LIGHT_PANEL)
    assert (ICONS / "tray-light.svg").read_text(encoding="utf-8") == light
    dark = icons.tray_svg(icons.GLYPH_FOR_DARK_PANEL)
    assert (ICONS / "tray-dark.svg").read_text(encoding="utf-8") == dark


def test_regenerating_reproduces_the_committed_pngs(icons: ModuleType, tmp_path: Path) -> None:
    # Within a few levels per channel: another Qt version may round antialiasing differently.
    icons.generate(tmp_path)
    for name in ("biddesk-16.png", "biddesk-128.png", "tray-light-22.png", "tray-template.png"):
        fresh, committed = _image(tmp_path / name), _image(ICONS / name)
        assert fresh.size() == committed.size(), name
        worst = max(
            abs(a - b)
            for x in range(fresh.width())
            for y in range(fresh.height())
            for a, b in zip(
                fresh.pixelColor(x, y).getRgb(), committed.pixelColor(x, y).getRgb(), strict=True
            )
        )
        assert worst <= 8, f"{name} drifted from packaging/icons.py by {worst}"
