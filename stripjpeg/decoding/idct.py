"""Dequantization and the inverse DCT (T.81 A.3.3, A.3.4), one function per method.

The forward DCT's stages (:mod:`stripjpeg.stages.dct`, :mod:`stripjpeg.stages.quantize`)
walked backwards, as libjpeg's decoder does them for 8-bit samples::

    quantized coefficients, int16 (R, C, 8, 8), natural order [v][u]
      -> dequantize            R = Sq * Q (T.81 A.3.4), or Sq times the method's multiplier
                               (jddctmgr.c: islow Q, ifast Q * AA&N scale, float likewise)
      -> inverse DCT           islow (jidctint.c), ifast (jidctfst.c) or float (jidctflt.c
                               as libjpeg-turbo's SIMD code computes it)
      -> range limit           + 128 level shift, then libjpeg's post-IDCT table (jdmaster.c)
    = inverse_dct              samples, uint8 (R * 8, C * 8)

libjpeg dequantizes inside each IDCT; here islow's and ifast's dequantization is a stage of
its own with the same integers. Every function works on all blocks of a component at once.

:func:`inverse_dct_islow` and :func:`range_limit` take 12-bit samples too (PASS1_BITS 1, the
level shift 2048, the range limit for 4095); the 12-bit methods are
:mod:`stripjpeg.decoding.idct_twelve`'s.

Corrupt coefficients (a dequantized value past 16 bits, an IDCT output more than 512 out of
range) are where libjpeg-turbo's C and SIMD code part: the C integer IDCTs wrap (their
``short`` and ``int`` types, the range table's 10-bit mask), the SIMD ones saturate 16-bit
lanes. ``"islow"`` is islow as the x86-64 SIMD code computes it
(:func:`inverse_dct_islow_simd`), what Pillow and djpeg return for every file;
``"islow-c"`` is jidctint.c's plain C (:func:`inverse_dct_islow`, what ``JSIMD_FORCENONE=1
djpeg`` gives). ifast follows jidctfst.c's C code exactly, wild values included (its SIMD
code, which ``djpeg -dct fast`` runs, differs on such values); float follows the SIMD code
exactly (as for every file). For every coefficient an encoder makes from 8-bit samples, C
and SIMD agree for islow and ifast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..tables import (
    AAN_SCALE_BITS,
    AAN_SCALE_FACTORS,
    AAN_SCALES,
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
    IFAST_CONST_BITS,
    PASS1_BITS,
    fix,
)

#: jdmaster.c's RANGE_MASK for 8-bit samples: the IDCT's output is looked up in a table of
#: 4 * 256 entries, indexed by its low 10 bits ("2 bits wider than legal sample data").
RANGE_MASK = 4 * 256 - 1

#: The sample precisions (P, T.81 B.2.2) the DCT decoder computes pixels for.
DCT_PRECISIONS = (8, 12)
#: jidctint.c's PASS1_BITS by sample precision: 2 extra bits between the passes for 8-bit
#: samples, 1 for 12-bit ones (whose larger coefficients leave less room in 32 bits).
ISLOW_PASS1_BITS = {8: PASS1_BITS, 12: 1}


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


def sample_dtype(precision: int) -> type:
    """The samples' NumPy type: uint8 for 8-bit samples, uint16 for 12-bit ones."""
    return np.uint8 if precision <= 8 else np.uint16


def range_limit(x: np.ndarray, precision: int = 8) -> np.ndarray:
    """libjpeg's post-IDCT range limiting, with the level shift (T.81 A.3.1 undone):
    ``range_limit[x & RANGE_MASK]``, the table jdmaster.c's prepare_range_limit_table builds
    for MAXJSAMPLE = ``2**P - 1`` and CENTERJSAMPLE = ``2**(P - 1)``.

    For 8-bit samples, indexed by the low 10 bits of the IDCT's signed output, the table
    gives ``x + 128`` for -128..127, 255 for 128..511 and 0 for -512..-129: a value is
    clamped to 0..255 as expected when it is within 512 of the range, and wraps modulo 1024
    beyond (only corrupt or adversarial coefficients go that far; libjpeg masks rather than
    check, so must we). For 12-bit samples the same with 2048, 4095, 8192 and the low 14
    bits (RANGE_MASK = ``4 * 4096 - 1``).

    Args:
        x: int64 IDCT output, before the level shift.
        precision: 8 or 12.

    Returns:
        uint8 samples 0..255, or uint16 samples 0..4095 (12-bit), the same shape.
    """
    levels = 1 << precision                        # MAXJSAMPLE + 1
    centre = levels // 2                           # CENTERJSAMPLE
    # The low 2 + P bits, as a signed number.
    wrapped = ((x + 2 * levels) & (4 * levels - 1)) - 2 * levels
    return (np.clip(wrapped, -centre, centre - 1) + centre).astype(sample_dtype(precision))


