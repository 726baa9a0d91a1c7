"""The forward DCT (T.81 A.3.3), one function per method, named by ``plan.dct``.

* :func:`forward_dct_islow`  libjpeg's accurate integer DCT (jfdctint.c, JDCT_ISLOW): the
                             default, and what Pillow and cjpeg use;
* :func:`forward_dct_ifast`  libjpeg's fast integer DCT (jfdctfst.c, JDCT_IFAST, ``cjpeg
                             -dct fast``): the Arai-Agui-Nakajima scaled DCT, less accurate;
* :func:`forward_dct_float`  libjpeg's floating-point DCT (jfdctflt.c, JDCT_FLOAT, ``cjpeg
                             -dct float``): the same AA&N flowgraph as ifast, in float32;
* :func:`forward_dct_exact`  the exact DCT-II in float64 (SciPy), for cross-checking.

:data:`FORWARD_DCT` maps each ``dct=`` name to its function. Each takes level-shifted
blocks ``(..., 8, 8)`` (samples minus 128) and returns coefficients ``[v][u]`` at the
scale :data:`DCT_SCALE` gives, which the quantizer (:mod:`.quantize`) divides out.
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
    FLOAT_0_382683433,
    FLOAT_0_541196100,
    FLOAT_0_707106781,
    FLOAT_1_306562965,
    IFAST_CONST_BITS,
    IFAST_FIX_0_382683433,
    IFAST_FIX_0_541196100,
    IFAST_FIX_0_707106781,
    IFAST_FIX_1_306562965,
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


#: jfdctint.c's PASS1_BITS per sample precision: the extra bits the row pass keeps. At 12
#: bits libjpeg keeps only 1 ("lose a little precision to avoid overflow": it needs
#: BITS_IN_JSAMPLE + CONST_BITS + PASS1_BITS <= 26 for 32-bit intermediates); CONST_BITS
#: stays 13, so the FIX constants are the same.
ISLOW_PASS1_BITS = {8: PASS1_BITS, 12: 1}


def forward_dct_islow(blocks: np.ndarray, precision: int = 8) -> np.ndarray:
    """libjpeg's accurate integer forward DCT (JDCT_ISLOW) of level-shifted blocks.

    Rows first, keeping PASS1_BITS extra bits (2 for 8-bit samples, 1 for 12-bit ones,
    :data:`ISLOW_PASS1_BITS`), then columns, removing them. The result is the DCT of T.81
    A.3.3 scaled up by 8 (the quantizer divides by 8 * Q to undo it), at either precision.

    Args:
        blocks: int, shape ``(..., 8, 8)``, samples minus 128 (minus 2048 at 12 bits).
        precision: bits per sample, 8 or 12.

    Returns:
        int32 (int64 at 12 bits), shape ``(..., 8, 8)``: coefficients ``[v][u]`` times 8.
    """
    # 32 bits suffice for 8-bit samples: as jfdctint.c notes, every value and constant is at
    # most 16 bits wide, so each product fits 32 bits (and half the memory of int64 makes
    # this stage about 2.8 times faster here). 12-bit samples take int64: libjpeg computes
    # in JLONG, and the column pass here scales every output by 2**CONST_BITS (see
    # islow_butterfly), which can pass 2**31 with 12-bit samples.
    pass1_bits = ISLOW_PASS1_BITS[precision]
    x = blocks.astype(np.int32 if precision == 8 else np.int64)
    rows_done = descale(islow_butterfly(x), CONST_BITS - pass1_bits)
    columns = islow_butterfly(rows_done.swapaxes(-1, -2))
    return descale(columns, CONST_BITS + pass1_bits).swapaxes(-1, -2)


def ifast_multiply(x: np.ndarray, constant: int) -> np.ndarray:
    """jfdctfst.c's MULTIPLY: ``x * constant / 2**8``, truncated toward minus infinity (an
    arithmetic shift; libjpeg-turbo does not define USE_ACCURATE_ROUNDING)."""
    return (x * constant) >> IFAST_CONST_BITS


def ifast_butterfly(x: np.ndarray) -> np.ndarray:
    """One 8-point pass of libjpeg's fast integer DCT (jfdctfst.c).

    Arai, Agui and Nakajima's flowgraph (Trans. IEICE E-71(11), 1988; Pennebaker and
    Mitchell's figure 4-8): 5 multiplies and 29 adds, with the outputs left *scaled*, each
    frequency k by ``s[k] = cos(k pi / 16) * sqrt(2)`` (``s[0] = 1``) times the 8-point
    DCT's usual factor; the quantizer folds those factors into its divisors
    (:func:`stripjpeg.stages.quantize.ifast_divisors`). Nothing is kept in extra bits: each
    of the 5 products is truncated to an integer at once, which is where ifast loses
    accuracy against islow.

    Args:
        x: int32, shape ``(..., 8)``: the values along one row or column of each block.

    Returns:
        int32, shape ``(..., 8)``: scaled frequency 0..7 along that axis.
    """
    d = [x[..., k] for k in range(8)]
    # Stage 1: sums and differences of mirrored samples.
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    out = [None] * 8

    # Even part: a 4-point scaled DCT of the sums, one multiply (by cos(pi/4)).
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out[0] = tmp10 + tmp11
    out[4] = tmp10 - tmp11
    z1 = ifast_multiply(tmp12 + tmp13, IFAST_FIX_0_707106781)
    out[2] = tmp13 + z1
    out[6] = tmp13 - z1

    # Odd part: the differences, summed in pairs, then the rotation by pi/8 shared as z5
    # (4 multiplies), then a last butterfly.
    tmp10 = tmp4 + tmp5
    tmp11 = tmp5 + tmp6
    tmp12 = tmp6 + tmp7
    z5 = ifast_multiply(tmp10 - tmp12, IFAST_FIX_0_382683433)
    z2 = ifast_multiply(tmp10, IFAST_FIX_0_541196100) + z5
    z4 = ifast_multiply(tmp12, IFAST_FIX_1_306562965) + z5
    z3 = ifast_multiply(tmp11, IFAST_FIX_0_707106781)
    z11, z13 = tmp7 + z3, tmp7 - z3
    out[5] = z13 + z2
    out[3] = z13 - z2
    out[1] = z11 + z4
    out[7] = z11 - z4
    return np.stack(out, axis=-1)


def forward_dct_ifast(blocks: np.ndarray) -> np.ndarray:
    """libjpeg's fast integer forward DCT (JDCT_IFAST, jfdctfst.c) of level-shifted blocks.

    Rows, then columns, with no rounding shift between or after the passes (unlike islow).
    Coefficient ``[v][u]`` comes out as 8 times T.81 A.3.3's, times ``s[v] * s[u]`` (see
    :func:`ifast_butterfly`), up to the truncations; quantization divides both out
    (:func:`stripjpeg.stages.quantize.ifast_divisors`).

    Args:
        blocks: int, shape ``(..., 8, 8)``, samples minus 128.

    Returns:
        int32, shape ``(..., 8, 8)``: scaled coefficients ``[v][u]``.
    """
    # int32 is ample: for 8-bit samples libjpeg-turbo computes this in 16-bit lanes
    # (jfdctfst-sse2.asm, bit-exact with the C code), so no value reaches 2**15.
    x = blocks.astype(np.int32)
    rows_done = ifast_butterfly(x)
    return ifast_butterfly(rows_done.swapaxes(-1, -2)).swapaxes(-1, -2)


def float_butterfly(x: np.ndarray) -> np.ndarray:
    """One 8-point pass of libjpeg's float DCT (jfdctflt.c; jfdctflt-sse.asm on x86).

    The flowgraph of :func:`ifast_butterfly` (Arai, Agui and Nakajima: 5 multiplies, 29
    adds, outputs scaled by ``s[k]``), each operation rounded to float32 (FAST_FLOAT) in
    libjpeg's order, with no product truncated to an integer. The constants are
    ``np.float32`` (a float64 operand would widen the arithmetic to double), so every step
    here is one IEEE operation on two float32 values, as SSE's ``addps``, ``subps`` and
    ``mulps`` are: no fused multiply-add, no wider intermediate. NumPy therefore rounds
    each value exactly as libjpeg does.

    Args:
        x: float32, shape ``(..., 8)``: the values along one row or column of each block.

    Returns:
        float32, shape ``(..., 8)``: scaled frequency 0..7 along that axis.
    """
    d = [x[..., k] for k in range(8)]
    # Stage 1: sums and differences of mirrored samples.
    tmp0, tmp7 = d[0] + d[7], d[0] - d[7]
    tmp1, tmp6 = d[1] + d[6], d[1] - d[6]
    tmp2, tmp5 = d[2] + d[5], d[2] - d[5]
    tmp3, tmp4 = d[3] + d[4], d[3] - d[4]
    out = [None] * 8

    # Even part: a 4-point scaled DCT of the sums, one multiply (by cos(pi/4)).
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out[0] = tmp10 + tmp11
    out[4] = tmp10 - tmp11
    z1 = (tmp12 + tmp13) * FLOAT_0_707106781
    out[2] = tmp13 + z1
    out[6] = tmp13 - z1

    # Odd part: pairwise sums, the rotation by pi/8 shared as z5, the last butterfly.
    tmp10 = tmp4 + tmp5
    tmp11 = tmp5 + tmp6
    tmp12 = tmp6 + tmp7
    z5 = (tmp10 - tmp12) * FLOAT_0_382683433
    z2 = tmp10 * FLOAT_0_541196100 + z5   # the product rounded, then the sum: no FMA
    z4 = tmp12 * FLOAT_1_306562965 + z5
    z3 = tmp11 * FLOAT_0_707106781
    z11, z13 = tmp7 + z3, tmp7 - z3
    out[5] = z13 + z2
    out[3] = z13 - z2
    out[1] = z11 + z4
    out[7] = z11 - z4
    return np.stack(out, axis=-1)


def forward_dct_float(blocks: np.ndarray) -> np.ndarray:
    """libjpeg's floating-point forward DCT (JDCT_FLOAT, jfdctflt.c) of level-shifted blocks.

    The samples minus 128 become float32 exactly (jcdctmgr.c's convsamp_float, or the
    SSE2 jsimd_convsamp_float), then rows, then columns, in float32 throughout. As with
    ifast, coefficient ``[v][u]`` comes out as 8 times T.81 A.3.3's times ``s[v] * s[u]``;
    the quantizer's float divisors (:func:`stripjpeg.stages.quantize.float_divisors`)
    take both out.

    Args:
        blocks: int, shape ``(..., 8, 8)``, samples minus 128.

    Returns:
        float32, shape ``(..., 8, 8)``: scaled coefficients ``[v][u]``.
    """
    x = blocks.astype(np.float32)
    rows_done = float_butterfly(x)
    return float_butterfly(rows_done.swapaxes(-1, -2)).swapaxes(-1, -2)


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
    "ifast": forward_dct_ifast,
    "float": forward_dct_float,
    "exact": forward_dct_exact,
}

#: How much larger than T.81's coefficients each method's are (islow keeps a factor of 8;
#: ifast and float too, times a further AA&N factor per coefficient, tables.AAN_SCALES / 2**14).
DCT_SCALE: dict[str, int] = {"islow": 8, "ifast": 8, "float": 8, "exact": 1}
