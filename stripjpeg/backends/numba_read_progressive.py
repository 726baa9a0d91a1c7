"""The fast path of reading progressive Huffman scans (T.81 G.2): one numba kernel per kind
of scan, each decoding a whole scan, every restart interval, into the components' arrays.

The same coefficients, and the same ``ValueError`` for the same broken file, as
:mod:`stripjpeg.progressive_reader` (read that one to learn the decoding; the names and the
order of every check here are its names and its order): :func:`decode_dc_first` (G.2.1),
:func:`decode_dc_refinement` (G.1.2.1), :func:`decode_ac_first` (G.2.2, EOBRUN) and
:func:`decode_ac_refinement` (G.1.2.3, Figure G.7, correction bits).

A scan's restart intervals come joined in one uint8 array (``starts[i]`` is where interval
``i``'s unstuffed bytes begin, ``starts[-1]`` their end), padded with zero bytes; a kernel
reads bits MSB first from ``8 * starts[i]`` and never past ``8 * starts[i + 1]``: the bits it
looks ahead past that limit read as zeros, as the textbook's :class:`BitReader` pads them. A
kernel stops at the first impossible bit pattern and returns a problem code (:data:`PROBLEMS`)
with its detail in ``info``; :func:`decode_scan` turns it into the textbook's ``ValueError``.
Every array index a kernel computes is inside its array by construction (the block grids
come from the frame, the zigzag positions from ``Ss..Se <= 63``), and every loop reads at
least one bit or moves on a block, so a kernel neither reads out of bounds nor hangs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..scan_decoding import HuffmanTable
from .numba_jit import inline_kernel, kernel

#: Problem codes a kernel returns (0: the scan decoded).
(OK, BAD_CODE, TRUNCATED_BLOCK, TRUNCATED_SCAN, DC_TOO_LARGE, DC_OVERFLOW, AC_RUN_PAST_BAND,
 AC_VALUE_TOO_LARGE, ZERO_RUNS_PAST_BAND, REFINEMENT_SIZE, REFINEMENT_RUN_PAST_BAND) = range(11)

#: The textbook's message for each problem; ``{scan}`` is the scan, ``{detail}`` the kernel's
#: ``info[0]`` (a bit position or a size), ``{max_dc_size}`` and ``{al}`` the scan's limits.
PROBLEMS = {
    BAD_CODE: "invalid Huffman code at bit {detail} of a restart interval",
    TRUNCATED_BLOCK: "truncated entropy-coded data: a block runs past its restart interval",
    TRUNCATED_SCAN: "truncated entropy-coded data: a scan runs past its restart interval",
    DC_TOO_LARGE: "{scan}: DC difference of size {detail}: over the {max_dc_size} bits of "
                  "{precision}-bit JPEG",
    DC_OVERFLOW: "{scan}: a DC value outside 16 bits",
    AC_RUN_PAST_BAND: "{scan}: an AC run goes past the end of the band",
    AC_VALUE_TOO_LARGE: "{scan}: an AC value of {detail} bits shifted by Al={al} is outside 16 bits",
    ZERO_RUNS_PAST_BAND: "{scan}: zero runs go past the end of the band",
    REFINEMENT_SIZE: "{scan}: a newly nonzero coefficient of size {detail}: a refinement scan "
                     "can only make a coefficient ±1 (G.1.2.3)",
    REFINEMENT_RUN_PAST_BAND: "{scan}: a zero run goes past the end of the band",
}

#: The textbook's SHORT_RUN: a refinement EOBRUN over more coefficients than this reads its
#: correction bits at once there, so running out of bits in it is "a scan runs past".
SHORT_RUN = 256


# -- the arrays a kernel reads ----------------------------------------------------------------

def huffman_arrays(tables: list[HuffmanTable]) -> tuple[np.ndarray, ...]:
    """Huffman tables as the kernels read them, one row per table: ``lookup`` int32 (n, 256)
    (``symbol << 5 | length`` by the next 8 bits, as :class:`HuffmanTable` has it),
    ``maxcode`` and ``offset`` int32 (n, 17) by code length, ``values`` int32 (n, 256)."""
    lookup = np.array([table.lookup for table in tables], np.int32).reshape(len(tables), 256)
    maxcode = np.array([table.maxcode for table in tables], np.int32).reshape(len(tables), 17)
    offset = np.array([table.offset for table in tables], np.int32).reshape(len(tables), 17)
    values = np.zeros((len(tables), 256), np.int32)
    for row, table in enumerate(tables):
        values[row, :len(table.values)] = np.frombuffer(table.values, np.uint8)
    return lookup, maxcode, offset, values


def joined_intervals(segments: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The restart intervals' bytes joined, with four zero bytes after (what a look-ahead may
    read), and ``starts`` int64 (intervals + 1,): where each begins, then where the last ends."""
    starts = np.zeros(len(segments) + 1, np.int64)
    np.cumsum([len(segment) for segment in segments], out=starts[1:])
    data = np.frombuffer(b"".join(segments) + b"\x00\x00\x00\x00", np.uint8)
    return data, starts


