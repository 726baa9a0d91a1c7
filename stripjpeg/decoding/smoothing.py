"""Block smoothing of progressive files (T.81 K.8; libjpeg-turbo's jdcoefct.c): estimates of
the low-frequency coefficients a progressive file has not (yet) sent, from the DC values of
the 5 x 5 blocks around each block.

libjpeg does this by default (do_block_smoothing) whenever a progressive frame's scans leave
any of the first 10 coefficients (zigzag 0..9) of some component unsent or not fully refined:
files whose script stops early, and truncated files. It leaves every other file alone. An
estimate replaces a coefficient only where the coefficient is still 0 and libjpeg does not
know it to be exact (its ``coef_bits`` is not 0); where no AC coefficient of zigzag 1..9 has
been sent at all, it also re-estimates the DC (and coefficients 6..9) with a wider kernel.
This is a coefficient -> coefficient stage, run on a whole component before the IDCT.
"""

from __future__ import annotations

import numpy as np

#: The natural-order positions of zigzag coefficients 1..9 (libjpeg's Q01_POS ... Q30_POS).
SMOOTHED_POSITIONS = (1, 8, 16, 9, 2, 3, 10, 17, 24)


def _kernel(rows: list[list[int]]) -> np.ndarray:
    return np.array(rows, np.int64)


_ZERO = [0, 0, 0, 0, 0]

#: Per smoothed zigzag position 1..9, the weights of the 5 x 5 DC values (rows above to
#: below, columns left to right) in jdcoefct.c decompress_smooth_data's estimate: without DC
#: interpolation (K.8's rule on a 5 x 5 window; positions 6..9 are not estimated then) and
#: with it (when no AC coefficient 1..9 is known).
KERNELS = {
    1: (_kernel([_ZERO, _ZERO, [-7, 50, 0, -50, 7], _ZERO, _ZERO]),
        _kernel([[-1, -1, 0, 1, 1], [-3, 13, 0, -13, 3], [-3, 38, 0, -38, 3],
                 [-3, 13, 0, -13, 3], [-1, -1, 0, 1, 1]])),
    2: (_kernel([[0, 0, -7, 0, 0], [0, 0, 50, 0, 0], _ZERO, [0, 0, -50, 0, 0], [0, 0, 7, 0, 0]]),
        _kernel([[-1, -3, -3, -3, -1], [-1, 13, 38, 13, -1], _ZERO,
                 [1, -13, -38, -13, 1], [1, 3, 3, 3, 1]])),
    3: (_kernel([[0, 0, -1, 0, 0], [0, 0, 13, 0, 0], [0, 0, -24, 0, 0], [0, 0, 13, 0, 0],
                 [0, 0, -1, 0, 0]]),
        _kernel([[0, 0, 1, 0, 0], [0, 2, 7, 2, 0], [0, -5, -14, -5, 0], [0, 2, 7, 2, 0],
                 [0, 0, 1, 0, 0]])),
    4: (_kernel([[0, -1, 0, 1, 0], [-1, 10, 0, -10, 1], _ZERO, [1, -10, 0, 10, -1],
                 [0, 1, 0, -1, 0]]),
        _kernel([[-1, 0, 0, 0, 1], [0, 9, 0, -9, 0], _ZERO, [0, -9, 0, 9, 0], [1, 0, 0, 0, -1]])),
    5: (_kernel([_ZERO, _ZERO, [-1, 13, -24, 13, -1], _ZERO, _ZERO]),
        _kernel([_ZERO, [0, 2, -5, 2, 0], [1, 7, -14, 7, 1], [0, 2, -5, 2, 0], _ZERO])),
    6: (None, _kernel([_ZERO, [0, 1, 0, -1, 0], [0, 2, 0, -2, 0], [0, 1, 0, -1, 0], _ZERO])),
    7: (None, _kernel([_ZERO, [0, 1, -3, 1, 0], _ZERO, [0, -1, 3, -1, 0], _ZERO])),
    8: (None, _kernel([_ZERO, [0, 1, 0, -1, 0], [0, -3, 0, 3, 0], [0, 1, 0, -1, 0], _ZERO])),
    9: (None, _kernel([_ZERO, [0, 1, 2, 1, 0], _ZERO, [0, -1, -2, -1, 0], _ZERO])),
}
#: The DC's own kernel, used only with DC interpolation (its weights sum to 128).
DC_KERNEL = _kernel([[-2, -6, -8, -6, -2], [-6, 6, 42, 6, -6], [-8, 42, 152, 42, -8],
                     [-6, 6, 42, 6, -6], [-2, -6, -8, -6, -2]])


def smoothing_applies(coef_bits: list[list[int]], tables: list[np.ndarray]) -> bool:
    """jdcoefct.c smoothing_ok: every component's DC at least partly known, its table's
    steps at positions 0..9 non-zero, and some coefficient 1..9 of some component not
    known exactly (``coef_bits`` not 0: unsent, -1, or still missing low bits).

    Args:
        coef_bits: per component, 64 values by zigzag position: the Al of the last scan that
            coded it, -1 for none (:attr:`stripjpeg.reader.DecodedJpeg.coef_bits`).
        tables: per component, its quantization table, natural order.
    """
    for bits, table in zip(coef_bits, tables):
        table = np.asarray(table).reshape(64)
        if bits[0] < 0 or table[0] == 0 or any(table[p] == 0 for p in SMOOTHED_POSITIONS):
            return False
    return any(bits[k] != 0 for bits in coef_bits for k in range(1, 10))


