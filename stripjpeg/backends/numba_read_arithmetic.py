"""The fast path of reading arithmetic-coded scans (T.81 D.2, F.2.4, G.2): numba kernels that
decode a whole sequential (SOF9) or progressive (SOF10) scan, every restart interval.

The same decisions, bins, coefficients and ``ValueError`` texts as
:mod:`stripjpeg.arithmetic_decoding` (read that one to learn the decoder; the names here are
its names, and the order of every decision and check is its order): :func:`decide` is
:meth:`QMDecoder.decode`, :func:`dc_difference`, :func:`magnitude`, :func:`ac_band` and
:func:`ac_refinement` are :class:`SequentialDecoder`'s methods, and the scan kernels walk the
blocks as :mod:`stripjpeg.reader` (sequential) and :mod:`stripjpeg.progressive_reader`
(progressive) do.

The QM decoder's registers A, C, CT, the byte position and the first problem met live in one
int64 array (:data:`A` .. :data:`PROBLEM`); the bins in uint8 arrays, one row per
conditioning table (Td, Ta: 0..15), reset at each restart interval (F.2.4); Table D.2 and the
zigzag order are passed in (``tables.QE_TABLE``, ``tables.ZIGZAG``), not copied here. The
intervals' unstuffed bytes come joined as for :mod:`.numba_read_progressive`; the decoder
reads zeros past an interval's end (D.2.6). Every block costs a bounded number of decisions
and the blocks are the frame's, so a kernel cannot hang; every index is inside its array by
construction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tables import ARITH_AC_K, ARITH_DC_L, ARITH_DC_U, QE_TABLE, ZIGZAG
from .numba_jit import inline_kernel, kernel
from .numba_read_progressive import joined_intervals

# Literal copies of tables.py's numbers that the kernels compile in: numba's cache checks
# only a kernel's own file, so an imported value could stay compiled in after a change
# (tests/test_fast_readers.py checks each copy against tables.py).
#: Table F.4's X1 and Table F.5's X2 bins (k <= Kx, k > Kx).
DC_X1, AC_X2_LOW, AC_X2_HIGH = 20, 189, 217
#: libjpeg's fixed one-half bin state (jaricom.c's row 113).
FIXED_HALF_STATE = 113
#: Bins per DC and per AC conditioning table.
DC_STAT_BINS, AC_STAT_BINS = 64, 256

#: Indices into the register array.
A, C, CT, POSITION, PROBLEM = range(5)
REGISTERS = 5

#: Problem codes (0: none).
OK, PAST_BAND, AC_TOO_LARGE, MAGNITUDE_TOO_LARGE, DC_OVERFLOW = range(5)

#: The textbook's messages (``{scan}``: the scan, in a progressive frame).
PROBLEMS = {
    PAST_BAND: "arithmetic-coded data runs past the end of the band",
    AC_TOO_LARGE: "an arithmetic-coded AC value outside 16 bits",
    MAGNITUDE_TOO_LARGE: "an arithmetic-coded magnitude over 15 bits",
    DC_OVERFLOW: "a DC value outside 16 bits",
}

#: Conditioning table numbers run 0..15 (B.2.3: Td and Ta are four bits each).
TABLES = 16


# -- the QM decoder (D.2) ---------------------------------------------------------------------

@inline_kernel
def decide(registers, data, end, stats, row, index, qe_table):
    """The next decision, coded in bin ``stats[row, index]`` (D.2.4, D.2.5; renormalization
    and byte input D.2.6, zeros past ``end``)."""
    a = registers[A]
    while a < 0x8000:
        registers[CT] -= 1
        if registers[CT] < 0:
            position = registers[POSITION]
            byte = np.int64(data[position]) if position < end else np.int64(0)
            registers[POSITION] = position + 1
            registers[C] = (registers[C] << 8) | byte
            registers[CT] += 8
            if registers[CT] < 0:  # still filling C at the start
                registers[CT] += 1
                if registers[CT] == 0:
                    a = 0x8000
        a <<= 1
    value = np.int64(stats[row, index])
    state, mps = value & 0x7F, value >> 7
    qe = np.int64(qe_table[state, 0])
    a -= qe
    part = a << registers[CT]
    decision = mps
    if registers[C] >= part:
        registers[C] -= part
        if a < qe:
            stats[row, index] = (mps << 7) | qe_table[state, 2]
        else:
            decision = 1 - mps
            stats[row, index] = ((mps ^ qe_table[state, 3]) << 7) | qe_table[state, 1]
        a = qe
    elif a < 0x8000:
        if a < qe:
            decision = 1 - mps
            stats[row, index] = ((mps ^ qe_table[state, 3]) << 7) | qe_table[state, 1]
        else:
            stats[row, index] = (mps << 7) | qe_table[state, 2]
    registers[A] = a
    return decision


@kernel
def start_interval(registers, start, dc_stats, ac_stats, fixed, contexts):
    """A fresh decoder at an interval's first byte: A = 0 and CT = -16 make the first
    decision read two bytes into C (jdarith.c); fresh bins; DC contexts 0."""
    registers[A], registers[C], registers[CT], registers[POSITION] = 0, 0, -16, start
    dc_stats[:, :] = 0
    ac_stats[:, :] = 0
    fixed[0, 0] = FIXED_HALF_STATE
    contexts[:] = 0


# -- F.2.4 and G.2's procedures ---------------------------------------------------------------

@kernel
def magnitude(registers, data, end, stats, row, first, categories, dc, qe_table):
    """Figures F.23 and F.24: ``(top bit M of the category, |v|)``."""
    bin_index = first
    top = np.int64(decide(registers, data, end, stats, row, bin_index, qe_table))
    if top and (dc or decide(registers, data, end, stats, row, bin_index, qe_table)):
        if not dc:
            top = 2
        bin_index = categories
        while decide(registers, data, end, stats, row, bin_index, qe_table):
            top <<= 1
            if top >= 0x8000:
                registers[PROBLEM] = MAGNITUDE_TOO_LARGE
                return top, np.int64(0)
            bin_index += 1
    value = top
    bit = top >> 1
    while bit:
        if decide(registers, data, end, stats, row, bin_index + 14, qe_table):
            value |= bit
        bit >>= 1
    return top, value + 1


@kernel
def dc_difference(registers, data, end, dc_stats, table, contexts, key, bounds, qe_table):
    """Figure F.19 (Decode_DC_DIFF) in table ``table``'s bins, context ``contexts[key]``."""
    context = contexts[key]
    if decide(registers, data, end, dc_stats, table, context, qe_table) == 0:
        contexts[key] = 0
        return np.int64(0)
    sign = decide(registers, data, end, dc_stats, table, context + 1, qe_table)
    top, value = magnitude(registers, data, end, dc_stats, table, context + 2 + sign, DC_X1,
                           True, qe_table)
    if registers[PROBLEM]:
        return np.int64(0)
    low, high = (1 << (bounds & 15)) >> 1, (1 << (bounds >> 4)) >> 1
    if top < low:
        contexts[key] = 0
    elif top > high:
        contexts[key] = 12 + 4 * sign
    else:
        contexts[key] = 4 + 4 * sign
    return -value if sign else value


