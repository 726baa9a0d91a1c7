"""The inverse DCTs for 12-bit samples (T.81's extended process, P = 12), as libjpeg-turbo
computes them: its plain C code, since it has no SIMD code for 12-bit samples.

What changes from 8 bits (:mod:`.idct`) is only constants and integer widths:

* islow (jidctint.c): PASS1_BITS 1 instead of 2 (:data:`.idct.ISLOW_PASS1_BITS`);
* ifast (jidctfst.c): PASS1_BITS 1, the multipliers keep 13 fraction bits (IFAST_SCALE_BITS
  13, in 32 bits: jdct.h's ``IFAST_MULT_TYPE`` is JLONG at 12 bits), the dequantized value is
  shifted down by ``13 - PASS1_BITS`` (truncating, jidctfst.c's DEQUANTIZE), and DCTELEM is
  32 bits wide, so nothing wraps to 16 bits;
* float (jidctflt.c): the level shift 2048.5 added before the rows, and the range limit of
  the plain ``sample_range_limit`` table for MAXJSAMPLE 4095;
* every method's range limit: jdmaster.c's table for 4095, indexed by the low 14 bits.
"""

from __future__ import annotations

import numpy as np

from ..tables import AAN_SCALE_BITS, AAN_SCALES
from .idct import (
    IFAST_FIX_1_082392200,
    IFAST_FIX_1_414213562,
    IFAST_FIX_1_847759065,
    IFAST_FIX_2_613125930,
    blocks_to_plane,
    descale,
    float_inverse_butterfly,
    float_multipliers,
    float_to_int,
    inverse_dct_islow,
    range_limit,
)

PRECISION = 12
#: jidctfst.c's PASS1_BITS for 12-bit samples.
IFAST_PASS1_BITS = 1
#: jdct.h's IFAST_SCALE_BITS for 12-bit samples: the multipliers' fraction bits.
IFAST_SCALE_BITS = 13
#: jidctflt.c's CENTERJSAMPLE + 0.5 for 12-bit samples (the level shift, and the half that
#: makes its truncating conversion round).
FLOAT_CENTRE = np.float32(2048.5)


def ifast_multipliers(table: np.ndarray) -> np.ndarray:
    """jddctmgr.c's ifast multipliers at 12 bits: ``DESCALE(Q * aanscales, 14 - 13)``, the
    step times AA&N's ``s[v] s[u]`` with 13 fraction bits kept, rounded: int64 ``(8, 8)``."""
    products = np.asarray(table, np.int64).reshape(64) * AAN_SCALES
    return descale(products, AAN_SCALE_BITS - IFAST_SCALE_BITS).reshape(8, 8)


def ifast_multiply(x: np.ndarray, constant: int) -> np.ndarray:
    """jidctfst.c's MULTIPLY: ``x * constant >> 8``, truncating (no USE_ACCURATE_ROUNDING)."""
    return (x * constant) >> 8


def ifast_inverse_butterfly(x: np.ndarray) -> np.ndarray:
    """One 8-point pass of jidctfst.c at 12 bits: the flowgraph of
    :func:`.idct.ifast_inverse_butterfly` in 32-bit (here exact) DCTELEMs.

    Args:
        x: int64 ``(..., 8)``: scaled frequencies 0..7 along one column or row.

    Returns:
        int64 ``(..., 8)``: positions 0..7 along that axis.
    """
    d = [x[..., k] for k in range(8)]
    # Even part.
    tmp10, tmp11 = d[0] + d[4], d[0] - d[4]
    tmp13 = d[2] + d[6]
    tmp12 = ifast_multiply(d[2] - d[6], IFAST_FIX_1_414213562) - tmp13
    tmp0, tmp3 = tmp10 + tmp13, tmp10 - tmp13
    tmp1, tmp2 = tmp11 + tmp12, tmp11 - tmp12
    # Odd part.
    z13, z10 = d[5] + d[3], d[5] - d[3]
    z11, z12 = d[1] + d[7], d[1] - d[7]
    tmp7 = z11 + z13
    tmp11 = ifast_multiply(z11 - z13, IFAST_FIX_1_414213562)
    z5 = ifast_multiply(z10 + z12, IFAST_FIX_1_847759065)
    tmp10 = ifast_multiply(z12, IFAST_FIX_1_082392200) - z5
    tmp12 = ifast_multiply(z10, -IFAST_FIX_2_613125930) + z5
    tmp6 = tmp12 - tmp7
    tmp5 = tmp11 - tmp6
    tmp4 = tmp10 + tmp5
    out = [tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 - tmp4,
           tmp3 + tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7]
    return np.stack(out, axis=-1)


