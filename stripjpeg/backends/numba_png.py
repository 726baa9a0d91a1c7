"""The fast path of the PNG reader: one numba kernel that reverses the scanline filters of a
block of rows (PNG specification, clause 9 "Filtering", filter method 0).

The same numbers as :func:`stripjpeg.png_source.unfilter_scanlines` (read that one to learn
the filters): Sub, Average and Paeth depend on the byte just reconstructed to the left, so
each row is a serial loop; the rows themselves are serial too (Up, Average and Paeth read the
row above). One call does a whole block, so the Python overhead is per block, not per row.
"""

from __future__ import annotations

import numpy as np

from .numba_jit import kernel


@kernel
def unfilter_block(filtered: np.ndarray, previous: np.ndarray, bpp: int, out: np.ndarray) -> int:
    """Reconstruct ``filtered`` (uint8 ``(n, 1 + stride)``: each row its filter type byte,
    then its filtered bytes) into ``out`` (uint8 ``(n, stride)``), the row before the first
    being ``previous`` (``(stride,)``, zeros above the image's first row); ``bpp`` is the
    filter's byte distance to the "left" byte (bytes per complete pixel, at least 1).

    Returns:
        -1 when every row was done, else the index of the first row whose filter type is
        not 0..4 (rows before it are done).
    """
    rows, stride = out.shape
    above = previous
    for row in range(rows):
        kind = filtered[row, 0]
        line = filtered[row, 1:]
        current = out[row]
        if kind == 0:
            for i in range(stride):
                current[i] = line[i]
        elif kind == 1:
            for i in range(stride):
                left = current[i - bpp] if i >= bpp else 0
                current[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            for i in range(stride):
                current[i] = (line[i] + above[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = np.int32(current[i - bpp]) if i >= bpp else np.int32(0)
                current[i] = (line[i] + ((left + np.int32(above[i])) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                b = np.int32(above[i])
                if i >= bpp:
                    a, c = np.int32(current[i - bpp]), np.int32(above[i - bpp])
                else:
                    a, c = np.int32(0), np.int32(0)
                estimate = a + b - c
                pa, pb, pc = abs(estimate - a), abs(estimate - b), abs(estimate - c)
                if pa <= pb and pa <= pc:
                    predictor = a
                elif pb <= pc:
                    predictor = b
                else:
                    predictor = c
                current[i] = (np.int32(line[i]) + predictor) & 0xFF
        else:
            return row
        above = current
    return -1
