"""Solutions to the exercises that end each notebook (docs/site.md).

One function per exercise, named after its notebook and number (``decoding_1`` is exercise
1 of notebooks/09_decoding.ipynb). Each returns the answer as a reader would write it down,
worked out from the standard in its comment; tests/test_exercises.py checks each answer
against what stripjpeg computes, so a wrong solution, or a library that disagrees with the
standard, fails.
"""

from __future__ import annotations

# --- 01_pipeline ------------------------------------------------------------------------------


def pipeline_1() -> tuple[int, int, int]:
    """Y, Cb, Cr of pure red (255, 0, 0), JFIF's formulas with libjpeg's rounding (jccolor.c).

    Y = 0.299 x 255 = 76.2 -> 76; Cb = -0.16874 x 255 + 128 = 84.97 -> 85; Cr = 0.5 x 255 + 128
    = 255.5, and libjpeg rounds the chroma offset's half down (CBCR_OFFSET + ONE_HALF - 1), so
    that Cr stays within 0..255: 255.
    """
    return 76, 85, 255


def pipeline_2() -> dict[int, int]:
    """The DC step of Table K.1 (16) at qualities 10, 50, 75 (jcparam.c): the scale is
    5000 / q below 50 and 200 - 2q from 50, in percent, rounded: (16 x scale + 50) // 100.
    q 10: scale 500 -> 80; q 50: 100 -> 16; q 75: 50 -> 850 // 100 = 8."""
    return {10: 80, 50: 16, 75: 8}


def pipeline_3() -> int:
    """The zigzag position of [v][u] = [1][2] (Figure A.6): 0 (0,0), 1 (0,1), 2 (1,0), 3 (2,0),
    4 (1,1), 5 (0,2), 6 (0,3), 7 (1,2)."""
    return 7


# --- 02_strips_and_restarts -------------------------------------------------------------------


def strips_1() -> tuple[int, int, int]:
    """451 x 300 at 4:2:0: MCUs of 16 x 16 pixels; ceil(451 / 16) = 29 per row, ceil(300 / 16)
    = 19 rows; a marker between each two of the 19 intervals: 18 RSTn."""
    return 29, 19, 18


def strips_2() -> bytes:
    """Interval k (from 0) is ended by RST(k mod 8) (B.2.1): the 10th, k = 9, by RST1, FF D1."""
    return bytes([0xFF, 0xD1])


# --- 03_backends ------------------------------------------------------------------------------


def backends_1() -> dict[str, tuple[int, int]]:
    """4:4:4: MCUs of 8 x 8; 8 MCU rows per strip: 64 pixel rows, 1024 / 64 = 16 strips.
    4:2:0: MCUs of 16 x 16, one MCU row per strip: 16 rows, 64 strips."""
    return {"4:4:4": (64, 16), "4:2:0": (16, 64)}


def backends_2() -> int:
    """None: every backend writes the same bytes (docs/backends.md)."""
    return 0


# --- 04_cross_checking ------------------------------------------------------------------------


def cross_checking_1() -> float:
    """MSE = 1, so PSNR = 10 log10(255^2 / 1) = 20 log10(255) = 48.13 dB."""
    return 48.13


def cross_checking_2() -> int:
    """None: with the same settings the two files are the same bytes."""
    return 0


# --- 05_progressive ---------------------------------------------------------------------------


def progressive_1() -> tuple[int, tuple[tuple[int, ...], int, int, int, int]]:
    """jpeg_simple_progression for YCbCr: ten scans; the first is the DC of all three components
    to bit 1, the second luma's AC 1..5 with the point transform 2."""
    return 10, ((0,), 1, 5, 0, 2)


def progressive_2() -> tuple[int, int]:
    """DC (G.1.2.1): an arithmetic shift, -13 >> 2 = -4 (rounds down). AC (G.1.2.2): the
    magnitude is shifted and the sign kept, -(13 >> 2) = -3 (rounds towards zero)."""
    return -4, -3


# --- 06_lossless ------------------------------------------------------------------------------


def lossless_1() -> dict[int, int]:
    """Table H.1 with Ra = 100, Rb = 120, Rc = 90: 1 Ra, 2 Rb, 3 Rc, 4 Ra + Rb - Rc = 130,
    5 Ra + ((Rb - Rc) >> 1) = 115, 6 Rb + ((Ra - Rc) >> 1) = 125, 7 (Ra + Rb) >> 1 = 110."""
    return {1: 100, 2: 120, 3: 90, 4: 130, 5: 115, 6: 125, 7: 110}


