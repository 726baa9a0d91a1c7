"""The fast backend: the NumPy backend's stages as Numba kernels, over whole strips.

Same stages, same names, same integer arithmetic as :mod:`.numpy_backend` (read that one
to learn JPEG; this one only reorganises the loops so that they run at C speed):

* :func:`convert_to_ycbcr`  pixels -> 8-bit Y, Cb, Cr planes, edges replicated (one pass)
* :func:`downsample`        2x1 / 2x2 averaging with libjpeg's alternating bias
* :func:`transform_blocks`  LANES (32) blocks at a time, side by side, so every step
                            vectorizes: level shift and libjpeg's integer forward DCT
                            (:func:`fdct_islow_group`),
                            quantization by reciprocal multiplication written straight into
                            zigzag order (:func:`quantize_group`), dummy blocks
* :func:`code_blocks`       per block, in MCU order: DC difference, run/size symbols,
                            Huffman codes into a 64-bit bit buffer written 8 bytes at a
                            time, 0xFF stuffed; or, for ``optimize=True``, only symbol counts
* :func:`encode_strips_kernel`  a batch of strips, one restart interval each, in one call

Every kernel is ``nopython``, ``cache=True`` (compiled once, then loaded from numba's cache
in later processes) and ``nogil=True`` (the orchestrator's thread pool runs strips on all
cores at once), with no ``fastmath`` (it could change a rounding). Each call writes only
into arrays it is given, so concurrent strips share nothing mutable.

Importing this module compiles nothing; the first encode compiles (or loads) the kernels.
With ``NUMBA_DISABLE_JIT=1`` the same functions run as plain Python (slowly), which the
tests use to check them line by line.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from ..plan import Plan
from ..tables import NATURAL_TO_ZIGZAG, ZIGZAG
from .base import Backend, EntropyState
from .numpy_backend import strip_blocks

# --- Literal copies of tables.py's constants -----------------------------------------------
#
# numba freezes a global's value into the machine code it compiles, and its cache decides
# whether that code is stale from this file's own timestamp and size alone. A constant
# imported from tables.py and then changed there would leave the cached kernels computing
# with the old value; written out here, any change to one is a change to this file.
# tests/test_numba.py checks every copy against the value tables.py derives.

#: jccolor.c: fraction bits, and the RGB -> YCbCr weights FIX(c) (tables.RGB_TO_YCBCR).
SCALEBITS = 16
Y_RED, Y_GREEN, Y_BLUE = 19595, 38470, 7471
CB_RED, CB_GREEN, CB_BLUE = -11059, -21709, 32768
CR_RED, CR_GREEN, CR_BLUE = 32768, -27439, -5329
#: jccolor.c: ONE_HALF for Y; CBCR_OFFSET + ONE_HALF - 1 for Cb and Cr (tables.YCBCR_OFFSETS).
Y_OFFSET = 32768
CBCR_OFFSET_ROUNDED = 8421375
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
#: T.81 F.1.2.2.1 (tables.EOB, ZRL).
EOB = 0x00
ZRL = 0xF0

kernel = numba.njit(cache=True, nogil=True)
#: Small helpers called once per symbol are inlined into their caller.
inline_kernel = numba.njit(cache=True, nogil=True, inline="always")

#: The most bytes one block can take in the entropy-coded data. A block codes at most 64
#: symbols (one DC, then at most 63 AC events: each non-zero, ZRL or the EOB stands for at
#: least one of the 63 AC positions), each at most 16 code bits (T.81 C: BITS lists lengths
#: 1..16) plus at most 16 amplitude bits (int16 coefficients, so |value| < 2**16); that is
#: 2048 bits = 256 bytes, and stuffing can at most double it.
MAX_BYTES_PER_BLOCK = 2 * 64 * (16 + 16) // 8
#: Room for the bits pending from the previous strip and the final padding byte, stuffed.
MAX_EXTRA_BYTES = 8

#: Arithmetic kept in 32 bits where the values allow (numba widens to int64 by default).
_I32 = np.int32

#: Where coefficient k (natural order) is stored: in place, or at its zigzag position.
#: Both read-only (as the tables' zigzag order is), so that numba compiles one version of the
#: kernels that take them, not one per writeability.
_NATURAL = np.arange(64, dtype=np.int64)
_NATURAL.flags.writeable = False
_TO_ZIGZAG = np.ascontiguousarray(NATURAL_TO_ZIGZAG, dtype=np.int64)
_TO_ZIGZAG.flags.writeable = False


# --- Colour conversion and downsampling ------------------------------------------------------

@inline_kernel
def split_channels(line, red, green, blue):
    """De-interleave one row of RGB(A) pixels (flat uint8, ``channels * width``) into int32
    rows. Kept apart from the arithmetic: strided loads in the same loop stop LLVM from
    vectorizing it (the colour conversion of a 2048 x 8 strip took 51 µs that way, 7 µs so)."""
    if line.shape[0] == 3 * red.shape[0]:  # a constant stride in each loop, so it vectorizes
        for j in range(red.shape[0]):
            red[j], green[j], blue[j] = line[3 * j], line[3 * j + 1], line[3 * j + 2]
    else:
        for j in range(red.shape[0]):
            red[j], green[j], blue[j] = line[4 * j], line[4 * j + 1], line[4 * j + 2]


@kernel
def convert_to_ycbcr(pixels, planes):
    """RGB(A) or grayscale pixels -> component planes, replicating the last row and column.

    Args:
        pixels: uint8 ``(rows, width, channels)``, C-contiguous.
        planes: uint8 ``(1 or 3, R, C)`` to fill, ``R >= rows``, ``C >= width``: sample
            ``[i, j]`` is that of pixel ``(min(i, rows - 1), min(j, width - 1))``. (libjpeg's
            Y, Cb and Cr are 8-bit samples too: jccolor.c's results lie in 0..255.)
    """
    rows, width, channels = pixels.shape
    out_rows, out_cols = planes.shape[1], planes.shape[2]
    red, green, blue = np.empty(width, np.int32), np.empty(width, np.int32), np.empty(width, np.int32)
    for i in range(rows):
        line = pixels[i].reshape(width * channels)
        if channels == 1:
            for j in range(width):
                planes[0, i, j] = line[j]
        else:
            split_channels(line, red, green, blue)
            luma, blue_diff, red_diff = planes[0, i], planes[1, i], planes[2, i]
            for j in range(width):
                # libjpeg's 16-bit fixed point (jccolor.c, tables.RGB_TO_YCBCR); every sum
                # fits 32 bits, so it is kept in int32 (see islow_1d) and vectorizes twice as
                # wide as numba's default int64.
                r, g, b = red[j], green[j], blue[j]
                luma[j] = _I32(_I32(Y_RED) * r + _I32(Y_GREEN) * g + _I32(Y_BLUE) * b
                               + _I32(Y_OFFSET)) >> SCALEBITS
                blue_diff[j] = _I32(_I32(CB_RED) * r + _I32(CB_GREEN) * g + _I32(CB_BLUE) * b
                                    + _I32(CBCR_OFFSET_ROUNDED)) >> SCALEBITS
                red_diff[j] = _I32(_I32(CR_RED) * r + _I32(CR_GREEN) * g + _I32(CR_BLUE) * b
                                   + _I32(CBCR_OFFSET_ROUNDED)) >> SCALEBITS
        for c in range(planes.shape[0]):
            for j in range(width, out_cols):
                planes[c, i, j] = planes[c, i, width - 1]
    for c in range(planes.shape[0]):
        for i in range(rows, out_rows):
            for j in range(out_cols):
                planes[c, i, j] = planes[c, rows - 1, j]


@kernel
def downsample(plane, v_ratio, input_rows, out_cols, out):
    """Average ``2 x v_ratio`` groups with libjpeg's alternating bias (jcsample.c): every
    subsampling stripjpeg offers halves the columns (4:2:2 and 4:2:0).

    Args:
        plane: uint8 ``(R, C)`` full-resolution samples, edges replicated.
        v_ratio: 1 (4:2:2) or 2 (4:2:0).
        input_rows: pixel rows to use (the strip's rows rounded up to a multiple of
            ``v_ratio``); output rows beyond ``input_rows // v_ratio`` repeat the last one,
            as libjpeg replicates the last *downsampled* row (see numpy_backend).
        out_cols: output columns to compute (those of whole blocks); later ones are left as
            they are.
        out: uint8 ``(rows, >= out_cols)`` to fill.
    """
    last = input_rows // v_ratio - 1
    for i in range(out.shape[0]):
        top = min(i, last) * v_ratio
        # Whole rows, one loop per case: the loops over j then vectorize.
        upper, lower, target = plane[top], plane[top + v_ratio - 1], out[i]
        if v_ratio == 1:
            for j in range(out_cols):
                total = np.int32(upper[2 * j]) + np.int32(upper[2 * j + 1])
                target[j] = (total + (j & 1)) >> 1
        else:
            for j in range(out_cols):
                total = (np.int32(upper[2 * j]) + np.int32(upper[2 * j + 1])
                         + np.int32(lower[2 * j]) + np.int32(lower[2 * j + 1]))
                target[j] = (total + 1 + (j & 1)) >> 2


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
    output is descaled (rounded) by ``shift`` bits. See numpy_backend.islow_butterfly for
    the factorization.

    Each step is cast back to int32: numba widens int32 arithmetic to int64, which would
    halve the vector width, and jfdctint.c guarantees that every value fits 32 bits for
    8-bit samples.
    """
    half = _I32(1 << (shift - 1))
    tmp0, tmp7 = _I32(d0 + d7), _I32(d0 - d7)
    tmp1, tmp6 = _I32(d1 + d6), _I32(d1 - d6)
    tmp2, tmp5 = _I32(d2 + d5), _I32(d2 - d5)
    tmp3, tmp4 = _I32(d3 + d4), _I32(d3 - d4)
    tmp10, tmp13 = _I32(tmp0 + tmp3), _I32(tmp0 - tmp3)
    tmp11, tmp12 = _I32(tmp1 + tmp2), _I32(tmp1 - tmp2)
    out0 = _I32(_I32(_I32(tmp10 + tmp11) << CONST_BITS) + half) >> shift
    out4 = _I32(_I32(_I32(tmp10 - tmp11) << CONST_BITS) + half) >> shift
    z1 = _I32(_I32(tmp12 + tmp13) * FIX_0_541196100)
    out2 = _I32(z1 + _I32(tmp13 * FIX_0_765366865) + half) >> shift
    out6 = _I32(z1 - _I32(tmp12 * FIX_1_847759065) + half) >> shift
    z1, z2 = _I32(tmp4 + tmp7), _I32(tmp5 + tmp6)
    z3, z4 = _I32(tmp4 + tmp6), _I32(tmp5 + tmp7)
    z5 = _I32(_I32(z3 + z4) * FIX_1_175875602)
    z1 = _I32(z1 * -FIX_0_899976223)
    z2 = _I32(z2 * -FIX_2_562915447)
    z3 = _I32(_I32(z3 * -FIX_1_961570560) + z5)
    z4 = _I32(_I32(z4 * -FIX_0_390180644) + z5)
    out7 = _I32(_I32(tmp4 * FIX_0_298631336) + z1 + z3 + half) >> shift
    out5 = _I32(_I32(tmp5 * FIX_2_053119869) + z2 + z4 + half) >> shift
    out3 = _I32(_I32(tmp6 * FIX_3_072711026) + z2 + z3 + half) >> shift
    out1 = _I32(_I32(tmp7 * FIX_1_501321110) + z1 + z4 + half) >> shift
    return (_I32(out0), _I32(out1), _I32(out2), _I32(out3), _I32(out4), _I32(out5), _I32(out6),
            _I32(out7))


@inline_kernel
def level_shifted(word, x):
    """Sample x of a block row packed in a little-endian uint64 word, minus 128 (the level
    shift of T.81 A.3.1), as int32."""
    return _I32(_I32((word >> np.uint64(8 * x)) & np.uint64(0xFF)) - _I32(128))


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
def quantize_group(coefficients, divisors, reciprocals, order, out):
    """Quantize LANES blocks side by side: round half away from zero, ``(|x| + d/2) // d``
    with the sign put back (jcdctmgr.c), by reciprocal multiplication.

    Args:
        coefficients: int32 ``(64, LANES)`` islow coefficients (times 8).
        divisors, reciprocals: int64 (64,), natural order: ``8 * Q`` and
            ``ceil(2**32 / (8 * Q))``; ``(n * reciprocal) >> 32 == n // divisor`` for every
            ``n < 2**21`` (the error term ``n * (reciprocal * divisor - 2**32) / 2**32``
            stays below ``1 / divisor``), so no division is needed.
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
def transform_blocks(plane, real_rows, real_cols, block_cols, mcu_h, divisors, reciprocals, order,
                     out):
    """One component's quantized blocks for a strip, dummy blocks included.

    Args:
        plane: uint8 samples ``(>= 8 * real_rows, C)``, C-contiguous, ``C`` a multiple of
            ``8 * LANES`` covering ``real_cols`` blocks (the last group reads whole words).
        real_rows, real_cols: blocks holding image samples.
        block_cols: blocks across the strip, dummy blocks included.
        mcu_h: blocks across one MCU (dummy blocks copy DCs within an MCU).
        divisors, reciprocals: int64 (64,), see :func:`quantize_group`.
        order: int64 (64,), see :func:`quantize_group`.
        out: int16 ``(block_rows, groups, 64, LANES)`` to fill: block ``(row, col)`` is
            ``out[row, col // LANES, :, col % LANES]``.
    """
    words = plane.view(np.uint64)  # little-endian: sample 8*i + x is byte x of word i
    work = np.empty((64, LANES), np.int32)
    coefficients = np.empty((64, LANES), np.int32)
    for row in range(real_rows):
        for group in range((real_cols + LANES - 1) // LANES):
            fdct_islow_group(words, 8 * row, group * LANES, work, coefficients)
            quantize_group(coefficients, divisors, reciprocals, order, out[row, group])
    fill_dummy_blocks(out, real_rows, real_cols, block_cols, mcu_h)


@kernel
def fill_dummy_blocks(out, real_rows, real_cols, block_cols, mcu_h):
    """libjpeg's dummy blocks (see numpy_backend.add_dummy_blocks): zero AC; a right-edge
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
def transform_strip(pixels, layout, plane_rows, plane_cols, divisors, reciprocals, order):
    """One strip's pixels -> the quantized blocks of every component.

    Args:
        pixels: uint8 ``(rows, width, channels)``, C-contiguous.
        layout: int64 ``(n_components, 9)``, the columns named above (H_RATIO...).
        plane_rows, plane_cols: size of the full-resolution planes (every luma block, and
            every sample the downsampling reads; ``plane_cols`` a multiple of ``8 * LANES``).
        divisors, reciprocals: ``(n_tables, 64)``, see :func:`transform_blocks`.
        order: see :func:`transform_blocks`.

    Returns:
        int16 ``(n_components, block_rows, groups, 64, LANES)`` (luma's block grid, ``groups``
        its block columns / LANES rounded up): block ``(row, col)`` of component ``c`` is
        ``[c, row, col // LANES, :, col % LANES]``, for ``row < layout[c, BLOCK_ROWS]`` and
        ``col < layout[c, BLOCK_COLS]``.
    """
    n_components = layout.shape[0]
    planes = np.empty((n_components, plane_rows, plane_cols), np.uint8)
    convert_to_ycbcr(pixels, planes)
    groups = (layout[0, BLOCK_COLS] + LANES - 1) // LANES
    blocks = np.empty((n_components, layout[0, BLOCK_ROWS], groups, 64, LANES), np.int16)
    for c in range(n_components):
        if layout[c, H_RATIO] == 1 and layout[c, V_RATIO] == 1:
            plane = planes[c]
        else:
            real_cols = layout[c, REAL_COLS]
            plane = np.empty((layout[c, REAL_ROWS] * 8, (real_cols + LANES - 1) // LANES * LANES * 8),
                             np.uint8)
            downsample(planes[c], layout[c, V_RATIO], layout[c, INPUT_ROWS], real_cols * 8, plane)
        q = layout[c, QUANT]
        transform_blocks(plane, layout[c, REAL_ROWS], layout[c, REAL_COLS], layout[c, BLOCK_COLS],
                         layout[c, MCU_H], divisors[q], reciprocals[q], order,
                         blocks[c, :layout[c, BLOCK_ROWS]])
    return blocks


# --- Entropy coding ----------------------------------------------------------------------------

if numba.config.DISABLE_JIT:
    # Plain Python (NUMBA_DISABLE_JIT=1): the same answers from int methods.
    def bit_length(value):
        """SSSS: the bit length of a non-negative value (Tables F.1, F.2)."""
        return int(value).bit_length()

    def lowest_set_bit(mask):
        """The index of the lowest 1-bit of a non-zero mask."""
        mask = int(mask)
        return (mask & -mask).bit_length() - 1
else:
    @inline_kernel
    def bit_length(value):
        """SSSS: the bit length of a non-negative value (Tables F.1, F.2): one LZCNT."""
        return 64 - leading_zeros(value)

    @inline_kernel
    def lowest_set_bit(mask):
        """The index of the lowest 1-bit of a non-zero mask: one TZCNT."""
        return np.int64(trailing_zeros(mask))


@inline_kernel
def put_byte(out, position, byte):
    """Write one byte of entropy-coded data; a 0xFF is followed by a stuffed 0x00 so that it
    cannot be read as a marker (T.81 F.1.2.3). Returns the next position."""
    out[position] = byte
    if byte == 0xFF:
        out[position + 1] = 0
        return position + 2
    return position + 1


_U64 = np.uint64


@kernel
def put_word(out, position, word):
    """Write 64 bits (uint64), most significant byte first, with a 0x00 stuffed after each
    0xFF byte (T.81 F.1.2.3). Returns the next position.

    Called, not inlined: an inlined function taking the output array made numba update the
    array's reference count (two atomic operations) at each call."""
    # Is any byte 0xFF, i.e. any byte of the complement zero? (Adding 0x7F to each byte's
    # low 7 bits sets its top bit unless all were zero; no carry crosses bytes.)
    inverse = ~word
    low7 = _U64(0x7F7F7F7F7F7F7F7F)
    if (((inverse & low7) + low7) | inverse) & _U64(0x8080808080808080) != _U64(0x8080808080808080):
        for shift in range(56, -8, -8):  # rare: stuff byte by byte
            position = put_byte(out, position, (word >> _U64(shift)) & _U64(0xFF))
        return position
    for i in range(8):
        out[position + i] = (word >> _U64(56 - 8 * i)) & _U64(0xFF)
    return position + 8


@inline_kernel
def put_bits(buffer, count, value, length):
    """Append ``length`` (1..32) bits of ``value`` to the bit buffer, MSB first.

    ``buffer`` (uint64) holds ``count`` (< 64) pending bits. Most symbols only shift their
    bits in; when they do not fit, the buffer is topped up to 64 bits, which the caller
    writes out with :func:`put_word`, and keeps the rest (libjpeg-turbo's jchuff.c works the
    same way). That keeps the chain of dependent operations from one symbol to the next to
    a shift and an or.

    The output array is not an argument: passing an array to a function in this loop made
    numba update its reference count (two atomic operations) for every symbol.

    Returns:
        ``(buffer, count, word, full)``: ``word`` holds 64 finished bits when ``full``.
    """
    free = 64 - count
    if length < free:
        return (buffer << _U64(length)) | _U64(value), count + length, _U64(0), False
    rest = length - free
    word = (buffer << _U64(free)) | (_U64(value) >> _U64(rest))
    return _U64(value) & ((_U64(1) << _U64(rest)) - _U64(1)), rest, word, True


@kernel
def flush_bytes(out, position, buffer, count):
    """Write the whole bytes still in the bit buffer (uint64, ``count`` bits), stuffed; keep
    the last < 8 bits."""
    while count >= 8:
        count -= 8
        position = put_byte(out, position, (buffer >> _U64(count)) & _U64(0xFF))
    buffer &= (_U64(1) << _U64(count)) - _U64(1)
    return position, buffer, count


@inline_kernel
def nonzero_masks(blocks, block_rows, block_cols, masks):
    """Per block, bit k set for every non-zero AC coefficient k (zigzag order).

    Built for LANES blocks side by side and without a branch on the values (those would be
    mispredicted half the time at high quality): the loop over the lanes compiles to vector
    compares, shifts and ors.

    Args:
        blocks: int16 ``(block_rows, groups, 64, LANES)`` of one component, zigzag order.
        block_rows, block_cols: the blocks to do.
        masks: uint64 ``(>= block_rows, groups * LANES)`` to fill.
    """
    lanes = blocks.shape[3]
    for row in range(block_rows):
        for group in range((block_cols + lanes - 1) // lanes):
            coefficients = blocks[row, group]
            mask = masks[row, group * lanes:(group + 1) * lanes]
            for b in range(lanes):
                mask[b] = 0
            for k in range(1, 64):
                line = coefficients[k]
                for b in range(lanes):
                    mask[b] = mask[b] | (np.uint64(line[b] != 0) << np.uint64(k))


@kernel
def code_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors, state,
                final, out):
    """Huffman-code a strip's blocks (see :func:`code_or_count_blocks`); with ``final``,
    pad the last byte with 1-bits, as a restart interval or the scan ends (T.81 F.1.2.3)."""
    no_counts = np.zeros((0, 256), np.int64)
    status = code_or_count_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table,
                                  predictors, state, False, no_counts, no_counts, out)
    if final and state[2]:
        pad = 8 - state[2]
        position, buffer, count = flush_bytes(out, state[0], _U64((state[1] << pad) | ((1 << pad) - 1)),
                                              state[2] + pad)
        state[0], state[1], state[2] = position, np.int64(buffer), count
    return status


@kernel
def count_blocks(blocks, components, mcus_across, mcu_rows, predictors, dc_counts, ac_counts):
    """Count the Huffman symbols of a strip's blocks (see :func:`code_or_count_blocks`)."""
    no_codes = np.zeros((0, 256), np.int64)
    code_or_count_blocks(blocks, components, mcus_across, mcu_rows, no_codes, no_codes,
                         predictors, np.zeros(3, np.int64), True, dc_counts, ac_counts,
                         np.empty(0, np.uint8))


@inline_kernel
def code_or_count_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors,
                         state, counting, dc_counts, ac_counts, out):
    """Huffman-code (or, with ``counting``, count the symbols of) a strip's blocks.

    Inlined into :func:`code_blocks` and :func:`count_blocks` with ``counting`` a constant,
    so each compiles without the other's branches.

    Each symbol goes out as one run of bits: its Huffman code followed by its SSSS
    amplitude bits (T.81 F.1.2.1-2), at most 16 + 16 bits.

    Args:
        blocks: int16 ``(n_components, max_rows, groups, 64, LANES)``, zigzag order, as
            :func:`transform_strip` returns them: block ``(row, col)`` of component ``c`` is
            ``[c, row, col // LANES, :, col % LANES]``.
        components: int64 ``(n_components, 3)``: blocks across and down one MCU, Huffman
            table index.
        mcus_across, mcu_rows: the strip's MCU grid.
        dc_table, ac_table: int64 ``(n_tables, 256)``: each symbol's Huffman code shifted left
            by 8, or-ed with its length (EHUFCO, EHUFSI of Annex C in one load); 0 = no code.
        predictors: int64 (n_components,) DC predictors, updated in place.
        state: int64 (3,): output position, bit buffer, bit count (< 8); updated in place.
        counting: count symbols into dc_counts/ac_counts (int64 ``(n_tables, 256)``) only.
        out: uint8 output buffer, at least ``MAX_BYTES_PER_BLOCK`` per block.

    Returns:
        0, or ``-1 - symbol`` for a DC symbol the table cannot code, ``-257 - symbol`` for AC.
    """
    position, buffer, count = state[0], _U64(state[1]), state[2]
    n_components = components.shape[0]
    masks = np.empty((n_components, blocks.shape[1], blocks.shape[2] * blocks.shape[4]), np.uint64)
    for c in range(n_components):
        nonzero_masks(blocks[c], mcu_rows * components[c, 1], mcus_across * components[c, 0], masks[c])
    for mcu_row in range(mcu_rows):
        for mcu_col in range(mcus_across):
            for c in range(n_components):
                across, down, table = components[c, 0], components[c, 1], components[c, 2]
                for by in range(down):
                    row = mcu_row * down + by
                    for bx in range(across):
                        col = mcu_col * across + bx
                        # The block is blocks[c, row, group, :, lane]; indexed in full each time,
                        # since a view of it would update a reference count per block.
                        group, lane = col // LANES, col % LANES
                        # DC: the difference from the previous block of this component (F.1.1.5.1).
                        dc = blocks[c, row, group, 0, lane]
                        diff = np.int64(dc) - predictors[c]
                        predictors[c] = dc
                        sign = diff >> 63  # -1 if negative, else 0
                        size = bit_length((diff ^ sign) - sign)
                        if counting:
                            dc_counts[table, size] += 1
                        else:
                            entry = dc_table[table, size]
                            if entry == 0:
                                return -1 - size
                            # Negative amplitudes are sent as value - 1 in SSSS bits (F.1.2.1.1).
                            bits = ((entry >> 8) << size) | ((diff + sign) & ((1 << size) - 1))
                            buffer, count, word, full = put_bits(buffer, count, bits, (entry & 0xFF) + size)
                            if full:
                                position = put_word(out, position, word)
                        # AC: run/size symbols, ZRL for 16 zeros, EOB after the last non-zero.
                        # Only the non-zero coefficients are visited, lowest bit of the mask first.
                        # (The count / no-code / write steps repeat for DC, ZRL, AC and EOB: one
                        # shared helper returning a status measured 7-15% slower here.)
                        mask = masks[c, row, col]
                        last = 0
                        while mask:
                            k = lowest_set_bit(mask)
                            mask &= mask - np.uint64(1)
                            run = k - last - 1
                            last = k
                            while run > 15:
                                if counting:
                                    ac_counts[table, ZRL] += 1
                                elif ac_table[table, ZRL] == 0:
                                    return -257 - ZRL
                                else:
                                    entry = ac_table[table, ZRL]
                                    buffer, count, word, full = put_bits(buffer, count, entry >> 8,
                                                                         entry & 0xFF)
                                    if full:
                                        position = put_word(out, position, word)
                                run -= 16
                            value = np.int64(blocks[c, row, group, k, lane])
                            sign = value >> 63
                            size = bit_length((value ^ sign) - sign)
                            symbol = (run << 4) | size
                            if counting:
                                ac_counts[table, symbol] += 1
                                continue
                            entry = ac_table[table, symbol]
                            if entry == 0:
                                return -257 - symbol
                            bits = ((entry >> 8) << size) | ((value + sign) & ((1 << size) - 1))
                            buffer, count, word, full = put_bits(buffer, count, bits, (entry & 0xFF) + size)
                            if full:
                                position = put_word(out, position, word)
                        if last < 63:
                            if counting:
                                ac_counts[table, EOB] += 1
                            elif ac_table[table, EOB] == 0:
                                return -257 - EOB
                            else:
                                entry = ac_table[table, EOB]
                                buffer, count, word, full = put_bits(buffer, count, entry >> 8, entry & 0xFF)
                                if full:
                                    position = put_word(out, position, word)
    position, buffer, count = flush_bytes(out, position, buffer, count)
    state[0], state[1], state[2] = position, np.int64(buffer), count
    return 0


@kernel
def encode_strip_kernel(pixels, layout, plane_rows, plane_cols, divisors, reciprocals, order,
                        components, mcus_across, dc_table, ac_table, predictors, state, final, out):
    """Pixels of one strip -> its entropy-coded bytes in ``out``, in one call without the GIL:
    :func:`transform_strip` (``order``: the zigzag positions), then :func:`code_blocks`.

    Returns the status of :func:`code_blocks`; the bytes are ``out[:state[0]]``.
    """
    blocks = transform_strip(pixels, layout, plane_rows, plane_cols, divisors, reciprocals, order)
    mcu_rows = layout[0, BLOCK_ROWS] // components[0, 1]
    return code_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors,
                       state, final, out)


