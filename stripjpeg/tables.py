"""The fixed tables of baseline JPEG: zigzag order, quantization and Huffman tables.

Everything here comes from ITU-T T.81 (the JPEG standard):

* Figure A.6 defines the zigzag order of the 64 DCT coefficients.
* Annex K.1 (Tables K.1 and K.2) gives the example quantization tables that every
  IJG-derived encoder (libjpeg, libjpeg-turbo, and so Pillow) scales by "quality".
* Annex K.3 (Tables K.3 to K.6) gives the example Huffman tables, in the BITS/HUFFVAL form
  that a DHT segment carries (clause B.2.4.2).
* Annex C turns BITS/HUFFVAL into codes (Figures C.1 to C.3).

Quantization tables are kept in *natural* (row-major) order: entry ``8 * v + u`` is the
divisor for horizontal frequency ``u`` and vertical frequency ``v``. Only the DQT segment
and the entropy coder use zigzag order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _derive_zigzag() -> np.ndarray:
    """Return ZIGZAG: ZIGZAG[k] is the natural index (8*row + col) of the k-th coefficient.

    T.81 Figure A.6: walk the anti-diagonals (row + col = s) of the 8x8 block, starting at
    the DC term; even diagonals run up and to the right, odd ones down and to the left.
    """
    order = []
    for s in range(15):
        cells = [(row, s - row) for row in range(8) if 0 <= s - row < 8]
        if s % 2 == 0:
            cells.reverse()  # even diagonal: from bottom-left up to top-right
        order.extend(8 * row + col for row, col in cells)
    return np.array(order, dtype=np.intp)


#: ZIGZAG[k] = natural (row-major) index of zigzag position k (T.81 Figure A.6).
ZIGZAG = _derive_zigzag()
ZIGZAG.flags.writeable = False

#: NATURAL_TO_ZIGZAG[n] = zigzag position of natural index n (the inverse permutation).
NATURAL_TO_ZIGZAG = np.argsort(ZIGZAG)
NATURAL_TO_ZIGZAG.flags.writeable = False


def _table(rows: list[list[int]]) -> np.ndarray:
    table = np.array(rows, dtype=np.uint16).reshape(64)
    table.flags.writeable = False
    return table


#: T.81 Table K.1, luminance quantization table, natural order.
LUMINANCE_QUANT_TABLE = _table([
    [16, 11, 10, 16, 24, 40, 51, 61],
    [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77],
    [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101],
    [72, 92, 95, 98, 112, 100, 103, 99],
])

#: T.81 Table K.2, chrominance quantization table, natural order.
CHROMINANCE_QUANT_TABLE = _table([
    [17, 18, 24, 47, 99, 99, 99, 99],
    [18, 21, 26, 66, 99, 99, 99, 99],
    [24, 26, 56, 99, 99, 99, 99, 99],
    [47, 66, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99],
])


def quality_scaling(quality: int) -> int:
    """Return the IJG percentage that scales the Annex K tables for ``quality`` (1..100).

    This is libjpeg's ``jpeg_quality_scaling``: quality 50 keeps the tables as printed,
    lower qualities scale them up (5000 / q), higher ones down (200 - 2q). Quality 100 gives
    0 %, which the clamp in :func:`scale_quant_table` turns into all-ones tables.
    """
    quality = min(max(int(quality), 1), 100)
    return 5000 // quality if quality < 50 else 200 - 2 * quality


def scale_quant_table(base: np.ndarray, scale_percent: int, force_baseline: bool = True) -> np.ndarray:
    """Scale a quantization table like libjpeg's ``jpeg_add_quant_table``.

    Each entry becomes ``(base * scale_percent + 50) // 100``, clamped to at least 1 and, for
    8-bit baseline tables (``force_baseline``, which Pillow always sets), at most 255.

    Args:
        base: 64 table entries, natural order.
        scale_percent: the scaling from :func:`quality_scaling` (100 keeps ``base``).

    Returns:
        uint16 array of 64 entries, natural order.
    """
    scaled = (np.asarray(base, dtype=np.int64) * scale_percent + 50) // 100
    upper = 255 if force_baseline else 32767
    return np.clip(scaled, 1, upper).astype(np.uint16)


def quantization_tables(quality: int, baseline: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return the (luma, chroma) quantization tables libjpeg uses at ``quality``.

    Args:
        quality: IJG quality, an int from 1 to 100.
        baseline: libjpeg's force_baseline (cjpeg's ``-baseline``; Pillow always sets it):
            steps clamped to 255. False keeps them up to 32767, which qualities under 24
            reach (jcparam.c jpeg_add_quant_table).

    Returns:
        Two uint16 arrays of 64 entries each, in natural (row-major) order.
    """
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)):
        raise TypeError(f"quality must be an int from 1 to 100, got {type(quality).__name__}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be from 1 to 100, got {quality}")
    scale = quality_scaling(int(quality))
    return (scale_quant_table(LUMINANCE_QUANT_TABLE, scale, baseline),
            scale_quant_table(CHROMINANCE_QUANT_TABLE, scale, baseline))


