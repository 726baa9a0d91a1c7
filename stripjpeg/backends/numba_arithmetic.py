"""The fast path of arithmetic coding: the sequential coder (T.81 F.1.4) as one numba kernel.

The same decisions, bins and bytes as :mod:`stripjpeg.stages.arithmetic` (read that one to
learn the coder; the names here are its names): :func:`code_blocks` walks a strip's blocks in
coding order, codes each DC difference and the AC coefficients with the QM coder, and writes
the bytes into an output array; :func:`code_scan_blocks` does the same for one piece of a
progressive scan (G.1.3). The coder's registers live in one int64 array
(:data:`A` .. :data:`POSITION` index it), so a strip can stop where the output array is full
and go on after it has grown, and so the state carried between strips is a few arrays.

Table D.2 is passed in (``tables.QE_TABLE``), not copied here, so no constant can drift from
tables.py's.
"""

from __future__ import annotations

import numpy as np

from ..plan import Plan, Scan
from ..stages.arithmetic import ArithmeticState
from ..stages.progressive import scan_pieces
from ..tables import ARITH_AC_K, ARITH_DC_L, ARITH_DC_U, FIXED_HALF_STATE, QE_TABLE, ZIGZAG
from .numba_huffman import bit_length
from .numba_jit import inline_kernel, kernel

#: Indices into the register array: A, C, CT, the buffered byte, the stacked 0xFF count, the
#: pending 0x00 count (see stages.arithmetic.ArithmeticState), and the output position.
A, C, CT, BUFFER, STACKED_FF, PENDING_ZEROS, POSITION = range(7)
REGISTERS = 7


def transitions_by_bin(qe_table: np.ndarray) -> np.ndarray:
    """Table D.2 (``qe_table``, rows ``(Qe, Next_Index_LPS, Next_Index_MPS, Switch_MPS)``)
    by the byte a statistics bin holds (MPS in bit 7, state index in bits 0..6), so that a
    decision costs one look-up: ``(256,)`` int64, Qe in bits 0..15, the bin's byte after an
    LPS in bits 16..23 (the MPS sense swapped where Switch_MPS is 1) and after an MPS that
    renormalized in bits 24..31. Bytes of no state (index 114..127) hold 0."""
    table = np.zeros(256, np.int64)
    for mps in (0, 1):
        for state, (qe, next_lps, next_mps, switch) in enumerate(qe_table.tolist()):
            after_lps = ((mps ^ switch) << 7) | next_lps
            after_mps = (mps << 7) | next_mps
            table[(mps << 7) | state] = qe | (after_lps << 16) | (after_mps << 24)
    table.flags.writeable = False
    return table


#: :func:`transitions_by_bin` of tables.QE_TABLE, which the kernels take.
TRANSITIONS = transitions_by_bin(QE_TABLE)
#: tables.ZIGZAG as the kernels index it.
ZIGZAG_ORDER = np.array(ZIGZAG, np.intp)

#: The most bytes one block can add to the output. A block codes at most about 2,112
#: decisions (DC: 1 + 1 + 15 categories + 14 bits; per AC coefficient, 63 of them: end of
#: block, zero, sign, 16 categories, 14 bits), each shifting C at most 15 times (Qe >= 1), so
#: at most 3,960 bytes form, doubled by stuffing; the bytes held back (0x00 and 0xFF runs) are
#: counted apart, since they formed earlier.
MAX_BYTES_PER_BLOCK = 8192


@inline_kernel
def write_byte(registers, out, byte):
    """The pending 0x00 bytes, then ``byte``, with a 0x00 stuffed after 0xFF."""
    position = registers[POSITION]
    for _ in range(registers[PENDING_ZEROS]):
        out[position] = 0
        position += 1
    registers[PENDING_ZEROS] = 0
    out[position] = byte
    position += 1
    if byte == 0xFF:
        out[position] = 0
        position += 1
    registers[POSITION] = position