@kernel
def ac_band(registers, data, end, ac_stats, table, fixed, kx, out, ss, se, al, qe_table):
    """Figure F.20 (Decode_AC_coefficients): ``out[k] = v << al`` for k in ``ss..se`` until
    the end of block (k in zigzag order)."""
    k = ss
    while k <= se:
        cursor = 3 * (k - 1)
        if decide(registers, data, end, ac_stats, table, cursor, qe_table):
            return
        while decide(registers, data, end, ac_stats, table, cursor + 1, qe_table) == 0:
            cursor += 3
            k += 1
            if k > se:
                registers[PROBLEM] = PAST_BAND
                return
        sign = decide(registers, data, end, fixed, 0, 0, qe_table)
        _, value = magnitude(registers, data, end, ac_stats, table, cursor + 2,
                             AC_X2_LOW if k <= kx else AC_X2_HIGH, False, qe_table)
        if registers[PROBLEM]:
            return
        if (value << al) > 32767:
            registers[PROBLEM] = AC_TOO_LARGE
            return
        out[k] = -(value << al) if sign else value << al
        k += 1


@kernel
def ac_refinement(registers, data, end, ac_stats, table, fixed, out, ss, se, al, qe_table):
    """G.2's AC refinement (jdarith.c decode_mcu_AC_refine), into ``out`` (zigzag order)."""
    p1 = 1 << al
    previous_last = se
    while previous_last > 0 and out[previous_last] == 0:
        previous_last -= 1
    k = ss
    while k <= se:
        cursor = 3 * (k - 1)
        if k > previous_last and decide(registers, data, end, ac_stats, table, cursor, qe_table):
            return
        while True:
            coefficient = out[k]
            if coefficient:
                if decide(registers, data, end, ac_stats, table, cursor + 2, qe_table):
                    out[k] = coefficient - p1 if coefficient < 0 else coefficient + p1
                break
            if decide(registers, data, end, ac_stats, table, cursor + 1, qe_table):
                out[k] = -p1 if decide(registers, data, end, fixed, 0, 0, qe_table) else p1
                break
            cursor += 3
            k += 1
            if k > se:
                registers[PROBLEM] = PAST_BAND
                return
        k += 1