def to_int32(x: np.ndarray) -> np.ndarray:
    """Wrap int64 values to 32 bits, as C's ``(int)`` cast does: jidctint.c keeps its
    workspace between the passes in ``int``. Only corrupt coefficients come near the limit."""
    return x.astype(np.int32).astype(np.int64)


def to_int16(x: np.ndarray) -> np.ndarray:
    """Wrap to 16 bits, as C's ``(short)`` cast and SSE2's 16-bit lanes do: libjpeg-turbo's
    SIMD builds (every release) make jidctfst.c's DCTELEM and the multipliers ``short``
    (jdct.h, jmorecfg.h). Only corrupt coefficients come near the limit."""
    return ((x + 32768) & 0xFFFF) - 32768


def idct_islow(coefficients: np.ndarray, pass1_bits: int = PASS1_BITS) -> np.ndarray:
    """libjpeg's accurate integer inverse DCT (JDCT_ISLOW, jidctint.c) of dequantized blocks.

    Columns first, keeping PASS1_BITS extra bits (2 for 8-bit samples, 1 for 12-bit:
    :data:`ISLOW_PASS1_BITS`; ``DESCALE(..., CONST_BITS - PASS1_BITS)`` into a 32-bit
    workspace), then rows, removing them and the factor 8 (``DESCALE(..., CONST_BITS +
    PASS1_BITS + 3)``). The result is the 2-D IDCT of T.81 A.3.3, rounded, still centred
    on 0.

    Args:
        coefficients: int64 ``(..., 8, 8)``, dequantized, ``[v][u]``.
        pass1_bits: jidctint.c's PASS1_BITS.

    Returns:
        int64 ``(..., 8, 8)``: samples minus CENTERJSAMPLE, ``[y][x]``, not yet
        range-limited.
    """
    columns = islow_inverse_butterfly(coefficients.swapaxes(-1, -2))   # [u][y]
    workspace = to_int32(descale(columns, CONST_BITS - pass1_bits)).swapaxes(-1, -2)  # [y][u]
    return descale(islow_inverse_butterfly(workspace), CONST_BITS + pass1_bits + 3)


def blocks_to_plane(blocks: np.ndarray) -> np.ndarray:
    """``(R, C, 8, 8)`` blocks of samples -> the ``(R * 8, C * 8)`` plane they tile."""
    rows, cols = blocks.shape[:2]
    return np.ascontiguousarray(blocks.transpose(0, 2, 1, 3).reshape(rows * 8, cols * 8))


def inverse_dct_islow(blocks: np.ndarray, table: np.ndarray, precision: int = 8) -> np.ndarray:
    """islow dequantization + IDCT + range limit (jidctint.c's plain C): int16 ``(..., 8, 8)``
    -> uint8 samples, or uint16 0..4095 for ``precision=12``."""
    samples = idct_islow(dequantize(blocks, islow_multipliers(table)), ISLOW_PASS1_BITS[precision])
    return range_limit(samples, precision)


def saturate_int16(x: np.ndarray) -> np.ndarray:
    """SSE2's packssdw: 32-bit values clamped to the 16-bit range."""
    return np.clip(x, -32768, 32767)


