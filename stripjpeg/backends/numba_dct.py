"""The fast path, stage 2: forward DCT, quantization and dummy blocks of a strip.

libjpeg's DCTs (jfdctint.c, jfdctfst.c, jfdctflt.c) and quantization (jcdctmgr.c) as in
:mod:`stripjpeg.stages.dct` (``forward_dct_islow``, ``forward_dct_ifast``,
``forward_dct_float``) and :mod:`stripjpeg.stages.quantize` (``quantize``,
``add_dummy_blocks``), LANES blocks at a time:

* :func:`transform_blocks`  one component's blocks: level shift and forward DCT
                            (:func:`fdct_islow_group`, :func:`fdct_ifast_group` or
                            :func:`fdct_float_group`, as the ``method`` argument says),
                            quantization written straight into zigzag order (by
                            reciprocal multiplication, :func:`quantize_group`, or a float32
                            multiply, :func:`quantize_float_group`), dummy blocks
* :func:`transform_strip`   a strip's pixels -> the quantized blocks of every component
                            (colour conversion and downsampling from :mod:`.numba_colour`)

``dct="exact"`` has no kernel here: the backend declines that stage, and the stage table
takes the NumPy stage instead.
"""

from __future__ import annotations

import numpy as np

from ..tables import NATURAL_TO_ZIGZAG
from .numba_colour import I32, convert_to_ycbcr, downsample
from .numba_jit import inline_kernel, kernel

# Literal copies of tables.py's constants: numba freezes a global's value into the machine
# code it compiles, so a value imported from tables.py and changed there would not be noticed
# by the cache of the kernels using it (see numba_jit; tables.py is not a kernel module).
# tests/test_numba.py checks every copy against the value tables.py derives.

#: jfdctint.c (tables.CONST_BITS, PASS1_BITS, FIX_*).
CONST_BITS = 13
PASS1_BITS = 2
FIX_0_298631336 = 2446
FIX_0_390180644 = 3196
FIX_0_541196100 = 4433
FIX_0_765366865 = 6270
FIX_0_899976223 = 7373
FIX_1_175875602 = 9633
FIX_1_501321110 = 12299
FIX_1_847759065 = 15137
FIX_1_961570560 = 16069
FIX_2_053119869 = 16819
FIX_2_562915447 = 20995
FIX_3_072711026 = 25172
#: jfdctfst.c (tables.IFAST_CONST_BITS, IFAST_FIX_*).
IFAST_CONST_BITS = 8
IFAST_FIX_0_382683433 = 98
IFAST_FIX_0_541196100 = 139
IFAST_FIX_0_707106781 = 181
IFAST_FIX_1_306562965 = 334
#: jfdctflt.c (tables.FLOAT_*), float32.
FLOAT_0_382683433 = np.float32(0.382683433)
FLOAT_0_541196100 = np.float32(0.541196100)
FLOAT_0_707106781 = np.float32(0.707106781)
FLOAT_1_306562965 = np.float32(1.306562965)

#: The DCT a kernel runs, its ``method`` argument (stages.dct.FORWARD_DCT's names).
ISLOW, IFAST, FLOAT = 0, 1, 2
#: Short for the float32 casts below (FAST_FLOAT; see float_1d).
F32 = np.float32

#: Where coefficient k (natural order) is stored: in place, or at its zigzag position.
#: Both read-only (as the tables' zigzag order is), so that numba compiles one version of the
#: kernels that take them, not one per writeability.
NATURAL = np.arange(64, dtype=np.int64)
NATURAL.flags.writeable = False
TO_ZIGZAG = np.ascontiguousarray(NATURAL_TO_ZIGZAG, dtype=np.int64)
TO_ZIGZAG.flags.writeable = False


