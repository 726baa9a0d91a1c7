"""Dequantization and the inverse DCT (T.81 A.3.3, A.3.4), one function per method.

The forward DCT's stages (:mod:`stripjpeg.stages.dct`, :mod:`stripjpeg.stages.quantize`)
walked backwards, as libjpeg's decoder does them for 8-bit samples::

    quantized coefficients, int16 (R, C, 8, 8), natural order [v][u]
      -> dequantize            R = Sq * Q (T.81 A.3.4), or Sq times the method's multiplier
                               (jddctmgr.c: islow Q, ifast Q * AA&N scale, float likewise)
      -> inverse DCT           islow (jidctint.c), ifast (jidctfst.c) or float (jidctflt.c)
      -> range limit           + 128 level shift, then libjpeg's post-IDCT table (jdmaster.c)
    = inverse_dct              samples, uint8 (R * 8, C * 8)

libjpeg dequantizes inside each IDCT; here it is a stage of its own with the same integers.
Every function works on all blocks of a component at once.
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

#: jdmaster.c's RANGE_MASK for 8-bit samples: the IDCT's output is looked up in a table of
#: 4 * 256 entries, indexed by its low 10 bits ("2 bits wider than legal sample data").
RANGE_MASK = 4 * 256 - 1


def dequantize(blocks: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
    """T.81 A.3.4's dequantization, ``R[v][u] = Sq[v][u] * Q[v][u]``, with the multiplier the
    IDCT method uses in place of Q (libjpeg's DEQUANTIZE macro).

    libjpeg-turbo keeps the islow and ifast multipliers in 16-bit ``short`` (jmorecfg.h's
    MULTIPLIER when built with SIMD, as every release is), so a 16-bit DQT value of 32768 or
    more becomes negative: :func:`islow_multipliers` reproduces that.

    Args:
        blocks: int16 ``(..., 8, 8)`` quantized coefficients, natural order ``[v][u]``.
        multipliers: integer ``(64,)`` or ``(8, 8)``, natural order.

    Returns:
        int64 ``(..., 8, 8)``: the dequantized coefficients.
    """
    return blocks.astype(np.int64) * np.asarray(multipliers, np.int64).reshape(8, 8)


def islow_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c's multiplier table for islow: the quantization table itself, stored as
    ``ISLOW_MULT_TYPE`` (16-bit signed in libjpeg-turbo): int64 ``(8, 8)``."""
    return np.asarray(table, np.uint16).view(np.int16).astype(np.int64).reshape(8, 8)


def descale(x: np.ndarray, bits: int) -> np.ndarray:
    """libjpeg's DESCALE: divide by 2**bits rounding half up (add half, arithmetic shift)."""
    return (x + (1 << (bits - 1))) >> bits


def islow_inverse_butterfly(x: np.ndarray) -> np.ndarray:
    """One 8-point pass of libjpeg's accurate integer IDCT (jidctint.c), before its rounding
    shift.

    The Loeffler-Ligtenberg-Moschytz flowgraph of :func:`stripjpeg.stages.dct.islow_butterfly`
    run backwards: an even part (inputs 0, 2, 4, 6: one rotation by ``sqrt(2) c6``) and an
    odd part (inputs 1, 3, 5, 7: the same 12 multiplies by 13-bit constants), then a last
    butterfly. Every output is scaled by ``2**CONST_BITS`` (and by ``sqrt(8)`` against the
    true 1-D IDCT, which the final shift by 3 removes after both passes).

    jidctint.c skips the work for a column whose AC inputs are all 0 (and, in the second
    pass, a row of zero AC terms): its shortcut values, ``DC << PASS1_BITS`` and
    ``DESCALE(DC, PASS1_BITS + 3)``, are exactly what this computes for such inputs.

    Args:
        x: int64 ``(..., 8)``: frequencies 0..7 along one column or row of each block.

    Returns:
        int64 ``(..., 8)``: positions 0..7 along that axis, times ``2**CONST_BITS``.
    """
    d = [x[..., k] for k in range(8)]
    # Even part: the rotation of inputs 2 and 6, and the sum and difference of 0 and 4.
    z1 = (d[2] + d[6]) * FIX_0_541196100
    tmp2 = z1 - d[6] * FIX_1_847759065
    tmp3 = z1 + d[2] * FIX_0_765366865
    tmp0 = (d[0] + d[4]) << CONST_BITS
    tmp1 = (d[0] - d[4]) << CONST_BITS
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2

    # Odd part: inputs 7, 5, 3, 1 (libjpeg's tmp0..tmp3) and their pairwise sums.
    t0, t1, t2, t3 = d[7], d[5], d[3], d[1]
    z1, z2, z3, z4 = t0 + t3, t1 + t2, t0 + t2, t1 + t3
    z5 = (z3 + z4) * FIX_1_175875602           # sqrt(2) * c3
    t0 = t0 * FIX_0_298631336                  # sqrt(2) * (-c1+c3+c5-c7)
    t1 = t1 * FIX_2_053119869                  # sqrt(2) * ( c1+c3-c5+c7)
    t2 = t2 * FIX_3_072711026                  # sqrt(2) * ( c1+c3+c5-c7)
    t3 = t3 * FIX_1_501321110                  # sqrt(2) * ( c1+c3-c5-c7)
    z1 = z1 * -FIX_0_899976223                 # sqrt(2) * ( c7-c3)
    z2 = z2 * -FIX_2_562915447                 # sqrt(2) * (-c1-c3)
    z3 = z3 * -FIX_1_961570560 + z5            # sqrt(2) * (-c3-c5)
    z4 = z4 * -FIX_0_390180644 + z5            # sqrt(2) * ( c5-c3)
    t0 += z1 + z3
    t1 += z2 + z4
    t2 += z2 + z3
    t3 += z1 + z4

    out = [tmp10 + t3, tmp11 + t2, tmp12 + t1, tmp13 + t0,
           tmp13 - t0, tmp12 - t1, tmp11 - t2, tmp10 - t3]
    return np.stack(out, axis=-1)


def range_limit(x: np.ndarray) -> np.ndarray:
    """libjpeg's post-IDCT range limiting for 8-bit samples, with the +128 level shift
    (T.81 A.3.1 undone): ``range_limit[x & RANGE_MASK]``, the table jdmaster.c's
    prepare_range_limit_table builds.

    Indexed by the low 10 bits of the IDCT's signed output, the table gives ``x + 128`` for
    -128..127, 255 for 128..511 and 0 for -512..-129: a value is clamped to 0..255 as
    expected when it is within 512 of the range, and wraps modulo 1024 beyond (only corrupt
    or adversarial coefficients go that far; libjpeg masks rather than check, so must we).

    Args:
        x: int64 IDCT output, before the level shift.

    Returns:
        uint8, the same shape: samples 0..255.
    """
    wrapped = ((x + 512) & RANGE_MASK) - 512      # the low 10 bits, as a signed number
    return (np.clip(wrapped, -128, 127) + 128).astype(np.uint8)


def to_int32(x: np.ndarray) -> np.ndarray:
    """Wrap int64 values to 32 bits, as C's ``(int)`` cast does: jidctint.c keeps its
    workspace between the passes in ``int``. Only corrupt coefficients come near the limit."""
    return x.astype(np.int32).astype(np.int64)


def idct_islow(coefficients: np.ndarray) -> np.ndarray:
    """libjpeg's accurate integer inverse DCT (JDCT_ISLOW, jidctint.c) of dequantized blocks.

    Columns first, keeping PASS1_BITS = 2 extra bits (``DESCALE(..., CONST_BITS -
    PASS1_BITS)`` into a 32-bit workspace), then rows, removing them and the factor 8
    (``DESCALE(..., CONST_BITS + PASS1_BITS + 3)``). The result is the 2-D IDCT of T.81
    A.3.3, rounded, still centred on 0.

    Args:
        coefficients: int64 ``(..., 8, 8)``, dequantized, ``[v][u]``.

    Returns:
        int64 ``(..., 8, 8)``: samples minus 128, ``[y][x]``, not yet range-limited.
    """
    columns = islow_inverse_butterfly(coefficients.swapaxes(-1, -2))   # [u][y]
    workspace = to_int32(descale(columns, CONST_BITS - PASS1_BITS)).swapaxes(-1, -2)  # [y][u]
    return descale(islow_inverse_butterfly(workspace), CONST_BITS + PASS1_BITS + 3)


def blocks_to_plane(blocks: np.ndarray) -> np.ndarray:
    """``(R, C, 8, 8)`` blocks of samples -> the ``(R * 8, C * 8)`` plane they tile."""
    rows, cols = blocks.shape[:2]
    return np.ascontiguousarray(blocks.transpose(0, 2, 1, 3).reshape(rows * 8, cols * 8))


def inverse_dct_islow(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """islow dequantization + IDCT + range limit: int16 ``(..., 8, 8)`` -> uint8 samples."""
    return range_limit(idct_islow(dequantize(blocks, islow_multipliers(table))))


#: The inverse DCT of each ``dct=`` method: quantized blocks and their table -> uint8 blocks.
INVERSE_DCT: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "islow": inverse_dct_islow,
}


def inverse_dct(blocks: np.ndarray, table: np.ndarray, method: str = "islow") -> np.ndarray:
    """One component's quantized blocks -> its samples, as libjpeg's decoder computes them.

    Args:
        blocks: int16 ``(R, C, 8, 8)`` quantized coefficients, natural order ``[v][u]``.
        table: uint16 ``(64,)`` quantization table, natural order.
        method: "islow" (jidctint.c, the default: Pillow's and djpeg's), "ifast"
            (jidctfst.c, ``djpeg -dct fast``) or "float" (jidctflt.c, ``djpeg -dct float``).

    Returns:
        uint8 ``(R * 8, C * 8)``: the component's samples, dummy blocks included.

    Raises:
        ValueError: an unknown method, or arrays of the wrong shape.
    """
    if method not in INVERSE_DCT:
        raise ValueError(f"unknown IDCT method {method!r}: expected one of {sorted(INVERSE_DCT)}")
    blocks = np.asarray(blocks)
    if blocks.ndim != 4 or blocks.shape[2:] != (8, 8):
        raise ValueError(f"blocks must be (rows, cols, 8, 8), got shape {blocks.shape}")
    if np.size(table) != 64:
        raise ValueError(f"a quantization table has 64 entries, got {np.size(table)}")
    return blocks_to_plane(INVERSE_DCT[method](blocks, np.asarray(table).reshape(64)))
