"""The fast path of lossless JPEG (T.81 Annex H): one numba kernel per strip that predicts,
differences and Huffman-codes (or counts) sample by sample.

The same numbers as :mod:`stripjpeg.stages.lossless` (read that one to learn the process):
point transform, the predictors of Table H.1 with the first-row and first-column rules,
differences modulo 2**16, and size categories 0..16 (no extra bits for 16), coded with the
bit buffer of :mod:`.numba_huffman`. Nothing is materialized but the output bytes: two rows of
point-transformed samples (the one above and the current one) are all the state.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from ..tables import HuffmanSpec, huffman_codes
from .numba_huffman import U64, bit_length, flush_bytes, put_bits, put_word
from .numba_jit import inline_kernel, kernel

if TYPE_CHECKING:
    from ..lossless_plan import LosslessPlan

#: T.81 H.1.2.2: category 16 (the difference 32768) has no extra bits.
MAX_CATEGORY = 16

#: The most bytes one sample can take: a code of at most 16 bits and 15 extra bits, stuffing
#: at most doubling them.
MAX_BYTES_PER_SAMPLE = 2 * 4


@inline_kernel
def table_h1(predictor, ra, rb, rc):
    """Px of Table H.1 (arithmetic shifts, as libjpeg's RIGHT_SHIFT)."""
    if predictor == 1:
        return ra
    if predictor == 2:
        return rb
    if predictor == 3:
        return rc
    if predictor == 4:
        return ra + rb - rc
    if predictor == 5:
        return ra + ((rb - rc) >> 1)
    if predictor == 6:
        return rb + ((ra - rc) >> 1)
    return (ra + rb) >> 1


@kernel
def lossless_strip(samples, components, above, has_above, predictor, precision, pt, table,
                   counting, counts, state, final, out):
    """Code (or, with ``counting``, count) one strip of a lossless scan.

    Args:
        samples: uint8 or uint16 ``(rows, width, channels)``; the first ``components``
            channels are coded, pixel by pixel (one MCU is one pixel).
        above: int64 ``(width, components)``: the point-transformed row above the strip
            (read when ``has_above``), overwritten with the strip's last row.
        predictor, precision, pt: the selection value, P and Pt.
        table: int64 ``(256,)``: each category's Huffman code shifted left by 8, or-ed with
            its length (0 = no code).
        counts: int64 ``(256,)``, incremented per category when counting.
        state: int64 ``[position in out, pending bits, pending count]``, updated.
        final: pad the last byte with 1-bits (the end of an interval or of the scan).
        out: uint8, room for :data:`MAX_BYTES_PER_SAMPLE` per sample and 16 more.

    Returns:
        0, or the category that ``table`` has no code for, plus 1.
    """
    rows, width = samples.shape[0], samples.shape[1]
    previous = above.copy()
    current = np.empty_like(above)
    position, buffer, count = state[0], U64(state[1]), state[2]
    initial = np.int64(1) << (precision - pt - 1)
    for y in range(rows):
        first_row = y == 0 and not has_above
        for x in range(width):
            for c in range(components):
                sample = np.int64(samples[y, x, c]) >> pt
                current[x, c] = sample
                if first_row:
                    prediction = initial if x == 0 else current[x - 1, c]
                elif x == 0:
                    prediction = previous[0, c]
                else:
                    prediction = table_h1(predictor, current[x - 1, c], previous[x, c],
                                          previous[x - 1, c])
                diff = ((sample - prediction + 32768) & 0xFFFF) - 32768
                size = bit_length(U64(diff if diff >= 0 else -diff))
                if counting:
                    counts[size] += 1
                    continue
                entry = table[size]
                if entry == 0:
                    return size + 1
                length, value = entry & 0xFF, entry >> 8
                if 0 < size < MAX_CATEGORY:  # the extra bits; none for 0 and 16 (H.1.2.2)
                    bits = diff if diff >= 0 else diff + (np.int64(1) << size) - 1
                    length, value = length + size, (value << size) | bits
                buffer, count, word, full = put_bits(buffer, count, value, length)
                if full:
                    position = put_word(out, position, word)
        previous, current = current, previous
    above[:, :] = previous
    if not counting:
        position, buffer, count = flush_bytes(out, position, buffer, count)
        if final and count:
            pad = 8 - count
            position, buffer, count = flush_bytes(
                out, position, (buffer << U64(pad)) | U64((1 << pad) - 1), count + pad)
    state[0], state[1], state[2] = position, np.int64(buffer), count
    return 0


# --- The Python side of a kernel call ---------------------------------------------------------

def lossless_row(above: np.ndarray | None, strip: np.ndarray, plan: LosslessPlan) -> np.ndarray:
    """The kernel's row above (int64, its own copy: the kernel overwrites it with the
    strip's last row)."""
    if above is None:
        return np.zeros((strip.shape[1], len(plan.component_ids)), np.int64)
    return np.array(above, np.int64)


@functools.lru_cache(maxsize=64)
def lossless_table(spec: HuffmanSpec) -> np.ndarray:
    """A lossless table as the kernel reads it: code << 8 | length per category."""
    codes, lengths = huffman_codes(spec)
    return (codes.astype(np.int64) << 8) | lengths.astype(np.int64)
