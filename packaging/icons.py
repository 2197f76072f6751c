"""Regenerate BidDesk's icons from their SVG sources: PNG sizes, the ICO and the ICNS.

    python packaging/icons.py

The SVGs (written here, so the glyph lives in one place) are the source of truth; the PNG,
ICO and ICNS files are committed outputs so neither the app nor a build needs this script.
Rendering uses Qt's SVG renderer, which BidDesk already depends on; the ICO and ICNS
containers are simple enough to write by hand with PNG payloads, so no imaging library is
needed.

The glyph is a bold "B" drawn as one stroked path on a 64-unit grid whose strokes and
counters fall on 4-unit steps, so at 16 px every edge lands on a pixel boundary.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"

APP_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TRAY_SIZES = (16, 22, 24, 32, 48, 64)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
TEMPLATE_SIZES = {"tray-template.png": 22, "tray-template@2x.png": 44}

# ICNS element types that hold PNG data, by pixel size (several sizes have two names:
# the plain one and the @2x one of half the size; macOS reads either).
ICNS_TYPES: tuple[tuple[bytes, int], ...] = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)

BLUE_TOP, BLUE_BOTTOM = "#2196f3", "#1565c0"
GLYPH_ON_TILE = "#ffffff"
GLYPH_FOR_LIGHT_PANEL = "#202124"
GLYPH_FOR_DARK_PANEL = "#f1f3f4"

# On the tile (viewBox 64): stem x 16-24, bowls to x 44 and 48, y 12-52; stroke 8, so every
# edge is a multiple of 4 units, one pixel at 16 px.
B_PATH = "M20 16 H32 A8 8 0 0 1 32 32 H20 Z M20 32 H36 A8 8 0 0 1 36 48 H20 Z"
# Alone in a tray slot (viewBox 48): the same B, larger in its slot, on a 3-unit grid (one
# pixel at 16 px, half a pixel at 24 px): stem x 9-15, bowls to x 36 and 39, y 6-42; stroke 6.
TRAY_B_PATH = "M12 9 H25.5 A7.5 7.5 0 0 1 25.5 24 H12 Z M12 24 H28.5 A7.5 7.5 0 0 1 28.5 39 H12 Z"


def _glyph(color: str, path: str = B_PATH, width: int = 8) -> str:
    return (
        f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{width}" '
        'stroke-linejoin="miter" stroke-miterlimit="4"/>'
    )


def app_svg() -> str:
    """The app icon: a blue rounded tile with a white B."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">\n'
        "  <title>BidDesk</title>\n"
        "  <defs>\n"
        '    <linearGradient id="tile" x1="0" y1="4" x2="0" y2="60" '
        'gradientUnits="userSpaceOnUse">\n'
        f'      <stop offset="0" stop-color="{BLUE_TOP}"/>\n'
        f'      <stop offset="1" stop-color="{BLUE_BOTTOM}"/>\n'
        "    </linearGradient>\n"
        "  </defs>\n"
        '  <rect x="4" y="4" width="56" height="56" rx="12" ry="12" fill="url(#tile)"/>\n'
        f"  {_glyph(GLYPH_ON_TILE)}\n"
        "</svg>\n"
    )


def tray_svg(color: str) -> str:
    """The tray icon: the app icon's B alone, filling the panel slot."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48">\n'
        "  <title>BidDesk</title>\n"
        f"  {_glyph(color, TRAY_B_PATH, 6)}\n"
        "</svg>\n"
    )


def render_png(svg: str, size: int, *, black_only: bool = False) -> bytes:
    """Render `svg` to a `size`-pixel square RGBA PNG."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode()))
    if not renderer.isValid():
        raise ValueError("The icon SVG does not parse.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    if black_only:
        # A macOS template image is read for its alpha only; make the colour exactly black.
        for y in range(size):
            for x in range(size):
                alpha = image.pixelColor(x, y).alpha()
                image.setPixelColor(x, y, QColor(0, 0, 0, alpha))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("Not a PNG file.")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def ico_bytes(pngs: list[bytes]) -> bytes:
    """A Windows ICO holding each PNG as one image (Vista+ reads PNG payloads)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, payload = b"", b""
    for png in pngs:
        width, height = png_size(png)
        entries += struct.pack(
            "<BBBBHHII",
            width % 256,  # 256 is written as 0
            height % 256,
            0,  # no palette
            0,
            1,  # colour planes
            32,  # bits per pixel
            len(png),
            offset + len(payload),
        )
        payload += png
    return header + entries + payload


def icns_bytes(elements: list[tuple[bytes, bytes]]) -> bytes:
    """A macOS ICNS from (type, PNG) pairs: big-endian lengths that include the 8-byte headers."""
    body = b"".join(kind + struct.pack(">I", len(png) + 8) + png for kind, png in elements)
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def generate(out: Path = ICONS) -> list[Path]:
    """Write every icon file into `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(name: str, data: bytes | str) -> None:
        path = out / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        written.append(path)

    app = app_svg()
    write("biddesk.svg", app)
    rendered = {size: render_png(app, size) for size in {*APP_SIZES, *ICO_SIZES, 1024}}
    for size in APP_SIZES:
        write(f"biddesk-{size}.png", rendered[size])
    write("biddesk.ico", ico_bytes([rendered[size] for size in ICO_SIZES]))
    write("biddesk.icns", icns_bytes([(kind, rendered[size]) for kind, size in ICNS_TYPES]))

    for name, color in (("tray-light", GLYPH_FOR_LIGHT_PANEL), ("tray-dark", GLYPH_FOR_DARK_PANEL)):
        svg = tray_svg(color)
        write(f"{name}.svg", svg)
        for size in TRAY_SIZES:
            write(f"{name}-{size}.png", render_png(svg, size))
    template = tray_svg("#000000")
    for name, size in TEMPLATE_SIZES.items():
        write(name, render_png(template, size, black_only=True))
    return written


def main() -> int:
    for path in generate():
        print(path.relative_to(ICONS.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