# --- Forward DCT and quantization --------------------------------------------------------------
#
# Blocks are transformed LANES at a time, side by side: array ``[k, b]`` holds sample (or
# coefficient) k of block b, so every step is one loop over b on contiguous memory that LLVM
# turns into vector instructions (16 int32 lanes to a 512-bit register). The quantized blocks
# stay side by side, ``(groups, 64, LANES)`` per block row, for the entropy coder.
#
# Measured with micro-benchmarks of these kernels (docs/backends.md), which is why the loops
# look as they do: a whole row of 256 blocks side by side did not fit the L1 cache (80 ns per
# block); each pass writing the 8 consecutive rows of its outputs ran 5 times slower than
# writing them 8 rows apart (so pass 1 stores its outputs transposed and pass 2 reads them
# back in order); and 16 lanes ran far slower than 32 (LLVM unrolled the short loop instead
# of vectorizing).

#: Blocks transformed side by side (see above).
LANES = 32


@inline_kernel
def islow_1d(d0, d1, d2, d3, d4, d5, d6, d7, shift):
    """One 8-point pass of libjpeg's integer DCT (jfdctint.c) on int32 values; every
    output is descaled (rounded) by ``shift`` bits. See stages.dct.islow_butterfly for
    the factorization.

    Each step is cast back to int32: numba widens int32 arithmetic to int64, which would
    halve the vector width, and jfdctint.c guarantees that every value fits 32 bits for
    8-bit samples.
    """
    half = I32(1 << (shift - 1))
    tmp0, tmp7 = I32(d0 + d7), I32(d0 - d7)
    tmp1, tmp6 = I32(d1 + d6), I32(d1 - d6)
    tmp2, tmp5 = I32(d2 + d5), I32(d2 - d5)
    tmp3, tmp4 = I32(d3 + d4), I32(d3 - d4)
    tmp10, tmp13 = I32(tmp0 + tmp3), I32(tmp0 - tmp3)
    tmp11, tmp12 = I32(tmp1 + tmp2), I32(tmp1 - tmp2)
    out0 = I32(I32(I32(tmp10 + tmp11) << CONST_BITS) + half) >> shift
    out4 = I32(I32(I32(tmp10 - tmp11) << CONST_BITS) + half) >> shift
    z1 = I32(I32(tmp12 + tmp13) * FIX_0_541196100)
    out2 = I32(z1 + I32(tmp13 * FIX_0_765366865) + half) >> shift
    out6 = I32(z1 - I32(tmp12 * FIX_1_847759065) + half) >> shift
    z1, z2 = I32(tmp4 + tmp7), I32(tmp5 + tmp6)
    z3, z4 = I32(tmp4 + tmp6), I32(tmp5 + tmp7)
    z5 = I32(I32(z3 + z4) * FIX_1_175875602)
    z1 = I32(z1 * -FIX_0_899976223)
    z2 = I32(z2 * -FIX_2_562915447)
    z3 = I32(I32(z3 * -FIX_1_961570560) + z5)
    z4 = I32(I32(z4 * -FIX_0_390180644) + z5)
    out7 = I32(I32(tmp4 * FIX_0_298631336) + z1 + z3 + half) >> shift
    out5 = I32(I32(tmp5 * FIX_2_053119869) + z2 + z4 + half) >> shift
    out3 = I32(I32(tmp6 * FIX_3_072711026) + z2 + z3 + half) >> shift
    out1 = I32(I32(tmp7 * FIX_1_501321110) + z1 + z4 + half) >> shift
    return (I32(out0), I32(out1), I32(out2), I32(out3), I32(out4), I32(out5), I32(out6),
            I32(out7))


@inline_kernel
def ifast_multiply(x, constant):
    """jfdctfst.c's MULTIPLY: ``x * constant >> 8``, truncated, in int32."""
    return I32(I32(x * constant) >> IFAST_CONST_BITS)