@kernel
def write_final(registers, out, buffer):
    """The buffered byte (a 0x00 joins the pending ones) and the stacked 0xFF bytes."""
    if buffer == 0:
        registers[PENDING_ZEROS] += 1
    elif buffer > 0:
        write_byte(registers, out, buffer)
    stacked = registers[STACKED_FF]
    if stacked:
        for _ in range(stacked):
            write_byte(registers, out, 0xFF)
        registers[STACKED_FF] = 0


@inline_kernel
def byte_out(registers, out, byte):
    """D.1.6 Byte_out with libjpeg's carry handling (stages.arithmetic.QMEncoder._byte_out)."""
    if byte > 0xFF:
        if registers[BUFFER] >= 0:
            write_byte(registers, out, registers[BUFFER] + 1)
        registers[PENDING_ZEROS] += registers[STACKED_FF]
        registers[STACKED_FF] = 0
        registers[BUFFER] = byte & 0xFF
    elif byte == 0xFF:
        registers[STACKED_FF] += 1
    else:
        write_final(registers, out, registers[BUFFER])
        registers[BUFFER] = byte


@inline_kernel
def renormalize(a, c, ct, registers, out):
    """D.1.6 Renorm_e: double A and C until A is 0x8000 or more (A is 1..0x7FFF here), a byte
    of C out every 8 doublings; returns ``(a, c, ct)``. The doublings are counted first (A's
    leading zeros) and done 8 (CT) at a time, which sends the same bytes as one by one."""
    shift = 16 - bit_length(a)
    a <<= shift
    while shift >= ct:
        c <<= ct
        shift -= ct
        byte_out(registers, out, c >> 19)
        c &= 0x7FFFF
        ct = 8
    return a, c << shift, ct - shift


@inline_kernel
def encode(a, c, ct, registers, out, stats, index, decision, transitions):
    """One decision in bin ``stats[index]`` (D.1.4, D.1.5), then renormalization (D.1.6):
    the registers A, C and CT in, their new values out. ``transitions`` is
    :data:`TRANSITIONS`."""
    value = stats[index]
    entry = transitions[value]
    qe = entry & 0xFFFF
    a -= qe
    if decision != value >> 7:
        if a >= qe:
            c += a
            a = qe
        stats[index] = (entry >> 16) & 0xFF
    else:
        if a >= 0x8000:
            return a, c, ct
        if a < qe:
            c += a
            a = qe
        stats[index] = entry >> 24
    return renormalize(a, c, ct, registers, out)


@inline_kernel
def encode_magnitude(a, c, ct, registers, out, stats, first, categories, magnitude,
                     first_counts_twice, transitions):
    """``magnitude - 1`` as its category and bits (Figures F.8, F.9); returns the registers
    and M."""
    value = magnitude - 1
    bin_index = first
    top = 0
    if value:
        a, c, ct = encode(a, c, ct, registers, out, stats, bin_index, 1, transitions)
        top = 1
        rest = value >> 1
        if first_counts_twice:
            if rest:
                a, c, ct = encode(a, c, ct, registers, out, stats, bin_index, 1, transitions)
                top = 2
                bin_index = categories
                rest >>= 1
                while rest:
                    a, c, ct = encode(a, c, ct, registers, out, stats, bin_index, 1, transitions)
                    top <<= 1
                    bin_index += 1
                    rest >>= 1
        else:
            bin_index = categories
            while rest:
                a, c, ct = encode(a, c, ct, registers, out, stats, bin_index, 1, transitions)
                top <<= 1
                bin_index += 1
                rest >>= 1
    a, c, ct = encode(a, c, ct, registers, out, stats, bin_index, 0, transitions)
    bit_bin = bin_index + 14
    bit = top >> 1
    while bit:
        a, c, ct = encode(a, c, ct, registers, out, stats, bit_bin, 1 if value & bit else 0,
                          transitions)
        bit >>= 1
    return a, c, ct, top