@kernel
def encode_strips_kernel(pixels, strip_rows, layout, plane_rows, plane_cols, divisors, reciprocals,
                         order, components, mcus_across, dc_table, ac_table, final, out, ends):
    """Several strips of ``strip_rows`` rows each, stacked in ``pixels``, each coded as one
    restart interval (predictors from 0, last byte padded), in one call without the GIL.

    One call per batch rather than per strip saves the Python work around each call and
    a release and retake of the GIL, which the other threads' strips would wait on.

    ``final`` is always True (each strip's last byte is padded); it is an argument because a
    literal True here would compile :func:`encode_strip_kernel` a second time, for that
    literal's type.

    Returns the first non-zero status of :func:`code_blocks`, or 0; strip ``i``'s bytes are
    ``out[ends[i - 1]:ends[i]]`` (from 0 for the first).
    """
    position = 0
    for i in range(ends.shape[0]):
        predictors = np.zeros(components.shape[0], np.int64)
        state = np.zeros(3, np.int64)
        state[0] = position
        status = encode_strip_kernel(pixels[i * strip_rows:(i + 1) * strip_rows], layout, plane_rows,
                                     plane_cols, divisors, reciprocals, order, components, mcus_across,
                                     dc_table, ac_table, predictors, state, final, out)
        if status:
            return status
        position = ends[i] = state[0]
    return 0


