"""The numba kernels for 12-bit samples (``plan.precision`` 12): colour conversion
(:func:`convert_to_ycbcr_12`; downsampling is :func:`.numba_colour.downsample` on uint16
planes) and the DCT stage (:func:`transform_blocks_12`: level shift, islow DCT and
quantization of one component's blocks, one block at a time, in int64).

The 8-bit kernels (:mod:`.numba_dct`) read uint8 samples as 64-bit words and keep every value
in int32 lanes, which 12-bit samples overflow; this kernel is the plain loop of
:func:`stripjpeg.stages.dct.forward_dct_islow` with 12-bit constants (jfdctint.c: PASS1_BITS 1,
CONST_BITS 13) and :func:`stripjpeg.stages.quantize.quantize` (divide by ``8 Q``, rounding half
away from zero, as jcdctmgr.c's quantize does at 12 bits). The NumPy stage adds the dummy blocks.
"""

from __future__ import annotations

import numpy as np

from ..plan import Plan
from ..stages.quantize import add_dummy_blocks
from .numba_colour import (
    CB_BLUE,
    CB_GREEN,
    CB_RED,
    CR_BLUE,
    CR_GREEN,
    CR_RED,
    I32,
    SCALEBITS,
    Y_BLUE,
    Y_GREEN,
    Y_OFFSET,
    Y_RED,
    split_channels,
)
from .numba_dct import (
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
)
from .numba_jit import inline_kernel, kernel

#: jfdctint.c's PASS1_BITS for 12-bit samples (stages.dct.ISLOW_PASS1_BITS[12]).
PASS1_BITS_12 = 1
#: CENTERJSAMPLE at 12 bits: the level shift (T.81 A.3.1).
CENTER_12 = 2048
#: jccolor.c's Cb and Cr offset at 12 bits, CENTERJSAMPLE << SCALEBITS plus ONE_HALF - 1
#: (stages.samples.ycbcr_offsets(12)[1]).
CBCR_OFFSET_ROUNDED_12 = (2048 << 16) + (1 << 15) - 1