# -- whole scans ------------------------------------------------------------------------------

@kernel
def decode_sequential(data, starts, outputs, placements, across, total_mcus, interval,
                      bounds, kxs, qe_table, zigzag_order):
    """F.2.4 over a whole sequential scan, into ``outputs`` (per scan component, int16
    ``(block_rows, block_cols, 8, 8)``, natural order). ``placements`` int64 (blocks per
    MCU, 8): slot, by, bx, h, v, the component's frame index (its DC context, as the
    textbook keys it), its DC and AC table numbers. Dummy blocks are decoded and dropped."""
    registers = np.zeros(REGISTERS, np.int64)
    dc_stats = np.zeros((TABLES, DC_STAT_BINS), np.uint8)
    ac_stats = np.zeros((TABLES, AC_STAT_BINS), np.uint8)
    fixed = np.zeros((1, 1), np.uint8)
    contexts = np.zeros(4, np.int64)
    block = np.zeros(64, np.int16)  # AC values are checked to fit (ac_band), the DC apart
    for number in range(len(starts) - 1):
        start_interval(registers, starts[number], dc_stats, ac_stats, fixed, contexts)
        end = starts[number + 1]
        predictors = np.zeros(4, np.int64)
        first = number * interval
        for mcu in range(first, min(first + interval, total_mcus)):
            mcu_row, mcu_col = mcu // across, mcu % across
            for j in range(placements.shape[0]):
                slot, by, bx, h, v, key, dc_table, ac_table = placements[j]
                block[:] = 0
                dc = predictors[slot] + dc_difference(
                    registers, data, end, dc_stats, dc_table, contexts, key, bounds[dc_table],
                    qe_table)
                if registers[PROBLEM]:
                    return registers[PROBLEM]
                ac_band(registers, data, end, ac_stats, ac_table, fixed, kxs[ac_table], block,
                        1, 63, 0, qe_table)
                if registers[PROBLEM]:
                    return registers[PROBLEM]
                if not -32768 <= dc <= 32767:
                    return DC_OVERFLOW
                predictors[slot] = block[0] = dc
                row, col = mcu_row * v + by, mcu_col * h + bx
                output = outputs[slot]
                if row < output.shape[0] and col < output.shape[1]:
                    for k in range(64):
                        n = zigzag_order[k]
                        output[row, col, n >> 3, n & 7] = block[k]
    return OK


@kernel
def decode_progressive(data, starts, outputs, placements, across, total_mcus, interval,
                       ss, se, ah, al, bounds, kxs, qe_table):
    """G.2 over a whole progressive scan, into ``outputs`` (per scan component, its zigzag
    int16 ``(blocks, 64)``); ``placements`` as for :func:`decode_sequential`, the last but
    two column the component's width in blocks instead of a context (the contexts are the
    slots', as the textbook keys them). Dummy blocks are decoded and dropped."""
    registers = np.zeros(REGISTERS, np.int64)
    dc_stats = np.zeros((TABLES, DC_STAT_BINS), np.uint8)
    ac_stats = np.zeros((TABLES, AC_STAT_BINS), np.uint8)
    fixed = np.zeros((1, 1), np.uint8)
    contexts = np.zeros(4, np.int64)
    limit16 = np.int64(1) << (15 - al)
    for number in range(len(starts) - 1):
        start_interval(registers, starts[number], dc_stats, ac_stats, fixed, contexts)
        end = starts[number + 1]
        predictors = np.zeros(4, np.int64)
        first = number * interval
        for mcu in range(first, min(first + interval, total_mcus)):
            mcu_row, mcu_col = mcu // across, mcu % across
            for j in range(placements.shape[0]):
                slot, by, bx, h, v, cols, dc_table, ac_table = placements[j]
                row, col = mcu_row * v + by, mcu_col * h + bx
                zigzag = outputs[slot]
                target = row * cols + col
                real = col < cols and target < zigzag.shape[0]
                if ss == 0 and ah == 0:
                    predictors[slot] += dc_difference(registers, data, end, dc_stats, dc_table,
                                                      contexts, slot, bounds[dc_table], qe_table)
                    if registers[PROBLEM]:
                        return registers[PROBLEM]
                    if real:
                        if not -limit16 <= predictors[slot] < limit16:
                            return -DC_OVERFLOW  # the textbook names the scan
                        zigzag[target, 0] = predictors[slot] << al
                elif ss == 0:
                    if decide(registers, data, end, fixed, 0, 0, qe_table) and real:
                        zigzag[target, 0] |= np.int16(1 << al)
                elif ah == 0:
                    ac_band(registers, data, end, ac_stats, ac_table, fixed, kxs[ac_table],
                            zigzag[target], ss, se, al, qe_table)
                else:
                    ac_refinement(registers, data, end, ac_stats, ac_table, fixed,
                                  zigzag[target], ss, se, al, qe_table)
                if registers[PROBLEM]:
                    return registers[PROBLEM]
    return OK


