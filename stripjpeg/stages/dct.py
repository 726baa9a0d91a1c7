"""The forward DCT (T.81 A.3.3), one function per method, named by ``plan.dct``.

* :func:`forward_dct_islow`  libjpeg's accurate integer DCT (jfdctint.c, JDCT_ISLOW): the
                             default, and what Pillow and cjpeg use;
* :func:`forward_dct_exact`  the exact DCT-II in float64 (SciPy), for cross-checking.

:data:`FORWARD_DCT` maps each ``dct=`` name to its function; libjpeg's ifast and float DCTs
would be two more entries. Each takes level-shifted blocks ``(..., 8, 8)`` (samples minus
128) and returns coefficients ``[v][u]`` at the scale :data:`DCT_SCALE` gives, which the
quantizer (:mod:`.quantize`) divides out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..tables import (
    CONST_BITS,
    FIX_0_298631336,
    FIX_0_390180644,
    FIX_0_541196100,
    FIX_0_765366865,
    FIX_0_899976223,
    FIX_1_175875602,
    FIX_1_501321110,
    FIX_1_847759065,
    FIX_1_961570560,
    FIX_2_053119869,
    FIX_2_562915447,
    FIX_3_072711026,
    PASS1_BITS,
)


def islow_butterfly(x: np.ndarray) -> np.ndarray:
    """One 8-point pass of libjpeg's integer DCT, before its rounding shift.

    This is the Loeffler-Ligtenberg-Moschytz factorization (12 multiplies) that libjpeg's
    jfdctint.c uses. Every output is returned scaled by ``2**CONST_BITS``, the even outputs
    0 and 4 included (libjpeg shifts those two separately; at this common scale one rounding
    shift per pass gives the same integers for all eight).

    Args:
        x: int32 or int64, shape ``(..., 8)``: the samples along one row or column of each block.

    Returns:
        Same dtype, shape ``(..., 8)``: frequency 0..7 along that axis, times 2**13.
    """
    d = [x[..., k] for k in range(8)]
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]

    # Even part: a 4-point DCT of the sums.
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out = [None] * 8
    out[0] = (tmp10 + tmp11) << CONST_BITS
    out[4] = (tmp10 - tmp11) << CONST_BITS
    z1 = (tmp12 + tmp13) * FIX_0_541196100
    out[2] = z1 + tmp13 * FIX_0_765366865
    out[6] = z1 - tmp12 * FIX_1_847759065

    # Odd part: the rotations of the differences.
    z1, z2 = tmp4 + tmp7, tmp5 + tmp6
    z3, z4 = tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * FIX_1_175875602
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    out[7] = tmp4 * FIX_0_298631336 + z1 + z3
    out[5] = tmp5 * FIX_2_053119869 + z2 + z4
    out[3] = tmp6 * FIX_3_072711026 + z2 + z3
    out[1] = tmp7 * FIX_1_501321110 + z1 + z4
    return np.stack(out, axis=-1)


def descale(x: np.ndarray, bits: int) -> np.ndarray:
    """libjpeg's DESCALE: divide by 2**bits rounding half up (add half, arithmetic shift)."""
    return (x + (1 << (bits - 1))) >> bits


def forward_dct_islow(blocks: np.ndarray) -> np.ndarray:
    """libjpeg's accurate integer forward DCT (JDCT_ISLOW) of level-shifted blocks.

    Rows first, keeping PASS1_BITS extra bits, then columns, removing them. The result is
    the DCT of T.81 A.3.3 scaled up by 8 (the quantizer divides by 8 * Q to undo it).

    Args:
        blocks: int, shape ``(..., 8, 8)``, samples minus 128.

    Returns:
        int32, shape ``(..., 8, 8)``: coefficients ``[v][u]`` times 8.
    """
    # 32 bits suffice for 8-bit samples: as jfdctint.c notes, every value and constant is at
    # most 16 bits wide, so each product fits 32 bits (and half the memory of int64 makes
    # this stage about 2.8 times faster here).
    x = blocks.astype(np.int32)
    rows_done = descale(islow_butterfly(x), CONST_BITS - PASS1_BITS)
    columns = islow_butterfly(rows_done.swapaxes(-1, -2))
    return descale(columns, CONST_BITS + PASS1_BITS).swapaxes(-1, -2)


def forward_dct_exact(blocks: np.ndarray) -> np.ndarray:
    """The exact 2-D DCT-II of T.81 A.3.3 in float64 (the orthonormal DCT of each axis).

    Args:
        blocks: shape ``(..., 8, 8)``, samples minus 128.

    Returns:
        float64, shape ``(..., 8, 8)``: coefficients ``[v][u]``, unscaled.
    """
    # SciPy is imported on use: importing stripjpeg stays light (tests/test_numba.py).
    import scipy.fft

    return scipy.fft.dctn(blocks.astype(np.float64), type=2, norm="ortho", axes=(-2, -1))


#: The forward DCT of each ``dct=`` method: level-shifted blocks -> coefficients.
FORWARD_DCT: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "islow": forward_dct_islow,
    "exact": forward_dct_exact,
}

#: How much larger than T.81's coefficients each method's are (islow keeps a factor of 8).
DCT_SCALE: dict[str, int] = {"islow": 8, "exact": 1}