@inline_kernel
def ifast_1d(d0, d1, d2, d3, d4, d5, d6, d7):
    """One 8-point pass of libjpeg's fast integer DCT (jfdctfst.c, the AA&N flowgraph) on
    int32 values, outputs left scaled; see stages.dct.ifast_butterfly for the steps."""
    tmp0, tmp7 = I32(d0 + d7), I32(d0 - d7)
    tmp1, tmp6 = I32(d1 + d6), I32(d1 - d6)
    tmp2, tmp5 = I32(d2 + d5), I32(d2 - d5)
    tmp3, tmp4 = I32(d3 + d4), I32(d3 - d4)
    tmp10, tmp13 = I32(tmp0 + tmp3), I32(tmp0 - tmp3)
    tmp11, tmp12 = I32(tmp1 + tmp2), I32(tmp1 - tmp2)
    z1 = ifast_multiply(I32(tmp12 + tmp13), IFAST_FIX_0_707106781)
    out0, out4 = I32(tmp10 + tmp11), I32(tmp10 - tmp11)
    out2, out6 = I32(tmp13 + z1), I32(tmp13 - z1)
    tmp10, tmp11, tmp12 = I32(tmp4 + tmp5), I32(tmp5 + tmp6), I32(tmp6 + tmp7)
    z5 = ifast_multiply(I32(tmp10 - tmp12), IFAST_FIX_0_382683433)
    z2 = I32(ifast_multiply(tmp10, IFAST_FIX_0_541196100) + z5)
    z4 = I32(ifast_multiply(tmp12, IFAST_FIX_1_306562965) + z5)
    z3 = ifast_multiply(tmp11, IFAST_FIX_0_707106781)
    z11, z13 = I32(tmp7 + z3), I32(tmp7 - z3)
    return (out0, I32(z11 + z4), out2, I32(z13 - z2), out4, I32(z13 + z2), out6, I32(z11 - z4))


@inline_kernel
def float_1d(d0, d1, d2, d3, d4, d5, d6, d7):
    """One 8-point pass of libjpeg's float DCT (jfdctflt.c, the AA&N flowgraph) on float32
    values, outputs left scaled; see stages.dct.float_butterfly for the steps.

    Every operation is cast to float32: numba keeps float32 arithmetic in float32 (and a
    float32 result of one float64 operation on two float32 values would round the same,
    as float64 holds every such sum and product exactly or rounds it innocuously), so the
    casts only pin the type. No fastmath, so LLVM neither reassociates nor contracts a
    multiply and an add into one fused multiply-add (tests/test_numba.py checks the
    machine code for FMA instructions and the results on many blocks).
    """
    tmp0, tmp7 = F32(d0 + d7), F32(d0 - d7)
    tmp1, tmp6 = F32(d1 + d6), F32(d1 - d6)
    tmp2, tmp5 = F32(d2 + d5), F32(d2 - d5)
    tmp3, tmp4 = F32(d3 + d4), F32(d3 - d4)
    tmp10, tmp13 = F32(tmp0 + tmp3), F32(tmp0 - tmp3)
    tmp11, tmp12 = F32(tmp1 + tmp2), F32(tmp1 - tmp2)
    z1 = F32(F32(tmp12 + tmp13) * FLOAT_0_707106781)
    out0, out4 = F32(tmp10 + tmp11), F32(tmp10 - tmp11)
    out2, out6 = F32(tmp13 + z1), F32(tmp13 - z1)
    tmp10, tmp11, tmp12 = F32(tmp4 + tmp5), F32(tmp5 + tmp6), F32(tmp6 + tmp7)
    z5 = F32(F32(tmp10 - tmp12) * FLOAT_0_382683433)
    z2 = F32(F32(tmp10 * FLOAT_0_541196100) + z5)
    z4 = F32(F32(tmp12 * FLOAT_1_306562965) + z5)
    z3 = F32(tmp11 * FLOAT_0_707106781)
    z11, z13 = F32(tmp7 + z3), F32(tmp7 - z3)
    return (out0, F32(z11 + z4), out2, F32(z13 - z2), out4, F32(z13 + z2), out6, F32(z11 - z4))


@inline_kernel
def level_shifted(word, x):
    """Sample x of a block row packed in a little-endian uint64 word, minus 128 (the level
    shift of T.81 A.3.1), as int32."""
    return I32(I32((word >> np.uint64(8 * x)) & np.uint64(0xFF)) - I32(128))