@kernel
def convert_to_ycbcr_12(pixels, planes):
    """12-bit RGB(A/X) or grey pixels -> Y, Cb, Cr planes (or the grey plane as given),
    replicating the last row and column: :func:`.numba_colour.convert_to_ycbcr` with the
    12-bit chroma offset. Every sum fits int32: at most 2**16 * 4095 + 2**27 + 2**15.

    Args:
        pixels: uint16 ``(rows, width, channels)``, C-contiguous, samples 0..4095.
        planes: uint16 ``(1 or 3, R, C)`` to fill, ``R >= rows``, ``C >= width``.
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
                r, g, b = red[j], green[j], blue[j]
                luma[j] = I32(I32(Y_RED) * r + I32(Y_GREEN) * g + I32(Y_BLUE) * b
                               + I32(Y_OFFSET)) >> SCALEBITS
                blue_diff[j] = I32(I32(CB_RED) * r + I32(CB_GREEN) * g + I32(CB_BLUE) * b
                                    + I32(CBCR_OFFSET_ROUNDED_12)) >> SCALEBITS
                red_diff[j] = I32(I32(CR_RED) * r + I32(CR_GREEN) * g + I32(CR_BLUE) * b
                                   + I32(CBCR_OFFSET_ROUNDED_12)) >> SCALEBITS
        for c in range(planes.shape[0]):
            for j in range(width, out_cols):
                planes[c, i, j] = planes[c, i, width - 1]
    for c in range(planes.shape[0]):
        for i in range(rows, out_rows):
            for j in range(out_cols):
                planes[c, i, j] = planes[c, rows - 1, j]


@inline_kernel
def islow_pass(work, first, stride, shift):
    """One 8-point pass of libjpeg's integer DCT on ``work[first + k * stride]``, k = 0..7, in
    place, every output descaled (rounded half up) by ``shift`` bits (see
    stages.dct.islow_butterfly: outputs 0 and 4 too are scaled by 2**CONST_BITS first)."""
    d0, d1 = work[first], work[first + stride]
    d2, d3 = work[first + 2 * stride], work[first + 3 * stride]
    d4, d5 = work[first + 4 * stride], work[first + 5 * stride]
    d6, d7 = work[first + 6 * stride], work[first + 7 * stride]
    half = np.int64(1) << (shift - 1)
    tmp0, tmp7 = d0 + d7, d0 - d7
    tmp1, tmp6 = d1 + d6, d1 - d6
    tmp2, tmp5 = d2 + d5, d2 - d5
    tmp3, tmp4 = d3 + d4, d3 - d4
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    work[first] = (((tmp10 + tmp11) << CONST_BITS) + half) >> shift
    work[first + 4 * stride] = (((tmp10 - tmp11) << CONST_BITS) + half) >> shift
    z1 = (tmp12 + tmp13) * FIX_0_541196100
    work[first + 2 * stride] = (z1 + tmp13 * FIX_0_765366865 + half) >> shift
    work[first + 6 * stride] = (z1 - tmp12 * FIX_1_847759065 + half) >> shift
    z1, z2 = tmp4 + tmp7, tmp5 + tmp6
    z3, z4 = tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * FIX_1_175875602
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    work[first + 7 * stride] = (tmp4 * FIX_0_298631336 + z1 + z3 + half) >> shift
    work[first + 5 * stride] = (tmp5 * FIX_2_053119869 + z2 + z4 + half) >> shift
    work[first + 3 * stride] = (tmp6 * FIX_3_072711026 + z2 + z3 + half) >> shift
    work[first + stride] = (tmp7 * FIX_1_501321110 + z1 + z4 + half) >> shift


@kernel
def transform_blocks_12(plane, divisors, out):
    """Level shift, islow DCT and quantization of every block of one component's 12-bit samples.

    Args:
        plane: int32 ``(8 * R, 8 * C)``, samples 0..4095.
        divisors: int64 ``(64,)``, natural order: ``8 * Q`` (the islow DCT's scale times Q).
        out: int16 ``(R, C, 8, 8)``, filled with the quantized coefficients, natural order.
    """
    work = np.empty(64, np.int64)
    for block_row in range(out.shape[0]):
        for block_col in range(out.shape[1]):
            for y in range(8):
                for x in range(8):
                    work[8 * y + x] = np.int64(plane[8 * block_row + y, 8 * block_col + x]) - CENTER_12
            for y in range(8):  # rows, keeping PASS1_BITS extra bits
                islow_pass(work, 8 * y, 1, CONST_BITS - PASS1_BITS_12)
            for x in range(8):  # columns, removing them
                islow_pass(work, x, 8, CONST_BITS + PASS1_BITS_12)
            # Quantize: the magnitude divided by 8Q rounding half up, the sign put back
            # (jcdctmgr.c). Branch-free, and divided in float64, which is exact here: the
            # dividend is below 2**32 and the divisor below 2**19, so a quotient that is no
            # whole number lies at least 2**-19 from one, more than float64's error at that
            # size; the loop then vectorizes, where 64 integer divisions would not.
            for k in range(64):
                value = work[k]
                sign = value >> 63
                magnitude = (value ^ sign) - sign
                quotient = np.int64(np.floor((magnitude + (divisors[k] >> 1)) / np.float64(divisors[k])))
                out[block_row, block_col, k >> 3, k & 7] = (quotient ^ sign) - sign


def forward_dct_12(samples: list[np.ndarray], plan: Plan, rows: int) -> list[np.ndarray]:
    """The numba backend's ``forward_dct`` stage for 12-bit samples: :func:`transform_blocks_12`
    per component, then the NumPy stage's dummy blocks (:func:`.quantize.add_dummy_blocks`)."""
    result = []
    for plane, component, layout in zip(samples, plan.components, plan.strip_layout(rows)):
        real = np.empty((layout.real_block_rows, layout.real_block_cols, 8, 8), np.int16)
        divisors = 8 * plan.quant_tables[component.quant_index].astype(np.int64)
        transform_blocks_12(np.ascontiguousarray(plane, dtype=np.int32), divisors, real)
        result.append(add_dummy_blocks(real, layout, component.mcu_h))
    return result
