"""The decoder's inverse DCTs as numba kernels: dequantization, the 8x8 IDCT, the +128 level
shift and libjpeg's range limiting, for 8-bit samples.

The same results as :func:`stripjpeg.decoding.idct.inverse_dct` (read that to learn the
stage), one block at a time with scalar loops:

* :func:`islow_block`  libjpeg's ``jpeg_idct_islow`` (jidctint.c: CONST_BITS 13, PASS1_BITS 2),
                       ``"islow-c"``
* :func:`ifast_block`  ``jpeg_idct_ifast`` (jidctfst.c, AA&N, 8 fraction bits, truncating shifts)
* :func:`float_block`  ``jpeg_idct_float`` (AA&N in single precision), as libjpeg-turbo's
                       SIMD code (jidctflt-sse2.asm) or as jidctflt.c computes it
* :func:`islow_simd_block`  islow as libjpeg-turbo's SIMD code computes it, ``"islow"`` (the
                       same samples for every encoder's file, Pillow's for corrupt ones)
* :func:`inverse_dct`  the stage: any of them over a component's ``(R, C, 8, 8)`` blocks

**What is matched, exactly.** libjpeg-turbo on x86 runs SIMD versions of these by default;
what they compute is defined by its plain C code, which it runs with ``JSIMD_FORCENONE=1``.
These kernels are that C code of a SIMD-enabled 8-bit build, value for value, wild
coefficients included: its dequantization multipliers are ``short`` (jmorecfg.h MULTIPLIER),
so a 16-bit DQT step over 32767 wraps negative; ifast's DCTELEM is ``short`` too (jdct.h), so
its intermediate values wrap at 16 bits where the C code stores them; islow's workspace is
``int`` (32 bits, its products 64-bit JLONG); every result indexes libjpeg's range-limit
table through RANGE_MASK (jdmaster.c prepare_range_limit_table), so an out-of-range value
wraps modulo 1024 before it is clamped. For valid files the SIMD islow and ifast give the same
pixels (tests/test_numba_decode_pixels.py checks against djpeg both ways); for corrupt ones
islow's SIMD code saturates its 16-bit lanes, and ``"islow"`` is that code
(:func:`islow_simd_block`: Pillow's pixels), ``"islow-c"`` jidctint.c's; ifast is jidctfst.c's
only (its SIMD code, ``djpeg -dct fast``, differs on corrupt coefficients). The float IDCT
is the exception: ``float`` is what djpeg and libjpeg-turbo run on x86-64, its SIMD code
(jidctflt-sse2.asm: the result 8 times too large rounded to nearest by a magic-number add,
saturated to 16 and then 8 bits), and :func:`inverse_dct_float_plain_c` is jidctflt.c's
(truncating ``x + 128.5``), which differs by 1 or 2 in some samples (docs/backends.md).
"""

from __future__ import annotations

import numpy as np

from .numba_jit import inline_kernel, kernel

#: jidctint.c, 8-bit samples: fraction bits of the constants, and the extra bits pass 1 keeps.
CONST_BITS = 13
PASS1_BITS = 2
#: jidctint.c's FIX(x) = round(x * 2**13), the Loeffler-Ligtenberg-Moschytz rotations.
FIX_0_298631336, FIX_0_390180644, FIX_0_541196100, FIX_0_765366865 = 2446, 3196, 4433, 6270
FIX_0_899976223, FIX_1_175875602, FIX_1_501321110, FIX_1_847759065 = 7373, 9633, 12299, 15137
FIX_1_961570560, FIX_2_053119869, FIX_2_562915447, FIX_3_072711026 = 16069, 16819, 20995, 25172
#: jidctfst.c, 8-bit: its constants have 8 fraction bits (FIX(x) = round(x * 256)).
FAST_1_082392200, FAST_1_414213562, FAST_1_847759065, FAST_2_613125930 = 277, 362, 473, 669
#: jddctmgr.c: the AA&N scale factors cos(k*pi/16)*sqrt(2) * 2**14 of ifast's multipliers,
#: which keep IFAST_SCALE_BITS = 2 fraction bits (so DESCALE by 14 - 2).
AAN_SCALES = np.array([
    16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
    22725, 31521, 29692, 26722, 22725, 17855, 12299, 6270,
    21407, 29692, 27969, 25172, 21407, 16819, 11585, 5906,
    19266, 26722, 25172, 22654, 19266, 15137, 10426, 5315,
    16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
    12873, 17855, 16819, 15137, 12873, 10114, 6967, 3552,
    8867, 12299, 11585, 10426, 8867, 6967, 4799, 2446,
    4520, 6270, 5906, 5315, 4520, 3552, 2446, 1247], np.int64)