@inline_kernel
def fdct_islow_group(words, top, first, work, coefficients):
    """libjpeg's integer DCT (rows, keeping PASS1_BITS extra bits, then columns, removing
    them) of ``work.shape[1]`` (LANES) blocks side by side.

    Args:
        words: uint64 ``(R, C // 8)``, a plane's rows read 8 samples at a time, so that
            word ``[top + y, first + b]`` is row y of block b; the loop over b then loads
            contiguous words instead of gathering samples 8 apart.
        top, first: the group's first sample row and first block.
        work: int32 ``(64, LANES)`` scratch: the row pass's output u of row y goes to
            ``[8*u + y]`` (stored 8 rows apart, see the note above LANES).
        coefficients: int32 ``(64, LANES)``: on return, coefficient ``8*v + u`` (times 8)
            of every block.
    """
    lanes = work.shape[1]  # not the constant LANES: LLVM would unroll rather than vectorize
    for y in range(8):
        line = words[top + y]
        for b in range(lanes):
            word = line[first + b]
            o0, o1, o2, o3, o4, o5, o6, o7 = islow_1d(
                level_shifted(word, 0), level_shifted(word, 1), level_shifted(word, 2),
                level_shifted(word, 3), level_shifted(word, 4), level_shifted(word, 5),
                level_shifted(word, 6), level_shifted(word, 7), CONST_BITS - PASS1_BITS)
            work[y, b], work[8 + y, b], work[16 + y, b], work[24 + y, b] = o0, o1, o2, o3
            work[32 + y, b], work[40 + y, b], work[48 + y, b], work[56 + y, b] = o4, o5, o6, o7
    for u in range(8):
        column = 8 * u
        for b in range(lanes):
            o0, o1, o2, o3, o4, o5, o6, o7 = islow_1d(
                work[column, b], work[column + 1, b], work[column + 2, b], work[column + 3, b],
                work[column + 4, b], work[column + 5, b], work[column + 6, b], work[column + 7, b],
                CONST_BITS + PASS1_BITS)
            coefficients[u, b], coefficients[8 + u, b] = o0, o1
            coefficients[16 + u, b], coefficients[24 + u, b] = o2, o3
            coefficients[32 + u, b], coefficients[40 + u, b] = o4, o5
            coefficients[48 + u, b], coefficients[56 + u, b] = o6, o7


@inline_kernel
def fdct_ifast_group(words, top, first, work, coefficients):
    """libjpeg's fast integer DCT (rows, then columns, no rounding shifts) of LANES blocks
    side by side; the arguments and layouts are those of :func:`fdct_islow_group`, the
    coefficients scaled as stages.dct.forward_dct_ifast leaves them."""
    lanes = work.shape[1]  # not the constant LANES (see fdct_islow_group)
    for y in range(8):
        line = words[top + y]
        for b in range(lanes):
            word = line[first + b]
            o0, o1, o2, o3, o4, o5, o6, o7 = ifast_1d(
                level_shifted(word, 0), level_shifted(word, 1), level_shifted(word, 2),
                level_shifted(word, 3), level_shifted(word, 4), level_shifted(word, 5),
                level_shifted(word, 6), level_shifted(word, 7))
            work[y, b], work[8 + y, b], work[16 + y, b], work[24 + y, b] = o0, o1, o2, o3
            work[32 + y, b], work[40 + y, b], work[48 + y, b], work[56 + y, b] = o4, o5, o6, o7
    for u in range(8):
        column = 8 * u
        for b in range(lanes):
            o0, o1, o2, o3, o4, o5, o6, o7 = ifast_1d(
                work[column, b], work[column + 1, b], work[column + 2, b], work[column + 3, b],
                work[column + 4, b], work[column + 5, b], work[column + 6, b], work[column + 7, b])
            coefficients[u, b], coefficients[8 + u, b] = o0, o1
            coefficients[16 + u, b], coefficients[24 + u, b] = o2, o3
            coefficients[32 + u, b], coefficients[40 + u, b] = o4, o5
            coefficients[48 + u, b], coefficients[56 + u, b] = o6, o7