def islow_simd_pass(x: np.ndarray, descale_bits: int) -> np.ndarray:
    """One pass of libjpeg-turbo's x86-64 SIMD islow (jidctint-sse2.asm, jidctint-avx2.asm),
    whose 16-bit lanes part from jidctint.c only on corrupt data: the sums ``in0 + in4``,
    ``in0 - in4``, ``in3 + in7`` and ``in1 + in5`` wrap to 16 bits (paddw, psubw), every
    product of a 16-bit input and a constant (pmaddwd pairs, the rotations regrouped) is
    exact, and the descaled outputs saturate to 16 bits (packssdw).

    Args:
        x: int64 ``(..., 8)`` 16-bit values along one column or row of each block.
        descale_bits: the pass's rounding shift.

    Returns:
        int64 ``(..., 8)``, 16-bit values.
    """
    d = [x[..., k] for k in range(8)]
    tmp3 = d[2] * (FIX_0_541196100 + FIX_0_765366865) + d[6] * FIX_0_541196100
    tmp2 = d[2] * FIX_0_541196100 + d[6] * (FIX_0_541196100 - FIX_1_847759065)
    tmp0 = to_int16(d[0] + d[4]) << CONST_BITS
    tmp1 = to_int16(d[0] - d[4]) << CONST_BITS
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    z3, z4 = to_int16(d[3] + d[7]), to_int16(d[1] + d[5])
    z3, z4 = (z3 * (FIX_1_175875602 - FIX_1_961570560) + z4 * FIX_1_175875602,
              z3 * FIX_1_175875602 + z4 * (FIX_1_175875602 - FIX_0_390180644))
    t0 = d[7] * (FIX_0_298631336 - FIX_0_899976223) - d[1] * FIX_0_899976223 + z3
    t3 = -d[7] * FIX_0_899976223 + d[1] * (FIX_1_501321110 - FIX_0_899976223) + z4
    t1 = d[5] * (FIX_2_053119869 - FIX_2_562915447) - d[3] * FIX_2_562915447 + z4
    t2 = -d[5] * FIX_2_562915447 + d[3] * (FIX_3_072711026 - FIX_2_562915447) + z3
    out = [tmp10 + t3, tmp11 + t2, tmp12 + t1, tmp13 + t0,
           tmp13 - t0, tmp12 - t1, tmp11 - t2, tmp10 - t3]
    return saturate_int16(descale(np.stack(out, axis=-1), descale_bits))