def custom_quant_tables(qtables: tuple[tuple[int, ...], ...], quality: int | None,
                        baseline: bool = True) -> tuple[np.ndarray, ...]:
    """Scale user-supplied tables the way Pillow hands them to libjpeg.

    Pillow passes each table to ``jpeg_add_quant_table`` with the IJG scaling of ``quality``
    (quality 50, i.e. unscaled, when no quality is given); entries below 1 become 1. With an
    explicit quality it forces baseline, clamping entries to 255; without one, an entry over
    255 needs a 16-bit table and an extended (SOF1) frame: that is ``baseline=False`` here
    (cjpeg's default), which never clamps to 255, with a quality or not (cjpeg ``-qtables``);
    with ``baseline=True`` such an entry is an error.

    Args:
        qtables: 1..4 tables of 64 entries, natural order.
        quality: IJG quality 1..100, or None.
        baseline: False keeps entries up to 32767 (libjpeg's force_baseline FALSE).

    Returns:
        uint16 tables, natural order, each entry 1..255 (1..32767 without ``baseline``).
    """
    scale = quality_scaling(50 if quality is None else quality)
    tables = tuple(scale_quant_table(np.array(t), scale,
                                     force_baseline=baseline and quality is not None)
                   for t in qtables)
    for index, table in enumerate(tables):
        if baseline and table.max() > 255:
            raise ValueError(
                f"qtables[{index}] has entries over 255 after scaling (largest "
                f"{int(table.max())}); baseline JPEG holds 8-bit tables. Give a quality to "
                f"scale and clamp them, use entries of at most 255, or baseline=False for "
                f"16-bit tables in an extended (SOF1) frame, as Pillow writes them")
    return tables


@dataclass(frozen=True)
class HuffmanSpec:
    """A Huffman table as a DHT segment carries it (T.81 B.2.4.2).

    Attributes:
        bits: 16 counts; ``bits[i]`` codes have length ``i + 1`` (BITS, the list L1..L16).
        huffval: the symbols, in order of increasing code length (HUFFVAL).
    """

    bits: tuple[int, ...]
    huffval: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.bits) != 16:
            raise ValueError(f"a Huffman table has 16 BITS counts, got {len(self.bits)}")
        if sum(self.bits) != len(self.huffval):
            raise ValueError("sum of Huffman BITS must equal the number of HUFFVAL symbols")
        if len(self.huffval) > 256 or len(set(self.huffval)) != len(self.huffval):
            raise ValueError("Huffman symbols must be distinct and at most 256")
        # Kraft inequality: a prefix code exists, and the all-ones code of each length is
        # left unused (T.81 C: codes consisting of all 1-bits are not allowed).
        kraft = sum(count / 2 ** (length + 1) for length, count in enumerate(self.bits))
        if kraft >= 1:
            raise ValueError("Huffman BITS describe an over-full code")


#: T.81 Table K.3: luminance DC differences.
DC_LUMINANCE = HuffmanSpec(
    bits=(0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0),
    huffval=tuple(range(12)),
)

#: T.81 Table K.4: chrominance DC differences.
DC_CHROMINANCE = HuffmanSpec(
    bits=(0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0),
    huffval=tuple(range(12)),
)

#: T.81 Table K.5: luminance AC coefficients (symbol = RRRRSSSS: zero run, size).
AC_LUMINANCE = HuffmanSpec(
    bits=(0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D),
    huffval=(
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51,
        0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1,
        0x15, 0x52, 0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18,
        0x19, 0x1A, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
        0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57,
        0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75,
        0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x92,
        0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
        0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
        0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8,
        0xD9, 0xDA, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2,
        0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    ),
)

