"""Shared by the benchmark scripts: test images and timing."""

from __future__ import annotations

import io
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "retina", "hubble_deep_field")


def photo_mosaic(size: int, gray: bool = False) -> np.ndarray:
    """Real photographs (scikit-image's sample data) tiled, not scaled, into a square.

    Returns:
        uint8 ``(size, size, 3)``, or ``(size, size)`` if ``gray``.
    """
    import skimage
    from PIL import Image

    data = Path(skimage.data.__file__).parent
    tiles = [np.asarray(Image.open(next(data.glob(f"{name}.*"))).convert("RGB")) for name in PHOTOS]
    mosaic = np.empty((size, size, 3), np.uint8)
    y = index = 0
    while y < size:
        x, row_height = 0, 0
        while x < size:
            tile = tiles[index % len(tiles)]
            index += 1
            h, w = min(tile.shape[0], size - y), min(tile.shape[1], size - x)
            mosaic[y:y + h, x:x + w] = tile[:h, :w]
            x += w
            row_height = max(row_height, h)
        y += row_height
    return mosaic[:, :, 1].copy() if gray else mosaic


def pillow_encode(pixels: np.ndarray, *, subsampling: str, mode: str | None = None, **options) -> bytes:
    """Pillow's JPEG of ``pixels`` (of ``mode``, None: from the shape). ``subsampling`` is
    required: Pillow's default is 4:2:0, stripjpeg's 4:4:4, and comparing the two would
    flatter Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(pixels, mode) if mode else Image.fromarray(pixels)
    image.save(buffer, "JPEG", subsampling=subsampling, **options)
    return buffer.getvalue()


def best_time(function: Callable[[], object], repeats: int = 3) -> float:
    """Best wall-clock time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def machine() -> str:
    import os

    import numpy
    import PIL

    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}, Pillow {PIL.__version__}")
