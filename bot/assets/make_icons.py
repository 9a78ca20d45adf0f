"""Draw the Teams app icons with the standard library only: `python bot/assets/make_icons.py`.

color.png   192x192, a white shield on the accent colour (Teams' full-colour icon).
outline.png 32x32, the shield's white outline on a transparent background (Teams draws
            it in its own colours in the app bar, so only the alpha channel matters).
Edges are smoothed by sampling each pixel 4x4 times.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

ACCENT = (0x1F, 0x5F, 0x8B)
HERE = Path(__file__).resolve().parent
Pixel = tuple[int, int, int, int]


def shield(u: float, v: float, scale: float = 1.0) -> bool:
    """Inside a shield centred on (0.5, 0.5) in unit coordinates, `scale` of full size."""
    x = (u - 0.5) / (0.34 * scale)
    y = (v - 0.5) / (0.40 * scale) / 2 + 0.5  # 0 at the top edge, 1 at the point
    if not 0.0 <= y <= 1.0 or abs(x) > 1.0:
        return False
    if y <= 0.5:
        return True
    return abs(x) <= 1.0 - ((y - 0.5) / 0.5) ** 1.6


def tick(u: float, v: float) -> bool:
    """A check mark inside the shield."""

    def near(ax: float, ay: float, bx: float, by: float, width: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)))
        px, py = ax + t * dx, ay + t * dy
        return (u - px) ** 2 + (v - py) ** 2 <= width * width

    return near(0.38, 0.50, 0.47, 0.60, 0.035) or near(0.47, 0.60, 0.64, 0.40, 0.035)


def render(size: int, paint: Callable[[float, float], Pixel]) -> list[list[Pixel]]:
    rows = []
    samples = 4
    for py in range(size):
        row = []
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    u = (px + (sx + 0.5) / samples) / size
                    v = (py + (sy + 0.5) / samples) / size
                    r, g, b, a = paint(u, v)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = samples * samples
            alpha = acc[3] / n
            if alpha == 0:
                row.append((0, 0, 0, 0))
            else:
                row.append(
                    (
                        round(acc[0] / acc[3]),
                        round(acc[1] / acc[3]),
                        round(acc[2] / acc[3]),
                        round(alpha),
                    )
                )
        rows.append(row)
    return rows


def png(rows: list[list[Pixel]]) -> bytes:
    """An 8-bit RGBA PNG."""
    height, width = len(rows), len(rows[0])

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def colour(u: float, v: float) -> Pixel:
    white = (255, 255, 255, 255)
    if shield(u, v) and not shield(u, v, 0.84):
        return white
    if tick(u, v):
        return white
    return (*ACCENT, 255)


def outline(u: float, v: float) -> Pixel:
    if shield(u, v, 1.15) and not shield(u, v, 0.88):
        return (255, 255, 255, 255)
    return (0, 0, 0, 0)


def main() -> None:
    (HERE / "color.png").write_bytes(png(render(192, colour)))
    (HERE / "outline.png").write_bytes(png(render(32, outline)))


if __name__ == "__main__":
    main()