#: jddctmgr.c: the same factors in double precision, for the float multipliers.
AAN_SCALE_FACTORS = np.array([1.0, 1.387039845, 1.306562965, 1.175875602,
                              1.0, 0.785694958, 0.541196100, 0.275899379])
#: jidctflt.c's constants, single precision (FAST_FLOAT is float).
F_1_414213562 = np.float32(1.414213562)
F_1_847759065 = np.float32(1.847759065)
F_1_082392200 = np.float32(1.082392200)
F_2_613125930 = np.float32(2.613125930)
#: jidctflt.c: CENTERJSAMPLE + 0.5, added before the float result is truncated to int.
F_CENTER_ROUNDING = np.float32(128.5)
#: jidctflt-sse2.asm's PD_RNDINT_MAGIC, 1.5 * 2**26: added to a float32 8 times a sample, it
#: leaves the rounded sample in the low bits of the sum's mantissa.
F_ROUNDING_MAGIC = np.float32(100663296.0)
F_ONE_EIGHTH = np.float32(0.125)

#: jdct.h RANGE_MASK (MAXJSAMPLE * 4 + 3): results index the range-limit table modulo 1024.
RANGE_MASK = 1023


def idct_range_limit() -> np.ndarray:
    """jdmaster.c prepare_range_limit_table, as ``IDCT_range_limit`` (the table + CENTERJSAMPLE)
    sees it, indexed by ``value & RANGE_MASK`` with ``value`` not yet level-shifted: 0..127
    give 128..255, 128..511 saturate at 255, 512..895 (large negative values, wrapped) give 0,
    and 896..1023 (-128..-1) give 0..127. uint8 (1024,)."""
    index = np.arange(1024)
    signed = np.where(index < 512, index, index - 1024)
    return np.clip(signed + 128, 0, 255).astype(np.uint8)


def sample_range_limit() -> np.ndarray:
    """jdmaster.c's table from ``sample_range_limit`` itself, which jidctflt.c indexes (its
    results carry their +128 already): 0..255 give themselves, 256..639 saturate at 255,
    640..1023 give 0. uint8 (1024,)."""
    index = np.arange(1024)
    return np.where(index < 256, index, np.where(index < 640, 255, 0)).astype(np.uint8)


IDCT_RANGE_LIMIT = idct_range_limit()
SAMPLE_RANGE_LIMIT = sample_range_limit()


def islow_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c for islow: the quantization steps as ISLOW_MULT_TYPE (``short``: a 16-bit
    step over 32767 wraps negative). int64 (64,), natural order."""
    return np.asarray(table, np.uint16).view(np.int16).astype(np.int64)


def ifast_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c for ifast: ``DESCALE(step * aanscales[k], 12)`` as IFAST_MULT_TYPE (``short``).
    int64 (64,), natural order."""
    scaled = (np.asarray(table, np.int64) * AAN_SCALES + (1 << 11)) >> 12
    return scaled.astype(np.uint16).view(np.int16).astype(np.int64)