def neighbour_rows(height: int, v: int, imcu_rows: int) -> np.ndarray:
    """For each block row, the block rows decompress_smooth_data takes as its rows -2..+2:
    int64 ``(5, height)``.

    The image's edge rows are repeated, as libjpeg decides where the edge is: from the
    block row's index computed with the block rows of *its* iMCU row (``Vi``, or fewer in the
    last), so near the bottom it may look one row into the padding below ``height`` (the
    dummy blocks of the last MCU row), and in an image of two iMCU rows it may take the row
    above as the row two above.
    """
    rows = np.arange(height)
    imcu = rows // v
    in_last = imcu == imcu_rows - 1
    last_rows = height % v or v
    group = np.where(in_last, last_rows, v)
    index = imcu * group + rows % v            # libjpeg's image_block_row
    count = group * imcu_rows                  # and image_block_rows
    above = np.where(index > 0, rows - 1, rows)
    above2 = np.where(index > 1, rows - 2, above)
    below = np.where(index < count - 1, rows + 1, rows)
    below2 = np.where(index < count - 2, rows + 2, below)
    return np.stack([above2, above, rows, below, below2])


def padded_dc(dc: np.ndarray, h: int, v: int, dummy_mask: int) -> np.ndarray:
    """The component's DC values down to a whole number of MCU rows (int64).

    Below its own blocks are the dummy blocks of the last MCU row, which libjpeg's decoder
    keeps: the bits ``dummy_mask`` of their DC that interleaved scans coded
    (:attr:`stripjpeg.reader.DecodedJpeg.dummy_dc_masks`), 0 elsewhere. Their value is the
    encoder's: libjpeg's (jccoefct.c), like Pillow's and stripjpeg's, gives each the DC of
    the last block of the row above in its MCU, which is what this assumes (the file does
    not keep those blocks for the reader; another encoder's choice may differ).
    """
    height, width = dc.shape
    rows = -(-height // v) * v
    if rows == height:
        return dc
    last_in_mcu = np.minimum((np.arange(width) // h) * h + h - 1, width - 1)
    dummy = np.broadcast_to(dc[-1, last_in_mcu] & dummy_mask, (rows - height, width))
    return np.concatenate([dc, dummy])


def dc_window(dc: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The 5 x 5 DC values around every block: int64 ``(5, 5, height, width)``, the rows
    from :func:`neighbour_rows` and the columns -2..+2, the first and last column repeated
    beyond the edges (decompress_smooth_data's sliding registers)."""
    width = dc.shape[1]
    columns = np.clip(np.arange(width)[None, :] + np.arange(-2, 3)[:, None], 0, width - 1)
    return dc[rows[:, None, :, None], columns[None, :, None, :]]


def estimate(num: np.ndarray, step: int, al: int) -> np.ndarray:
    """decompress_smooth_data's estimate of a coefficient: ``num / (128 Q)`` rounded half
    away from zero in integers, its magnitude capped at ``2**Al - 1`` when the coefficient's
    top bits were sent (Al > 0: it is known to be below ``2**Al``)."""
    magnitude = ((step << 7) + np.abs(num)) // (step << 8)
    if al > 0:
        magnitude = np.minimum(magnitude, (1 << al) - 1)
    return np.where(num >= 0, magnitude, -magnitude)


def smooth_component(blocks: np.ndarray, table: np.ndarray, coef_bits: list[int], h: int, v: int,
                     imcu_rows: int, dummy_mask: int = -1) -> np.ndarray:
    """One component's blocks, smoothed as libjpeg's decompress_smooth_data smooths them.

    Args:
        blocks: int16 ``(height_in_blocks, width_in_blocks, 8, 8)``, natural order.
        table: its quantization table, natural order.
        coef_bits: its 64 ``coef_bits`` by zigzag position.
        h, v: its sampling factors.
        imcu_rows: the image's iMCU rows.
        dummy_mask: the DC bits coded for the dummy blocks below it (see :func:`padded_dc`).

    Returns:
        int16, the same shape: a new array.
    """
    table = np.asarray(table, np.int64).reshape(64)
    height = blocks.shape[0]
    dc = padded_dc(blocks[:, :, 0, 0].astype(np.int64), h, v, dummy_mask)
    window = dc_window(dc, neighbour_rows(height, v, imcu_rows))
    interpolate_dc = all(bits == -1 for bits in coef_bits[1:10])
    flat = blocks.reshape(height, -1, 64).copy()
    for k, position in enumerate(SMOOTHED_POSITIONS, start=1):
        kernel = KERNELS[k][1 if interpolate_dc else 0]
        if coef_bits[k] == 0 or kernel is None:
            continue
        num = table[0] * np.einsum("ij,ij...->...", kernel, window)
        guess = estimate(num, int(table[position]), coef_bits[k])
        flat[..., position] = np.where(flat[..., position] == 0, guess, flat[..., position])
    if interpolate_dc:
        num = table[0] * np.einsum("ij,ij...->...", DC_KERNEL, window)
        flat[..., 0] = estimate(num, int(table[0]), 0)
    return flat.reshape(blocks.shape)


def smooth_blocks(coefficients: list[np.ndarray], tables: list[np.ndarray],
                  coef_bits: list[list[int]], factors: list[tuple[int, int]], imcu_rows: int,
                  dummy_masks: list[int]) -> list[np.ndarray]:
    """Every component's blocks, smoothed if libjpeg would smooth them
    (:func:`smoothing_applies`), else the arrays as they are.

    Args:
        coefficients, tables, coef_bits, dummy_masks: per component, as
            :class:`stripjpeg.reader.DecodedJpeg` holds them.
        factors: per component, its sampling factors ``(Hi, Vi)``.
        imcu_rows: the image's iMCU rows.
    """
    if not smoothing_applies(coef_bits, tables):
        return list(coefficients)
    return [smooth_component(blocks, table, bits, h, v, imcu_rows, mask)
            for blocks, table, bits, (h, v), mask
            in zip(coefficients, tables, coef_bits, factors, dummy_masks)]