@inline_kernel
def fdct_float_group(words, top, first, work, coefficients):
    """libjpeg's float DCT (rows, then columns, float32) of LANES blocks side by side; the
    arguments and layouts are those of :func:`fdct_islow_group`, with float32 ``work`` and
    ``coefficients``, scaled as stages.dct.forward_dct_float leaves them."""
    lanes = work.shape[1]  # not the constant LANES (see fdct_islow_group)
    for y in range(8):
        line = words[top + y]
        for b in range(lanes):
            word = line[first + b]
            o0, o1, o2, o3, o4, o5, o6, o7 = float_1d(
                F32(level_shifted(word, 0)), F32(level_shifted(word, 1)),
                F32(level_shifted(word, 2)), F32(level_shifted(word, 3)),
                F32(level_shifted(word, 4)), F32(level_shifted(word, 5)),
                F32(level_shifted(word, 6)), F32(level_shifted(word, 7)))
            work[y, b], work[8 + y, b], work[16 + y, b], work[24 + y, b] = o0, o1, o2, o3
            work[32 + y, b], work[40 + y, b], work[48 + y, b], work[56 + y, b] = o4, o5, o6, o7
    for u in range(8):
        column = 8 * u
        for b in range(lanes):
            o0, o1, o2, o3, o4, o5, o6, o7 = float_1d(
                work[column, b], work[column + 1, b], work[column + 2, b], work[column + 3, b],
                work[column + 4, b], work[column + 5, b], work[column + 6, b], work[column + 7, b])
            coefficients[u, b], coefficients[8 + u, b] = o0, o1
            coefficients[16 + u, b], coefficients[24 + u, b] = o2, o3
            coefficients[32 + u, b], coefficients[40 + u, b] = o4, o5
            coefficients[48 + u, b], coefficients[56 + u, b] = o6, o7


@inline_kernel
def quantize_float_group(coefficients, scales, order, out):
    """Quantize LANES float DCT blocks side by side as jsimd_quantize_float_sse2 does: one
    float32 multiply by the reciprocal divisor, rounded to the nearest integer, ties to
    even (see stages.quantize.quantize_float, which also says where plain C differs).

    Args:
        coefficients: float32 ``(64, LANES)`` float DCT coefficients.
        scales: float32 (64,), natural order: stages.quantize.float_divisors.
        order, out: see :func:`quantize_group`.
    """
    lanes = coefficients.shape[1]
    for k in range(64):
        scale = scales[k]
        target = out[order[k]]
        for b in range(lanes):
            target[b] = np.int16(np.rint(F32(coefficients[k, b] * scale)))


@inline_kernel
def quantize_group(coefficients, divisors, reciprocals, order, out):
    """Quantize LANES blocks side by side: round half away from zero, ``(|x| + d/2) // d``
    with the sign put back (jcdctmgr.c), by reciprocal multiplication.

    Args:
        coefficients: int32 ``(64, LANES)`` islow or ifast coefficients.
        divisors, reciprocals: int64 (64,), natural order: ``d`` (``8 * Q`` for islow,
            stages.quantize.ifast_divisors for ifast, at most 4095 either way for Q <= 255)
            and ``ceil(2**32 / d)``; ``(n * reciprocal) >> 32 == n // d`` whenever
            ``n * (reciprocal * d - 2**32) < 2**32``, which holds for every ``n < 2**20``
            as ``reciprocal * d - 2**32 < d < 2**12``, so no division is needed. The 16-bit
            steps of ``baseline=False`` (up to 32767) give larger divisors, for which the
            identity was checked instead, for every ``n`` a coefficient gives
            (tests/test_baseline.py).
        order: int64 (64,): the row of ``out`` coefficient ``k`` goes to: ``k`` itself, or
            its zigzag position (quantization and zigzag fused).
        out: int16 ``(64, LANES)``.
    """
    lanes = coefficients.shape[1]
    for k in range(64):
        half, reciprocal = divisors[k] >> 1, reciprocals[k]
        target = out[order[k]]
        for b in range(lanes):
            value = np.int64(coefficients[k, b])
            magnitude = ((abs(value) + half) * reciprocal) >> 32
            target[b] = -magnitude if value < 0 else magnitude