# --- Per-plan tables ---------------------------------------------------------------------------

class StripShape(NamedTuple):
    """What the kernels need to know of a strip of a given height."""

    layout: np.ndarray   #: int64 (n_components, 9): H_RATIO ... QUANT per component
    plane_rows: int      #: full-resolution plane size (see transform_strip)
    plane_cols: int
    n_blocks: int        #: blocks coded, dummy blocks included


class _KernelTables:
    """A Plan's tables as the arrays the kernels take, built once per Plan."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        steps = np.array(plan.quant_tables, dtype=np.int64)           # (n_tables, 64)
        self.divisors = 8 * steps  # islow coefficients are 8 times T.81's
        self.reciprocals = -(-(1 << 32) // self.divisors)               # ceil(2**32 / d)
        self.dc_table = np.array([(c.astype(np.int64) << 8) | n for c, n in plan.dc_codes])
        self.ac_table = np.array([(c.astype(np.int64) << 8) | n for c, n in plan.ac_codes])
        self.components = np.array([[c.mcu_h, c.mcu_v, c.huffman_index] for c in plan.components],
                                   dtype=np.int64)
        self._shapes: dict[int, StripShape] = {}

    def shape(self, pixel_rows: int) -> StripShape:
        """The :class:`StripShape` of a strip of ``pixel_rows`` rows (cached: a plan has at
        most two strip heights, the usual one and the last)."""
        shape = self._shapes.get(pixel_rows)
        if shape is None:
            plan = self.plan
            layouts = plan.strip_layout(pixel_rows)
            layout = np.array([[plan.hmax // c.h, plan.vmax // c.v, lay.real_block_rows,
                                lay.real_block_cols, lay.block_rows, lay.block_cols, lay.input_rows,
                                c.mcu_h, c.quant_index] for c, lay in zip(plan.components, layouts)],
                              dtype=np.int64)
            luma = layouts[0]
            # Full-resolution planes cover every block of the luma MCUs, so every component
            # reads replicated edges wherever it reaches past the image.
            lane_cols = 8 * LANES  # whole groups of blocks (transform_blocks reads them)
            cols = max(luma.block_cols * 8, layouts[-1].input_cols)
            shape = StripShape(layout, max(luma.block_rows * 8, layouts[-1].input_rows),
                               -(-cols // lane_cols) * lane_cols,
                               luma.block_rows // plan.components[0].mcu_v * plan.mcus_per_row
                               * plan.blocks_per_mcu)
            self._shapes[pixel_rows] = shape
        return shape


_tables: weakref.WeakKeyDictionary[Plan, _KernelTables] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def kernel_tables(plan: Plan) -> _KernelTables:
    """The kernel arrays of ``plan``, cached for the plan's lifetime (thread-safe)."""
    with _tables_lock:
        tables = _tables.get(plan)
        if tables is None:
            tables = _tables[plan] = _KernelTables(plan)
        return tables


