"""The fast path, fused: a strip (or a batch of strips) from pixels to coded bytes in one
call without the GIL: :func:`.numba_dct.transform_strip`, then
:func:`.numba_huffman.code_blocks`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .numba_dct import BLOCK_ROWS, strip_buffers, transform_strip, transform_strip_into
from .numba_huffman import code_blocks
from .numba_jit import kernel


@kernel
def encode_strip_kernel(pixels, layout, plane_rows, plane_cols, method, divisors, reciprocals, scales,
                        order, components, mcus_across, dc_table, ac_table, predictors, state, final,
                        out):
    """Pixels of one strip -> its entropy-coded bytes in ``out``, in one call without the GIL:
    :func:`transform_strip` (``method``: numba_dct.ISLOW, IFAST or FLOAT; ``order``: the
    zigzag positions), then :func:`code_blocks`.

    Returns the status of :func:`code_blocks`; the bytes are ``out[:state[0]]``.
    """
    blocks = transform_strip(pixels, layout, plane_rows, plane_cols, method, divisors, reciprocals,
                             scales, order)
    mcu_rows = layout[0, BLOCK_ROWS] // components[0, 1]
    return code_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors,
                       state, final, out)


@kernel
def encode_strips_kernel(pixels, strip_rows, layout, plane_rows, plane_cols, method, divisors,
                         reciprocals, scales, order, components, mcus_across, dc_table, ac_table, final,
                         out, ends):
    """Several strips of ``strip_rows`` rows each, stacked in ``pixels``, each coded as one
    restart interval (predictors from 0, last byte padded), in one call without the GIL.

    One call per batch rather than per strip saves the Python work around each call and
    a release and retake of the GIL, which the other threads' strips would wait on.

    ``final`` is always True (each strip's last byte is padded); it is an argument because a
    literal True here would compile :func:`encode_strip_kernel` a second time, for that
    literal's type.

    The strips share one set of planes and blocks (:func:`.numba_dct.strip_buffers`).

    Returns the first non-zero status of :func:`code_blocks`, or 0; strip ``i``'s bytes are
    ``out[ends[i - 1]:ends[i]]`` (from 0 for the first).
    """
    planes, blocks = strip_buffers(layout, plane_rows, plane_cols)  # once, not per strip
    mcu_rows = layout[0, BLOCK_ROWS] // components[0, 1]
    position = 0
    for i in range(ends.shape[0]):
        predictors = np.zeros(components.shape[0], np.int64)
        state = np.zeros(3, np.int64)
        state[0] = position
        transform_strip_into(pixels[i * strip_rows:(i + 1) * strip_rows], layout, method, divisors,
                             reciprocals, scales, order, planes, blocks)
        status = code_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors,
                             state, final, out)
        if status:
            return status
        position = ends[i] = state[0]
    return 0



def stacked_strips(strips: Sequence[np.ndarray], rows: int) -> np.ndarray | None:
    """The strips as one array of ``len(strips) * rows`` rows, without a copy, when they are
    C-contiguous arrays of ``rows`` rows lying one after another in memory (checked by
    address); else None."""
    first = strips[0] if strips else None
    if (len(strips) < 2 or not isinstance(first, np.ndarray) or first.dtype != np.uint8
            or not first.flags.c_contiguous or first.shape[0] != rows):
        return None
    address = first.ctypes.data
    for index, strip in enumerate(strips):
        if (not isinstance(strip, np.ndarray) or strip.shape != first.shape or strip.dtype != np.uint8
                or not strip.flags.c_contiguous or strip.ctypes.data != address + index * first.nbytes):
            return None
    # Writeable as the strips are (a read-only view would compile the kernels once more).
    return np.lib.stride_tricks.as_strided(first, (len(strips) * rows, *first.shape[1:]), first.strides)