@kernel
def transform_blocks(plane, real_rows, real_cols, block_cols, mcu_h, method, divisors, reciprocals,
                     scales, order, out):
    """One component's quantized blocks for a strip, dummy blocks included.

    Args:
        plane: uint8 samples ``(>= 8 * real_rows, C)``, C-contiguous, ``C`` a multiple of
            ``8 * LANES`` covering ``real_cols`` blocks (the last group reads whole words).
        real_rows, real_cols: blocks holding image samples.
        block_cols: blocks across the strip, dummy blocks included.
        mcu_h: blocks across one MCU (dummy blocks copy DCs within an MCU).
        method: the DCT: :data:`ISLOW` (jfdctint.c), :data:`IFAST` (jfdctfst.c) or
            :data:`FLOAT` (jfdctflt.c).
        divisors, reciprocals: int64 (64,), the integer DCT's, see :func:`quantize_group`.
        scales: float32 (64,), the float DCT's, see :func:`quantize_float_group`.
        order: int64 (64,), see :func:`quantize_group`.
        out: int16 ``(block_rows, groups, 64, LANES)`` to fill: block ``(row, col)`` is
            ``out[row, col // LANES, :, col % LANES]``.
    """
    words = plane.view(np.uint64)  # little-endian: sample 8*i + x is byte x of word i
    work = np.empty((64, LANES), np.int32)
    coefficients = np.empty((64, LANES), np.int32)
    float_work = np.empty((64, LANES), np.float32)
    float_coefficients = np.empty((64, LANES), np.float32)
    for row in range(real_rows):
        for group in range((real_cols + LANES - 1) // LANES):
            if method == FLOAT:
                fdct_float_group(words, 8 * row, group * LANES, float_work, float_coefficients)
                quantize_float_group(float_coefficients, scales, order, out[row, group])
                continue
            if method == IFAST:
                fdct_ifast_group(words, 8 * row, group * LANES, work, coefficients)
            else:
                fdct_islow_group(words, 8 * row, group * LANES, work, coefficients)
            quantize_group(coefficients, divisors, reciprocals, order, out[row, group])
    fill_dummy_blocks(out, real_rows, real_cols, block_cols, mcu_h)


@kernel
def fill_dummy_blocks(out, real_rows, real_cols, block_cols, mcu_h):
    """libjpeg's dummy blocks (see stages.quantize.add_dummy_blocks): zero AC; a right-edge
    dummy copies the DC to its left, a bottom dummy that of the right-most block of the MCU's
    previous block row. ``out``: int16 ``(block_rows, groups, 64, LANES)`` (see
    :func:`transform_blocks`), DC first."""
    block_rows = out.shape[0]
    for row in range(block_rows):
        for col in range(block_cols):
            if row < real_rows and col < real_cols:
                continue
            group, lane = col // LANES, col % LANES
            for k in range(64):
                out[row, group, k, lane] = 0
            if row < real_rows:
                out[row, group, 0, lane] = out[row, (col - 1) // LANES, 0, (col - 1) % LANES]
            else:
                right_most = (col // mcu_h) * mcu_h + mcu_h - 1
                out[row, group, 0, lane] = out[row - 1, right_most // LANES, 0, right_most % LANES]


#: Columns of a strip's layout array (one row per component, see :meth:`_KernelTables.shape`).
H_RATIO, V_RATIO, REAL_ROWS, REAL_COLS, BLOCK_ROWS, BLOCK_COLS, INPUT_ROWS, MCU_H, QUANT = range(9)


@kernel
def transform_strip(pixels, layout, plane_rows, plane_cols, method, divisors, reciprocals, scales,
                    order):
    """One strip's pixels -> the quantized blocks of every component.

    Args:
        pixels: uint8 ``(rows, width, channels)``, C-contiguous.
        layout: int64 ``(n_components, 9)``, the columns named above (H_RATIO...).
        plane_rows, plane_cols: size of the full-resolution planes (every full-size block, and
            every sample the downsampling reads; ``plane_cols`` a multiple of ``8 * LANES``).
        method, divisors, reciprocals, scales: the DCT (ISLOW, IFAST or FLOAT) and its
            ``(n_tables, 64)`` tables, see :func:`transform_blocks`.
        order: see :func:`transform_blocks`.

    Returns:
        int16 ``(n_components, block_rows, groups, 64, LANES)`` (the largest block grid,
        ``groups`` its block columns / LANES rounded up): block ``(row, col)`` of component ``c`` is
        ``[c, row, col // LANES, :, col % LANES]``, for ``row < layout[c, BLOCK_ROWS]`` and
        ``col < layout[c, BLOCK_COLS]``.
    """
    planes, blocks = strip_buffers(layout, plane_rows, plane_cols)
    transform_strip_into(pixels, layout, method, divisors, reciprocals, scales, order, planes, blocks)
    return blocks


@kernel
def strip_buffers(layout, plane_rows, plane_cols):
    """The full-resolution planes and the blocks that :func:`transform_strip_into` fills, for
    strips of ``layout`` (shapes as in :func:`transform_strip`).

    A batch of strips allocates them once: for a wide strip each is hundreds of kB, which
    glibc serves with a fresh ``mmap`` whenever its mmap threshold stops adapting (when
    ``MALLOC_TRIM_THRESHOLD_`` is set, as distributed sets it in its workers), so new arrays
    per strip cost a page fault per 4 kB written: an 8192 x 512 band took twice as long.
    """
    planes = np.empty((layout.shape[0], plane_rows, plane_cols), np.uint8)
    # Sized for the largest block grid: luma's, unless the chroma is the larger.
    groups = (layout[:, BLOCK_COLS].max() + LANES - 1) // LANES
    blocks = np.empty((layout.shape[0], layout[:, BLOCK_ROWS].max(), groups, 64, LANES), np.int16)
    return planes, blocks


@kernel
def transform_strip_into(pixels, layout, method, divisors, reciprocals, scales, order, planes, blocks):
    """:func:`transform_strip` into the arrays of :func:`strip_buffers` (``planes`` is
    overwritten; ``blocks`` gets the result)."""
    convert_to_ycbcr(pixels, planes)
    for c in range(layout.shape[0]):
        if layout[c, H_RATIO] == 1 and layout[c, V_RATIO] == 1:
            plane = planes[c]
        else:
            real_cols = layout[c, REAL_COLS]
            plane = np.empty((layout[c, REAL_ROWS] * 8, (real_cols + LANES - 1) // LANES * LANES * 8),
                             np.uint8)
            downsample(planes[c], layout[c, H_RATIO], layout[c, V_RATIO], layout[c, INPUT_ROWS],
                       real_cols * 8, plane)
        q = layout[c, QUANT]
        transform_blocks(plane, layout[c, REAL_ROWS], layout[c, REAL_COLS], layout[c, BLOCK_COLS],
                         layout[c, MCU_H], method, divisors[q], reciprocals[q], scales[q], order,
                         blocks[c, :layout[c, BLOCK_ROWS]])



@kernel
def stack_blocks(natural, order, out):
    """One component's blocks from one after another, ``natural[row, col, k]`` (the contract's
    layout, natural order), to the coder's side by side: coefficient k of block ``(row, col)``
    at ``out[row, col // LANES, order[k], col % LANES]`` (``order``: :data:`TO_ZIGZAG`), the
    inverse of :func:`unstack_blocks`. Blocks of ``out`` beyond ``natural``'s are left as
    they are.

    Args:
        natural: int16 ``(rows, cols, 64)``, C-contiguous.
        order: int64 ``(64,)``, where coefficient k goes.
        out: int16 ``(>= rows, groups, 64, LANES)``.
    """
    for row in range(natural.shape[0]):
        for col in range(natural.shape[1]):
            group, lane = col // LANES, col % LANES
            for k in range(64):
                out[row, group, order[k], lane] = natural[row, col, k]


@kernel
def unstack_blocks(blocks, block_rows, block_cols, out):
    """One component's blocks from side by side (``[row, col // LANES, k, col % LANES]``, as
    :func:`transform_strip` leaves them) to one after another, ``out[row, col, k]``: the
    contract's layout, written straight into an array of its own (no padding lanes).

    Args:
        blocks: int16 ``(>= block_rows, groups, 64, LANES)``.
        out: int16 ``(block_rows, block_cols, 64)``, C-contiguous.
    """
    for row in range(block_rows):
        for col in range(block_cols):
            group, lane = col // LANES, col % LANES
            for k in range(64):
                out[row, col, k] = blocks[row, group, k, lane]