@inline_kernel
def encode_dc(a, c, ct, registers, out, stats, contexts, predictors, index, value, dc_bounds,
              transitions):
    """F.1.4.1: the difference of ``value`` from component ``index``'s predictor, in the bins
    of its context (Table F.4); updates the predictor and the context (F.1.4.4.1.2)."""
    context = contexts[index]
    diff = value - predictors[index]
    predictors[index] = value
    if diff == 0:
        contexts[index] = 0
        return encode(a, c, ct, registers, out, stats, context, 0, transitions)
    a, c, ct = encode(a, c, ct, registers, out, stats, context, 1, transitions)
    if diff > 0:
        a, c, ct = encode(a, c, ct, registers, out, stats, context + 1, 0, transitions)
        next_context = 4
        first = context + 2
    else:
        a, c, ct = encode(a, c, ct, registers, out, stats, context + 1, 1, transitions)
        next_context = 8
        first = context + 3
    a, c, ct, top = encode_magnitude(a, c, ct, registers, out, stats, first, 20, abs(diff),
                                     False, transitions)
    if top < dc_bounds[0]:
        next_context = 0
    elif top > dc_bounds[1]:
        next_context += 8
    contexts[index] = next_context
    return a, c, ct


@inline_kernel
def encode_ac(a, c, ct, registers, out, stats, fixed, row, offset, ss, se, al, ac_k,
              transitions):
    """F.1.4.2 (and G.1.3.2 for a band): coefficients ``ss..se`` point-transformed by ``al``;
    coefficient k is ``row[k - offset]``."""
    last = se
    while last >= ss and (abs(np.int64(row[last - offset])) >> al) == 0:
        last -= 1
    k = ss
    while k <= last:
        base = 3 * (k - 1)
        a, c, ct = encode(a, c, ct, registers, out, stats, base, 0, transitions)
        while (abs(np.int64(row[k - offset])) >> al) == 0:
            a, c, ct = encode(a, c, ct, registers, out, stats, base + 1, 0, transitions)
            base += 3
            k += 1
        a, c, ct = encode(a, c, ct, registers, out, stats, base + 1, 1, transitions)
        coefficient = np.int64(row[k - offset])
        a, c, ct = encode(a, c, ct, registers, out, fixed, 0, 1 if coefficient < 0 else 0,
                          transitions)
        a, c, ct, _ = encode_magnitude(a, c, ct, registers, out, stats, base + 2,
                                       189 if k <= ac_k else 217, abs(coefficient) >> al,
                                       True, transitions)
        k += 1
    if k <= se:
        a, c, ct = encode(a, c, ct, registers, out, stats, 3 * (k - 1), 1, transitions)
    return a, c, ct


@inline_kernel
def encode_ac_refinement(a, c, ct, registers, out, stats, fixed, row, offset, ss, se, ah, al,
                         transitions):
    """G.1.3.3, Figure G.10 (as stages.arithmetic.encode_ac_refinement)."""
    last = se
    while last >= ss and (abs(np.int64(row[last - offset])) >> al) == 0:
        last -= 1
    previous_last = last
    while previous_last >= ss and (abs(np.int64(row[previous_last - offset])) >> ah) == 0:
        previous_last -= 1
    k = ss
    while k <= last:
        base = 3 * (k - 1)
        if k > previous_last:
            a, c, ct = encode(a, c, ct, registers, out, stats, base, 0, transitions)
        while True:
            coefficient = np.int64(row[k - offset])
            magnitude = abs(coefficient) >> al
            if magnitude:
                if magnitude >> 1:
                    a, c, ct = encode(a, c, ct, registers, out, stats, base + 2, magnitude & 1,
                                      transitions)
                else:
                    a, c, ct = encode(a, c, ct, registers, out, stats, base + 1, 1, transitions)
                    a, c, ct = encode(a, c, ct, registers, out, fixed, 0,
                                      1 if coefficient < 0 else 0, transitions)
                break
            a, c, ct = encode(a, c, ct, registers, out, stats, base + 1, 0, transitions)
            base += 3
            k += 1
        k += 1
    if k <= se:
        a, c, ct = encode(a, c, ct, registers, out, stats, 3 * (k - 1), 1, transitions)
    return a, c, ct


