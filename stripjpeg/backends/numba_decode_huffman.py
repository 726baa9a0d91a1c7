"""The numba sequential Huffman decoder: the MCUs of a band, straight from the file's bytes.

The same coefficients as :mod:`stripjpeg.decoding.entropy` (the NumPy textbook) and
:func:`stripjpeg.reader.read_coefficients`, decoded as libjpeg's ``jdhuff.c`` does:

* bits are read MSB first into a 64-bit buffer, a byte at a time; 0xFF 0x00 is a stuffed
  0xFF (B.1.1.5), 0xFF fill bytes before a marker are skipped, and at a marker the reader
  stops and supplies zero bits, as ``jpeg_fill_bit_buffer`` does;
* a symbol is found with a 9-bit lookahead table (``HUFF_LOOKAHEAD`` in ``jdhuff.h``): one
  lookup for every code of up to 9 bits, the standard's DECODE (F.2.2.3, ``maxcode`` per
  length) for the longer ones;
* at the end of each restart interval the bits left are dropped, the next marker must be the
  RSTn next in sequence, and the DC predictions restart at 0 (F.1.2.3, ``process_restart``);
* data that ends early (a truncated file) is read as zero bits to the end of the MCU it ends
  in, and every later MCU is left all zero, as libjpeg's ``insufficient_data`` does.

A call decodes MCUs ``[first_mcu, first_mcu + count)`` from a decoder state (an int64 array,
:data:`STATE_SIZE`: where the reader is, its bits, the predictions, the restart count) that
the call updates, so the bands of a file without restart markers are decoded one after the
other by the same state, and a band that starts an interval begins from a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..decoding.bands import Band, SequentialLayout
from ..scan_decoding import HuffmanTable
from ..tables import ZIGZAG
from .numba_jit import inline_kernel, kernel

#: Decoder state fields (indices into the int64 state array).
POSITION, BUFFER, BITS, FAKE, AT_MARKER, RESTARTS_TO_GO, NEXT_RST, INSUFFICIENT = range(8)
PREDICTIONS = 8  # 4 fields, one per scan component
PROBLEM, PROBLEM_MCU = 12, 13  # the first problem met (non-strict decoding goes on)
STATE_SIZE = 14

#: Problems the kernel reports (see :data:`PROBLEMS`).
OK, BAD_CODE, RUN_PAST_END, DC_TOO_LARGE, BAD_RESTART, TRUNCATED, DC_OVERFLOW = range(7)
PROBLEMS = {
    BAD_CODE: "invalid Huffman code",
    RUN_PAST_END: "an AC run goes past the 64th coefficient of a block",
    DC_TOO_LARGE: "DC difference of more than 11 bits (8-bit JPEG)",
    BAD_RESTART: "the restart marker is missing or out of sequence",
    TRUNCATED: "truncated entropy-coded data: the data ends inside a restart interval",
    DC_OVERFLOW: "a DC value outside 16 bits",
}

#: Bits looked ahead for one lookup (libjpeg's HUFF_LOOKAHEAD).
LOOKAHEAD = 9


def lookahead_table(table: HuffmanTable, dc: bool) -> tuple[np.ndarray, ...]:
    """A Huffman table as the kernel reads it.

    Returns ``(lookup, maxcode, valoffset, values, fast)``: ``lookup[next 9 bits] =
    symbol << 4 | length`` for the codes of at most 9 bits (0 where none starts with those
    bits), int32 (512,); ``maxcode`` int32 (18,) and ``valoffset`` int32 (17,) by code length
    as in F.2.2.3; ``values`` uint8 (256,); and ``fast[next 9 bits] = value << 16 | 1 << 8 |
    run << 4 | bits`` where a code and its amplitude bits (F.1.2.1, F.1.2.2) both fit in those
    9 bits: the value, EXTENDed, the zero run (AC), and the bits of both; else 0. The DC
    table's symbols are sizes (a size of 0 is a difference of 0); the AC table's EOB and ZRL
    (size 0) are left to the symbol lookup.
    """
    maxcode = np.full(18, -1, np.int32)
    maxcode[:17] = table.maxcode
    maxcode[17] = 1 << 30  # a sentinel past the longest code (libjpeg's maxcode[17])
    valoffset = np.asarray(table.offset, np.int32)
    values = np.zeros(256, np.uint8)
    values[:len(table.values)] = np.frombuffer(table.values, np.uint8)
    prefixes = np.arange(1 << LOOKAHEAD)
    lookup = np.zeros(1 << LOOKAHEAD, np.int32)
    found = np.zeros(1 << LOOKAHEAD, bool)
    for length in range(1, LOOKAHEAD + 1):  # DECODE: the first length whose maxcode is >= the code
        code = prefixes >> (LOOKAHEAD - length)
        hit = ~found & (code <= table.maxcode[length])
        index = np.clip(code + table.offset[length], 0, 255)
        lookup[hit] = (values[index[hit]].astype(np.int32) << 4) | length
        found |= hit
    symbol, length = lookup >> 4, lookup & 15
    size = symbol if dc else symbol & 15
    fits = (lookup != 0) & ((size > 0) | dc) & (size <= 15) & (length + size <= LOOKAHEAD)
    amplitude = (prefixes >> np.maximum(LOOKAHEAD - length - size, 0)) & ((1 << size) - 1)
    value = np.where(amplitude < (1 << np.maximum(size - 1, 0)),
                     amplitude - (1 << size) + 1, amplitude)  # F.2.2.1 EXTEND
    run = 0 if dc else symbol >> 4
    fast = np.where(fits, np.where(size > 0, value, 0) * 65536 + 256 + (run << 4) + length + size, 0)
    return lookup, maxcode, valoffset, values, fast.astype(np.int32)


def pack_tables(tables: list[tuple[HuffmanTable, HuffmanTable]]) -> tuple[np.ndarray, ...]:
    """Per scan component its (DC, AC) tables, stacked: row ``2k`` DC, ``2k + 1`` AC."""
    packed = [lookahead_table(t, dc) for pair in tables for t, dc in zip(pair, (True, False))]
    return tuple(np.ascontiguousarray(np.stack(parts)) for parts in zip(*packed))


def fresh_state(position: int, restart_interval: int, interval: int) -> np.ndarray:
    """The state at the start of restart interval ``interval``, whose data begins at byte
    ``position``."""
    state = np.zeros(STATE_SIZE, np.int64)
    state[POSITION] = position
    state[RESTARTS_TO_GO] = restart_interval
    state[NEXT_RST] = interval % 8
    return state


@inline_kernel
def _fill(data, position, buffer, bits, fake, at_marker):
    """Top the bit buffer up to more than 48 bits (jdhuff.c jpeg_fill_bit_buffer)."""
    n = data.shape[0]
    buffer &= (np.int64(1) << bits) - 1
    while bits <= 48:
        byte = 0
        if not at_marker:
            if position >= n:
                at_marker = 1
            else:
                byte = data[position]
                if byte == 0xFF:
                    after = position + 1
                    while after < n and data[after] == 0xFF:  # fill bytes (B.1.1.2)
                        after += 1
                    if after < n and data[after] == 0:
                        position = after + 1  # a stuffed 0xFF (B.1.1.5)
                    else:
                        at_marker = 1  # a marker: stop here, supply zeros
                        position = after - 1 if after < n else n
                        byte = 0
                else:
                    position += 1
        buffer = (buffer << 8) | byte
        bits += 8
        if at_marker:
            fake += 8
    return position, buffer, bits, fake


@inline_kernel
def _decode_symbol(buffer, bits, t, lookup, maxcode, valoffset, values):
    """One symbol from a buffer holding at least 16 bits: ``(symbol or -1, length)``."""
    entry = lookup[t, (buffer >> (bits - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)]
    if entry != 0:
        return np.int64(entry >> 4), np.int64(entry & 15)
    for length in range(LOOKAHEAD + 1, 17):
        code = (buffer >> (bits - length)) & ((1 << length) - 1)
        if code <= maxcode[t, length]:
            return np.int64(values[t, code + valoffset[t, length]]), np.int64(length)
    return np.int64(-1), np.int64(0)


@inline_kernel
def _extend(value, size):
    """F.2.2.1 EXTEND."""
    if value < (1 << (size - 1)):
        return value - (1 << size) + 1
    return value


@inline_kernel
def _restart(data, state):
    """Enter the next restart interval (jdhuff.c process_restart, jdmarker.c
    read_restart_marker): drop the bits left, find the next marker, check it is the RSTn
    expected. Returns False when it is not (or there is none)."""
    n = data.shape[0]
    position = state[POSITION]
    if not state[AT_MARKER]:  # skip to the next marker (extraneous bytes are ignored)
        while position < n:
            if data[position] == 0xFF and position + 1 < n and data[position + 1] != 0 \
                    and data[position + 1] != 0xFF:
                break
            position += 1
    state[BUFFER] = 0
    state[BITS] = 0
    state[FAKE] = 0
    if position + 1 < n and data[position + 1] == 0xD0 + state[NEXT_RST]:
        state[POSITION] = position + 2
        state[AT_MARKER] = 0
        state[INSUFFICIENT] = 0
        state[NEXT_RST] = (state[NEXT_RST] + 1) & 7
        for k in range(4):
            state[PREDICTIONS + k] = 0
        return True
    # No such RSTn (an EOI where the file was cut): stay at the marker, as libjpeg does,
    # so the rest of the scan decodes as zeros.
    state[POSITION] = min(position, n)
    state[AT_MARKER] = 1
    state[INSUFFICIENT] = 1
    return False


@inline_kernel
def _zero_mcu(out, layout, components, mcu_row, mcu_col):
    """Zero the MCU's blocks in ``out`` (those of the band's own blocks), before decoding."""
    for b in range(layout.shape[0]):
        component = layout[b, 0]
        local = mcu_row * layout[b, 4] + layout[b, 2] - components[component, 2]
        col = mcu_col * layout[b, 5] + layout[b, 3]
        if local < components[component, 3] and col < components[component, 1]:
            out[components[component, 0] + local * components[component, 1] + col, :] = 0


@inline_kernel
def _note(state, problem, mcu):
    if state[PROBLEM] == OK:
        state[PROBLEM] = problem
        state[PROBLEM_MCU] = mcu


@kernel
def decode_mcus(data, state, first_mcu, count, mcus_across, restart_interval, layout,
                components, lookup, maxcode, valoffset, values, fast_table, zigzag, out, strict):
    """Decode MCUs ``[first_mcu, first_mcu + count)`` into ``out``.

    Args:
        data: uint8, the file's bytes.
        state: int64 (STATE_SIZE,), updated (see :func:`fresh_state`).
        layout: int64 (blocks in MCU, 5): per block of the MCU, the component's frame index,
            its scan position (its tables are rows 2k and 2k+1), block row and column in the
            MCU, and the component's MCU block rows and columns (v, h).
        components: int64 (components, 4): per component, its first row in ``out``, its width
            in blocks, the first block row of the band and the band's block rows.
        lookup, maxcode, valoffset, values, fast_table: :func:`pack_tables`.
        zigzag: int64 (64,), natural index of each zigzag position.
        out: int16 (blocks, 64), each block zeroed here before it is decoded (every block of
            the band is in one of its MCUs); block ``(r, c)`` of component ``i`` is row
            ``components[i, 0] + (r - components[i, 2]) * components[i, 1] + c``.
        strict: stop at the first problem; else note it in the state and go on as libjpeg.

    Returns the problem (OK, or the first one met when ``strict``).
    """
    position, buffer, bits, fake = state[POSITION], state[BUFFER], state[BITS], state[FAKE]
    at_marker, insufficient = state[AT_MARKER], state[INSUFFICIENT]
    restarts_to_go = state[RESTARTS_TO_GO]
    predictions = state[PREDICTIONS:PREDICTIONS + 4].copy()
    blocks = layout.shape[0]
    for mcu in range(first_mcu, first_mcu + count):
        if restart_interval:
            if restarts_to_go == 0:
                state[POSITION], state[AT_MARKER] = position, at_marker
                if not _restart(data, state) and strict:
                    return TRUNCATED if state[POSITION] >= data.shape[0] - 2 else BAD_RESTART
                if state[INSUFFICIENT]:
                    _note(state, TRUNCATED if state[POSITION] >= data.shape[0] - 2 else BAD_RESTART,
                          mcu)
                position, buffer, bits, fake = state[POSITION], 0, 0, 0
                at_marker, insufficient = state[AT_MARKER], state[INSUFFICIENT]
                predictions[:] = 0
                restarts_to_go = restart_interval
            restarts_to_go -= 1
        mcu_row = mcu // mcus_across
        mcu_col = mcu - mcu_row * mcus_across
        _zero_mcu(out, layout, components, mcu_row, mcu_col)
        if insufficient:
            continue  # libjpeg leaves the MCUs after the data ran out all zero
        problem = OK
        for b in range(blocks):
            component, member = layout[b, 0], layout[b, 1]
            row = mcu_row * layout[b, 4] + layout[b, 2]
            col = mcu_col * layout[b, 5] + layout[b, 3]
            local = row - components[component, 2]
            keep = local < components[component, 3] and col < components[component, 1]
            target = components[component, 0] + local * components[component, 1] + col
            # DC (F.2.2.1)
            if bits < 32:
                position, buffer, bits, fake = _fill(data, position, buffer, bits, fake, at_marker)
                at_marker = 1 if fake else at_marker
            fast = fast_table[2 * member, (buffer >> (bits - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)]
            if fast != 0:  # the code and the difference's bits in one lookup
                difference = fast >> 16
                bits -= fast & 15
            else:
                symbol, length = _decode_symbol(buffer, bits, 2 * member, lookup, maxcode,
                                                valoffset, values)
                if symbol < 0:
                    problem = BAD_CODE
                    break
                if symbol > 11:
                    problem = DC_TOO_LARGE
                    break
                bits -= length
                difference = 0
                if symbol:
                    difference = _extend((buffer >> (bits - symbol)) & ((1 << symbol) - 1), symbol)
                    bits -= symbol
            value = predictions[member] + difference
            if value < -32768 or value > 32767:
                problem = DC_OVERFLOW
                break
            predictions[member] = value
            if keep:
                out[target, 0] = value
            # AC (F.2.2.2)
            k = 1
            while k < 64:
                if bits < 32:
                    position, buffer, bits, fake = _fill(data, position, buffer, bits, fake, at_marker)
                    at_marker = 1 if fake else at_marker
                fast = fast_table[2 * member + 1, (buffer >> (bits - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)]
                if fast != 0:  # a short code and its amplitude in one lookup
                    k += (fast >> 4) & 15
                    bits -= fast & 15
                    if k > 63:
                        problem = RUN_PAST_END
                        break
                    if keep:
                        out[target, zigzag[k]] = fast >> 16
                    k += 1
                    continue
                symbol, length = _decode_symbol(buffer, bits, 2 * member + 1, lookup, maxcode,
                                                valoffset, values)
                if symbol < 0:
                    problem = BAD_CODE
                    break
                bits -= length
                run, size = symbol >> 4, symbol & 15
                if size == 0:
                    if run != 15:
                        break  # EOB
                    k += 16  # ZRL
                    continue
                k += run
                if k > 63:
                    problem = RUN_PAST_END
                    break
                coefficient = _extend((buffer >> (bits - size)) & ((1 << size) - 1), size)
                bits -= size
                if keep:
                    out[target, zigzag[k]] = coefficient
                k += 1
            if problem == OK and k > 64:
                problem = RUN_PAST_END
            if problem != OK:
                break
        if problem == OK and bits < fake:
            problem = TRUNCATED  # this MCU needed bits past the end of its data
        if problem != OK:
            if strict:
                return problem
            _note(state, problem, mcu)
            insufficient = 1
        if bits < fake:
            fake = bits
    state[POSITION], state[BUFFER], state[BITS], state[FAKE] = position, buffer, bits, fake
    state[AT_MARKER], state[INSUFFICIENT], state[RESTARTS_TO_GO] = at_marker, insufficient, restarts_to_go
    state[PREDICTIONS:PREDICTIONS + 4] = predictions
    return OK


@dataclass(frozen=True)
class ScanTables:
    """What :func:`decode_mcus` needs of a scan, built once per file."""

    layout: np.ndarray
    lookup: np.ndarray
    maxcode: np.ndarray
    valoffset: np.ndarray
    values: np.ndarray
    fast: np.ndarray
    zigzag: np.ndarray


def scan_tables(layout: SequentialLayout) -> ScanTables:
    """The kernel's view of a scan: its MCU layout and its Huffman tables."""
    rows = []
    for k, member in enumerate(layout.members):
        v, h = layout.mcu_blocks(member.index)
        rows += [(member.index, k, by, bx, v, h) for by in range(v) for bx in range(h)]
    packed = pack_tables([(m.dc, m.ac) for m in layout.members])
    return ScanTables(np.asarray(rows, np.int64), *packed, np.asarray(ZIGZAG, np.int64))