def float_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c for float: ``(float)(step * aanscalefactor[row] * aanscalefactor[col])`` in
    double (left to right). float32 (64,), natural order."""
    factors = np.asarray(table, np.float64) * np.repeat(AAN_SCALE_FACTORS, 8)
    return (factors * np.tile(AAN_SCALE_FACTORS, 8)).astype(np.float32)


def float_multipliers_plain_c(table: np.ndarray) -> np.ndarray:
    """jidctflt.c's dequantization: :func:`float_multipliers` times its ``_0_125`` in float
    (exact: a power of two). float32 (64,)."""
    return float_multipliers(table) * np.float32(0.125)


@inline_kernel
def wrap16(value):
    """``value`` stored into a C ``short`` (two's complement wrap)."""
    return ((value + 32768) & 0xFFFF) - 32768


@inline_kernel
def wrap32(value):
    """``value`` stored into a C ``int`` (two's complement wrap)."""
    return ((value + 2147483648) & 0xFFFFFFFF) - 2147483648


@inline_kernel
def islow_block(blocks, br, bc, mult, ws, out, y, x):
    """jpeg_idct_islow on block ``blocks[br, bc]`` into ``out[y:y + 8, x:x + 8]``.

    ``mult``: :func:`islow_multipliers`; ``ws``: int64 (64,) scratch. Pass 1 (columns) keeps
    PASS1_BITS extra bits, pass 2 (rows) descales by CONST_BITS + PASS1_BITS + 3 with
    rounding; all-zero AC columns and rows take jidctint.c's shortcut (the same value).
    """
    for c in range(8):
        if (blocks[br, bc, 1, c] == 0 and blocks[br, bc, 2, c] == 0 and blocks[br, bc, 3, c] == 0
                and blocks[br, bc, 4, c] == 0 and blocks[br, bc, 5, c] == 0
                and blocks[br, bc, 6, c] == 0 and blocks[br, bc, 7, c] == 0):
            dc = wrap32((blocks[br, bc, 0, c] * mult[c]) << PASS1_BITS)
            for r in range(8):
                ws[8 * r + c] = dc
            continue
        # Even part: the rotation by sqrt(2) * c6 of rows 2 and 6, rows 0 and 4 scaled up.
        z2 = blocks[br, bc, 2, c] * mult[16 + c]
        z3 = blocks[br, bc, 6, c] * mult[48 + c]
        z1 = (z2 + z3) * FIX_0_541196100
        tmp2 = z1 - z3 * FIX_1_847759065
        tmp3 = z1 + z2 * FIX_0_765366865
        z2 = blocks[br, bc, 0, c] * mult[c]
        z3 = blocks[br, bc, 4, c] * mult[32 + c]
        tmp0 = (z2 + z3) << CONST_BITS
        tmp1 = (z2 - z3) << CONST_BITS
        tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
        tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
        # Odd part: rows 7, 5, 3, 1 (jidctint.c's figure 8).
        tmp0 = blocks[br, bc, 7, c] * mult[56 + c]
        tmp1 = blocks[br, bc, 5, c] * mult[40 + c]
        tmp2 = blocks[br, bc, 3, c] * mult[24 + c]
        tmp3 = blocks[br, bc, 1, c] * mult[8 + c]
        tmp0, tmp1, tmp2, tmp3 = odd_part_islow(tmp0, tmp1, tmp2, tmp3)
        shift = CONST_BITS - PASS1_BITS
        half = 1 << (shift - 1)
        ws[c] = wrap32((tmp10 + tmp3 + half) >> shift)
        ws[56 + c] = wrap32((tmp10 - tmp3 + half) >> shift)
        ws[8 + c] = wrap32((tmp11 + tmp2 + half) >> shift)
        ws[48 + c] = wrap32((tmp11 - tmp2 + half) >> shift)
        ws[16 + c] = wrap32((tmp12 + tmp1 + half) >> shift)
        ws[40 + c] = wrap32((tmp12 - tmp1 + half) >> shift)
        ws[24 + c] = wrap32((tmp13 + tmp0 + half) >> shift)
        ws[32 + c] = wrap32((tmp13 - tmp0 + half) >> shift)
    shift = CONST_BITS + PASS1_BITS + 3
    half = 1 << (shift - 1)
    for r in range(8):
        row = 8 * r
        if (ws[row + 1] == 0 and ws[row + 2] == 0 and ws[row + 3] == 0 and ws[row + 4] == 0
                and ws[row + 5] == 0 and ws[row + 6] == 0 and ws[row + 7] == 0):
            value = IDCT_RANGE_LIMIT[((ws[row] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3))
                                     & RANGE_MASK]
            for k in range(8):
                out[y + r, x + k] = value
            continue
        z2, z3 = ws[row + 2], ws[row + 6]
        z1 = (z2 + z3) * FIX_0_541196100
        tmp2 = z1 - z3 * FIX_1_847759065
        tmp3 = z1 + z2 * FIX_0_765366865
        tmp0 = (ws[row] + ws[row + 4]) << CONST_BITS
        tmp1 = (ws[row] - ws[row + 4]) << CONST_BITS
        tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
        tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
        tmp0, tmp1, tmp2, tmp3 = odd_part_islow(ws[row + 7], ws[row + 5], ws[row + 3], ws[row + 1])
        out[y + r, x] = IDCT_RANGE_LIMIT[((tmp10 + tmp3 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 7] = IDCT_RANGE_LIMIT[((tmp10 - tmp3 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 1] = IDCT_RANGE_LIMIT[((tmp11 + tmp2 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 6] = IDCT_RANGE_LIMIT[((tmp11 - tmp2 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 2] = IDCT_RANGE_LIMIT[((tmp12 + tmp1 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 5] = IDCT_RANGE_LIMIT[((tmp12 - tmp1 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 3] = IDCT_RANGE_LIMIT[((tmp13 + tmp0 + half) >> shift) & RANGE_MASK]
        out[y + r, x + 4] = IDCT_RANGE_LIMIT[((tmp13 - tmp0 + half) >> shift) & RANGE_MASK]


@inline_kernel
def odd_part_islow(tmp0, tmp1, tmp2, tmp3):
    """jidctint.c's odd part: inputs y7, y5, y3, y1 (64-bit), outputs tmp0..tmp3 scaled by
    2**CONST_BITS."""
    z1, z2, z3, z4 = tmp0 + tmp3, tmp1 + tmp2, tmp0 + tmp2, tmp1 + tmp3
    z5 = (z3 + z4) * FIX_1_175875602
    tmp0 = tmp0 * FIX_0_298631336
    tmp1 = tmp1 * FIX_2_053119869
    tmp2 = tmp2 * FIX_3_072711026
    tmp3 = tmp3 * FIX_1_501321110
    z1 = -z1 * FIX_0_899976223
    z2 = -z2 * FIX_2_562915447
    z3 = -z3 * FIX_1_961570560 + z5
    z4 = -z4 * FIX_0_390180644 + z5
    return tmp0 + z1 + z3, tmp1 + z2 + z4, tmp2 + z2 + z3, tmp3 + z1 + z4


@inline_kernel
def islow_simd_1d(d0, d1, d2, d3, d4, d5, d6, d7):
    """One pass of islow as libjpeg-turbo's x86-64 SIMD code computes it (jidctint-sse2.asm,
    jidctint-avx2.asm) on 16-bit inputs, before the rounding shift: outputs 0..7 times
    2**CONST_BITS. The sums ``d0 + d4``, ``d0 - d4``, ``d3 + d7`` and ``d1 + d5`` wrap to 16
    bits (paddw, psubw); the SIMD code regroups the rotations into pmaddwd's exact products
    of 16-bit inputs, which equal jidctint.c's grouping (:func:`odd_part_islow`) of the same
    inputs, as integers do: so it is computed here with jidctint.c's 12 multiplies."""
    z1 = (d2 + d6) * FIX_0_541196100
    tmp2 = z1 - d6 * FIX_1_847759065
    tmp3 = z1 + d2 * FIX_0_765366865
    tmp0 = wrap16(d0 + d4) << CONST_BITS
    tmp1 = wrap16(d0 - d4) << CONST_BITS
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    s37, s15 = wrap16(d3 + d7), wrap16(d1 + d5)
    z5 = (s37 + s15) * FIX_1_175875602
    z1 = -(d7 + d1) * FIX_0_899976223
    z2 = -(d5 + d3) * FIX_2_562915447
    z3 = z5 - s37 * FIX_1_961570560
    z4 = z5 - s15 * FIX_0_390180644
    t0 = d7 * FIX_0_298631336 + z1 + z3
    t1 = d5 * FIX_2_053119869 + z2 + z4
    t2 = d3 * FIX_3_072711026 + z2 + z3
    t3 = d1 * FIX_1_501321110 + z1 + z4
    return (tmp10 + t3, tmp11 + t2, tmp12 + t1, tmp13 + t0,
            tmp13 - t0, tmp12 - t1, tmp11 - t2, tmp10 - t3)


@inline_kernel
def saturate16(value):
    """SSE2's packssdw: a value clamped to the 16-bit range."""
    return min(max(value, -32768), 32767)


@inline_kernel
def islow_simd_block(blocks, br, bc, mult, ws, out, y, x):
    """islow as libjpeg-turbo's x86-64 SIMD code computes it (what Pillow runs), on block
    ``blocks[br, bc]`` into ``out[y:y + 8, x:x + 8]``: equal to :func:`islow_block` for every
    coefficient an encoder makes; for corrupt ones the dequantized values wrap to 16 bits
    (pmullw), the passes are :func:`islow_simd_1d`'s, a block whose coefficient rows 1..7
    are all 0 takes the whole-block shortcut ``row 0 << PASS1_BITS`` in 16 bits (psllw), and
    the samples saturate (packsswb) instead of wrapping. ``mult``: :func:`islow_multipliers`.

    Where a column's or a row's AC inputs are 0 (not the whole block's), :func:`islow_simd_1d`
    gives ``saturate16(in0 << PASS1_BITS)`` down the column and ``(in0 + 16) >> 5`` along the
    row: those values are taken directly, as jidctint.c's shortcuts (the SIMD code has none
    but the whole block's; the pixels are the same, only the work is less).
    """
    shift1, shift2 = CONST_BITS - PASS1_BITS, CONST_BITS + PASS1_BITS + 3
    half2 = 1 << (shift2 - 1)
    flat = True
    for r in range(1, 8):
        for c in range(8):
            if blocks[br, bc, r, c] != 0:
                flat = False
                break
        if not flat:
            break
    for c in range(8):
        if flat:
            dc = wrap16(wrap16(blocks[br, bc, 0, c] * mult[c]) << PASS1_BITS)
            for r in range(8):
                ws[8 * r + c] = dc
            continue
        if (blocks[br, bc, 1, c] == 0 and blocks[br, bc, 2, c] == 0 and blocks[br, bc, 3, c] == 0
                and blocks[br, bc, 4, c] == 0 and blocks[br, bc, 5, c] == 0
                and blocks[br, bc, 6, c] == 0 and blocks[br, bc, 7, c] == 0):
            dc = saturate16(wrap16(blocks[br, bc, 0, c] * mult[c]) << PASS1_BITS)
            for r in range(8):
                ws[8 * r + c] = dc
            continue
        sums = islow_simd_1d(
            wrap16(blocks[br, bc, 0, c] * mult[c]), wrap16(blocks[br, bc, 1, c] * mult[8 + c]),
            wrap16(blocks[br, bc, 2, c] * mult[16 + c]), wrap16(blocks[br, bc, 3, c] * mult[24 + c]),
            wrap16(blocks[br, bc, 4, c] * mult[32 + c]), wrap16(blocks[br, bc, 5, c] * mult[40 + c]),
            wrap16(blocks[br, bc, 6, c] * mult[48 + c]), wrap16(blocks[br, bc, 7, c] * mult[56 + c]))
        for k in range(8):  # descaled, saturated to 16 bits (packssdw)
            ws[8 * k + c] = saturate16((sums[k] + (1 << (shift1 - 1))) >> shift1)
    for r in range(8):
        row = 8 * r
        if (ws[row + 1] == 0 and ws[row + 2] == 0 and ws[row + 3] == 0 and ws[row + 4] == 0
                and ws[row + 5] == 0 and ws[row + 6] == 0 and ws[row + 7] == 0):
            value = min(max((ws[row] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3), -128), 127)
            for k in range(8):
                out[y + r, x + k] = value + 128
            continue
        sums = islow_simd_1d(ws[row], ws[row + 1], ws[row + 2], ws[row + 3], ws[row + 4],
                             ws[row + 5], ws[row + 6], ws[row + 7])
        for k in range(8):  # packssdw then packsswb: saturating to 16 bits first changes nothing
            out[y + r, x + k] = min(max((sums[k] + half2) >> shift2, -128), 127) + 128


@inline_kernel
def fast_multiply(value, constant):
    """jidctfst.c MULTIPLY: the product descaled by 8 bits, truncating (no rounding without
    USE_ACCURATE_ROUNDING), stored as a DCTELEM (short)."""
    return wrap16((value * constant) >> 8)


@inline_kernel
def ifast_1d(tmp0, tmp1, tmp2, tmp3, tmp4, tmp5, tmp6, tmp7):
    """jidctfst.c's 1-D AA&N butterfly (the same in both passes) on inputs 0..7 already
    DCTELEMs; returns the eight outputs (ints: jidctfst.c does not store them as DCTELEMs)."""
    tmp10, tmp11 = wrap16(tmp0 + tmp2), wrap16(tmp0 - tmp2)
    tmp13 = wrap16(tmp1 + tmp3)
    tmp12 = wrap16(fast_multiply(tmp1 - tmp3, FAST_1_414213562) - tmp13)
    tmp0, tmp3 = wrap16(tmp10 + tmp13), wrap16(tmp10 - tmp13)
    tmp1, tmp2 = wrap16(tmp11 + tmp12), wrap16(tmp11 - tmp12)
    z13, z10 = wrap16(tmp6 + tmp5), wrap16(tmp6 - tmp5)
    z11, z12 = wrap16(tmp4 + tmp7), wrap16(tmp4 - tmp7)
    tmp7 = wrap16(z11 + z13)
    tmp11 = fast_multiply(z11 - z13, FAST_1_414213562)
    z5 = fast_multiply(z10 + z12, FAST_1_847759065)
    tmp10 = wrap16(fast_multiply(z12, FAST_1_082392200) - z5)
    tmp12 = wrap16(fast_multiply(z10, -FAST_2_613125930) + z5)
    tmp6 = wrap16(tmp12 - tmp7)
    tmp5 = wrap16(tmp11 - tmp6)
    tmp4 = wrap16(tmp10 + tmp5)
    return (tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 - tmp4,
            tmp3 + tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7)


@inline_kernel
def ifast_block(blocks, br, bc, mult, ws, out, y, x):
    """jpeg_idct_ifast on block ``blocks[br, bc]`` into ``out[y:y + 8, x:x + 8]``.

    ``mult``: :func:`ifast_multipliers` (2 fraction bits, which serve as PASS1_BITS); ``ws``:
    int64 (64,) scratch (jidctfst.c's ``int`` workspace). Pass 2 descales by PASS1_BITS + 3
    by a plain shift (jidctfst.c's IDESCALE without USE_ACCURATE_ROUNDING).
    """
    for c in range(8):
        if (blocks[br, bc, 1, c] == 0 and blocks[br, bc, 2, c] == 0 and blocks[br, bc, 3, c] == 0
                and blocks[br, bc, 4, c] == 0 and blocks[br, bc, 5, c] == 0
                and blocks[br, bc, 6, c] == 0 and blocks[br, bc, 7, c] == 0):
            dc = blocks[br, bc, 0, c] * mult[c]  # an int here, not a DCTELEM
            for r in range(8):
                ws[8 * r + c] = dc
            continue
        o0, o1, o2, o3, o4, o5, o6, o7 = ifast_1d(
            wrap16(blocks[br, bc, 0, c] * mult[c]), wrap16(blocks[br, bc, 2, c] * mult[16 + c]),
            wrap16(blocks[br, bc, 4, c] * mult[32 + c]), wrap16(blocks[br, bc, 6, c] * mult[48 + c]),
            wrap16(blocks[br, bc, 1, c] * mult[8 + c]), wrap16(blocks[br, bc, 3, c] * mult[24 + c]),
            wrap16(blocks[br, bc, 5, c] * mult[40 + c]), wrap16(blocks[br, bc, 7, c] * mult[56 + c]))
        ws[c], ws[8 + c], ws[16 + c], ws[24 + c] = o0, o1, o2, o3
        ws[32 + c], ws[40 + c], ws[48 + c], ws[56 + c] = o4, o5, o6, o7
    for r in range(8):
        row = 8 * r
        if (ws[row + 1] == 0 and ws[row + 2] == 0 and ws[row + 3] == 0 and ws[row + 4] == 0
                and ws[row + 5] == 0 and ws[row + 6] == 0 and ws[row + 7] == 0):
            value = IDCT_RANGE_LIMIT[(ws[row] >> (PASS1_BITS + 3)) & RANGE_MASK]
            for k in range(8):
                out[y + r, x + k] = value
            continue
        o0, o1, o2, o3, o4, o5, o6, o7 = ifast_1d(
            wrap16(ws[row]), wrap16(ws[row + 2]), wrap16(ws[row + 4]), wrap16(ws[row + 6]),
            wrap16(ws[row + 1]), wrap16(ws[row + 3]), wrap16(ws[row + 5]), wrap16(ws[row + 7]))
        out[y + r, x] = IDCT_RANGE_LIMIT[(o0 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 1] = IDCT_RANGE_LIMIT[(o1 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 2] = IDCT_RANGE_LIMIT[(o2 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 3] = IDCT_RANGE_LIMIT[(o3 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 4] = IDCT_RANGE_LIMIT[(o4 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 5] = IDCT_RANGE_LIMIT[(o5 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 6] = IDCT_RANGE_LIMIT[(o6 >> (PASS1_BITS + 3)) & RANGE_MASK]
        out[y + r, x + 7] = IDCT_RANGE_LIMIT[(o7 >> (PASS1_BITS + 3)) & RANGE_MASK]


@inline_kernel
def float_1d(tmp0, tmp1, tmp2, tmp3, tmp4, tmp5, tmp6, tmp7):
    """jidctflt.c's 1-D AA&N butterfly in float32 on inputs 0..7; returns outputs 0..7."""
    tmp10, tmp11 = tmp0 + tmp2, tmp0 - tmp2
    tmp13 = tmp1 + tmp3
    tmp12 = (tmp1 - tmp3) * F_1_414213562 - tmp13
    tmp0, tmp3 = tmp10 + tmp13, tmp10 - tmp13
    tmp1, tmp2 = tmp11 + tmp12, tmp11 - tmp12
    z13, z10 = tmp6 + tmp5, tmp6 - tmp5
    z11, z12 = tmp4 + tmp7, tmp4 - tmp7
    tmp7 = z11 + z13
    tmp11 = (z11 - z13) * F_1_414213562
    z5 = (z10 + z12) * F_1_847759065
    tmp10 = z5 - z12 * F_1_082392200
    tmp12 = z5 - z10 * F_2_613125930
    tmp6 = tmp12 - tmp7
    tmp5 = tmp11 - tmp6
    tmp4 = tmp10 - tmp5
    return (tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 + tmp4,
            tmp3 - tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7)


@inline_kernel
def float_sample(value):
    """jidctflt.c's output: ``(int)value`` (truncation; x86 gives INT_MIN, which masks to 0,
    for a value outside int's range), masked, through ``sample_range_limit``."""
    if -2147483648.0 <= value < 2147483648.0:
        return SAMPLE_RANGE_LIMIT[np.int64(value) & RANGE_MASK]
    return SAMPLE_RANGE_LIMIT[0]


@inline_kernel
def simd_float_sample(value, word, bits):
    """jidctflt-sse2.asm's output of a value 8 times the sample, not level-shifted: the low
    16 bits of the float32 ``value + PD_RNDINT_MAGIC`` (``round(value / 8)``, ties to even,
    in the mantissa), as int16, saturated to -128..127 (packsswb), + 128. ``word``: a float32
    (1,) scratch, ``bits`` the same memory as int32.

    Below 2**25 in magnitude the sum keeps the magic number's exponent, and its low 16 bits
    are those of ``rint(value / 8)`` (ties to even, as the addition rounds): that is computed
    directly; only wilder values go through the sum's bits."""
    if -33554432.0 < value < 33554432.0:
        rounded = wrap16(np.int64(np.rint(value * F_ONE_EIGHTH)))
    else:
        word[0] = value + F_ROUNDING_MAGIC
        low = bits[0] & 0xFFFF
        rounded = low - 65536 if low >= 32768 else low
    return min(max(rounded, -128), 127) + 128


@inline_kernel
def float_block(blocks, br, bc, mult, ws, out, y, x, simd, word, bits):
    """jpeg_idct_float on block ``blocks[br, bc]`` into ``out[y:y + 8, x:x + 8]``, as
    libjpeg-turbo's SIMD code computes it (``simd``; ``mult``: :func:`float_multipliers`) or
    as jidctflt.c does (``mult``: those times 1/8, :func:`float_multipliers_plain_c`).

    ``ws``: float32 (64,) scratch; ``word``, ``bits``: see :func:`simd_float_sample`. The
    columns' butterflies are the same in both (an all-zero AC column gives the DC value
    either way); jidctflt.c's rows add CENTERJSAMPLE + 0.5 to the DC term and truncate, the
    SIMD rows round the unshifted value (:func:`simd_float_sample`).
    """
    for c in range(8):
        if (blocks[br, bc, 1, c] == 0 and blocks[br, bc, 2, c] == 0 and blocks[br, bc, 3, c] == 0
                and blocks[br, bc, 4, c] == 0 and blocks[br, bc, 5, c] == 0
                and blocks[br, bc, 6, c] == 0 and blocks[br, bc, 7, c] == 0):
            dc = np.float32(blocks[br, bc, 0, c]) * mult[c]
            for r in range(8):
                ws[8 * r + c] = dc
            continue
        o0, o1, o2, o3, o4, o5, o6, o7 = float_1d(
            np.float32(blocks[br, bc, 0, c]) * mult[c], np.float32(blocks[br, bc, 2, c]) * mult[16 + c],
            np.float32(blocks[br, bc, 4, c]) * mult[32 + c], np.float32(blocks[br, bc, 6, c]) * mult[48 + c],
            np.float32(blocks[br, bc, 1, c]) * mult[8 + c], np.float32(blocks[br, bc, 3, c]) * mult[24 + c],
            np.float32(blocks[br, bc, 5, c]) * mult[40 + c], np.float32(blocks[br, bc, 7, c]) * mult[56 + c])
        ws[c], ws[8 + c], ws[16 + c], ws[24 + c] = o0, o1, o2, o3
        ws[32 + c], ws[40 + c], ws[48 + c], ws[56 + c] = o4, o5, o6, o7
    for r in range(8):
        row = 8 * r
        first = ws[row] if simd else ws[row] + F_CENTER_ROUNDING
        outputs = float_1d(first, ws[row + 2], ws[row + 4], ws[row + 6],
                           ws[row + 1], ws[row + 3], ws[row + 5], ws[row + 7])
        for k in range(8):
            if simd:
                out[y + r, x + k] = simd_float_sample(outputs[k], word, bits)
            else:
                out[y + r, x + k] = float_sample(outputs[k])


#: The methods, in the order of :func:`inverse_dct_blocks`' ``method`` code: jidctint.c's
#: plain C islow, ifast, float (SIMD), jidctflt.c's plain C float IDCT
#: (:func:`inverse_dct_float_plain_c`), and islow as the SIMD code computes it (the default).
METHODS = ("islow-c", "ifast", "float", "float plain C", "islow")
#: The names :func:`inverse_dct` takes (``dct=``).
DCT_NAMES = ("islow", "islow-c", "ifast", "float")


@kernel
def inverse_dct_blocks(blocks, method, int_mult, float_mult, out):
    """Every block of ``blocks`` (int16 ``(R, C, 8, 8)``) through IDCT ``METHODS[method]``
    into ``out`` (uint8 ``(>= 8R, >= 8C)``, any strides): block ``(i, j)`` lands at
    ``out[8i:8i + 8, 8j:8j + 8]``. ``int_mult``: the islow or ifast multipliers (int64 (64,));
    ``float_mult``: the float ones (float32 (64,)); the unused one may be any such array."""
    int_ws = np.empty(64, np.int64)
    float_ws = np.empty(64, np.float32)
    word = np.empty(1, np.float32)
    bits = word.view(np.int32)
    for br in range(blocks.shape[0]):
        for bc in range(blocks.shape[1]):
            if method == 0:
                islow_block(blocks, br, bc, int_mult, int_ws, out, 8 * br, 8 * bc)
            elif method == 1:
                ifast_block(blocks, br, bc, int_mult, int_ws, out, 8 * br, 8 * bc)
            elif method == 4:
                islow_simd_block(blocks, br, bc, int_mult, int_ws, out, 8 * br, 8 * bc)
            else:
                float_block(blocks, br, bc, float_mult, float_ws, out, 8 * br, 8 * bc,
                            method == 2, word, bits)


def check_blocks(blocks: np.ndarray) -> None:
    """TypeError / ValueError unless ``blocks`` is int16 ``(R, C, 8, 8)``."""
    if not isinstance(blocks, np.ndarray) or blocks.dtype != np.int16:
        raise TypeError(f"blocks must be an int16 array, got {getattr(blocks, 'dtype', type(blocks))}")
    if blocks.ndim != 4 or blocks.shape[2:] != (8, 8):
        raise ValueError(f"blocks must have shape (rows, cols, 8, 8), got {blocks.shape}")


def check_table(table: np.ndarray) -> np.ndarray:
    """The quantization table as int64 (64,), or a ValueError naming what is wrong with it."""
    values = np.asarray(table)
    if values.shape != (64,) or values.dtype.kind not in "ui":
        raise ValueError(f"table must be 64 integer quantization steps, got {values.dtype} {values.shape}")
    if values.min() < 0 or values.max() > 65535:
        raise ValueError("quantization steps must lie in 0..65535 (T.81 B.2.4.1: 8 or 16 bits)")
    return values.astype(np.int64)


def inverse_dct(blocks: np.ndarray, table: np.ndarray, method: str = "islow") -> np.ndarray:
    """Dequantize and inverse-transform a component's blocks, as libjpeg-turbo does.

    Args:
        blocks: int16 ``(R, C, 8, 8)`` quantized coefficients, natural order ``[v][u]``.
        table: uint16 (64,) the component's quantization table, natural order.
        method: "islow" (libjpeg-turbo's SIMD islow, Pillow's: :func:`islow_simd_block`),
            "islow-c" (jidctint.c), "ifast" (jidctfst.c) or "float" (``djpeg -dct float``,
            libjpeg-turbo's SIMD code; jidctflt.c's is :func:`inverse_dct_float_plain_c`):
            see the module notes for exactly which code each equals.

    Returns:
        uint8 ``(8R, 8C)``: the component's samples, level-shifted and range-limited.
    """
    if method not in DCT_NAMES:
        raise ValueError(f"method must be one of {', '.join(DCT_NAMES)}, got {method!r}")
    return run_inverse_dct(blocks, table, METHODS.index(method))


def inverse_dct_float_plain_c(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """:func:`inverse_dct` with jidctflt.c's float IDCT (``JSIMD_FORCENONE=1 djpeg -dct
    float``), which rounds some samples otherwise than the SIMD code."""
    return run_inverse_dct(blocks, table, 3)


def inverse_dct_islow_simd(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """:func:`inverse_dct` with islow as libjpeg-turbo's x86-64 SIMD code computes it (its
    ``"islow"``): the same samples as jidctint.c for every encoder's file, Pillow's for
    corrupt coefficients (:func:`islow_simd_block`)."""
    return run_inverse_dct(blocks, table, 4)


def run_inverse_dct(blocks: np.ndarray, table: np.ndarray, code: int) -> np.ndarray:
    """Check the arguments, make the multipliers of ``METHODS[code]`` and run the kernel."""
    check_blocks(blocks)
    steps = check_table(table)
    int_mult = ifast_multipliers(steps) if code == 1 else islow_multipliers(steps)
    float_mult = float_multipliers(steps) if code == 2 else float_multipliers_plain_c(steps)
    out = np.empty((8 * blocks.shape[0], 8 * blocks.shape[1]), np.uint8)
    inverse_dct_blocks(np.ascontiguousarray(blocks), code, int_mult, float_mult, out)
    return out
