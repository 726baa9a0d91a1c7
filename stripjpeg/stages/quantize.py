"""Quantization (T.81 A.3.4) and the blocks of whole MCUs (A.2.4): samples -> coefficient
blocks, the second stage of a strip.

Blocks are the currency between the stages: per component an int16 array of shape
``(block_rows, block_cols, 8, 8)``, natural order ``[v][u]``, covering every block of the
strip's MCUs, dummy blocks included (``block_rows = mcu_rows_in_strip * V``,
``block_cols = mcus_per_row * H``). In stage order::

    per component, samples (8 * R, 8 * C)
      -> split_into_blocks    8x8 blocks, (R, C, 8, 8), minus 128 (level shift, A.3.1)
      -> FORWARD_DCT[dct]     the DCT (see .dct)
      -> quantize             divide and round (A.3.4, libjpeg's rounding)
      -> add_dummy_blocks     fill the last MCU (A.2.4; libjpeg's jccoefct)
    = quantized_blocks        the ``forward_dct`` stage (libjpeg's forward_DCT method in
                              jcdctmgr.c, too, both transforms and quantizes)
"""

from __future__ import annotations

import numpy as np

from ..plan import Plan, StripLayout
from ..tables import AAN_SCALE_BITS, AAN_SCALE_FACTORS, AAN_SCALES
from .dct import FORWARD_DCT, forward_dct_islow