# -- from Python ------------------------------------------------------------------------------

def conditioning_arrays(conditioning: dict[tuple[int, int], int]) -> tuple[np.ndarray, np.ndarray]:
    """The DAC values by table number: DC bounds ``U << 4 | L`` and AC Kx, int64 (16,) each,
    T.81's defaults where no DAC names the table (F.1.4.4.1.4, F.1.4.4.2.2)."""
    bounds = np.full(TABLES, ARITH_DC_U << 4 | ARITH_DC_L, np.int64)
    kxs = np.full(TABLES, ARITH_AC_K, np.int64)
    for (tc, tb), value in conditioning.items():
        if tc == 0:
            bounds[tb] = value
        elif tc == 1:
            kxs[tb] = value  # a DAC's other classes name no table the scans use
    return bounds, kxs


def decode_scan(outputs: list[np.ndarray], placements: np.ndarray, across: int, total_mcus: int,
                interval: int, segments: list[bytes], conditioning: dict[tuple[int, int], int],
                scan: Any = None) -> None:
    """Decode one arithmetic-coded scan with the kernels, in place.

    Args:
        outputs: per scan component: for a sequential scan (``scan`` None) its int16
            ``(block_rows, block_cols, 8, 8)`` natural-order array; for a progressive one
            its zigzag int16 ``(blocks, 64)``.
        placements: int64 ``(blocks per MCU, 8)``: slot, by, bx, h, v, then the component's
            frame index (sequential) or its width in blocks (progressive), then its DC and
            AC conditioning table numbers.
        conditioning: the DAC values in force, by ``(Tc, Tb)``.
        scan: the :class:`~stripjpeg.progressive_reader.ProgressiveScan`, or None for a
            sequential scan.

    Raises:
        ValueError: the textbook's, for the first impossible decision.
    """
    data, starts = joined_intervals(segments)
    bounds, kxs = conditioning_arrays(conditioning)
    qe_table = np.ascontiguousarray(QE_TABLE, np.int64)
    if scan is None:
        problem = decode_sequential(data, starts, tuple(outputs), placements, across, total_mcus,
                                    interval, bounds, kxs, qe_table, np.asarray(ZIGZAG, np.int64))
    else:
        problem = decode_progressive(data, starts, tuple(outputs), placements, across,
                                     total_mcus, interval, scan.ss, scan.se, scan.ah, scan.al,
                                     bounds, kxs, qe_table)
    if problem < 0:
        raise ValueError(f"{scan}: {PROBLEMS[-problem]}")
    if problem:
        raise ValueError(PROBLEMS[problem])


def decode_sequential_scan(coefficients: list[np.ndarray], members: list[tuple[int, int, int]],
                           components: list, across: int, total_mcus: int, interval: int,
                           segments: list[bytes], conditioning: dict[tuple[int, int], int]) -> None:
    """:func:`decode_scan` for a sequential scan as :mod:`stripjpeg.reader` lays it out:
    ``members`` its ``(component index, DC table, AC table)``, ``components`` the frame's
    (:class:`~stripjpeg.scan_decoding.FrameComponent`), ``coefficients`` every component's
    natural-order array; the MCU of a scan of one component is one block (A.2.2)."""
    single = len(members) == 1
    placements = [(slot, by, bx, 1 if single else components[index].h,
                   1 if single else components[index].v, index, dc, ac)
                  for slot, (index, dc, ac) in enumerate(members)
                  for by in range(1 if single else components[index].v)
                  for bx in range(1 if single else components[index].h)]
    decode_scan([coefficients[index] for index, _, _ in members],
                np.array(placements, np.int64).reshape(-1, 8), across, total_mcus, interval,
                segments, conditioning)
