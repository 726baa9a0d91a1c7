"""A built-in example image, generated strip by strip, so the demo needs no download.

The picture has what makes JPEG work hard: smooth gradients (where quantization shows as
banding), sharp edges and saturated colours (ringing, chroma subsampling), and fine noise
(long runs of non-zero AC coefficients). It is a pure function of (row, column), so any
strip can be generated on its own, and the same rows always come out the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def example_rows(first_row: int, rows: int, width: int, height: int) -> np.ndarray:
    """Rows ``first_row .. first_row + rows - 1`` of the example image.

    Args:
        first_row, rows: which rows, in pixels.
        width, height: the whole image's size in pixels (the picture scales with it).

    Returns:
        uint8 array ``(rows, width, 3)``, RGB.
    """
    y = (np.arange(first_row, first_row + rows, dtype=np.float32)[:, None] + 0.5) / height
    x = (np.arange(width, dtype=np.float32)[None, :] + 0.5) / width
    # A sky-to-ground gradient with slow waves...
    red = 60 + 150 * x + 30 * np.sin(9 * y + 4 * x)
    green = 90 + 100 * y + 25 * np.sin(13 * x - 5 * y)
    blue = 200 - 120 * y + 20 * np.cos(7 * x * y * 6)
    # ...three saturated discs with hard edges...
    for cx, cy, radius, colour in ((0.3, 0.35, 0.18, (250, 30, 20)), (0.68, 0.4, 0.14, (20, 230, 40)),
                                   (0.5, 0.72, 0.16, (30, 40, 245))):
        inside = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2
        red = np.where(inside, colour[0], red)
        green = np.where(inside, colour[1], green)
        blue = np.where(inside, colour[2], blue)
    # ...a fine checkered texture in the lower band, and deterministic grain everywhere.
    rows_index = np.arange(first_row, first_row + rows, dtype=np.uint32)[:, None]
    cols_index = np.arange(width, dtype=np.uint32)[None, :]
    band = (y > 0.88) & (((rows_index // 3) + (cols_index // 3)) % 2 == 0)
    grain = _hash_noise(rows_index, cols_index)
    pixels = np.stack([red, green, blue], axis=-1) + (grain[..., None] * 12 - 6)
    pixels = np.where(band[..., None], pixels * 0.55, pixels)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


def _hash_noise(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Uniform noise in [0, 1) from a 32-bit integer hash of (row, column)."""
    value = rows * np.uint32(0x9E3779B1) ^ cols * np.uint32(0x85EBCA77)
    value ^= value >> np.uint32(15)
    value *= np.uint32(0x2C1B3C6D)
    value ^= value >> np.uint32(12)
    return (value & np.uint32(0xFFFF)).astype(np.float32) / 65536


def example_strips(width: int = 4096, height: int = 4096, rows_per_piece: int = 64) -> Iterator[np.ndarray]:
    """The example image as pieces of ``rows_per_piece`` rows, top to bottom."""
    for first in range(0, height, rows_per_piece):
        yield example_rows(first, min(rows_per_piece, height - first), width, height)


def example_image(width: int = 1024, height: int = 1024) -> np.ndarray:
    """The whole example image, uint8 ``(height, width, 3)``."""
    return example_rows(0, height, width, height)