#: T.81 Table K.6: chrominance AC coefficients.
AC_CHROMINANCE = HuffmanSpec(
    bits=(0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77),
    huffval=(
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07,
        0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09,
        0x23, 0x33, 0x52, 0xF0, 0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25,
        0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38,
        0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56,
        0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74,
        0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
        0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA,
        0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6,
        0xD7, 0xD8, 0xD9, 0xDA, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2,
        0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    ),
)


def huffman_codes(spec: HuffmanSpec) -> tuple[np.ndarray, np.ndarray]:
    """Build the encoder's lookup tables EHUFCO/EHUFSI from BITS/HUFFVAL (T.81 Annex C).

    Codes are assigned in order of increasing length; within a length they count up by one,
    and moving to the next length appends a 0-bit (Figure C.2). Symbols the table does not
    contain get length 0.

    Returns:
        ``(codes, lengths)``: two arrays of 256 entries indexed by symbol; ``codes`` (uint32)
        holds the code right-aligned, ``lengths`` (uint8) its length in bits (0 = absent).
    """
    codes = np.zeros(256, dtype=np.uint32)
    lengths = np.zeros(256, dtype=np.uint8)
    code = 0
    position = 0
    for length in range(1, 17):
        for _ in range(spec.bits[length - 1]):
            symbol = spec.huffval[position]
            codes[symbol] = code
            lengths[symbol] = length
            code += 1
            position += 1
        code <<= 1
    return codes, lengths


# --- Fixed-point constants of libjpeg -------------------------------------------------------
#
# libjpeg does its colour conversion and integer DCT in fixed point: each real constant c is
# stored as the integer FIX(c) = c * 2**bits rounded half up. The constants below are derived
# here from the real values they round, so that the numbers in the code are the ones the
# comments name; tests/test_tables.py checks them against libjpeg's printed integers.

def fix(x: float, bits: int) -> int:
    """libjpeg's ``FIX`` macro: the real ``x`` in fixed point with ``bits`` fraction bits,
    rounded half up (``(x * 2**bits) + 0.5`` truncated, as jfdctint.c and jccolor.c define it).
    """
    return int(x * (1 << bits) + 0.5)


#: jccolor.c: the colour conversion's fraction bits (its SCALEBITS).
SCALEBITS = 16
#: jccolor.c: half of one unit of the result, added so that the final shift rounds.
ONE_HALF = 1 << (SCALEBITS - 1)
#: jccolor.c: the centre sample 128, scaled, that Cb and Cr are offset by (JFIF centres the
#: colour differences on 128 so that they are unsigned 8-bit samples).
CBCR_OFFSET = 128 << SCALEBITS

#: jccolor.c's RGB -> YCbCr weights, one row per output (Y, Cb, Cr), columns R, G, B: the
#: JFIF (CCIR 601-1) equations ``Y = 0.299 R + 0.587 G + 0.114 B``,
#: ``Cb = -0.16874 R - 0.33126 G + 0.5 B + 128``, ``Cr = 0.5 R - 0.41869 G - 0.08131 B + 128``,
#: each weight FIX(c) with SCALEBITS fraction bits. (A float conversion rounds differently.)
RGB_TO_YCBCR = np.array([
    [fix(0.29900, SCALEBITS), fix(0.58700, SCALEBITS), fix(0.11400, SCALEBITS)],
    [-fix(0.16874, SCALEBITS), -fix(0.33126, SCALEBITS), fix(0.50000, SCALEBITS)],
    [fix(0.50000, SCALEBITS), -fix(0.41869, SCALEBITS), -fix(0.08131, SCALEBITS)],
], dtype=np.int64)
RGB_TO_YCBCR.flags.writeable = False
#: jccolor.c: added to each weighted sum before the ``>> SCALEBITS``. Y rounds half up
#: (ONE_HALF); Cb and Cr add their offset and ONE_HALF - 1, which libjpeg uses so that the
#: largest sum still shifts down to 255, not 256, and no clamp is needed.
YCBCR_OFFSETS = np.array([ONE_HALF, CBCR_OFFSET + ONE_HALF - 1, CBCR_OFFSET + ONE_HALF - 1],
                         dtype=np.int64)
YCBCR_OFFSETS.flags.writeable = False