def lossless_2() -> dict[int, int]:
    """The first sample is predicted by 2 ** (P - Pt - 1) (H.1.2.1): 128 with Pt = 0, 16 with
    Pt = 3."""
    return {0: 128, 3: 16}


# --- 07_options -------------------------------------------------------------------------------


def options_1() -> tuple[tuple[int, int], int]:
    """Y sampled 2 x 1: an MCU is 16 pixels wide and 8 high; ceil(100 / 16) = 7 by
    ceil(100 / 8) = 13: 91 MCUs."""
    return (16, 8), 91


def options_2() -> tuple[tuple[int, int, int], int]:
    """libjpeg (jcparam.c) names RGB components by their letters, 'R' 'G' 'B' = 82, 71, 66,
    and the Adobe marker's transform 0 says: no colour transform."""
    return (82, 71, 66), 0


# --- 08_arithmetic ----------------------------------------------------------------------------


def arithmetic_1() -> tuple[int, int]:
    """State 0 has Next_Index_LPS = 1 and Switch_MPS = 1: after an LPS, state 1, MPS 1."""
    return 1, 1


def arithmetic_2() -> tuple[int, int, int]:
    """Next_Index_MPS of states 0..12 is one more each: 13 renormalizing MPSs. An MPS only moves
    the state when it renormalizes (A < 0x8000), and with Qe near 0x5A1D, then smaller and
    smaller, ever more MPSs pass between two renormalizations: 21319 in all (count them with
    QMEncoder). Qe of state 13 is 0x0001."""
    return 13, 21319, 0x0001


def arithmetic_3() -> tuple[int, int]:
    """After -20 (|DIFF| > 2^U with U = 1: large, negative) the next difference uses S0 = 16
    (F.1.4.4.1.2, Table F.4's large negative group); after +1 (category 1, small positive) 4."""
    return 16, 4


# --- 09_decoding ------------------------------------------------------------------------------


def decoding_1() -> dict[int, str]:
    """The codes of SSSS 4 and 11 in T.81 Table K.4 (DC chrominance).

    BITS = 0 3 1 1 1 1 1 1 1 1 1: no 1-bit code; three 2-bit codes 00, 01, 10 (SSSS 0, 1, 2);
    then one code of each length 3..11, each the previous one plus 1, shifted left by one:
    110 (3), 1110 (4), 11110 (5), ..., and for SSSS 11 ten 1-bits then a 0.
    """
    return {4: "1110", 11: "11111111110"}


def decoding_2() -> dict[int, tuple[int, str]]:
    """SSSS and the extra bits of the DC differences -13 and 13 (F.1.2.1.1, Table F.1).

    |13| = 1101 has 4 bits, so SSSS = 4. 13 is sent as it is; -13 as -13 - 1 in 4-bit two's
    complement, 16 - 14 = 2 = 0010: the bits of 13 inverted.
    """
    return {-13: (4, "0010"), 13: (4, "1101")}


def decoding_3() -> bytes:
    """The bit stream's bytes 12 FF 34 FF as the entropy-coded data stores them (F.1.2.3):
    a 00 after every FF."""
    return bytes([0x12, 0xFF, 0x00, 0x34, 0xFF, 0x00])


def decoding_4() -> tuple[int, int]:
    """A DQT segment with two 8-bit tables (B.2.4.1): the length field counts itself (2) and,
    per table, Pq/Tq (1 byte) and 64 steps: 2 + 2 * 65 = 132; in the file the marker FF DB
    comes before it: 134 bytes."""
    return 132, 134


def decoding_5() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """BITS and HUFFVAL of K.2 for the counts 10, 5, 3, 1 (symbols 0..3).

    With the pseudo-symbol (count 1): merge 1 + 1 (symbol 3 and the pseudo-symbol) = 2;
    2 + 3 = 5; 5 + 5 = 10; 10 + 10. Code lengths: symbol 0: 1, 1: 2, 2: 3, 3: 4 and the
    pseudo-symbol 4, dropped from the longest length: one code each of 1, 2, 3 and 4 bits
    (0, 10, 110, 1110; 1111 is never used).
    """
    return (1, 1, 1, 1) + (0,) * 12, (0, 1, 2, 3)