# --- The backend -------------------------------------------------------------------------------

class NumbaBackend(Backend):
    """The fast engine: same bytes as :class:`~.numpy_backend.NumpyBackend` for every option,
    compiled.

    Internally a strip's blocks are one array ``(n_components, rows, groups, 64, LANES)``
    in zigzag order, LANES blocks side by side (components padded to the largest block
    grid; see :func:`transform_strip`), which is what :func:`code_blocks` reads;
    :meth:`transform` and :meth:`entropy_encode` convert to and from the contract's
    per-component natural-order arrays.
    """

    name = "numba"

    def __init__(self) -> None:
        if sys.byteorder != "little":
            # transform_blocks reads 8 samples as one uint64 word, byte x being sample x.
            raise ValueError("the numba backend needs a little-endian machine; use backend='numpy'")

    def transform(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """Pixels of one strip -> quantized blocks per component (see :class:`Backend`).

        The exact DCT is the NumPy stage's (SciPy's), not a kernel of its own: a second
        float DCT would round a coefficient on a tie differently and write other bytes."""
        if plan.dct != "islow":
            return strip_blocks(pixels, plan)
        blocks = self._transform(pixels, plan, _NATURAL)
        n_components, rows, groups = blocks.shape[:3]
        # (c, row, group, k, lane) -> (c, row, col, k), col = group * LANES + lane
        side_by_side = blocks.transpose(0, 1, 2, 4, 3).reshape(n_components, rows, groups * LANES, 64)
        layouts = plan.strip_layout(pixels.shape[0])
        return [side_by_side[i, :layout.block_rows, :layout.block_cols].reshape(
                    layout.block_rows, layout.block_cols, 8, 8)
                for i, layout in enumerate(layouts)]

    def entropy_encode(self, blocks: list[np.ndarray], plan: Plan,
                       state: EntropyState, final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code the strip's blocks (see :class:`Backend`)."""
        return self._code(self._stack_zigzag(blocks), plan, state, final)

    def encode_strip(self, pixels: np.ndarray, plan: Plan) -> bytes:
        """Pixels of one strip -> one restart interval's bytes, in one kernel call (islow)."""
        return self.encode_strip_continued(pixels, plan, EntropyState.start(plan), final=True)[0]

    def encode_strips(self, strips: Sequence[np.ndarray], plan: Plan) -> list[bytes]:
        """Several independent strips, in one kernel call when they lie one after another in
        memory (consecutive row ranges of one array, as the orchestrator cuts them from an
        image in memory); otherwise one call per strip."""
        if plan.dct != "islow":
            return [self.encode_strip(strip, plan) for strip in strips]
        if len(strips) > 1 and strips[-1].shape[0] != plan.strip_height:
            # The image's last strip is shorter: the others can still go together.
            return [*self.encode_strips(strips[:-1], plan), self.encode_strip(strips[-1], plan)]
        tall = _stacked(strips, plan.strip_height)
        if tall is None:
            return [self.encode_strip(strip, plan) for strip in strips]
        tables = kernel_tables(plan)
        shape = tables.shape(plan.strip_height)
        out = np.empty(len(strips) * shape.n_blocks * MAX_BYTES_PER_BLOCK + MAX_EXTRA_BYTES, np.uint8)
        ends = np.zeros(len(strips), np.int64)
        status = encode_strips_kernel(tall, plan.strip_height, shape.layout, shape.plane_rows,
                                      shape.plane_cols, tables.divisors, tables.reciprocals, _TO_ZIGZAG,
                                      tables.components, plan.mcus_per_row, tables.dc_table,
                                      tables.ac_table, True, out, ends)
        _check_status(status)
        starts = [0, *ends[:-1].tolist()]
        return [out[start:end].tobytes() for start, end in zip(starts, ends.tolist())]

    def encode_strip_continued(self, pixels: np.ndarray, plan: Plan, state: EntropyState,
                               final: bool = False) -> tuple[bytes, EntropyState]:
        """Pixels of one strip of a scan without restart markers, continuing from ``state``;
        with ``final``, the last byte is padded (as :meth:`encode_strip` needs)."""
        if plan.dct != "islow":
            return self._code(self._stack_zigzag(strip_blocks(pixels, plan)), plan, state, final)
        tables = kernel_tables(plan)
        shape = tables.shape(pixels.shape[0])
        out, predictors, bit_state = self._coder_arrays(shape.n_blocks, state)
        status = encode_strip_kernel(np.ascontiguousarray(pixels), shape.layout, shape.plane_rows,
                                     shape.plane_cols, tables.divisors, tables.reciprocals, _TO_ZIGZAG,
                                     tables.components, plan.mcus_per_row, tables.dc_table,
                                     tables.ac_table, predictors, bit_state, final, out)
        return self._finish(status, out, predictors, bit_state)

    def count_symbols(self, blocks: list[np.ndarray], plan: Plan, predictors: tuple[int, ...]
                      ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Count the Huffman symbols coding ``blocks`` would use (see :class:`Backend`)."""
        n_tables = len(plan.dc_tables)
        dc, ac = np.zeros((n_tables, 256), np.int64), np.zeros((n_tables, 256), np.int64)
        predictor_array = np.array(predictors, dtype=np.int64)
        blocks = self._stack_zigzag(blocks)
        count_blocks(blocks, kernel_tables(plan).components, plan.mcus_per_row,
                     blocks.shape[1] // plan.components[0].mcu_v, predictor_array, dc, ac)
        return dc, ac, tuple(int(p) for p in predictor_array)

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _transform(pixels: np.ndarray, plan: Plan, order: np.ndarray) -> np.ndarray:
        """Quantized blocks of every component, ``(n_components, rows, cols, 64)`` (islow)."""
        tables = kernel_tables(plan)
        shape = tables.shape(pixels.shape[0])
        return transform_strip(np.ascontiguousarray(pixels), shape.layout, shape.plane_rows,
                               shape.plane_cols, tables.divisors, tables.reciprocals, order)

    @staticmethod
    def _stack_zigzag(blocks: list[np.ndarray]) -> np.ndarray:
        """Contract blocks (per component, natural order) -> the internal array."""
        rows, cols = blocks[0].shape[:2]  # luma has the most blocks both ways
        groups = -(-cols // LANES)
        stacked = np.zeros((len(blocks), rows, groups * LANES, 64), np.int16)
        for index, component_blocks in enumerate(blocks):
            natural = np.asarray(component_blocks).reshape(*component_blocks.shape[:2], 64)
            stacked[index, :natural.shape[0], :natural.shape[1]] = natural[:, :, ZIGZAG]
        # (c, row, col, k) -> (c, row, group, k, lane)
        return np.ascontiguousarray(
            stacked.reshape(len(blocks), rows, groups, LANES, 64).transpose(0, 1, 2, 4, 3))

    def _code(self, blocks: np.ndarray, plan: Plan, state: EntropyState,
              final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code the internal block array, continuing from ``state``."""
        mcu_rows = blocks.shape[1] // plan.components[0].mcu_v
        out, predictors, bit_state = self._coder_arrays(
            mcu_rows * plan.mcus_per_row * plan.blocks_per_mcu, state)
        tables = kernel_tables(plan)
        status = code_blocks(blocks, tables.components, plan.mcus_per_row, mcu_rows, tables.dc_table,
                             tables.ac_table, predictors, bit_state, final, out)
        return self._finish(status, out, predictors, bit_state)

    @staticmethod
    def _coder_arrays(n_blocks: int, state: EntropyState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The coder's in/out arrays: an output buffer for ``n_blocks`` blocks in the worst
        case, the DC predictors and the bit state ``[position, buffer, count]`` of ``state``."""
        out = np.empty(n_blocks * MAX_BYTES_PER_BLOCK + MAX_EXTRA_BYTES, np.uint8)
        predictors = np.array(state.dc_predictors, dtype=np.int64)
        bit_state = np.array([0, state.pending_bits, state.pending_count], dtype=np.int64)
        return out, predictors, bit_state

    @staticmethod
    def _finish(status: int, out: np.ndarray, predictors: np.ndarray,
                bit_state: np.ndarray) -> tuple[bytes, EntropyState]:
        """The coded bytes and the state after them, or the coder's error."""
        _check_status(status)
        position, buffer, count = (int(v) for v in bit_state)
        return out[:position].tobytes(), EntropyState(tuple(int(p) for p in predictors), buffer, count)


def _check_status(status: int) -> None:
    """Raise the coder's error, if ``status`` (see :func:`code_or_count_blocks`) is one."""
    if status < 0:
        kind, symbol = ("DC", -1 - status) if status > -257 else ("AC", -257 - status)
        raise ValueError(f"the {kind} Huffman table has no code for symbol 0x{symbol:02X}")


def _stacked(strips: Sequence[np.ndarray], rows: int) -> np.ndarray | None:
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