@inline_kernel
def out_of_room(registers, out):
    """Whether ``out`` may not hold another block (with the bytes held back)."""
    held = 2 * (registers[PENDING_ZEROS] + registers[STACKED_FF])
    return out.shape[0] - registers[POSITION] < MAX_BYTES_PER_BLOCK + held + 16


@kernel
def code_blocks(zigzag, owners, tables, start, registers, dc_stats, ac_stats, fixed, predictors,
                contexts, transitions, dc_bounds, ac_k, out):
    """Code blocks ``start..`` of a strip of the sequential scan (zigzag order, ``(n, 64)``
    int32) in the order given, block ``i`` of component ``owners[i]`` with conditioning
    table ``tables[owners[i]]``.

    ``dc_bounds`` is ``(2**L >> 1, 2**U >> 1)``, ``ac_k`` Kx. Every state array is updated in
    place. Returns the index of the first block not coded: ``len(zigzag)`` when done, less
    when ``out`` may not hold another block (grow it and call again from there).
    """
    n = zigzag.shape[0]
    a, c, ct = registers[A], registers[C], registers[CT]
    block = start
    while block < n and not out_of_room(registers, out):
        component = owners[block]
        table = tables[component]
        a, c, ct = encode_dc(a, c, ct, registers, out, dc_stats[table], contexts, predictors,
                             component, np.int64(zigzag[block, 0]), dc_bounds, transitions)
        a, c, ct = encode_ac(a, c, ct, registers, out, ac_stats[table], fixed, zigzag[block], 0,
                             1, 63, 0, ac_k, transitions)
        block += 1
    registers[A], registers[C], registers[CT] = a, c, ct
    return block


@kernel
def code_scan_blocks(band, members, tables, ss, se, ah, al, start, registers, dc_stats,
                     ac_stats, fixed, predictors, contexts, transitions, dc_bounds, ac_k, out):
    """Code blocks ``start..`` of one piece of a progressive scan (G.1.3): ``band`` holds
    each block's coefficients Ss..Se (zigzag order), ``members`` each block's index into the
    scan's components, ``tables`` their conditioning tables. As :func:`code_blocks`
    otherwise (the same return value)."""
    n = band.shape[0]
    a, c, ct = registers[A], registers[C], registers[CT]
    block = start
    while block < n and not out_of_room(registers, out):
        member = members[block]
        table = tables[member]
        if ss == 0 and ah == 0:
            a, c, ct = encode_dc(a, c, ct, registers, out, dc_stats[table], contexts,
                                 predictors, member, np.int64(band[block, 0]) >> al, dc_bounds,
                                 transitions)
        elif ss == 0:
            a, c, ct = encode(a, c, ct, registers, out, fixed, 0,
                              (np.int64(band[block, 0]) >> al) & 1, transitions)
        elif ah == 0:
            a, c, ct = encode_ac(a, c, ct, registers, out, ac_stats[table], fixed, band[block],
                                 ss, ss, se, al, ac_k, transitions)
        else:
            a, c, ct = encode_ac_refinement(a, c, ct, registers, out, ac_stats[table], fixed,
                                            band[block], ss, ss, se, ah, al, transitions)
        block += 1
    registers[A], registers[C], registers[CT] = a, c, ct
    return block


@kernel
def flush(registers, out):
    """D.1.8, as stages.arithmetic.QMEncoder.flush; ``out`` has room for the last bytes."""
    c = (registers[A] - 1 + registers[C]) & 0xFFFF0000
    if c < registers[C]:
        c += 0x8000
    c <<= registers[CT]
    if c & 0xF8000000:
        if registers[BUFFER] >= 0:
            write_byte(registers, out, registers[BUFFER] + 1)
        registers[PENDING_ZEROS] += registers[STACKED_FF]
        registers[STACKED_FF] = 0
    else:
        write_final(registers, out, registers[BUFFER])
    if c & 0x7FFF800:
        write_byte(registers, out, (c >> 19) & 0xFF)
        if c & 0x7F800:
            write_byte(registers, out, (c >> 11) & 0xFF)
    registers[BUFFER] = -1
    registers[PENDING_ZEROS] = 0