def inverse_dct_islow_simd(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """islow as libjpeg-turbo's x86-64 SIMD code computes it (what Pillow and djpeg run
    there): int16 ``(..., 8, 8)`` -> uint8 samples. For every coefficient an encoder makes
    it equals :func:`inverse_dct_islow` (jidctint.c); for corrupt ones it differs, as
    16-bit lanes do: the dequantization wraps to 16 bits (pmullw), the passes as
    :func:`islow_simd_pass`, the samples saturate instead of wrapping (packsswb). A block
    whose coefficient rows 1..7 are all 0 takes the code's shortcut, ``in0 << 2`` in 16 bits
    (psllw), which wraps where the flowgraph would saturate.
    """
    dequantized = to_int16(dequantize(blocks, islow_multipliers(table)))
    columns = islow_simd_pass(dequantized.swapaxes(-1, -2), CONST_BITS - PASS1_BITS)
    flat_columns = ~np.any(blocks[..., 1:, :], axis=(-2, -1))
    shortcut = np.broadcast_to(to_int16(dequantized[..., :1, :] << PASS1_BITS), blocks.shape)
    workspace = np.where(flat_columns[..., None, None], shortcut, columns.swapaxes(-1, -2))
    rows = islow_simd_pass(workspace, CONST_BITS + PASS1_BITS + 3)
    return (np.clip(rows, -128, 127) + 128).astype(np.uint8)


# --- ifast: jidctfst.c ---------------------------------------------------------------------

#: jddctmgr.c's IFAST_SCALE_BITS: the ifast multipliers keep 2 fraction bits, which are
#: jidctfst.c's PASS1_BITS (the first pass leaves them in, the final shift takes them out).
IFAST_SCALE_BITS = 2
#: jidctfst.c's four multipliers, 8 fraction bits (its CONST_BITS).
IFAST_FIX_1_082392200 = fix(1.082392200, IFAST_CONST_BITS)   # 277: 2 (c2 - c6)
IFAST_FIX_1_414213562 = fix(1.414213562, IFAST_CONST_BITS)   # 362: 2 c4
IFAST_FIX_1_847759065 = fix(1.847759065, IFAST_CONST_BITS)   # 473: 2 c2
IFAST_FIX_2_613125930 = fix(2.613125930, IFAST_CONST_BITS)   # 669: 2 (c2 + c6)


def ifast_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c's multiplier table for ifast: ``DESCALE(Q * aanscales, 14 - IFAST_SCALE_BITS)``,
    the step times AA&N's ``s[v] s[u]`` (:data:`~stripjpeg.tables.AAN_SCALES`, 14 fraction
    bits) with 2 fraction bits kept, rounded, stored as 16-bit ``IFAST_MULT_TYPE``:
    int64 ``(8, 8)``."""
    products = np.asarray(table, np.int64).reshape(64) * AAN_SCALES
    return to_int16(descale(products, AAN_SCALE_BITS - IFAST_SCALE_BITS)).reshape(8, 8)


def ifast_multiply(x: np.ndarray, constant: int) -> np.ndarray:
    """jidctfst.c's MULTIPLY: ``x * constant >> 8``, truncated toward minus infinity (no
    USE_ACCURATE_ROUNDING in libjpeg-turbo), as a 16-bit DCTELEM."""
    return to_int16((x * constant) >> IFAST_CONST_BITS)


def ifast_inverse_butterfly(x: np.ndarray) -> np.ndarray:
    """One 8-point pass of libjpeg's fast integer IDCT (jidctfst.c): Arai, Agui and
    Nakajima's flowgraph backwards, 5 multiplies by 8-bit constants, each product truncated.

    Each intermediate is a 16-bit DCTELEM (wrapped where jidctfst.c assigns one); the eight
    outputs are the last sums, in ``int``.

    Args:
        x: int64 ``(..., 8)``: scaled frequencies 0..7 along one column or row of each block.

    Returns:
        int64 ``(..., 8)``: positions 0..7 along that axis.
    """
    d = [to_int16(x[..., k]) for k in range(8)]
    # Even part.
    tmp10, tmp11 = to_int16(d[0] + d[4]), to_int16(d[0] - d[4])
    tmp13 = to_int16(d[2] + d[6])
    tmp12 = to_int16(ifast_multiply(d[2] - d[6], IFAST_FIX_1_414213562) - tmp13)
    tmp0, tmp3 = to_int16(tmp10 + tmp13), to_int16(tmp10 - tmp13)
    tmp1, tmp2 = to_int16(tmp11 + tmp12), to_int16(tmp11 - tmp12)
    # Odd part.
    z13, z10 = to_int16(d[5] + d[3]), to_int16(d[5] - d[3])
    z11, z12 = to_int16(d[1] + d[7]), to_int16(d[1] - d[7])
    tmp7 = to_int16(z11 + z13)
    tmp11 = ifast_multiply(z11 - z13, IFAST_FIX_1_414213562)
    z5 = ifast_multiply(z10 + z12, IFAST_FIX_1_847759065)
    tmp10 = to_int16(ifast_multiply(z12, IFAST_FIX_1_082392200) - z5)
    tmp12 = to_int16(ifast_multiply(z10, -IFAST_FIX_2_613125930) + z5)
    tmp6 = to_int16(tmp12 - tmp7)
    tmp5 = to_int16(tmp11 - tmp6)
    tmp4 = to_int16(tmp10 + tmp5)
    out = [tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 - tmp4,
           tmp3 + tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7]
    return np.stack(out, axis=-1)


def idct_ifast(coefficients: np.ndarray, dequantized: np.ndarray) -> np.ndarray:
    """libjpeg's fast integer inverse DCT (JDCT_IFAST, jidctfst.c) of dequantized blocks.

    Columns into an ``int`` workspace, then rows, then one shift by PASS1_BITS + 3 = 5,
    truncating (jidctfst.c rounds nowhere, so its samples lean low by about half a step).
    Its shortcuts for a column of zero AC coefficients and a row of zero AC terms copy the
    DC term in ``int``, unwrapped, where the flowgraph would wrap it to 16 bits: the same for
    every block an encoder makes, but not for corrupt ones, so both branches are here.

    Args:
        coefficients: int16 ``(..., 8, 8)``, the quantized coefficients (which column the
            shortcut takes depends on them).
        dequantized: int64 ``(..., 8, 8)``: them times :func:`ifast_multipliers`.

    Returns:
        int64 ``(..., 8, 8)``: samples minus 128, ``[y][x]``, not yet range-limited.
    """
    columns = ifast_inverse_butterfly(dequantized.swapaxes(-1, -2))            # [u][y]
    zero_ac_column = ~np.any(coefficients[..., 1:, :], axis=-2)                # [u]
    columns = np.where(zero_ac_column[..., None], dequantized[..., :1, :].swapaxes(-1, -2),
                       columns)
    workspace = columns.swapaxes(-1, -2)                                       # [y][u]
    rows = ifast_inverse_butterfly(workspace)
    zero_ac_row = ~np.any(workspace[..., 1:], axis=-1)
    rows = np.where(zero_ac_row[..., None], workspace[..., :1], rows)
    return rows >> (IFAST_SCALE_BITS + 3)


def inverse_dct_ifast(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """ifast dequantization + IDCT + range limit: int16 ``(..., 8, 8)`` -> uint8 samples."""
    return range_limit(idct_ifast(blocks, dequantize(blocks, ifast_multipliers(table))))


# --- float: jidctflt.c -----------------------------------------------------------------------

#: jidctflt.c's four multipliers, FAST_FLOAT (float32).
FLOAT_1_082392200 = np.float32(1.082392200)   # 2 (c2 - c6)
FLOAT_1_414213562 = np.float32(1.414213562)   # 2 c4
FLOAT_1_847759065 = np.float32(1.847759065)   # 2 c2
FLOAT_2_613125930 = np.float32(2.613125930)   # 2 (c2 + c6)
#: jidctflt.c adds CENTERJSAMPLE + 0.5 in the second pass: the level shift, and the half
#: that makes its truncating conversion to ``int`` round.
FLOAT_CENTRE = np.float32(128.5)
#: jidctflt-sse2.asm's PD_RNDINT_MAGIC, ``1.5 * 2**26``: added to a float32 value 8 times the
#: sample, it leaves ``round(value / 8)`` (ties to even) in the low bits of the sum's mantissa.
FLOAT_ROUNDING_MAGIC = np.float32(100663296.0)


def float_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c's multiplier table for the float IDCT: ``Q * s[v] * s[u]`` in double
    (:data:`~stripjpeg.tables.AAN_SCALE_FACTORS`, left to right), stored as float32; float32
    ``(8, 8)``."""
    s = np.array(AAN_SCALE_FACTORS, np.float64)
    steps = np.asarray(table, np.float64).reshape(8, 8)
    return (steps * s[:, None] * s[None, :]).astype(np.float32)


