"""The textbook backend: baseline JPEG in plain NumPy, one stage per function.

Read it top to bottom; each function is one step of T.81's encoder model (Figure 3 of the
standard: FDCT -> quantizer -> entropy encoder), preceded by the colour work that JFIF and
libjpeg do before it::

    strip of RGB pixels
      -> convert_to_ycbcr       colour conversion (JFIF; libjpeg's fixed-point jccolor)
      -> expand_edges           replicate the last row/column out to whole blocks
      -> downsample             2:1 averaging with libjpeg's alternating bias (jcsample)
      -> split_into_blocks      8x8 blocks
      -> forward_dct_islow      libjpeg's integer DCT (jfdctint), or forward_dct_exact
      -> quantize               divide and round (T.81 A.3.4, libjpeg's rounding)
      -> add_dummy_blocks       fill the last MCU (T.81 A.2.4; libjpeg's jccoefct)
      -> entropy_encode         DC differences, run/size symbols, Huffman codes, bit packing
                                (see numpy_huffman)

Every stage works on whole arrays of blocks at once, so the module stays short and
runs at a few megapixels a second; the numba backend runs the islow path fused, and for
``dct="exact"`` calls :func:`strip_blocks` here, so that both write the same bytes.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from ..plan import Component, Plan, StripLayout
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
    RGB_TO_YCBCR,
    SCALEBITS,
    YCBCR_OFFSETS,
)
from .base import Backend, EntropyState
from .numpy_huffman import entropy_encode

# --- Colour conversion -----------------------------------------------------------------

def convert_to_ycbcr(pixels: np.ndarray) -> list[np.ndarray]:
    """Convert RGB(A) pixels to Y, Cb, Cr sample planes; grayscale passes through.

    Args:
        pixels: uint8, shape ``(rows, cols, channels)`` with 1, 3 or 4 channels (alpha ignored).

    Returns:
        One int32 plane of shape ``(rows, cols)`` per component (1 or 3), values 0..255.
    """
    if pixels.shape[2] == 1:
        return [pixels[:, :, 0].astype(np.int32)]
    # int32 holds every sum: at most 65536 * 255 + 2**23 in magnitude.
    red, green, blue = (pixels[:, :, channel].astype(np.int32) for channel in range(3))
    planes = []
    for (w_red, w_green, w_blue), offset in zip(RGB_TO_YCBCR.tolist(), YCBCR_OFFSETS.tolist()):
        planes.append((w_red * red + w_green * green + w_blue * blue + offset) >> SCALEBITS)
    return planes


# --- Edges and downsampling ----------------------------------------------------------------

def expand_edges(plane: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Replicate the last row and column of ``plane`` out to ``rows x cols``.

    T.81 A.2.4 leaves the padding of partial blocks to the encoder; libjpeg replicates the
    edge samples (jcsample.c ``expand_right_edge``, jcprepct.c ``expand_bottom_edge``),
    which keeps edge blocks smooth and so cheap to code.
    """
    return np.pad(plane, ((0, rows - plane.shape[0]), (0, cols - plane.shape[1])), mode="edge")


def downsample(plane: np.ndarray, h_ratio: int, v_ratio: int) -> np.ndarray:
    """Average ``h_ratio x v_ratio`` groups of samples, as libjpeg does without smoothing.

    libjpeg adds an alternating bias before the shift so that rounding errors do not all
    go the same way (jcsample.c): for 2x1 groups ``(a + b + bias) >> 1`` with bias 0, 1, 0,
    1... along each row; for 2x2 groups ``(a + b + c + d + bias) >> 2`` with bias 1, 2, 1,
    2... The bias restarts at the left of every output row.

    Args:
        plane: int32 samples, shape ``(rows, cols)``, both multiples of the ratios.
        h_ratio, v_ratio: Hmax / H and Vmax / V of the component (1 or 2).
    """
    if (h_ratio, v_ratio) == (1, 1):
        return plane
    # The sum of each group: one strided slice per position in the group.
    groups = sum(plane[dy::v_ratio, dx::h_ratio] for dy in range(v_ratio) for dx in range(h_ratio))
    if (h_ratio, v_ratio) == (2, 1):
        bias, shift = np.array([0, 1]), 1
    elif (h_ratio, v_ratio) == (2, 2):
        bias, shift = np.array([1, 2]), 2
    else:
        raise ValueError(f"unsupported downsampling ratio {h_ratio}x{v_ratio}")
    column_bias = np.resize(bias, groups.shape[1])
    return ((groups + column_bias) >> shift).astype(np.int32)