# -- bits and symbols -------------------------------------------------------------------------

@inline_kernel
def peek16(data, position, limit):
    """The 16 bits from bit ``position``, the ones at or past ``limit`` read as 0."""
    i = position >> 3
    window = (np.int64(data[i]) << 16) | (np.int64(data[i + 1]) << 8) | np.int64(data[i + 2])
    bits = (window >> (8 - (position & 7))) & 0xFFFF
    over = position + 16 - limit
    if over >= 16:
        return np.int64(0)
    if over > 0:
        bits &= 0xFFFF ^ ((np.int64(1) << over) - 1)
    return bits


@inline_kernel
def bits_at(data, position, count):
    """``count`` (0..16) bits from bit ``position`` as an unsigned integer (unchecked)."""
    i = position >> 3
    window = (np.int64(data[i]) << 24) | (np.int64(data[i + 1]) << 16) \
        | (np.int64(data[i + 2]) << 8) | np.int64(data[i + 3])
    return (window >> (32 - (position & 7) - count)) & ((np.int64(1) << count) - 1)


@inline_kernel
def extend(bits, size):
    """F.2.2.1 EXTEND."""
    if size == 0:
        return np.int64(0)
    if bits < (np.int64(1) << (size - 1)):
        return bits - (np.int64(1) << size) + 1
    return bits


@inline_kernel
def decode_symbol(data, position, limit, lookup, maxcode, offset, values, t):
    """``(symbol, new position)`` of the next Huffman code of table row ``t`` (F.2.2.3);
    symbol -1 for an invalid code, -2 for a code past the interval's end."""
    bits = peek16(data, position, limit)
    entry = lookup[t, bits >> 8]
    if entry:
        length = entry & 31
        if position + length > limit:
            return -2, position
        return entry >> 5, position + length
    for length in range(9, 17):
        code = bits >> (16 - length)
        if code <= maxcode[t, length]:
            if position + length > limit:
                return -2, position
            return values[t, (code + offset[t, length]) & 255], position + length
    return -1, position


@inline_kernel
def symbol_problem(symbol, position, start, info):
    """The problem code of a failed :func:`decode_symbol`, its bit position in ``info``."""
    info[0] = position - 8 * start
    return BAD_CODE if symbol == -1 else TRUNCATED_BLOCK


@inline_kernel
def add_correction(zigzag, block, k, p1):
    """A correction bit of 1 (G.1.2.3): ``p1`` more magnitude, if that bit is still clear."""
    coefficient = zigzag[block, k]
    if not coefficient & p1:
        zigzag[block, k] = coefficient + p1 if coefficient > 0 else coefficient - p1


# -- the four kinds of scan -------------------------------------------------------------------

