"""Reading arithmetic-coded sequential scans (T.81 D.2, F.2.4): the other direction of
:mod:`stripjpeg.stages.arithmetic`, for :mod:`stripjpeg.reader`.

:class:`QMDecoder` is the QM decoder of Annex D.2 as libjpeg's jdarith.c runs it: C holds the
code bits read so far, A the interval; each decision compares C with the MPS's part of the
interval, and the bins adapt exactly as the encoder's did, so both sides stay in step.
:class:`SequentialDecoder` decodes the blocks of one restart interval with F.2.4's
procedures, the mirror of F.1.4's (Figures F.19 to F.24). Progressive arithmetic scans
(SOF10) are not read yet.
"""

from __future__ import annotations

import numpy as np

from .tables import (
    AC_STAT_BINS,
    ARITH_AC_K,
    ARITH_DC_L,
    ARITH_DC_U,
    DC_STAT_BINS,
    FIXED_HALF_STATE,
    QE_TABLE,
    ZIGZAG,
)

_QE = [int(q) for q in QE_TABLE[:, 0]]
_NEXT_LPS = [int(n) for n in QE_TABLE[:, 1]]
_NEXT_MPS = [int(n) for n in QE_TABLE[:, 2]]
_SWITCH = [int(s) for s in QE_TABLE[:, 3]]

#: Table F.4's X1 and Table F.5's X2 bins (for k <= Kx, and above), as in the encoder.
DC_X1, AC_X2_LOW, AC_X2_HIGH = 20, 189, 217


class QMDecoder:
    """Decode binary decisions from one restart interval's bytes (unstuffed; zeros are read
    past their end, as T.81 D.2.6 and jdarith.c supply them at a marker)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        # jdarith.c: A = 0 and CT = -16 make the first decision read two bytes into C.
        self.a, self.c, self.ct = 0, 0, -16

    def decode(self, stats: bytearray, index: int) -> int:
        """The next decision, coded in bin ``stats[index]`` (D.2.4, D.2.5)."""
        a = self.a
        while a < 0x8000:  # renormalization and byte input (D.2.6)
            self.ct -= 1
            if self.ct < 0:
                byte = self.data[self.position] if self.position < len(self.data) else 0
                self.position += 1
                self.c = (self.c << 8) | byte
                self.ct += 8
                if self.ct < 0:  # still filling C at the start
                    self.ct += 1
                    if self.ct == 0:
                        a = 0x8000
            a <<= 1
        value = stats[index]
        state, mps = value & 0x7F, value >> 7
        qe = _QE[state]
        a -= qe
        part = a << self.ct  # the MPS's part of the interval, aligned with C
        decision = mps
        if self.c >= part:  # in the upper part: the LPS, unless the parts were exchanged
            self.c -= part
            if a < qe:
                stats[index] = (mps << 7) | _NEXT_MPS[state]
            else:
                decision = 1 - mps
                stats[index] = ((mps ^ _SWITCH[state]) << 7) | _NEXT_LPS[state]
            a = qe
        elif a < 0x8000:
            if a < qe:
                decision = 1 - mps
                stats[index] = ((mps ^ _SWITCH[state]) << 7) | _NEXT_LPS[state]
            else:
                stats[index] = (mps << 7) | _NEXT_MPS[state]
        self.a = a
        return decision


class SequentialDecoder:
    """The blocks of one restart interval of an arithmetic-coded sequential scan (F.2.4).

    Args:
        data: the interval's bytes, unstuffed.
        conditioning: DAC values by ``(Tc, Tb)`` (Tc 0: ``U << 4 | L``; Tc 1: Kx); tables a
            DAC does not name take T.81's defaults (F.1.4.4.1.4, F.1.4.4.2.2).
    """

    def __init__(self, data: bytes, conditioning: dict[tuple[int, int], int]) -> None:
        self.coder = QMDecoder(data)
        self.conditioning = conditioning
        self.dc_stats: dict[int, bytearray] = {}
        self.ac_stats: dict[int, bytearray] = {}
        self.fixed = bytearray([FIXED_HALF_STATE])
        self.contexts: dict[int, int] = {}

    def block(self, component: int, dc_table: int, ac_table: int,
              predictor: int) -> tuple[np.ndarray, int]:
        """Decode one block of ``component``: ``(int16 (8, 8) natural order, new predictor)``."""
        zigzag = [0] * 64
        zigzag[0] = predictor + self._dc_difference(component, dc_table)
        self._ac_coefficients(ac_table, zigzag)
        if not -32768 <= zigzag[0] <= 32767:
            raise ValueError("a DC value outside 16 bits")
        block = np.zeros(64, np.int16)
        block[ZIGZAG] = zigzag
        return block.reshape(8, 8), zigzag[0]

    def _dc_difference(self, component: int, table: int) -> int:
        """Figure F.19 (Decode_DC_DIFF) in the bins of the component's context."""
        stats = self.dc_stats.setdefault(table, bytearray(DC_STAT_BINS))
        context = self.contexts.get(component, 0)
        decode = self.coder.decode
        if decode(stats, context) == 0:
            self.contexts[component] = 0
            return 0
        sign = decode(stats, context + 1)
        top, value = self._magnitude(stats, context + 2 + sign, DC_X1, dc=True)
        bounds = self.conditioning.get((0, table), ARITH_DC_U << 4 | ARITH_DC_L)
        low, high = (1 << (bounds & 15)) >> 1, (1 << (bounds >> 4)) >> 1
        if top < low:
            self.contexts[component] = 0
        elif top > high:
            self.contexts[component] = 12 + 4 * sign
        else:
            self.contexts[component] = 4 + 4 * sign
        return -value if sign else value

    def _ac_coefficients(self, table: int, zigzag: list[int]) -> None:
        """Figure F.20 (Decode_AC_coefficients): coefficients 1..63 until the end of block."""
        stats = self.ac_stats.setdefault(table, bytearray(AC_STAT_BINS))
        kx = self.conditioning.get((1, table), ARITH_AC_K)
        decode = self.coder.decode
        k = 1
        while k <= 63:
            base = 3 * (k - 1)
            if decode(stats, base):
                return  # end of block
            while decode(stats, base + 1) == 0:
                base += 3
                k += 1
                if k > 63:
                    raise ValueError("arithmetic-coded data runs past the 64th coefficient")
            sign = decode(self.fixed, 0)
            _, value = self._magnitude(stats, base + 2, AC_X2_LOW if k <= kx else AC_X2_HIGH,
                                       dc=False)
            zigzag[k] = -value if sign else value
            k += 1

    def _magnitude(self, stats: bytearray, first: int, categories: int,
                   dc: bool) -> tuple[int, int]:
        """Figures F.23 and F.24: the category, then the bits below its top; returns the
        category's top bit M and the magnitude ``|v|``."""
        decode = self.coder.decode
        bin_index = first
        top = decode(stats, bin_index)
        if top and (dc or decode(stats, bin_index)):
            if not dc:
                top = 2
            bin_index = categories
            while decode(stats, bin_index):
                top <<= 1
                if top >= 0x8000:
                    raise ValueError("an arithmetic-coded magnitude over 15 bits")
                bin_index += 1
        value = top
        bit = top >> 1
        while bit:
            if decode(stats, bin_index + 14):
                value |= bit
            bit >>= 1
        return top, value + 1
