"""Lossless coding (T.81 Annex H, SOF3) in NumPy: prediction, differences, Huffman coding.

A lossless file holds no DCT and no quantization: each sample ``x`` is predicted from its
already coded neighbours (Figure H.1)::

    c b        Rc = the sample above-left, Rb = above,
    a x        Ra = left, x = the sample being coded

by one of the seven predictors of Table H.1 (the scan's "predictor selection value", PSV,
stored in SOS as Ss), and only the difference ``x - Px`` is Huffman coded. The steps, for
one strip (one restart interval, or a piece of the scan that continues the previous one):

1. point transform: every sample is divided by ``2**Pt`` (an arithmetic right shift, H.1.2.1;
   jclossls.c simple_downscale), the only lossy step, and off by default (:func:`point_transform`);
2. prediction, :func:`predictions`: Table H.1 for the samples that have all three
   neighbours. The first row of the scan *and of each restart interval* uses Ra (predictor
   1), its first sample the constant ``2**(P - Pt - 1)``; the first sample of every other row
   uses Rb (predictor 2) (H.1.2.1; jclossls.c jpeg_difference_first_row, reset_predictor);
3. differences modulo 2**16, as signed values -32768..32767 (H.1.2.1: "the difference is
   computed modulo 2**16"), :func:`differences`;
4. each difference is coded as a DC difference is in the sequential process: its size
   category SSSS (0..16, Table H.2) through the Huffman table, then SSSS extra bits, except
   that category 16 (the difference 32768) has no extra bits (H.1.2.2); :func:`encode_differences`.

The samples are interleaved pixel by pixel (every component has H = V = 1, as libjpeg
writes a lossless colour frame), so an MCU is one pixel: its components' differences, in
order. libjpeg (and so :mod:`stripjpeg.lossless`) codes every component with table 0 and
always builds that table optimally for the image (T.81 K.2, :func:`count_differences`).
"""

from __future__ import annotations

import numpy as np

from ..lossless_plan import LosslessPlan
from ..tables import HuffmanSpec, huffman_codes
from .huffman import amplitude_bits, magnitude_category, pack_bits, stuff_bytes

#: The predictors of Table H.1, by selection value (PSV).
PREDICTOR_NAMES = {
    1: "Ra", 2: "Rb", 3: "Rc", 4: "Ra + Rb - Rc", 5: "Ra + ((Rb - Rc) >> 1)",
    6: "Rb + ((Ra - Rc) >> 1)", 7: "(Ra + Rb) >> 1",
}

#: Size categories of lossless differences, Table H.2: 0..16.
MAX_CATEGORY = 16


def point_transform(samples: np.ndarray, pt: int) -> np.ndarray:
    """Samples ``(rows, width, components)`` divided by ``2**pt`` (rounded down), as int32."""
    return samples.astype(np.int32) >> pt


def table_h1(predictor: int, ra: np.ndarray, rb: np.ndarray, rc: np.ndarray) -> np.ndarray:
    """Px of Table H.1 for neighbours Ra (left), Rb (above), Rc (above-left), int32 arrays.

    The shifts are arithmetic (rounding towards minus infinity), as libjpeg's RIGHT_SHIFT
    (jlossls.h PREDICTOR5..7); the sums cannot overflow int32 for 16-bit samples.
    """
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
    if predictor == 7:
        return (ra + rb) >> 1
    raise ValueError(f"predictor must be from 1 to 7 (T.81 Table H.1), got {predictor}")


def predictions(samples: np.ndarray, above: np.ndarray | None, predictor: int,
                precision: int, pt: int) -> np.ndarray:
    """Px for every sample of a strip, int32 ``(rows, width, components)``.

    Args:
        samples: point-transformed samples, int32 ``(rows, width, components)``.
        above: the (point-transformed) row just above the strip, ``(width, components)``;
            None when the strip's first row starts the scan or a restart interval, whose
            prediction is reset (H.1.2.1).
        predictor: the selection value, 1..7 (Table H.1).
        precision, pt: the sample precision P and the point transform Pt.
    """
    rows = samples.shape[0]
    if above is None:
        first = np.empty_like(samples[0])
        first[0] = 1 << (precision - pt - 1)  # no neighbour at all: half the range
        first[1:] = samples[0, :-1]  # the first row: Ra
        if rows == 1:
            return first[np.newaxis]
        rest = predictions(samples[1:], samples[0], predictor, precision, pt)
        return np.concatenate([first[np.newaxis], rest])
    upper = np.concatenate([above[np.newaxis], samples[:-1]])  # Rb for every sample
    result = np.empty_like(samples)
    result[:, 0] = upper[:, 0]  # the first column: Rb
    result[:, 1:] = table_h1(predictor, samples[:, :-1], upper[:, 1:], upper[:, :-1])
    return result