def float_inverse_butterfly(x: np.ndarray, centre: np.float32 | None = None) -> np.ndarray:
    """One 8-point pass of libjpeg's float IDCT (jidctflt.c, jidctflt-sse2.asm), every
    operation one float32 IEEE operation in its order (no fused multiply-add), as in
    :func:`stripjpeg.stages.dct.float_butterfly`.

    jidctflt.c and the SSE2 code write the odd part's last steps with opposite signs
    (``z5 - 1.082 z12`` then ``tmp10 - tmp5``, against ``1.082 z12 - z5`` then ``tmp10 +
    tmp5``); IEEE rounding is symmetric, so the two give the same floats, and this one
    function serves both.

    Args:
        x: float32 ``(..., 8)``.
        centre: added to input 0 first (jidctflt.c's second pass: :data:`FLOAT_CENTRE`), or
            None.

    Returns:
        float32 ``(..., 8)``.
    """
    d = [x[..., k] for k in range(8)]
    first = d[0] if centre is None else d[0] + centre
    # Even part.
    tmp10, tmp11 = first + d[4], first - d[4]
    tmp13 = d[2] + d[6]
    tmp12 = (d[2] - d[6]) * FLOAT_1_414213562 - tmp13
    tmp0, tmp3 = tmp10 + tmp13, tmp10 - tmp13
    tmp1, tmp2 = tmp11 + tmp12, tmp11 - tmp12
    # Odd part.
    z13, z10 = d[5] + d[3], d[5] - d[3]
    z11, z12 = d[1] + d[7], d[1] - d[7]
    tmp7 = z11 + z13
    tmp11 = (z11 - z13) * FLOAT_1_414213562
    z5 = (z10 + z12) * FLOAT_1_847759065
    tmp10 = z5 - z12 * FLOAT_1_082392200
    tmp12 = z5 - z10 * FLOAT_2_613125930
    tmp6 = tmp12 - tmp7
    tmp5 = tmp11 - tmp6
    tmp4 = tmp10 - tmp5
    out = [tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 + tmp4,
           tmp3 - tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7]
    return np.stack(out, axis=-1)


def float_to_int(x: np.ndarray) -> np.ndarray:
    """C's ``(int)`` of a float on x86-64 (cvttss2si): truncation toward 0, and INT_MIN for
    a value outside the 32-bit range (only corrupt coefficients reach it)."""
    inside = (x >= -2.0 ** 31) & (x < 2.0 ** 31)
    return np.where(inside, np.trunc(np.where(inside, x, 0)), -2 ** 31).astype(np.int64)