def decode_band(data: np.ndarray, layout: SequentialLayout, band: Band, offsets: np.ndarray,
                tables: ScanTables, state: np.ndarray | None = None, strict: bool = True
                ) -> tuple[list[np.ndarray], np.ndarray, str | None]:
    """The band's blocks, as :func:`stripjpeg.decoding.entropy.decode_band` returns them.

    Args:
        data: uint8, the file's bytes.
        offsets: each restart interval's first byte (those present in the data).
        state: where the previous band stopped (serial decoding), or None to start
            interval ``band.first_interval`` afresh.

    Returns ``(blocks, state, problem)``; with ``strict`` a problem is a ValueError.
    """
    components = np.zeros((len(layout.frame.components), 4), np.int64)
    shapes, base = [], 0
    for index, component in enumerate(layout.frame.components):
        v, _ = layout.mcu_blocks(index)
        first = band.first_mcu_row * v
        rows = max(0, min(band.stop_mcu_row * v, component.height_in_blocks) - first)
        components[index] = base, component.width_in_blocks, first, rows
        shapes.append((rows, component.width_in_blocks))
        base += rows * component.width_in_blocks
    out = np.empty((base, 64), np.int16)  # every block is zeroed by the kernel
    problem = None
    if state is None:
        state = fresh_state(0, layout.restart_interval, band.first_interval)
        if band.first_interval < len(offsets):
            state[POSITION] = offsets[band.first_interval]
        else:  # a truncated file: the interval is not there
            state[POSITION], state[AT_MARKER], state[INSUFFICIENT] = len(data), 1, 1
            problem = PROBLEMS[TRUNCATED]
            if strict:
                raise ValueError(f"truncated JPEG: restart interval {band.first_interval} is missing")
    first_mcu = band.first_mcu_row * layout.mcus_across
    count = band.mcu_rows * layout.mcus_across
    code = decode_mcus(data, state, first_mcu, count, layout.mcus_across, layout.restart_interval,
                       tables.layout, components, tables.lookup, tables.maxcode, tables.valoffset,
                       tables.values, tables.fast, tables.zigzag, out, strict)
    if code != OK:
        raise ValueError(f"{PROBLEMS[code]} (in MCU row {band.first_mcu_row} or after)")
    if state[PROBLEM] != OK:
        problem = problem or f"{PROBLEMS[int(state[PROBLEM])]} (MCU {int(state[PROBLEM_MCU])})"
    views, base = [], 0
    for rows, cols in shapes:
        views.append(out[base:base + rows * cols].reshape(rows, cols, 8, 8))
        base += rows * cols
    return views, state, problem