@kernel
def decode_dc_first(data, starts, outputs, placements, across, total_mcus, interval, al,
                    max_dc_size, lookup, maxcode, offset, values, info):
    """G.2.1 over a whole scan. ``outputs``: per scan component, its zigzag int16 (blocks, 64);
    ``placements`` int64 (blocks per MCU, 6): slot, by, bx, h, v of each block of the MCU, and
    the component's width in blocks; tables by slot."""
    limit16 = np.int64(1) << (15 - al)
    predictors = np.zeros(4, np.int64)
    for number in range(len(starts) - 1):
        position, limit = 8 * starts[number], 8 * starts[number + 1]
        predictors[:] = 0
        first = number * interval
        for mcu in range(first, min(first + interval, total_mcus)):
            mcu_row, mcu_col = mcu // across, mcu % across
            for j in range(placements.shape[0]):
                slot, by, bx, h, v, cols = placements[j]
                size, position = decode_symbol(data, position, limit, lookup, maxcode, offset,
                                               values, slot)
                if size < 0:
                    return symbol_problem(size, position, starts[number], info)
                if size > max_dc_size:
                    info[0] = size
                    return DC_TOO_LARGE
                if position + size > limit:
                    return TRUNCATED_BLOCK
                value = predictors[slot] + extend(bits_at(data, position, size), size)
                position += size
                predictors[slot] = value
                row, col = mcu_row * v + by, mcu_col * h + bx
                zigzag = outputs[slot]
                if col < cols and row * cols + col < zigzag.shape[0]:
                    if not -limit16 <= value < limit16:
                        return DC_OVERFLOW
                    zigzag[row * cols + col, 0] = value << al
    return OK


@kernel
def decode_dc_refinement(data, starts, outputs, placements, across, total_mcus, interval, al):
    """G.1.2.1 over a whole scan: one bit per block, dummy blocks too, ORed into bit Al."""
    for number in range(len(starts) - 1):
        position, limit = 8 * starts[number], 8 * starts[number + 1]
        first = number * interval
        end = min(first + interval, total_mcus)
        if position + (end - first) * placements.shape[0] > limit:
            return TRUNCATED_SCAN  # the textbook takes the interval's bits at once
        for mcu in range(first, end):
            mcu_row, mcu_col = mcu // across, mcu % across
            for j in range(placements.shape[0]):
                slot, by, bx, h, v, cols = placements[j]
                bit = bits_at(data, position, 1)
                position += 1
                row, col = mcu_row * v + by, mcu_col * h + bx
                zigzag = outputs[slot]
                if bit and col < cols and row * cols + col < zigzag.shape[0]:
                    zigzag[row * cols + col, 0] |= np.int16(1 << al)
    return OK


@kernel
def decode_ac_first(data, starts, zigzag, total_mcus, interval, ss, se, al,
                    lookup, maxcode, offset, values, info):
    """G.2.2 over a whole scan of one component: the band's run/size symbols, and EOBRUNs."""
    for number in range(len(starts) - 1):
        position, limit = 8 * starts[number], 8 * starts[number + 1]
        block = number * interval
        end = min(block + interval, total_mcus)
        eobrun = 0
        while block < end:
            if eobrun:
                skipped = min(eobrun, end - block)
                block += skipped
                eobrun -= skipped
                continue
            k = ss
            while k <= se:
                symbol, position = decode_symbol(data, position, limit, lookup, maxcode, offset,
                                                 values, 0)
                if symbol < 0:
                    return symbol_problem(symbol, position, starts[number], info)
                run, size = symbol >> 4, symbol & 15
                if size:
                    k += run
                    if k > se:
                        return AC_RUN_PAST_BAND
                    if size + al > 15:
                        info[0] = size
                        return AC_VALUE_TOO_LARGE
                    if position + size > limit:
                        return TRUNCATED_BLOCK
                    zigzag[block, k] = extend(bits_at(data, position, size), size) << al
                    position += size
                    k += 1
                elif run == 15:  # ZRL
                    k += 16
                else:  # EOBn
                    if position + run > limit:
                        return TRUNCATED_BLOCK
                    eobrun = (1 << run) + bits_at(data, position, run) - 1
                    position += run
                    break
            if k > se + 1:
                return ZERO_RUNS_PAST_BAND
            block += 1
    return OK