def differences(samples: np.ndarray, above: np.ndarray | None, predictor: int,
                precision: int, pt: int) -> np.ndarray:
    """The coded differences of a strip: ``(x - Px)`` modulo 2**16, as int16 -32768..32767.

    Arguments as for :func:`predictions` (``samples`` already point-transformed). Only
    16-bit samples can differ by 2**15 or more; modulo 2**16 such a difference is one of
    -32768..32767 again, and -32768 is category 16 (H.1.2.2).
    """
    diff = samples - predictions(samples, above, predictor, precision, pt)
    return (((diff + 32768) & 0xFFFF) - 32768).astype(np.int16)


def difference_categories(diff: np.ndarray) -> np.ndarray:
    """SSSS of each difference (Table H.2): the bit length of ``|diff|``, 0..16."""
    return magnitude_category(diff.astype(np.int32))


def count_differences(diff: np.ndarray) -> np.ndarray:
    """How often each size category occurs: int64 ``(256,)`` indexed by symbol, the input
    of :func:`stripjpeg.optimize.optimal_huffman_spec`."""
    return np.bincount(difference_categories(diff).ravel(), minlength=256).astype(np.int64)


def difference_fields(diff: np.ndarray, table: HuffmanSpec) -> tuple[np.ndarray, np.ndarray]:
    """The bit fields of a strip's differences, in coding order (pixel by pixel, each
    pixel's components in order): per difference its Huffman code, then its extra bits.

    Returns:
        ``(values, lengths)``: uint64 and int64, fields of length 0 left out.
    """
    codes, code_lengths = huffman_codes(table)
    flat = diff.reshape(-1).astype(np.int64)
    size = difference_categories(flat)
    if not code_lengths[size].all():
        missing = int(size[code_lengths[size] == 0][0])
        raise ValueError(f"the lossless Huffman table has no code for category {missing}")
    extra_length = np.where(size == MAX_CATEGORY, 0, size)  # category 16: no extra bits
    extra = amplitude_bits(flat, extra_length)
    values = np.empty(2 * flat.size, np.uint64)
    lengths = np.empty(2 * flat.size, np.int64)
    values[0::2], lengths[0::2] = codes[size], code_lengths[size]
    values[1::2], lengths[1::2] = extra.astype(np.uint64), extra_length
    keep = lengths > 0
    return values[keep], lengths[keep]


def encode_differences(diff: np.ndarray, table: HuffmanSpec, pending: tuple[int, int],
                       final: bool) -> tuple[bytes, tuple[int, int]]:
    """Huffman-code a strip's differences, after the bits the previous strip left pending.

    Args:
        diff: int16 ``(rows, width, components)`` from :func:`differences`.
        table: the Huffman table (table 0, for every component).
        pending: ``(bits, count)`` left over from the previous strip of the same interval.
        final: the strip ends a restart interval or the scan: pad the last byte with 1-bits
            (F.1.2.3, as in every Huffman process).

    Returns:
        ``(data, pending)``: whole bytes with 0xFF stuffed, and the 0..7 bits left over.
    """
    values, lengths = difference_fields(diff, table)
    values = np.r_[np.uint64(pending[0]), values]
    lengths = np.r_[np.int64(pending[1]), lengths]
    if final:
        pad = -int(lengths.sum()) % 8
        values = np.r_[values, np.uint64((1 << pad) - 1)]
        lengths = np.r_[lengths, np.int64(pad)]
    keep = lengths > 0
    data, bits, count = pack_bits(values[keep], lengths[keep])
    return stuff_bytes(data), (bits, count)


# --- The two stages of a strip (the backend contract: stripjpeg.backends.base) ---------------

def strip_differences(strip: np.ndarray, above: np.ndarray | None,
                      plan: LosslessPlan) -> tuple[np.ndarray, np.ndarray]:
    """One strip's differences and its last point-transformed row (the next strip's Rb).

    Args:
        strip: samples ``(rows, width, channels)``, uint8 or uint16 (a fourth channel,
            alpha, is left out).
        above: the row above, as returned for the strip before; None at the scan's start
            or a restart interval's.
    """
    samples = point_transform(strip[:, :, :len(plan.component_ids)], plan.point_transform)
    diff = differences(samples, above, plan.predictor, plan.precision, plan.point_transform)
    return diff, samples[-1]


def lossless_count(strip: np.ndarray, above: np.ndarray | None, plan: LosslessPlan
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The ``lossless_count`` stage: a strip's size-category counts (int64 ``(256,)``) and
    its last point-transformed row, int32 ``(width, components)``."""
    diff, last = strip_differences(strip, above, plan)
    return count_differences(diff), last


def lossless_encode(strip: np.ndarray, above: np.ndarray | None, plan: LosslessPlan,
                    pending: tuple[int, int], final: bool
                    ) -> tuple[bytes, tuple[int, int], np.ndarray]:
    """The ``lossless_encode`` stage: a strip's entropy-coded bytes with ``plan.table``
    (see :func:`encode_differences`), the bits left pending, and its last row."""
    assert plan.table is not None
    diff, last = strip_differences(strip, above, plan)
    data, pending = encode_differences(diff, plan.table, pending, final)
    return data, pending, last
