"""The picture of the platform seal: a red round Chinese seal (公章) drawn with Pillow.

A ring, the organisation's name along the upper edge with each character turned to face
outwards, a five-pointed star in the middle and a horizontal line of text under it — the
layout of the official round seal. Drawn at 420x420 px (about 250 dpi at 42 mm) with a
transparent background, so it sits over the issuer's name like ink.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from contracts.fonts import find_source_font

SEAL_RED = (214, 20, 27)
_SIZE = 420


@functools.lru_cache(maxsize=8)
def draw_seal(organisation: str, caption: str = "电子签章专用",
              font_path: str | None = None, font_index: int = 0) -> Image.Image:
    """Draw the seal of ``organisation`` and return it as an RGBA image (420x420 px).

    ``caption`` is the line under the star. The font defaults to the system Chinese font.
    The result is cached per process; callers must not modify it.
    """
    if font_path is None:
        source = find_source_font()
        font_path, font_index = str(source.path), source.index
    image = Image.new("RGBA", (_SIZE, _SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = _SIZE / 2
    outer = centre - 8
    ink = (*SEAL_RED, 235)
    draw.ellipse((centre - outer, centre - outer, centre + outer, centre + outer),
                 outline=ink, width=13)
    _star(draw, centre, centre, 64, ink)
    _arc_text(image, organisation, Path(font_path), font_index, ink)
    caption_font = ImageFont.truetype(font_path, 31, index=font_index)
    left, top, right, _bottom = draw.textbbox((0, 0), caption, font=caption_font)
    draw.text((centre - (right - left) / 2 - left, centre + 84 - top), caption,
              font=caption_font, fill=ink)
    # Flat colour plus an alpha mask: the colour plane then compresses to almost nothing
    # in the PDF and only the mask (the shape) costs bytes.
    flat = Image.new("RGBA", image.size, (*SEAL_RED, 255))
    flat.putalpha(image.getchannel("A"))
    return flat


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float,
          ink: tuple[int, int, int, int]) -> None:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=ink)


def _arc_text(image: Image.Image, text: str, font_path: Path, font_index: int,
              ink: tuple[int, int, int, int]) -> None:
    if not text:
        return
    size = 46 if len(text) <= 14 else max(28, int(46 * 14 / len(text)))
    font = ImageFont.truetype(str(font_path), size, index=font_index)
    radius = _SIZE / 2 - 8 - 13 - size * 0.62
    # Characters spread over up to 240 degrees centred on the top, like a real seal.
    span = min(240.0, 17.5 * len(text))
    step = span / max(len(text) - 1, 1)
    start = -span / 2 if len(text) > 1 else 0.0
    for index, char in enumerate(text):
        angle = start + index * step
        tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        tile_draw = ImageDraw.Draw(tile)
        left, top, right, bottom = tile_draw.textbbox((0, 0), char, font=font)
        tile_draw.text((size - (left + right) / 2, size - (top + bottom) / 2), char,
                       font=font, fill=ink)
        rotated = tile.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = _SIZE / 2 + radius * math.sin(math.radians(angle)) - size
        y = _SIZE / 2 - radius * math.cos(math.radians(angle)) - size
        image.alpha_composite(rotated, (round(x), round(y)))
