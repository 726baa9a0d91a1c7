"""Arithmetic coding (T.81 Annex D, F.1.4, G.1.3), the other entropy coder of JPEG, in Python.

Huffman coding gives each symbol a whole number of bits from a fixed table. Arithmetic
coding codes *binary decisions* (is this coefficient zero? is the difference negative? ...),
each with a probability that the coder learns as it goes, and spends fractions of a bit on
the likely ones. Two pieces:

1. **The QM coder** (Annex D, :class:`QMEncoder`). It keeps an interval on the number line:
   its size in the register A (kept within 0x8000..0x10000, i.e. 0.75..1.5 on D.1.2's scale)
   and its base in the code register C. Each decision splits the interval in two: the less
   probable symbol (LPS) gets a part of size Qe, the more probable one (MPS) the rest,
   ``A - Qe``; coding a symbol keeps its part (D.1.3). When A falls below 0x8000 both
   registers double (renormalization, D.1.6) and, every 8 doublings, the top byte of C goes
   out (D.1.6's Byte_out), where a carry out of C may still add 1 to bytes already
   formed, so 0xFF bytes are held back until it is known (D.1.7's stacking). The flush
   (D.1.8) sends just enough of C to identify the interval, dropping trailing zero bytes.

2. **Statistics bins**: each decision is coded in a *context*, a bin holding the MPS sense
   and a state index of the probability estimation state machine (Table D.2,
   :data:`stripjpeg.tables.QE_TABLE`): after an LPS the estimate moves up (to
   Next_Index_LPS, maybe swapping which symbol is the MPS), after an MPS that made A
   renormalize it moves down (Next_Index_MPS) (D.1.5). A bin is one byte, as in libjpeg's
   jcarith.c: the MPS in bit 7, the state index in bits 0..6.

Which bin a decision uses is the *conditioning* of F.1.4: a DC difference in the bins of
Table F.4, chosen by the class of the previous difference of its component (zero, small,
large, against the DAC bounds L and U, F.1.4.4.1); an AC coefficient in the bins of
Table F.5, chosen by its zigzag index k (and Kx for its magnitude, F.1.4.4.2). Signs of AC
coefficients and refinement bits use a fixed estimate of one half (libjpeg's ``fixed_bin``).

Everything here follows libjpeg-turbo's jcarith.c decision for decision, so the bytes equal
``cjpeg -arithmetic``'s. It is plain Python over Python ints, about 10**6 decisions a second;
the numba backend's kernels (:mod:`stripjpeg.backends.numba_arithmetic`) write the same bytes
about ten times faster. Reading them back is :mod:`stripjpeg.arithmetic_decoding`'s.

The coder is a mutable object for one strip; between strips of a scan without restart
markers the orchestrator carries its frozen :class:`ArithmeticState`, as it carries
:class:`~.entropy.EntropyState` for Huffman coding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..plan import Plan, Scan
from ..tables import (
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
)
from .huffman import blocks_in_coding_order
from .progressive import ScanPiece, scan_pieces

_QE, _NEXT_LPS, _NEXT_MPS, _SWITCH = QE_VALUES, NEXT_INDEX_LPS, NEXT_INDEX_MPS, SWITCH_MPS

#: Table F.4 and F.1.4.4.1.2: the first DC bin of each conditioning class of the previous
#: difference: zero, small positive, small negative (large ones add 8: 12 and 16).
DC_ZERO, DC_SMALL_POSITIVE, DC_SMALL_NEGATIVE, DC_LARGE = 0, 4, 8, 8
#: Bins between a category bin Xn and the bit bin Mn of the same n (Tables F.4, F.5).
MAGNITUDE_BITS_OFFSET = 14


@dataclass(frozen=True)
class ArithmeticState:
    """What the arithmetic coder carries from one strip to the next without restart markers.

    Attributes:
        a, c: the interval register A and the code register C (D.1.3).
        ct: bit shifts left before the next byte of C is complete (D.1.6).
        buffer: the last byte formed but not yet written (a carry may still change it), or
            -1 before the first.
        stacked_ff: 0xFF bytes formed after it and held back (a carry turns them into 0x00).
        pending_zeros: 0x00 bytes formed and held back, written only when a non-zero byte
            follows (the trailing ones are dropped at the flush, D.1.8 Discard_final_zeros).
        dc_stats, ac_stats: per conditioning table, its statistics bins (one byte each).
        dc_predictors: the last DC value coded per component (F.1.4.1), Y first.
        dc_contexts: per component, the first DC bin its next difference is coded in
            (0, 4, 8, 12 or 16: the class of its previous difference, F.1.4.4.1.2).
    """

    a: int
    c: int
    ct: int
    buffer: int
    stacked_ff: int
    pending_zeros: int
    dc_stats: tuple[bytes, ...]
    ac_stats: tuple[bytes, ...]
    dc_predictors: tuple[int, ...]
    dc_contexts: tuple[int, ...]

    @classmethod
    def start(cls, plan: Plan) -> ArithmeticState:
        """The state at the start of a scan or restart interval (jcarith.c start_pass and
        emit_restart; D.1.1 Initenc): A = 0x10000, C = 0, every bin in state 0 with MPS 0,
        predictors and contexts 0."""
        tables = max(c.huffman_index for c in plan.components) + 1
        components = len(plan.components)
        return cls(a=0x10000, c=0, ct=11, buffer=-1, stacked_ff=0, pending_zeros=0,
                   dc_stats=(bytes(DC_STAT_BINS),) * tables,
                   ac_stats=(bytes(AC_STAT_BINS),) * tables,
                   dc_predictors=(0,) * components, dc_contexts=(0,) * components)


class QMEncoder:
    """The QM coder of T.81 Annex D, as libjpeg's jcarith.c runs it, writing into ``out``.

    Attributes:
        out: the bytes written so far, 0xFF already followed by a stuffed 0x00 (D.1.6).
        a, c, ct, buffer, stacked_ff, pending_zeros: see :class:`ArithmeticState`.
    """

    def __init__(self, state: ArithmeticState) -> None:
        self.out = bytearray()
        self.a, self.c, self.ct = state.a, state.c, state.ct
        self.buffer, self.stacked_ff, self.pending_zeros = (state.buffer, state.stacked_ff,
                                                            state.pending_zeros)

    def encode(self, stats: bytearray, index: int, decision: int) -> None:
        """Code one binary ``decision`` (0 or 1) in the bin ``stats[index]`` (D.1.4, D.1.5).

        The bin's MPS and state give the LPS's share Qe of the interval A; the symbol coded
        keeps its share. Where the MPS's share ``A - Qe`` came out smaller than the LPS's,
        the two swap (D.1.4's conditional exchange), so the likelier symbol never gets the
        smaller part.
        """
        bin_value = stats[index]
        state, mps = bin_value & 0x7F, bin_value >> 7
        qe = _QE[state]
        a = self.a - qe
        if decision != mps:  # Code_LPS (Figure D.3)
            if a >= qe:
                self.c += a  # the LPS's part is the top one: C moves past the MPS's
                a = qe
            stats[index] = ((mps ^ _SWITCH[state]) << 7) | _NEXT_LPS[state]  # Estimate_after_LPS
        else:  # Code_MPS (Figure D.4)
            if a >= 0x8000:
                self.a = a  # no renormalization, and no estimate change (D.1.5)
                return
            if a < qe:
                self.c += a
                a = qe
            stats[index] = (mps << 7) | _NEXT_MPS[state]  # Estimate_after_MPS
        self.a = a
        self._renormalize()

    def _renormalize(self) -> None:
        """Double A and C until A is 0x8000 or more; a byte of C goes out every 8 (D.1.6)."""
        a, c, ct = self.a, self.c, self.ct
        while True:
            a <<= 1
            c <<= 1
            ct -= 1
            if ct == 0:
                self._byte_out(c >> 19)
                c &= 0x7FFFF  # keep the 3 spacer bits and 16 bits of fraction (D.1.3)
                ct = 8
            if a >= 0x8000:
                break
        self.a, self.c, self.ct = a, c, ct

    def _byte_out(self, byte: int) -> None:
        """Take the next byte of C (``byte``, 9 bits with a possible carry; Figure D.8).

        A carry (``byte > 0xFF``) adds 1 to the buffered byte and turns the stacked 0xFF
        bytes into 0x00; a new 0xFF is stacked, since a later carry may still change it;
        any other byte makes the buffered byte and the stack final.
        """
        if byte > 0xFF:
            if self.buffer >= 0:
                self._write(self.buffer + 1)
            self.pending_zeros += self.stacked_ff  # 0xFF + carry = 0x00, carry on
            self.stacked_ff = 0
            self.buffer = byte & 0xFF  # the spacer bits mean this cannot be 0xFF
        elif byte == 0xFF:
            self.stacked_ff += 1
        else:
            self._write_final(self.buffer)
            self.buffer = byte

    def _write_final(self, buffer: int) -> None:
        """The buffered byte and the stacked 0xFF bytes are final: write them (a 0x00 is
        held back among the pending zeros instead)."""
        if buffer == 0:
            self.pending_zeros += 1
        elif buffer > 0:
            self._write(buffer)
        if self.stacked_ff:
            self._write_pending_zeros()
            self.out += b"\xff\x00" * self.stacked_ff
            self.stacked_ff = 0

    def _write(self, byte: int) -> None:
        """Write ``byte`` after the zero bytes held back, with a 0x00 stuffed after 0xFF."""
        self._write_pending_zeros()
        self.out.append(byte)
        if byte == 0xFF:
            self.out.append(0)

    def _write_pending_zeros(self) -> None:
        if self.pending_zeros:
            self.out += bytes(self.pending_zeros)
            self.pending_zeros = 0

    def flush(self) -> None:
        """End the scan or restart interval (D.1.8, as jcarith.c finish_pass does it).

        Choose the value in the final interval ``[C, C + A)`` with the most trailing zero
        bits, push out its bytes, and drop the trailing 0x00 bytes (a decoder reads zeros
        past the end of the data anyway: D.2.6's marker handling)."""
        c = (self.a - 1 + self.c) & 0xFFFF0000
        c = c + 0x8000 if c < self.c else c
        c <<= self.ct
        if c & 0xF8000000:  # the final carry
            if self.buffer >= 0:
                self._write(self.buffer + 1)
            self.pending_zeros += self.stacked_ff
            self.stacked_ff = 0
        else:
            self._write_final(self.buffer)
        if c & 0x7FFF800:  # the last one or two bytes of C, if not zero
            self._write((c >> 19) & 0xFF)
            if c & 0x7F800:
                self._write((c >> 11) & 0xFF)
        self.buffer, self.pending_zeros = -1, 0

    def registers(self) -> dict[str, int]:
        """The registers as :class:`ArithmeticState` fields."""
        return dict(a=self.a, c=self.c, ct=self.ct, buffer=self.buffer,
                    stacked_ff=self.stacked_ff, pending_zeros=self.pending_zeros)


# --- Coding one value: F.1.4.3, shared by DC and AC -------------------------------------------

def encode_magnitude(coder: QMEncoder, stats: bytearray, first: int, categories: int,
                     magnitude: int, first_counts_twice: bool) -> int:
    """Code ``magnitude - 1`` (``magnitude = |v| >= 1``) as its category and its bits
    (Figures F.8 and F.9); returns M, the category's top bit (0 for magnitude 1).

    ``first`` is the bin of the first decision (DC: SP or SN; AC: S0 + 2). Each further
    category doubles M: a 1 in the next bin from ``categories`` (X1.. for DC, X2.. for AC),
    then a 0 ends them; the bits below M follow, each in the bin 14 after the last
    category's (Mn). AC (``first_counts_twice``) codes its second 1 in ``first`` too.
    """
    value = magnitude - 1
    bin_index = first
    top = 0
    if value:
        coder.encode(stats, bin_index, 1)
        top = 1
        rest = value >> 1
        if first_counts_twice:
            if rest:
                coder.encode(stats, bin_index, 1)
                top = 2
                bin_index = categories
                rest >>= 1
                while rest:
                    coder.encode(stats, bin_index, 1)
                    top <<= 1
                    bin_index += 1
                    rest >>= 1
        else:
            bin_index = categories
            while rest:
                coder.encode(stats, bin_index, 1)
                top <<= 1
                bin_index += 1
                rest >>= 1
    coder.encode(stats, bin_index, 0)
    bit_bin = bin_index + MAGNITUDE_BITS_OFFSET
    bit = top >> 1
    while bit:
        coder.encode(stats, bit_bin, 1 if value & bit else 0)
        bit >>= 1
    return top


def encode_dc_difference(coder: QMEncoder, stats: bytearray, context: int, diff: int) -> int:
    """Code one DC difference in the bins of Table F.4 from ``context`` (S0) (Figure F.4);
    return the context of the component's next difference (F.1.4.4.1.2)."""
    if diff == 0:
        coder.encode(stats, context, 0)
        return DC_ZERO
    coder.encode(stats, context, 1)
    if diff > 0:
        coder.encode(stats, context + 1, 0)  # SS: the sign
        next_context, first = DC_SMALL_POSITIVE, context + 2  # SP
    else:
        coder.encode(stats, context + 1, 1)
        next_context, first = DC_SMALL_NEGATIVE, context + 3  # SN
    top = encode_magnitude(coder, stats, first, DC_X1, abs(diff), first_counts_twice=False)
    if top < (1 << ARITH_DC_L) >> 1:
        return DC_ZERO
    if top > (1 << ARITH_DC_U) >> 1:
        return next_context + DC_LARGE
    return next_context


def encode_ac_coefficients(coder: QMEncoder, stats: bytearray, fixed: bytearray,
                           zigzag: list[int], ss: int, se: int, al: int) -> None:
    """Code coefficients ``ss..se`` of one block, point-transformed by ``al``, in the bins
    of Table F.5 (Figure F.5; G.1.3.2 for a spectral band): for each k an end-of-block
    decision at SE = 3(k-1), a zero or not at S0 = SE + 1, then the sign (fixed 0.5) and
    the magnitude from SE + 2 (k <= Kx: the low category bins)."""
    magnitudes = [abs(v) >> al for v in zigzag]
    last = se
    while last >= ss and magnitudes[last] == 0:
        last -= 1
    k = ss
    while k <= last:
        base = 3 * (k - 1)
        coder.encode(stats, base, 0)  # not the end of the block
        while magnitudes[k] == 0:
            coder.encode(stats, base + 1, 0)
            base += 3
            k += 1
        coder.encode(stats, base + 1, 1)
        coder.encode(fixed, 0, 1 if zigzag[k] < 0 else 0)
        encode_magnitude(coder, stats, base + 2, AC_X2_LOW if k <= ARITH_AC_K else AC_X2_HIGH,
                         magnitudes[k], first_counts_twice=True)
        k += 1
    if k <= se:
        coder.encode(stats, 3 * (k - 1), 1)  # end of block


# --- The sequential scan (F.1.4) -----------------------------------------------------------------

def arithmetic_encode(blocks: list[np.ndarray], plan: Plan, state: ArithmeticState,
                      final: bool) -> tuple[bytes, ArithmeticState]:
    """Arithmetic-code one strip of the sequential scan, MCU by MCU, from ``state``.

    Args:
        blocks: per component, int16 ``(block_rows, block_cols, 8, 8)`` quantized blocks.
        plan: the plan (its components' ``huffman_index`` name the conditioning tables).
        state: the state the previous strip ended with, or :meth:`ArithmeticState.start`.
        final: flush the coder (the end of a restart interval or of the scan).

    Returns:
        ``(data, state)``: the bytes ready, and the state to continue with.
    """
    zigzag, owners = blocks_in_coding_order(blocks, plan)
    coder = QMEncoder(state)
    dc_stats = [bytearray(s) for s in state.dc_stats]
    ac_stats = [bytearray(s) for s in state.ac_stats]
    fixed = bytearray([FIXED_HALF_STATE])
    predictors = list(state.dc_predictors)
    contexts = list(state.dc_contexts)
    tables = [c.huffman_index for c in plan.components]
    for row, index in zip(zigzag.tolist(), owners.tolist()):
        table = tables[index]
        contexts[index] = encode_dc_difference(coder, dc_stats[table], contexts[index],
                                               row[0] - predictors[index])
        predictors[index] = row[0]
        encode_ac_coefficients(coder, ac_stats[table], fixed, row, 1, 63, 0)
    return _finish(coder, final, dc_stats, ac_stats, predictors, contexts, plan)


def _finish(coder: QMEncoder, final: bool, dc_stats: list[bytearray], ac_stats: list[bytearray],
            predictors: list[int], contexts: list[int],
            plan: Plan) -> tuple[bytes, ArithmeticState]:
    """The strip's bytes and the state after it (a fresh one after a flush)."""
    if final:
        coder.flush()
        return bytes(coder.out), ArithmeticState.start(plan)
    state = ArithmeticState(**coder.registers(), dc_stats=tuple(map(bytes, dc_stats)),
                            ac_stats=tuple(map(bytes, ac_stats)),
                            dc_predictors=tuple(predictors), dc_contexts=tuple(contexts))
    return bytes(coder.out), state


def flush_bytes(state: ArithmeticState) -> bytes:
    """Close a scan without restart markers: the flush of D.1.8 from a carried state."""
    coder = QMEncoder(state)
    coder.flush()
    return bytes(coder.out)


# --- Progressive scans (G.1.3) ---------------------------------------------------------------------

def progressive_arithmetic_encode(blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                                  state: ArithmeticState | None
                                  ) -> tuple[list[bytes], ArithmeticState | None]:
    """Arithmetic-code one strip of one progressive scan (G.1.3), as
    :func:`.progressive.progressive_encode` does with Huffman codes.

    A DC first scan codes ``DC >> Al`` as differences (F.1.4.1's coder); a DC refinement
    sends bit Al of each DC in the fixed bin; an AC first scan codes band Ss..Se of
    ``coefficient / 2**Al`` (rounded toward zero) as F.1.4.2 does; an AC refinement
    (Figure G.10) sends, for coefficients already non-zero, their bit Al in SC = SE + 2, and
    for the others whether they become non-zero.

    Args:
        blocks: the strip's quantized blocks per component; ``rows`` its pixel rows.
        state: None when the strip holds whole restart intervals (each coded from a fresh
            state and flushed); else the state of the scan so far (flush it with
            :func:`flush_bytes` after the last strip).

    Returns:
        ``(data, state)``: one complete interval's bytes each and None; or one piece of
        bytes and the state to continue from.
    """
    if state is None:
        out = []
        for piece in scan_pieces(blocks, rows, plan, scan, restarts=True):
            data, _ = _code_piece(piece, scan, plan, ArithmeticState.start(plan), final=True)
            out.append(data)
        return out, None
    (piece,) = scan_pieces(blocks, rows, plan, scan, restarts=False)
    data, state = _code_piece(piece, scan, plan, state, final=False)
    return [data], state


def _code_piece(piece: ScanPiece, scan: Scan, plan: Plan, state: ArithmeticState,
                final: bool) -> tuple[bytes, ArithmeticState]:
    """Code the blocks of one piece of a progressive scan with the coder of its kind."""
    coder = QMEncoder(state)
    dc_stats = [bytearray(s) for s in state.dc_stats]
    ac_stats = [bytearray(s) for s in state.ac_stats]
    fixed = bytearray([FIXED_HALF_STATE])
    predictors = list(state.dc_predictors)  # by member of the scan
    contexts = list(state.dc_contexts)
    tables = [plan.components[i].huffman_index for i in scan.components]
    ss, se, ah, al = scan.ss, scan.se, scan.ah, scan.al
    padding = [0] * ss  # so that a block's list is indexed by k, as in the flow charts
    for band, member in zip(piece.band.tolist(), piece.member.tolist()):
        table = tables[member]
        if ss == 0 and ah == 0:
            value = band[0] >> al  # an arithmetic shift, as jcarith.c's IRIGHT_SHIFT
            contexts[member] = encode_dc_difference(coder, dc_stats[table], contexts[member],
                                                    value - predictors[member])
            predictors[member] = value
        elif ss == 0:
            coder.encode(fixed, 0, (band[0] >> al) & 1)
        elif ah == 0:
            encode_ac_coefficients(coder, ac_stats[table], fixed, padding + band, ss, se, al)
        else:
            encode_ac_refinement(coder, ac_stats[table], fixed, padding + band, ss, se, ah, al)
    return _finish(coder, final, dc_stats, ac_stats, predictors, contexts, plan)


def encode_ac_refinement(coder: QMEncoder, stats: bytearray, fixed: bytearray,
                         zigzag: list[int], ss: int, se: int, ah: int, al: int) -> None:
    """One block of an AC successive-approximation refinement scan (G.1.3.3, Figure G.10).

    EOB is this scan's last k with ``|v| >> Al`` non-zero; EOBx the previous scan's (with
    ``>> Ah``): no end-of-block decision is coded up to EOBx, where the previous scan did
    not end the block either."""
    magnitudes = [abs(v) >> al for v in zigzag]
    last = se
    while last >= ss and magnitudes[last] == 0:
        last -= 1
    previous_last = last
    while previous_last >= ss and abs(zigzag[previous_last]) >> ah == 0:
        previous_last -= 1
    k = ss
    while k <= last:
        base = 3 * (k - 1)
        if k > previous_last:
            coder.encode(stats, base, 0)
        while True:
            magnitude = magnitudes[k]
            if magnitude:
                if magnitude >> 1:  # already non-zero: its next bit, in SC
                    coder.encode(stats, base + 2, magnitude & 1)
                else:  # newly non-zero: its sign
                    coder.encode(stats, base + 1, 1)
                    coder.encode(fixed, 0, 1 if zigzag[k] < 0 else 0)
                break
            coder.encode(stats, base + 1, 0)
            base += 3
            k += 1
        k += 1
    if k <= se:
        coder.encode(stats, 3 * (k - 1), 1)
