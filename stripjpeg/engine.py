"""``process_strip``: the stateless engine call of stripjpeg's original design.

One strip of 8 RGBA rows and two quantization tables in, the strip's entropy-coded bytes
out. It is a thin door into the same Plan and backend that :func:`stripjpeg.encode` uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backends
from .options import EncodeOptions, check_dimensions
from .plan import make_plan


def process_strip(pixel_data: Any, width: int, luma_q_table: Any, chroma_q_table: Any,
                  *, backend: str | None = None) -> bytes:
    """Encode one strip of 8 RGBA rows, 4:4:4, as one restart interval.

    Args:
        pixel_data: ``8 * width * 4`` bytes (bytes-like or a uint8 array), RGBA, rows top to
            bottom; alpha is ignored.
        width: pixels per row, 1..65535.
        luma_q_table, chroma_q_table: 64 quantization steps each (1..255), natural order.
        backend: engine name, None for the default.

    Returns:
        The strip's entropy-coded bytes: DC predictors from 0, 0xFF stuffed, the last byte
        padded with 1-bits, no markers.
    """
    check_dimensions(width, 8)
    if isinstance(pixel_data, (bytes, bytearray, memoryview)):
        pixels = np.frombuffer(pixel_data, dtype=np.uint8)
    else:
        pixels = np.asarray(pixel_data)
        if pixels.dtype != np.uint8:
            raise TypeError(f"pixel_data must be bytes or uint8, got dtype {pixels.dtype}")
    if pixels.size != 8 * width * 4:
        raise ValueError(f"pixel_data must hold 8 rows of {width} RGBA pixels "
                         f"({8 * width * 4} bytes), got {pixels.size}")
    tables = tuple(_checked_table(t, name) for t, name in
                   ((luma_q_table, "luma_q_table"), (chroma_q_table, "chroma_q_table")))
    plan = make_plan(width, 8, 4, EncodeOptions(restart_rows=1), quant_tables=tables)
    return backends.get(backend).encode_strip(pixels.reshape(8, width, 4), plan)


def _checked_table(table: Any, name: str) -> np.ndarray:
    values = np.asarray(table)
    if values.size != 64:
        raise ValueError(f"{name} must have 64 entries, got {values.size}")
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {values.dtype}")
    if values.min() < 1 or values.max() > 255:
        raise ValueError(f"{name} entries must be from 1 to 255 (8-bit baseline)")
    return values.reshape(64).astype(np.uint16)