@kernel
def blocks_in_coding_order(components, mcu_h, mcu_v, zigzag, out, owners):
    """stages.huffman.blocks_in_coding_order as one pass: the blocks of ``components`` (a
    tuple of int16 ``(block_rows, block_cols, 8, 8)`` arrays, natural order), MCU by MCU,
    component by component, each one's ``mcu_h[i]`` x ``mcu_v[i]`` blocks left to right, top
    to bottom (T.81 A.2.3), into ``out`` (int32 ``(n_blocks, 64)``, zigzag order: coefficient
    k is natural index ``zigzag[k]``) and each block's component into ``owners``."""
    mcu_rows = components[0].shape[0] // mcu_v[0]
    mcu_cols = components[0].shape[1] // mcu_h[0]
    block = 0
    for mcu_row in range(mcu_rows):
        for mcu_col in range(mcu_cols):
            for index in range(len(components)):
                blocks = components[index]
                for y in range(mcu_v[index]):
                    for x in range(mcu_h[index]):
                        source = blocks[mcu_row * mcu_v[index] + y, mcu_col * mcu_h[index] + x]
                        for k in range(64):
                            out[block, k] = source[zigzag[k] >> 3, zigzag[k] & 7]
                        owners[block] = index
                        block += 1


# --- The stages: Python around the kernels -------------------------------------------------------

#: The DC conditioning bounds as the kernels compare them: ``2**L >> 1`` and ``2**U >> 1``.
DC_BOUNDS = np.array([(1 << ARITH_DC_L) >> 1, (1 << ARITH_DC_U) >> 1], np.int64)


class CoderArrays:
    """An :class:`ArithmeticState` as the arrays the kernels update in place, and back."""

    def __init__(self, state: ArithmeticState, blocks: int) -> None:
        self.registers = np.array([state.a, state.c, state.ct, state.buffer, state.stacked_ff,
                                   state.pending_zeros, 0], np.int64)
        self.dc = np.array([np.frombuffer(s, np.uint8) for s in state.dc_stats])
        self.ac = np.array([np.frombuffer(s, np.uint8) for s in state.ac_stats])
        self.fixed = np.array([FIXED_HALF_STATE], np.uint8)
        self.predictors = np.array(state.dc_predictors, np.int64)
        self.contexts = np.array(state.dc_contexts, np.int64)
        self.out = np.empty(64 * blocks + 2 * MAX_BYTES_PER_BLOCK, np.uint8)

    def copy(self, blocks: int) -> CoderArrays:
        """The same state in new arrays, with an output array for ``blocks`` blocks (cheaper
        than building them from an ArithmeticState: a progressive scan starts one per restart
        interval)."""
        twin = object.__new__(CoderArrays)
        for name in ("registers", "dc", "ac", "fixed", "predictors", "contexts"):
            setattr(twin, name, getattr(self, name).copy())
        twin.out = np.empty(64 * blocks + 2 * MAX_BYTES_PER_BLOCK, np.uint8)
        return twin

    def run(self, code, blocks: int) -> None:
        """Call ``code(start, out)`` (a kernel call returning the blocks done) until all
        ``blocks`` are coded, growing the output array between calls."""
        done = 0
        while True:
            done = code(done, self.out)
            registers = self.registers
            held = 2 * int(registers[PENDING_ZEROS] + registers[STACKED_FF])
            if done == blocks and self.out.size - registers[POSITION] > held + 16:
                return  # and room for the flush
            self.out = np.concatenate([self.out, np.empty(self.out.size + held, np.uint8)])

    def result(self, plan: Plan, final: bool) -> tuple[bytes, ArithmeticState]:
        """The bytes coded, and the state after them (a fresh one after a flush)."""
        if final:
            return self.flushed(), ArithmeticState.start(plan)
        a, c, ct, buffer, stacked_ff, pending_zeros, position = (int(r) for r in self.registers)
        return self.out[:position].tobytes(), ArithmeticState(
            a=a, c=c, ct=ct, buffer=buffer, stacked_ff=stacked_ff, pending_zeros=pending_zeros,
            dc_stats=tuple(row.tobytes() for row in self.dc),
            ac_stats=tuple(row.tobytes() for row in self.ac),
            dc_predictors=tuple(int(p) for p in self.predictors),
            dc_contexts=tuple(int(c) for c in self.contexts))

    def flushed(self) -> bytes:
        """The bytes coded, flushed (D.1.8)."""
        flush(self.registers, self.out)
        return self.out[:self.registers[POSITION]].tobytes()