def split_into_blocks(samples: np.ndarray) -> np.ndarray:
    """Cut a ``(8*R, 8*C)`` plane into blocks, shape ``(R, C, 8, 8)`` (T.81 A.2.4)."""
    rows, cols = samples.shape
    return samples.reshape(rows // 8, 8, cols // 8, 8).swapaxes(1, 2)


# --- Quantization --------------------------------------------------------------------------

def ifast_divisors(table: np.ndarray) -> np.ndarray:
    """The divisors of the ifast DCT's coefficients (jcdctmgr.c, start_pass_fdctmgr, JDCT_IFAST).

    Each step Q is scaled by the AA&N factor its coefficient carries and by the 8 both
    integer DCTs keep: ``Q * AAN_SCALES / 2**11`` (14 fraction bits less the 3 of the
    factor 8), rounded half up, as libjpeg's DESCALE does. At Q = 1 the smallest is 1.

    Args:
        table: 64 steps Q (1..255), natural order.

    Returns:
        int64, shape ``(8, 8)``.
    """
    steps = np.asarray(table, dtype=np.int64).reshape(64)
    bits = AAN_SCALE_BITS - 3
    return ((steps * AAN_SCALES + (1 << (bits - 1))) >> bits).reshape(8, 8)


def float_divisors(table: np.ndarray) -> np.ndarray:
    """The reciprocal divisors of the float DCT's coefficients (jcdctmgr.c,
    start_pass_fdctmgr, JDCT_FLOAT).

    Each step Q is scaled, as for ifast, by the AA&N factors of its row and column and by
    8; libjpeg stores the reciprocal, so that quantizing is one multiply. The divisor is
    computed in double, left to right as jcdctmgr.c writes it, ``((Q * s[v]) * s[u]) * 8``
    with ``s`` = :data:`~stripjpeg.tables.AAN_SCALE_FACTORS`, and only ``1 / divisor`` is
    rounded to float32 (FAST_FLOAT).

    Args:
        table: 64 steps Q (1..255), natural order.

    Returns:
        float32, shape ``(8, 8)``: ``1 / (Q * s[v] * s[u] * 8)``.
    """
    steps = np.asarray(table, dtype=np.float64).reshape(8, 8)
    s = np.array(AAN_SCALE_FACTORS, dtype=np.float64)
    divisors = steps * s[:, None] * s[None, :] * 8.0
    return (1.0 / divisors).astype(np.float32)


def quantize_float(coefficients: np.ndarray, table: np.ndarray, precision: int = 8) -> np.ndarray:
    """Quantize the float DCT's coefficients as libjpeg-turbo's SIMD build does.

    One float32 multiply by :func:`float_divisors`, then round to the nearest integer,
    **ties to even**: x86-64 libjpeg-turbo (what ``cjpeg -dct float`` runs) quantizes with
    jsimd_quantize_float_sse2, whose ``cvtps2dq`` rounds in the default MXCSR mode, round
    to nearest even. (np.rint rounds the same way.)

    A plain-C libjpeg (IJG's, or libjpeg-turbo without its SIMD code) writes other bytes now and
    then: jcdctmgr.c's quantize_float computes ``(int)(temp + 16384.5f) - 16384``, whose
    float32 addition rounds ``temp`` to a multiple of 2**-9 near 16384 before the
    truncation: a product less than about 0.001 below a half-integer rounds up there, and
    every exact tie rounds toward plus infinity, not to even. (libjpeg-turbo runs that C code
    when JSIMD_FORCENONE=1 is set; tests/test_float_dct.py checks both roundings against
    cjpeg with and without it.) Following the SIMD code is matching the cjpeg an x86-64
    system runs by default.

    12-bit samples take the C rounding: libjpeg-turbo's SIMD code is for 8-bit samples only,
    so at 12 bits jcdctmgr.c's quantize_float runs (the products reach +-2**14, still within
    the ``16384.5`` offset; checked against libjpeg-turbo 3.1's 12-bit library,
    tests/test_twelve_bit_dct.py).

    Args:
        coefficients: float32, shape ``(..., 8, 8)`` from :func:`.dct.forward_dct_float`.
        table: 64 steps Q, natural order.
        precision: bits per sample, 8 or 12 (which rounding, above).

    Returns:
        int16, shape ``(..., 8, 8)``.
    """
    products = coefficients.astype(np.float32) * float_divisors(table)  # float32 * float32
    # |products| <= 2**11 for baseline steps and 8-bit samples, so int16 holds every one (the
    # SSE2 code's packssdw would saturate, never needed).
    if precision == 12:
        # float32 addition (rounding to float32's grid near 16384), then truncation: the sum
        # is positive, so toward minus infinity (jcdctmgr.c's quantize_float).
        return ((products + np.float32(16384.5)).astype(np.int32) - 16384).astype(np.int16)
    return np.rint(products).astype(np.int16)


def integer_divisors(table: np.ndarray, dct: str) -> np.ndarray:
    """The divisor of each coefficient of an integer DCT (islow or ifast), int64 ``(8, 8)``."""
    if dct == "ifast":
        return ifast_divisors(table)
    return 8 * np.asarray(table, dtype=np.int64).reshape(8, 8)  # islow: 8 times T.81's


def quantize(coefficients: np.ndarray, table: np.ndarray, dct: str, precision: int = 8
             ) -> np.ndarray:
    """Divide each coefficient by its quantization step and round (T.81 A.3.4).

    islow and ifast: the coefficients are scaled (see :func:`integer_divisors`), so the
    divisor is ``d = 8 * Q`` (islow) or :func:`ifast_divisors` (ifast), and libjpeg rounds
    half away from zero in integers: ``sign(x) * ((|x| + d // 2) // d)``.
    (libjpeg-turbo multiplies by a reciprocal instead, jcdctmgr.c's compute_reciprocal,
    with identical results for every ``|x| < 2**15`` and every divisor either DCT uses with
    baseline steps, as tests/test_ifast.py checks exhaustively; a float multiply by 1/d
    would not be.)
    exact: ``sign(x) * floor(|x| / Q + 1/2)``, the same rule on exact coefficients.
    float: :func:`quantize_float` (a float32 multiply, rounding ties to even; at 12 bits as
    jcdctmgr.c's C code rounds).

    Args:
        coefficients: shape ``(..., 8, 8)`` from the forward DCT.
        table: 64 steps Q, natural order.
        precision: bits per sample, 8 or 12 (only the float rounding depends on it).

    Returns:
        int16, shape ``(..., 8, 8)``.
    """
    if dct == "float":
        return quantize_float(coefficients, table, precision)
    if dct in ("islow", "ifast"):
        divisors = integer_divisors(table, dct)
        magnitude = (np.abs(coefficients) + divisors // 2) // divisors
    else:
        steps = np.asarray(table, dtype=np.int64).reshape(8, 8)
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


# --- The stage ---------------------------------------------------------------------------------

def quantized_blocks(samples: list[np.ndarray], plan: Plan, rows: int) -> list[np.ndarray]:
    """Each component's samples -> its quantized blocks: the ``forward_dct`` stage.

    Args:
        samples: per component, integer samples 0..255 (0..4095 at 12 bits) ``(8 * real_block_rows,
            8 * real_block_cols)``, as :func:`.samples.prepare_samples` returns them.
        plan: the image's plan; ``plan.dct`` picks the forward DCT (:data:`.dct.FORWARD_DCT`).
        rows: the strip's pixel rows (they fix its MCU rows, so its dummy block rows).

    Returns:
        Per component, int16 ``(block_rows, block_cols, 8, 8)``, natural order, dummy
        blocks included.
    """
    forward_dct = FORWARD_DCT[plan.dct]
    result = []
    for plane, component, layout in zip(samples, plan.components, plan.strip_layout(rows)):
        # Level shift (A.3.1): minus 2**(P - 1), 128 or 2048 (jcdctmgr.c convsamp, CENTERJSAMPLE).
        shifted = split_into_blocks(np.asarray(plane, dtype=np.int32)) - plan.center_sample
        if plan.dct == "islow":  # its PASS1_BITS depends on the precision (.dct)
            coefficients = forward_dct_islow(shifted, plan.precision)
        else:  # ifast, float and exact are the same at any precision (jfdctfst.c, jfdctflt.c)
            coefficients = forward_dct(shifted)
        # At 12 bits libjpeg-turbo divides (jcdctmgr.c quantize, BITS_IN_JSAMPLE != 8) by
        # Q << 3 (islow) or the ifast divisor with the rounding of quantize() below, and
        # rounds the float products as its C code does (quantize_float); the quantized
        # values reach +-2**14 (T.81 F.1.2: DC differences of 15 bits, AC of 14), which
        # int16 holds.
        quantized = quantize(coefficients, plan.quant_tables[component.quant_index], plan.dct,
                             plan.precision)
        result.append(add_dummy_blocks(quantized, layout, component.mcu_h))
    return result