def inverse_dct_ifast(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """jidctfst.c at 12 bits: int16 ``(..., 8, 8)`` -> uint16 samples 0..4095.

    Dequantized as ``(Sq * multiplier) >> (13 - PASS1_BITS)``, columns into an ``int``
    workspace, rows, then ``>> (PASS1_BITS + 3)`` (truncating) and the range limit. Its
    shortcuts for zero AC terms give what the flowgraph gives when nothing wraps.
    """
    dequantized = (blocks.astype(np.int64) * ifast_multipliers(table)) \
        >> (IFAST_SCALE_BITS - IFAST_PASS1_BITS)
    columns = ifast_inverse_butterfly(dequantized.swapaxes(-1, -2))          # [u][y]
    workspace = columns.astype(np.int32).astype(np.int64).swapaxes(-1, -2)   # int, [y][u]
    rows = ifast_inverse_butterfly(workspace)
    return range_limit(rows >> (IFAST_PASS1_BITS + 3), PRECISION)


def float_range_limit(x: np.ndarray) -> np.ndarray:
    """jidctflt.c's range limit at 12 bits: its output holds the +2048 already, so it indexes
    the plain sample_range_limit table with the low 14 bits: 0..4095 as they are,
    4096..10239 -> 4095, 10240..16383 (so negative values) -> 0 (jdmaster.c)."""
    levels = 1 << PRECISION
    wrapped = ((x + 3 * levels // 2) & (4 * levels - 1)) - 3 * levels // 2
    return np.clip(wrapped, 0, levels - 1).astype(np.uint16)


def inverse_dct_float(blocks: np.ndarray, table: np.ndarray) -> np.ndarray:
    """jidctflt.c at 12 bits: int16 ``(..., 8, 8)`` -> uint16 samples 0..4095, as
    :func:`.idct.inverse_dct_float_plain_c` with 2048.5 for 128.5 and the 12-bit table."""
    multipliers = float_multipliers(table) * np.float32(0.125)
    dequantized = blocks.astype(np.float32) * multipliers
    columns = float_inverse_butterfly(dequantized.swapaxes(-1, -2))
    rows = float_inverse_butterfly(columns.swapaxes(-1, -2), FLOAT_CENTRE)
    return float_range_limit(float_to_int(rows))


def inverse_dct_twelve(blocks: np.ndarray, table: np.ndarray, method: str = "islow") -> np.ndarray:
    """One component's quantized 12-bit blocks -> its samples, as libjpeg-turbo computes them.

    Args:
        blocks: int16 ``(R, C, 8, 8)`` quantized coefficients, natural order ``[v][u]``.
        table: uint16 ``(64,)`` quantization table, natural order.
        method: "islow" or "islow-c" (the same at 12 bits: jidctint.c), "ifast" (jidctfst.c)
            or "float" (jidctflt.c).

    Returns:
        uint16 ``(R * 8, C * 8)``: samples 0..4095, dummy blocks included.

    Raises:
        ValueError: an unknown method, or arrays of the wrong shape.
    """
    methods = {"islow": lambda b, t: inverse_dct_islow(b, t, PRECISION),
               "islow-c": lambda b, t: inverse_dct_islow(b, t, PRECISION),
               "ifast": inverse_dct_ifast, "float": inverse_dct_float}
    if method not in methods:
        raise ValueError(f"unknown IDCT method {method!r}: expected one of {sorted(methods)}")
    blocks = np.asarray(blocks)
    if blocks.ndim != 4 or blocks.shape[2:] != (8, 8):
        raise ValueError(f"blocks must be (rows, cols, 8, 8), got shape {blocks.shape}")
    if np.size(table) != 64:
        raise ValueError(f"a quantization table has 64 entries, got {np.size(table)}")
    return blocks_to_plane(methods[method](blocks, np.asarray(table).reshape(64)))