def arithmetic_encode(blocks: list[np.ndarray], plan: Plan, state: ArithmeticState,
                      final: bool) -> tuple[bytes, ArithmeticState]:
    """The ``arithmetic_encode`` stage: one strip of the sequential scan (as
    :func:`stripjpeg.stages.arithmetic.arithmetic_encode`)."""
    components = tuple(np.ascontiguousarray(b, dtype=np.int16) for b in blocks)
    mcu_h = np.array([c.mcu_h for c in plan.components], np.intp)
    mcu_v = np.array([c.mcu_v for c in plan.components], np.intp)
    per_mcu = int((mcu_h * mcu_v).sum())
    n = components[0].shape[0] // mcu_v[0] * (components[0].shape[1] // mcu_h[0]) * per_mcu
    zigzag, owners = np.empty((n, 64), np.int32), np.empty(n, np.intp)
    blocks_in_coding_order(components, mcu_h, mcu_v, ZIGZAG_ORDER, zigzag, owners)
    tables = np.array([c.huffman_index for c in plan.components], np.intp)
    arrays = CoderArrays(state, len(zigzag))
    arrays.run(lambda start, out: code_blocks(
        zigzag, owners, tables, start, arrays.registers, arrays.dc, arrays.ac, arrays.fixed,
        arrays.predictors, arrays.contexts, TRANSITIONS, DC_BOUNDS, ARITH_AC_K, out), len(zigzag))
    return arrays.result(plan, final)


def progressive_arithmetic_encode(blocks: list[np.ndarray], rows: int, scan: Scan, plan: Plan,
                                  state: ArithmeticState | None
                                  ) -> tuple[list[bytes], ArithmeticState | None]:
    """The ``progressive_arithmetic_encode`` stage: one strip of a progressive scan (as
    :func:`stripjpeg.stages.arithmetic.progressive_arithmetic_encode`)."""
    tables = np.array([plan.components[i].huffman_index for i in scan.components], np.intp)
    if state is not None:  # no restart markers: one piece, continuing the state
        (piece,) = scan_pieces(blocks, rows, plan, scan, restarts=False)
        arrays = CoderArrays(state, len(piece.band))
        _code_piece(piece.band, piece.member, tables, scan, arrays)
        data, after = arrays.result(plan, final=False)
        return [data], after
    fresh = CoderArrays(ArithmeticState.start(plan), 0)
    out = []
    for piece in scan_pieces(blocks, rows, plan, scan, restarts=True):
        arrays = fresh.copy(len(piece.band))
        _code_piece(piece.band, piece.member, tables, scan, arrays)
        out.append(arrays.flushed())
    return out, None


def _code_piece(band: np.ndarray, members: np.ndarray, tables: np.ndarray, scan: Scan,
                arrays: CoderArrays) -> None:
    """One piece of a progressive scan through :func:`code_scan_blocks`, into ``arrays``."""
    band = np.ascontiguousarray(band, dtype=np.int32)
    members = np.ascontiguousarray(members, dtype=np.intp)
    arrays.run(lambda start, out: code_scan_blocks(
        band, members, tables, scan.ss, scan.se, scan.ah, scan.al, start, arrays.registers,
        arrays.dc, arrays.ac, arrays.fixed, arrays.predictors, arrays.contexts, TRANSITIONS,
        DC_BOUNDS, ARITH_AC_K, out), len(band))