#: jfdctint.c: the DCT constants' fraction bits.
CONST_BITS = 13
#: jfdctint.c: extra bits of precision the row pass keeps and the column pass removes.
PASS1_BITS = 2
#: jfdctint.c's rotation constants of the Loeffler-Ligtenberg-Moschytz factorization, each
#: named after the real value (a sum or difference of cosines, times sqrt(2)) it rounds.
FIX_0_298631336 = fix(0.298631336, CONST_BITS)
FIX_0_390180644 = fix(0.390180644, CONST_BITS)
FIX_0_541196100 = fix(0.541196100, CONST_BITS)
FIX_0_765366865 = fix(0.765366865, CONST_BITS)
FIX_0_899976223 = fix(0.899976223, CONST_BITS)
FIX_1_175875602 = fix(1.175875602, CONST_BITS)
FIX_1_501321110 = fix(1.501321110, CONST_BITS)
FIX_1_847759065 = fix(1.847759065, CONST_BITS)
FIX_1_961570560 = fix(1.961570560, CONST_BITS)
FIX_2_053119869 = fix(2.053119869, CONST_BITS)
FIX_2_562915447 = fix(2.562915447, CONST_BITS)
FIX_3_072711026 = fix(3.072711026, CONST_BITS)

#: jfdctfst.c (the fast AA&N DCT, JDCT_IFAST): its constants' fraction bits. Only 8, so that
#: every product fits 16 bits; the products are truncated (jfdctfst.c's DESCALE is a plain
#: right shift unless USE_ACCURATE_ROUNDING, which libjpeg-turbo does not define).
IFAST_CONST_BITS = 8
#: jfdctfst.c's four multipliers of the Arai-Agui-Nakajima flowgraph.
IFAST_FIX_0_382683433 = fix(0.382683433, IFAST_CONST_BITS)   # 98: sin(pi/8)
IFAST_FIX_0_541196100 = fix(0.541196100, IFAST_CONST_BITS)   # 139: cos(3pi/8) * sqrt(2)
IFAST_FIX_0_707106781 = fix(0.707106781, IFAST_CONST_BITS)   # 181: cos(pi/4)
IFAST_FIX_1_306562965 = fix(1.306562965, IFAST_CONST_BITS)   # 334: cos(pi/8) * sqrt(2)


def _aan_scales() -> np.ndarray:
    """jcdctmgr.c's ``aanscales``: ``s[v] * s[u]`` with 14 fraction bits, where ``s[0] = 1``
    and ``s[k] = cos(k pi / 16) * sqrt(2)``: how much larger than the true DCT's the AA&N
    DCT leaves coefficient ``[v][u]`` (besides the factor 8 of both integer DCTs)."""
    s = np.array([1.0] + [np.cos(k * np.pi / 16) * np.sqrt(2) for k in range(1, 8)])
    return np.floor(np.outer(s, s) * (1 << AAN_SCALE_BITS) + 0.5).astype(np.int64).reshape(64)


#: The fraction bits of :data:`AAN_SCALES` (jcdctmgr.c's CONST_BITS for JDCT_IFAST).
AAN_SCALE_BITS = 14
#: jcdctmgr.c's ``aanscales``, natural order (tests/test_ifast.py checks the values).
AAN_SCALES = _aan_scales()
AAN_SCALES.flags.writeable = False

#: jfdctflt.c (the float AA&N DCT, JDCT_FLOAT): jfdctfst.c's four multipliers as FAST_FLOAT,
#: i.e. float32. The SSE version (jfdctflt-sse.asm) writes them with 24 decimals, the C one
#: with 9; both round to these same four float32 values (tests/test_float_dct.py checks).
FLOAT_0_382683433 = np.float32(0.382683433)   # sin(pi/8)
FLOAT_0_541196100 = np.float32(0.541196100)   # cos(3pi/8) * sqrt(2)
FLOAT_0_707106781 = np.float32(0.707106781)   # cos(pi/4)
FLOAT_1_306562965 = np.float32(1.306562965)   # cos(pi/8) * sqrt(2)

#: jcdctmgr.c's ``aanscalefactor`` (JDCT_FLOAT), in double as there: ``s[0] = 1`` and
#: ``s[k] = cos(k pi / 16) * sqrt(2)`` written to 9 decimals (not the exact cosines: the
#: float divisors are computed from these literals).
AAN_SCALE_FACTORS = (1.0, 1.387039845, 1.306562965, 1.175875602,
                     1.0, 0.785694958, 0.541196100, 0.275899379)


# --- Huffman symbols with a meaning of their own -------------------------------------------

#: T.81 F.1.2.2.1 (and Table F.1's notes): RRRRSSSS = 0x00 is EOB, end of block: every
#: remaining AC coefficient of the block is zero (libjpeg's jchuff.c emits symbol 0).
EOB = 0x00
#: T.81 F.1.2.2.1: RRRRSSSS = 0xF0 is ZRL, a run of sixteen zero AC coefficients
#: (libjpeg's jchuff.c emits symbol 0xF0 for each 16 zeros before a non-zero one).
ZRL = 0xF0