@kernel
def decode_ac_refinement(data, starts, zigzag, total_mcus, interval, ss, se, al,
                         lookup, maxcode, offset, values, info):
    """G.1.2.3 (Figure G.7) over a whole scan of one component: correction bits for the
    coefficients already nonzero, newly nonzero ±2**Al ones, and EOBRUNs."""
    p1 = 1 << al
    for number in range(len(starts) - 1):
        position, limit = 8 * starts[number], 8 * starts[number + 1]
        block = number * interval
        end = min(block + interval, total_mcus)
        eobrun = 0
        while block < end:
            if eobrun:
                count = min(eobrun, end - block)
                short = count * (se - ss + 1) <= SHORT_RUN
                for each in range(block, block + count):
                    for k in range(ss, se + 1):
                        if zigzag[each, k]:
                            if position >= limit:
                                return TRUNCATED_BLOCK if short else TRUNCATED_SCAN
                            if bits_at(data, position, 1):
                                add_correction(zigzag, each, k, p1)
                            position += 1
                block += count
                eobrun -= count
                continue
            k = ss
            while k <= se:
                symbol, position = decode_symbol(data, position, limit, lookup, maxcode, offset,
                                                 values, 0)
                if symbol < 0:
                    return symbol_problem(symbol, position, starts[number], info)
                run, size = symbol >> 4, symbol & 15
                if size == 0 and run != 15:  # EOBn, counting this block
                    if position + run > limit:
                        return TRUNCATED_BLOCK
                    eobrun = (1 << run) + bits_at(data, position, run)
                    position += run
                    break
                if size > 1:
                    info[0] = size
                    return REFINEMENT_SIZE
                value = 0
                if size:
                    if position >= limit:
                        return TRUNCATED_BLOCK
                    value = p1 if bits_at(data, position, 1) else -p1
                    position += 1
                while k <= se:
                    if zigzag[block, k]:
                        if position >= limit:
                            return TRUNCATED_BLOCK
                        if bits_at(data, position, 1):
                            add_correction(zigzag, block, k, p1)
                        position += 1
                    elif run:
                        run -= 1
                    else:
                        break
                    k += 1
                if k > se:
                    return REFINEMENT_RUN_PAST_BAND
                if value:
                    zigzag[block, k] = value
                k += 1
            if eobrun:
                for rest in range(k, se + 1):
                    if zigzag[block, rest]:
                        if position >= limit:
                            return TRUNCATED_BLOCK
                        if bits_at(data, position, 1):
                            add_correction(zigzag, block, rest, p1)
                        position += 1
                eobrun -= 1
            block += 1
    return OK


# -- one scan, from Python --------------------------------------------------------------------

def decode_scan(scan: Any, outputs: list[np.ndarray], placements: np.ndarray, across: int,
                total_mcus: int, interval: int, segments: list[bytes],
                tables: list[HuffmanTable], max_dc_size: int) -> None:
    """Decode one progressive Huffman scan with the kernels, into ``outputs`` (per scan
    component, its zigzag int16 ``(blocks, 64)``, in place).

    Args:
        scan: the :class:`~stripjpeg.progressive_reader.ProgressiveScan` (its ``ss``, ``se``,
            ``ah``, ``al``; its text names it in errors).
        placements: int64 ``(blocks per MCU, 6)``: slot, by, bx, h, v, width in blocks.
        tables: the DC tables by slot (DC first), the AC table (AC scans), or none.

    Raises:
        ValueError: the textbook's, for the first impossible bit pattern.
    """
    data, starts = joined_intervals(segments)
    info = np.zeros(1, np.int64)
    arrays = huffman_arrays(tables) if tables else None
    if scan.ss == 0 and scan.ah == 0:
        problem = decode_dc_first(data, starts, tuple(outputs), placements, across, total_mcus,
                                  interval, scan.al, max_dc_size, *arrays, info)
    elif scan.ss == 0:
        problem = decode_dc_refinement(data, starts, tuple(outputs), placements, across,
                                       total_mcus, interval, scan.al)
    else:
        kernel_for = decode_ac_first if scan.ah == 0 else decode_ac_refinement
        problem = kernel_for(data, starts, outputs[0], total_mcus, interval, scan.ss, scan.se,
                             scan.al, *arrays, info)
    if problem:
        raise ValueError(PROBLEMS[problem].format(
            scan=scan, detail=int(info[0]), max_dc_size=max_dc_size,
            precision=max_dc_size - 3, al=scan.al))
