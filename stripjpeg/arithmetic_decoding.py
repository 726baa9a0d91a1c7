"""Reading arithmetic-coded sequential scans (T.81 D.2, F.2.4): the other direction of
:mod:`stripjpeg.stages.arithmetic`, for :mod:`stripjpeg.reader`.

:class:`QMDecoder` is the QM decoder of Annex D.2 as libjpeg's jdarith.c runs it: C holds the
code bits read so far, A the interval; each decision compares C with the MPS's part of the
interval, and the bins adapt exactly as the encoder's did, so both sides stay in step.
:class:`SequentialDecoder` decodes the blocks of one restart interval with F.2.4's
procedures, the mirror of F.1.4's (Figures F.19 to F.24), and the pieces of progressive scans
(G.2: DC first, AC first and AC refinement decisions; a DC refinement is one fixed-bin bit).
"""

from __future__ import annotations

import numpy as np

from .tables import (
    AC_STAT_BINS,
    AC_X2_HIGH,
    AC_X2_LOW,
    ARITH_AC_K,
    ARITH_DC_L,
    ARITH_DC_U,
    DC_STAT_BINS,
    DC_X1,
    FIXED_HALF_STATE,
    NEXT_INDEX_LPS,
    NEXT_INDEX_MPS,
    QE_VALUES,
    SWITCH_MPS,
    ZIGZAG,
)

_QE, _NEXT_LPS, _NEXT_MPS, _SWITCH = QE_VALUES, NEXT_INDEX_LPS, NEXT_INDEX_MPS, SWITCH_MPS

def _mps_chain(state: int) -> list[int]:
    """The states a bin goes through from ``state`` on MPS decisions only (NEXT_INDEX_MPS),
    up to the one that keeps itself."""
    chain = [state]
    while NEXT_INDEX_MPS[chain[-1]] not in chain:
        chain.append(NEXT_INDEX_MPS[chain[-1]])
    return chain


#: Bin states in which, decoding zeros with C = 0, every decision is the MPS, however long:
#: C is below every MPS part, and the conditional exchange (D.2.5) never happens because each
#: state on the MPS chain has Qe <= 0x4000 (so A - Qe >= Qe for every A >= 0x8000); MPS
#: decisions move along that chain and never switch the MPS.
SETTLED_STATES = frozenset(state for state in range(len(QE_VALUES))
                           if all(QE_VALUES[s] <= 0x4000 for s in _mps_chain(state)))


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
    """The blocks of one restart interval of an arithmetic-coded scan (F.2.4; G.2 for the
    pieces of progressive scans).

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
        zigzag[0] = self.dc_value(component, dc_table, predictor)
        self.ac_band(ac_table, zigzag, 0, 1, 63, 0)
        if not -32768 <= zigzag[0] <= 32767:
            raise ValueError("a DC value outside 16 bits")
        block = np.zeros(64, np.int16)
        block[ZIGZAG] = zigzag
        return block.reshape(8, 8), zigzag[0]

    def settled(self, members: list[tuple[int, int, int]]) -> bool:
        """Whether every block left in the interval decodes, for each ``(component, dc
        table, ac table)`` of ``members``, as a DC difference of 0 and an end of block at once.

        So it does once the interval's bytes are all read (only zeros follow, D.2.6), C is 0
        (below every MPS part: each decision is its bin's MPS), and each block's two first
        bins, the DC decision in context 0 and the end-of-block decision of k = 1, are in
        :data:`SETTLED_STATES` with MPS 0 and 1: they stay so, and A no longer matters. A valid
        file gets there in a flat region at the end of a scan (libjpeg's encoder drops the
        final zero bytes, jcarith.c); a file whose frame claims more blocks than its data holds
        gets there soon after its data, and the reader then fills the rest in one step instead
        of decoding zeros block by block.
        """
        coder = self.coder
        if coder.c or coder.position < len(coder.data):
            return False
        for component, dc_table, ac_table in members:
            dc, ac = self.dc_stats.get(dc_table), self.ac_stats.get(ac_table)
            if dc is None or ac is None or self.contexts.get(component, 0):
                return False
            if dc[0] >> 7 or ac[0] >> 7 != 1 or (dc[0] & 0x7F) not in SETTLED_STATES \
                    or (ac[0] & 0x7F) not in SETTLED_STATES:
                return False
        return True

    def dc_value(self, component: int, table: int, predictor: int) -> int:
        """The next DC value of ``component`` (the predictor plus its difference)."""
        return predictor + self._dc_difference(component, table)

    def bit(self) -> int:
        """One decision in the fixed one-half bin (a DC refinement bit, G.1.3.1)."""
        return self.coder.decode(self.fixed, 0)

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

    def ac_band(self, table: int, out, base: int, ss: int, se: int, al: int) -> None:
        """Figure F.20 (Decode_AC_coefficients): coefficients ``ss..se`` until the end of
        block, each written as ``v << al`` to ``out[base + k]`` (k in zigzag order)."""
        stats = self.ac_stats.setdefault(table, bytearray(AC_STAT_BINS))
        kx = self.conditioning.get((1, table), ARITH_AC_K)
        decode = self.coder.decode
        k = ss
        while k <= se:
            cursor = 3 * (k - 1)
            if decode(stats, cursor):
                return  # end of block
            while decode(stats, cursor + 1) == 0:
                cursor += 3
                k += 1
                if k > se:
                    raise ValueError("arithmetic-coded data runs past the end of the band")
            sign = decode(self.fixed, 0)
            _, value = self._magnitude(stats, cursor + 2, AC_X2_LOW if k <= kx else AC_X2_HIGH,
                                       dc=False)
            if (value << al) > 32767:
                raise ValueError("an arithmetic-coded AC value outside 16 bits")
            out[base + k] = -(value << al) if sign else value << al
            k += 1

    def ac_refinement(self, table: int, out, base: int, ss: int, se: int, al: int) -> None:
        """G.2's AC refinement (jdarith.c decode_mcu_AC_refine): no end-of-block decision up
        to the last coefficient already non-zero (EOBx); each non-zero one gets its bit Al
        (in SE + 2), each zero one whether it becomes ±2**Al (SE + 1, then its sign)."""
        stats = self.ac_stats.setdefault(table, bytearray(AC_STAT_BINS))
        decode = self.coder.decode
        p1 = 1 << al
        previous_last = se
        while previous_last > 0 and out[base + previous_last] == 0:
            previous_last -= 1
        k = ss
        while k <= se:
            cursor = 3 * (k - 1)
            if k > previous_last and decode(stats, cursor):
                return  # end of block
            while True:
                coefficient = out[base + k]
                if coefficient:
                    if decode(stats, cursor + 2):
                        out[base + k] = coefficient - p1 if coefficient < 0 else coefficient + p1
                    break
                if decode(stats, cursor + 1):
                    out[base + k] = -p1 if decode(self.fixed, 0) else p1
                    break
                cursor += 3
                k += 1
                if k > se:
                    raise ValueError("arithmetic-coded data runs past the end of the band")
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