# --- Sizes of marker segments ---------------------------------------------------------------

#: T.81 B.1.1.4: a marker segment's 16-bit length counts itself (2 bytes) and its parameters,
#: so one segment carries at most this many bytes of parameters (EXIF in APP1, a COM text).
MAX_SEGMENT_PAYLOAD = 65535 - 2

#: ICC.1 Annex B.4: an embedded profile is split over APP2 segments, each starting with
#: "ICC_PROFILE\0", its sequence number (1-based) and the segment count (one byte each).
ICC_SIGNATURE = b"ICC_PROFILE\0"
#: Profile bytes per APP2 segment, after the signature and the two count bytes.
ICC_CHUNK = MAX_SEGMENT_PAYLOAD - len(ICC_SIGNATURE) - 2
#: ICC.1 Annex B.4: the segment count is one byte, so at most 255 segments.
MAX_ICC_SEGMENTS = 255

#: XMP Specification Part 3, 1.1.3: an XMP packet in JPEG is one APP1 segment starting with
#: this namespace URI and a NUL (29 bytes), the packet after it.
XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\0"
#: Packet bytes one APP1 XMP segment holds (65504, the limit Pillow checks).
MAX_XMP = MAX_SEGMENT_PAYLOAD - len(XMP_SIGNATURE)

# --- Arithmetic coding (T.81 Annex D, F.1.4) ----------------------------------------------