def component_samples(plane: np.ndarray, component: Component, layout: StripLayout,
                      plan: Plan) -> np.ndarray:
    """One component's samples for a strip: edges expanded, downsampled, padded to blocks.

    libjpeg's order matters at the bottom edge of a subsampled component: first replicate
    the last pixel row only to a multiple of Vmax (so row pairs exist), downsample, and only
    then replicate the last *downsampled* row down to whole blocks (jcprepct.c). Replicating
    pixel rows all the way down first would average a different pair of rows.
    """
    expanded = expand_edges(plane, layout.input_rows, layout.input_cols)
    reduced = downsample(expanded, plan.hmax // component.h, plan.vmax // component.v)
    return expand_edges(reduced, layout.real_block_rows * 8, layout.real_block_cols * 8)


def split_into_blocks(samples: np.ndarray) -> np.ndarray:
    """Cut a ``(8*R, 8*C)`` plane into blocks, shape ``(R, C, 8, 8)`` (T.81 A.2.4)."""
    rows, cols = samples.shape
    return samples.reshape(rows // 8, 8, cols // 8, 8).swapaxes(1, 2)


# --- Forward DCT -----------------------------------------------------------------------------

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
    return scipy.fft.dctn(blocks.astype(np.float64), type=2, norm="ortho", axes=(-2, -1))


# --- Quantization --------------------------------------------------------------------------

def quantize(coefficients: np.ndarray, table: np.ndarray, dct: str) -> np.ndarray:
    """Divide each coefficient by its quantization step and round (T.81 A.3.4).

    islow: the coefficients are 8x scaled, so the divisor is ``d = 8 * Q``, and libjpeg
    rounds half away from zero in integers: ``sign(x) * ((|x| + d // 2) // d)``.
    (libjpeg-turbo multiplies by a reciprocal instead, with identical results; a float
    multiply by 1/d would not be.)
    exact: ``sign(x) * floor(|x| / Q + 1/2)``, the same rule on exact coefficients.

    Args:
        coefficients: shape ``(..., 8, 8)`` from the forward DCT.
        table: 64 steps Q, natural order.

    Returns:
        int16, shape ``(..., 8, 8)``.
    """
    steps = np.asarray(table, dtype=np.int64).reshape(8, 8)
    if dct == "islow":
        divisors = 8 * steps
        magnitude = (np.abs(coefficients) + divisors // 2) // divisors
    else:
        magnitude = np.floor(np.abs(coefficients) / steps + 0.5)
    return (np.sign(coefficients) * magnitude).astype(np.int16)


# --- Filling the MCUs ----------------------------------------------------------------------

def add_dummy_blocks(blocks: np.ndarray, layout: StripLayout, h: int) -> np.ndarray:
    """Extend a component's real blocks to the strip's whole MCUs with dummy blocks.

    When the image is not a whole number of MCUs, the last MCUs of a subsampled component
    need blocks beyond the image (T.81 A.2.4 leaves their content to the encoder). libjpeg
    (jccoefct.c) zeroes them and copies a DC value, so that they cost only a zero DC
    difference and an EOB:

    * a dummy block on the right takes the DC of the block to its left in the same MCU;
    * a dummy row at the bottom takes the DC of the last block of the MCU's previous row of
      blocks (the right-most one, which may itself be a right-edge dummy).

    Args:
        blocks: int16, ``(real_block_rows, real_block_cols, 8, 8)``.
        layout: the strip layout of this component.
        h: the blocks of this component across one MCU (``Component.mcu_h``).

    Returns:
        int16, ``(block_rows, block_cols, 8, 8)``.
    """
    real_rows, real_cols = layout.real_block_rows, layout.real_block_cols
    out = np.zeros((layout.block_rows, layout.block_cols, 8, 8), dtype=np.int16)
    out[:real_rows, :real_cols] = blocks
    for col in range(real_cols, layout.block_cols):
        out[:real_rows, col, 0, 0] = out[:real_rows, col - 1, 0, 0]
    for row in range(real_rows, layout.block_rows):
        right_most = out[row - 1, h - 1::h, 0, 0]
        out[row, :, 0, 0] = np.repeat(right_most, h)
    return out


# --- A strip, stage by stage -------------------------------------------------------------

def strip_blocks(pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
    """Pixels of one strip -> its quantized blocks, every stage above in order.

    Args:
        pixels: uint8 ``(rows, plan.width, plan.input_channels)``, whole MCU rows (the last
            strip may be shorter).
        plan: the image's plan; ``plan.dct`` picks the forward DCT.

    Returns:
        Per component, int16 ``(block_rows, block_cols, 8, 8)``, natural order, dummy
        blocks included (the contract of :meth:`Backend.transform`).
    """
    planes = convert_to_ycbcr(pixels)
    layouts = plan.strip_layout(pixels.shape[0])
    result = []
    for plane, component, layout in zip(planes, plan.components, layouts):
        samples = component_samples(plane, component, layout, plan)
        shifted = split_into_blocks(samples) - 128  # level shift, T.81 A.3.1
        if plan.dct == "islow":
            coefficients = forward_dct_islow(shifted)
        else:
            coefficients = forward_dct_exact(shifted)
        quantized = quantize(coefficients, plan.quant_tables[component.quant_index], plan.dct)
        result.append(add_dummy_blocks(quantized, layout, component.mcu_h))
    return result


# --- The backend ---------------------------------------------------------------------------

class NumpyBackend(Backend):
    """The readable reference engine, in NumPy (and SciPy for the exact DCT)."""

    name = "numpy"
    #: NumPy holds the GIL between its many small array operations, so a second thread
    #: mostly waits (benchmarks/executors.py: 2048² q90, 9.3 MP/s on one thread, 7.7 on
    #: two). On 4096-wide q100 strips, where the arrays are larger, two threads gain a
    #: little (9.1 against 9.9 MP/s). The default is one.
    threads_help = False

    def transform(self, pixels: np.ndarray, plan: Plan) -> list[np.ndarray]:
        """Pixels of one strip -> quantized blocks per component (see :class:`Backend`)."""
        return strip_blocks(pixels, plan)

    def entropy_encode(self, blocks: list[np.ndarray], plan: Plan,
                       state: EntropyState, final: bool) -> tuple[bytes, EntropyState]:
        """Huffman-code the strip's blocks (see :mod:`.numpy_huffman`)."""
        return entropy_encode(blocks, plan, state, final)
