"""The numba kernel for 12-bit samples (``plan.precision`` 12) that the 8-bit ones cannot be:
the DCT stage (:func:`transform_blocks_12`: level shift, islow DCT and quantization of one
component's blocks). Colour conversion is :func:`.numba_colour.convert_to_ycbcr` on uint16
planes (which takes the 12-bit chroma offset there), and downsampling
:func:`.numba_colour.downsample`, the same arithmetic on wider samples.

The 8-bit kernels (:mod:`.numba_dct`) read uint8 samples as 64-bit words and keep every value
in int32 lanes, which 12-bit samples overflow: this kernel takes LANES blocks side by side as
they do, but in int64, with 12-bit constants (jfdctint.c: PASS1_BITS 1, CONST_BITS 13), and
divides by ``8 Q`` rounding half away from zero, as jcdctmgr.c's quantize does at 12 bits. The
NumPy stage adds the dummy blocks.
"""

from __future__ import annotations

import numpy as np

from ..plan import Plan
from ..stages.quantize import add_dummy_blocks
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
    LANES,
)
from .numba_jit import inline_kernel, kernel

#: jfdctint.c's PASS1_BITS for 12-bit samples (stages.dct.ISLOW_PASS1_BITS[12]).
PASS1_BITS_12 = 1
#: CENTERJSAMPLE at 12 bits: the level shift (T.81 A.3.1).
CENTER_12 = 2048


@inline_kernel
def islow_1d_64(d0, d1, d2, d3, d4, d5, d6, d7, shift):
    """One 8-point pass of libjpeg's integer DCT in int64 (jfdctint.c at 12 bits: its JLONG
    products exceed 32 bits), every output descaled (rounded half up) by ``shift`` bits (see
    stages.dct.islow_butterfly: outputs 0 and 4 too are scaled by 2**CONST_BITS first)."""
    half = np.int64(1) << (shift - 1)
    tmp0, tmp7 = d0 + d7, d0 - d7
    tmp1, tmp6 = d1 + d6, d1 - d6
    tmp2, tmp5 = d2 + d5, d2 - d5
    tmp3, tmp4 = d3 + d4, d3 - d4
    tmp10, tmp13 = tmp0 + tmp3, tmp0 - tmp3
    tmp11, tmp12 = tmp1 + tmp2, tmp1 - tmp2
    out0 = (((tmp10 + tmp11) << CONST_BITS) + half) >> shift
    out4 = (((tmp10 - tmp11) << CONST_BITS) + half) >> shift
    z1 = (tmp12 + tmp13) * FIX_0_541196100
    out2 = (z1 + tmp13 * FIX_0_765366865 + half) >> shift
    out6 = (z1 - tmp12 * FIX_1_847759065 + half) >> shift
    z1, z2 = tmp4 + tmp7, tmp5 + tmp6
    z3, z4 = tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * FIX_1_175875602
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    out7 = (tmp4 * FIX_0_298631336 + z1 + z3 + half) >> shift
    out5 = (tmp5 * FIX_2_053119869 + z2 + z4 + half) >> shift
    out3 = (tmp6 * FIX_3_072711026 + z2 + z3 + half) >> shift
    out1 = (tmp7 * FIX_1_501321110 + z1 + z4 + half) >> shift
    return out0, out1, out2, out3, out4, out5, out6, out7


@kernel
def transform_blocks_12(plane, divisors, out):
    """Level shift, islow DCT and quantization of every block of one component's 12-bit samples,
    LANES blocks side by side (as numba_dct.transform_blocks does at 8 bits), so that each step
    is one vector operation across them.

    Args:
        plane: int32 ``(8 * R, 8 * C)``, samples 0..4095.
        divisors: int64 ``(64,)``, natural order: ``8 * Q`` (the islow DCT's scale times Q).
        out: int16 ``(R, C, 8, 8)``, filled with the quantized coefficients, natural order.
    """
    # Row pass output u of row y at work[8 * u + y]; coefficient 8 * v + u at coefficients[...].
    work = np.empty((64, LANES), np.int64)
    coefficients = np.empty((64, LANES), np.int64)
    quantized = np.empty((64, LANES), np.int16)
    block_cols = out.shape[1]
    for block_row in range(out.shape[0]):
        top = 8 * block_row
        for first in range(0, block_cols, LANES):
            lanes = min(LANES, block_cols - first)
            for y in range(8):
                line = plane[top + y]
                for b in range(lanes):
                    x = 8 * (first + b)
                    o0, o1, o2, o3, o4, o5, o6, o7 = islow_1d_64(
                        np.int64(line[x]) - CENTER_12, np.int64(line[x + 1]) - CENTER_12,
                        np.int64(line[x + 2]) - CENTER_12, np.int64(line[x + 3]) - CENTER_12,
                        np.int64(line[x + 4]) - CENTER_12, np.int64(line[x + 5]) - CENTER_12,
                        np.int64(line[x + 6]) - CENTER_12, np.int64(line[x + 7]) - CENTER_12,
                        CONST_BITS - PASS1_BITS_12)  # rows, keeping PASS1_BITS extra bits
                    work[y, b], work[8 + y, b], work[16 + y, b], work[24 + y, b] = o0, o1, o2, o3
                    work[32 + y, b], work[40 + y, b], work[48 + y, b], work[56 + y, b] = o4, o5, o6, o7
            for u in range(8):
                column = 8 * u
                for b in range(lanes):
                    o0, o1, o2, o3, o4, o5, o6, o7 = islow_1d_64(
                        work[column, b], work[column + 1, b], work[column + 2, b],
                        work[column + 3, b], work[column + 4, b], work[column + 5, b],
                        work[column + 6, b], work[column + 7, b],
                        CONST_BITS + PASS1_BITS_12)  # columns, removing them
                    coefficients[u, b], coefficients[8 + u, b] = o0, o1
                    coefficients[16 + u, b], coefficients[24 + u, b] = o2, o3
                    coefficients[32 + u, b], coefficients[40 + u, b] = o4, o5
                    coefficients[48 + u, b], coefficients[56 + u, b] = o6, o7
            # Quantize: the magnitude divided by 8Q rounding half up, the sign put back
            # (jcdctmgr.c). Branch-free, and divided in float64, which is exact here: the
            # dividend is below 2**32 and the divisor below 2**19, so a quotient that is no
            # whole number lies at least 2**-19 from one, more than float64's error at that
            # size; the loop then vectorizes, where 64 integer divisions would not.
            for k in range(64):
                half, divisor = divisors[k] >> 1, np.float64(divisors[k])
                for b in range(lanes):
                    value = coefficients[k, b]
                    sign = value >> 63
                    quotient = np.int64(np.floor((((value ^ sign) - sign) + half) / divisor))
                    quantized[k, b] = (quotient ^ sign) - sign
            for b in range(lanes):  # each block's 64 values stored one after another
                block = out[block_row, first + b]
                for k in range(64):
                    block[k >> 3, k & 7] = quantized[k, b]


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