#: T.81 Table D.2, the QM coder's probability estimation state machine: one row per state
#: (Index 0..112), ``(Qe, Next_Index_LPS, Next_Index_MPS, Switch_MPS)``. Qe is the LPS
#: probability estimate scaled so that 0x10000 is 4/3 (A's range, D.1.2); after an LPS
#: the state moves to Next_Index_LPS (and the MPS sense flips where Switch_MPS is 1),
#: after an MPS that needed a renormalization to Next_Index_MPS (D.1.5). Row 113 is no
#: row of T.81: libjpeg's jaricom.c adds it for the fixed probability 0.5 that codes the
#: signs of AC coefficients and refinement bits (T.851 Table 5): it never leaves itself.
QE_TABLE = np.array([
    (0x5A1D, 1, 1, 1), (0x2586, 14, 2, 0), (0x1114, 16, 3, 0), (0x080B, 18, 4, 0),
    (0x03D8, 20, 5, 0), (0x01DA, 23, 6, 0), (0x00E5, 25, 7, 0), (0x006F, 28, 8, 0),
    (0x0036, 30, 9, 0), (0x001A, 33, 10, 0), (0x000D, 35, 11, 0), (0x0006, 9, 12, 0),
    (0x0003, 10, 13, 0), (0x0001, 12, 13, 0), (0x5A7F, 15, 15, 1), (0x3F25, 36, 16, 0),
    (0x2CF2, 38, 17, 0), (0x207C, 39, 18, 0), (0x17B9, 40, 19, 0), (0x1182, 42, 20, 0),
    (0x0CEF, 43, 21, 0), (0x09A1, 45, 22, 0), (0x072F, 46, 23, 0), (0x055C, 48, 24, 0),
    (0x0406, 49, 25, 0), (0x0303, 51, 26, 0), (0x0240, 52, 27, 0), (0x01B1, 54, 28, 0),
    (0x0144, 56, 29, 0), (0x00F5, 57, 30, 0), (0x00B7, 59, 31, 0), (0x008A, 60, 32, 0),
    (0x0068, 62, 33, 0), (0x004E, 63, 34, 0), (0x003B, 32, 35, 0), (0x002C, 33, 9, 0),
    (0x5AE1, 37, 37, 1), (0x484C, 64, 38, 0), (0x3A0D, 65, 39, 0), (0x2EF1, 67, 40, 0),
    (0x261F, 68, 41, 0), (0x1F33, 69, 42, 0), (0x19A8, 70, 43, 0), (0x1518, 72, 44, 0),
    (0x1177, 73, 45, 0), (0x0E74, 74, 46, 0), (0x0BFB, 75, 47, 0), (0x09F8, 77, 48, 0),
    (0x0861, 78, 49, 0), (0x0706, 79, 50, 0), (0x05CD, 48, 51, 0), (0x04DE, 50, 52, 0),
    (0x040F, 50, 53, 0), (0x0363, 51, 54, 0), (0x02D4, 52, 55, 0), (0x025C, 53, 56, 0),
    (0x01F8, 54, 57, 0), (0x01A4, 55, 58, 0), (0x0160, 56, 59, 0), (0x0125, 57, 60, 0),
    (0x00F6, 58, 61, 0), (0x00CB, 59, 62, 0), (0x00AB, 61, 63, 0), (0x008F, 61, 32, 0),
    (0x5B12, 65, 65, 1), (0x4D04, 80, 66, 0), (0x412C, 81, 67, 0), (0x37D8, 82, 68, 0),
    (0x2FE8, 83, 69, 0), (0x293C, 84, 70, 0), (0x2379, 86, 71, 0), (0x1EDF, 87, 72, 0),
    (0x1AA9, 87, 73, 0), (0x174E, 72, 74, 0), (0x1424, 72, 75, 0), (0x119C, 74, 76, 0),
    (0x0F6B, 74, 77, 0), (0x0D51, 75, 78, 0), (0x0BB6, 77, 79, 0), (0x0A40, 77, 48, 0),
    (0x5832, 80, 81, 1), (0x4D1C, 88, 82, 0), (0x438E, 89, 83, 0), (0x3BDD, 90, 84, 0),
    (0x34EE, 91, 85, 0), (0x2EAE, 92, 86, 0), (0x299A, 93, 87, 0), (0x2516, 86, 71, 0),
    (0x5570, 88, 89, 1), (0x4CA9, 95, 90, 0), (0x44D9, 96, 91, 0), (0x3E22, 97, 92, 0),
    (0x3824, 99, 93, 0), (0x32B4, 99, 94, 0), (0x2E17, 93, 86, 0), (0x56A8, 95, 96, 1),
    (0x4F46, 101, 97, 0), (0x47E5, 102, 98, 0), (0x41CF, 103, 99, 0), (0x3C3D, 104, 100, 0),
    (0x375E, 99, 93, 0), (0x5231, 105, 102, 0), (0x4C0F, 106, 103, 0), (0x4639, 107, 104, 0),
    (0x415E, 103, 99, 0), (0x5627, 105, 106, 1), (0x50E7, 108, 107, 0), (0x4B85, 109, 103, 0),
    (0x5597, 110, 109, 0), (0x504F, 111, 107, 0), (0x5A10, 110, 111, 1), (0x5522, 112, 109, 0),
    (0x59EB, 112, 111, 1),
    (0x5A1D, 113, 113, 0),  # libjpeg's fixed 0.5 estimate (not in T.81)
], dtype=np.int32)
QE_TABLE.flags.writeable = False
#: Table D.2's columns as tuples of ints, for the coders' Python loops (indexing a tuple is
#: faster than a NumPy array there): Qe, Next_Index_LPS, Next_Index_MPS, Switch_MPS.
QE_VALUES, NEXT_INDEX_LPS, NEXT_INDEX_MPS, SWITCH_MPS = (
    tuple(int(v) for v in QE_TABLE[:, column]) for column in range(4))
#: Table F.4: X1, the first DC magnitude-category bin (X1..X15 at 20..34, M2..M15 14 higher).
DC_X1 = 20
#: Table F.5: the AC magnitude-category bins X2.. for k <= Kx, and for k > Kx (M bins 14 on).
AC_X2_LOW, AC_X2_HIGH = 189, 217

#: The state index of the fixed probability 0.5 (libjpeg's ``fixed_bin``, jcarith.c).
FIXED_HALF_STATE = 113

#: Statistics bins per DC and per AC conditioning table: T.81 F.1.4.4.1.3 needs 49 for DC,
#: F.1.4.4.2 245 for AC; libjpeg allocates 64 and 256 (jcarith.c DC_STAT_BINS, AC_STAT_BINS).
DC_STAT_BINS = 64
AC_STAT_BINS = 256

#: T.81 F.1.4.4.1.4 and F.1.4.4.2.2: the default conditioning, which libjpeg keeps
#: (jcparam.c jpeg_set_defaults: arith_dc_L = 0, arith_dc_U = 1, arith_ac_K = 5) and writes
#: in a DAC segment: DC bounds L and U (differences of magnitude category below 2**L / 2
#: count as "zero", above 2**U / 2 as "large"), and Kx, the last AC coefficient index whose
#: magnitude categories use the low bins.
ARITH_DC_L = 0
ARITH_DC_U = 1
ARITH_AC_K = 5
