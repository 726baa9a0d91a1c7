"""Solutions to the exercises that end each notebook (docs/site.md).

One function per exercise, named after its notebook and number (``decoding_1`` is exercise
1 of notebooks/09_decoding.ipynb). Each returns the answer as a reader would write it down,
worked out from the standard in its comment; tests/test_exercises.py checks each answer
against what stripjpeg computes, so a wrong solution, or a library that disagrees with the
standard, fails.
"""

from __future__ import annotations

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