def inverse_dct_float(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """libjpeg-turbo's float IDCT as its x86-64 SIMD code computes it (jidctflt-sse2.asm),
    which ``djpeg -dct float`` runs: int16 ``(..., 8, 8)`` -> uint8 samples.

    Dequantized by the multipliers (:func:`float_multipliers`), columns, rows, all in
    float32 and 8 times too large; then ``round(x / 8)`` (ties to even) by adding
    :data:`FLOAT_ROUNDING_MAGIC` and keeping the low 16 bits of the sum, saturated to
    -128..127 (packsswb) and shifted by 128. The plain C code rounds differently
    (:func:`inverse_dct_float_plain_c`): a few samples of a file differ by 1.
    """
    dequantized = blocks.astype(np.float32) * float_multipliers(table)
    columns = float_inverse_butterfly(dequantized.swapaxes(-1, -2))
    rows = float_inverse_butterfly(columns.swapaxes(-1, -2))
    rounded = ((rows + FLOAT_ROUNDING_MAGIC).view(np.int32) & 0xFFFF).astype(np.uint16)
    return (np.clip(rounded.view(np.int16), -128, 127) + 128).astype(np.uint8)


def float_range_limit(x: np.ndarray) -> np.ndarray:
    """jidctflt.c's range limit: its output already holds the +128, so it indexes the plain
    sample_range_limit table with the low 10 bits: 0..255 as they are, 256..639 -> 255,
    640..1023 (and so negative values) -> 0 (jdmaster.c)."""
    wrapped = ((x + 384) & RANGE_MASK) - 384
    return np.clip(wrapped, 0, 255).astype(np.uint8)


def inverse_dct_float_plain_c(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """libjpeg-turbo's float IDCT as its C code computes it (jidctflt.c; ``djpeg -dct float``
    with ``JSIMD_FORCENONE=1``, or a build without SIMD): int16 ``(..., 8, 8)`` -> uint8.

    Dequantized by the multipliers times 1/8 (exact), columns, then rows with 128.5 added to
    the DC term first, in float32; converted to ``int`` by truncation (so rounded, thanks to
    the 0.5) and range-limited by :func:`float_range_limit`. Adding 128.5 before the rows'
    arithmetic rounds their sums at a coarser step than :func:`inverse_dct_float` does.
    """
    multipliers = float_multipliers(table) * np.float32(0.125)
    dequantized = blocks.astype(np.float32) * multipliers
    columns = float_inverse_butterfly(dequantized.swapaxes(-1, -2))
    rows = float_inverse_butterfly(columns.swapaxes(-1, -2), FLOAT_CENTRE)
    return float_range_limit(float_to_int(rows))


#: The inverse DCT of each ``dct=`` method: quantized blocks and their table -> uint8 blocks.
INVERSE_DCT: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "islow": inverse_dct_islow_simd,
    "islow-c": inverse_dct_islow,
    "ifast": inverse_dct_ifast,
    "float": inverse_dct_float,
}


def inverse_dct(blocks: np.ndarray, table: np.ndarray, method: str = "islow") -> np.ndarray:
    """One component's quantized blocks -> its samples, as libjpeg's decoder computes them.

    Args:
        blocks: int16 ``(R, C, 8, 8)`` quantized coefficients, natural order ``[v][u]``.
        table: uint16 ``(64,)`` quantization table, natural order.
        method: "islow" (the default: libjpeg-turbo's x86-64 SIMD islow, Pillow's and
            djpeg's, :func:`inverse_dct_islow_simd`), "islow-c" (jidctint.c's plain C,
            ``JSIMD_FORCENONE=1 djpeg``; the same samples but for corrupt coefficients),
            "ifast" (jidctfst.c, ``djpeg -dct fast`` for every encoder's file) or "float"
            (``djpeg -dct float``: libjpeg-turbo's x86-64 SIMD code, jidctflt-sse2.asm, which
            rounds a few samples differently from jidctflt.c; that one is
            :func:`inverse_dct_float_plain_c`).

    Returns:
        uint8 ``(R * 8, C * 8)``: the component's samples, dummy blocks included (12-bit
        samples: :func:`stripjpeg.decoding.idct_twelve.inverse_dct_twelve`).

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
