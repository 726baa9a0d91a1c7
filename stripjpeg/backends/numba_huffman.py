"""The fast path, stage 3: Huffman coding of a strip's blocks, as numba kernels.

The same symbols and bits as :mod:`stripjpeg.stages.huffman` (read that one to learn the coder):

* :func:`code_blocks`   per block, in MCU order: DC difference, run/size symbols, Huffman
                        codes into a 64-bit bit buffer written 8 bytes at a time
                        (:func:`put_bits`, :func:`put_word`), 0xFF stuffed
* :func:`count_blocks`  the same walk, only counting symbols (``optimize=True``)
* :func:`code_intervals`, :func:`count_intervals`  the same, with a restart interval every
                        ``interval`` MCUs wherever it falls (``restart_blocks``)
"""

from __future__ import annotations

import numba
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from .numba_dct import LANES
from .numba_jit import inline_kernel, kernel

# Literal copies of tables.py's constants: numba freezes a global's value into the machine
# code it compiles, so a value imported from tables.py and changed there would not be noticed
# by the cache of the kernels using it (see numba_jit; tables.py is not a kernel module).
# tests/test_numba.py checks every copy against the value tables.py derives.

#: T.81 F.1.2.2.1 (tables.EOB, ZRL).
EOB = 0x00
ZRL = 0xF0

#: The most bytes one block can take in the entropy-coded data. A block codes at most 64
#: symbols (one DC, then at most 63 AC events: each non-zero, ZRL or the EOB stands for at
#: least one of the 63 AC positions), each at most 16 code bits (T.81 C: BITS lists lengths
#: 1..16) plus at most 16 amplitude bits (int16 coefficients, so |value| < 2**16); that is
#: 2048 bits = 256 bytes, and stuffing can at most double it.
MAX_BYTES_PER_BLOCK = 2 * 64 * (16 + 16) // 8
#: Room for the bits pending from the previous strip and the final padding byte, stuffed.
MAX_EXTRA_BYTES = 8

#: Bit buffers are unsigned 64-bit words.
U64 = np.uint64

if numba.config.DISABLE_JIT:
    # Plain Python (NUMBA_DISABLE_JIT=1): the same answers from int methods.
    def bit_length(value):
        """SSSS: the bit length of a non-negative value (Tables F.1, F.2)."""
        return int(value).bit_length()

    def lowest_set_bit(mask):
        """The index of the lowest 1-bit of a non-zero mask."""
        mask = int(mask)
        return (mask & -mask).bit_length() - 1
else:
    @inline_kernel
    def bit_length(value):
        """SSSS: the bit length of a non-negative value (Tables F.1, F.2): one LZCNT."""
        return 64 - leading_zeros(value)

    @inline_kernel
    def lowest_set_bit(mask):
        """The index of the lowest 1-bit of a non-zero mask: one TZCNT."""
        return np.int64(trailing_zeros(mask))


@inline_kernel
def put_byte(out, position, byte):
    """Write one byte of entropy-coded data; a 0xFF is followed by a stuffed 0x00 so that it
    cannot be read as a marker (T.81 F.1.2.3). Returns the next position."""
    out[position] = byte
    if byte == 0xFF:
        out[position + 1] = 0
        return position + 2
    return position + 1



@kernel
def put_word(out, position, word):
    """Write 64 bits (uint64), most significant byte first, with a 0x00 stuffed after each
    0xFF byte (T.81 F.1.2.3). Returns the next position.

    Called, not inlined: an inlined function taking the output array made numba update the
    array's reference count (two atomic operations) at each call."""
    # Is any byte 0xFF, i.e. any byte of the complement zero? (Adding 0x7F to each byte's
    # low 7 bits sets its top bit unless all were zero; no carry crosses bytes.)
    inverse = ~word
    low7 = U64(0x7F7F7F7F7F7F7F7F)
    if (((inverse & low7) + low7) | inverse) & U64(0x8080808080808080) != U64(0x8080808080808080):
        for shift in range(56, -8, -8):  # rare: stuff byte by byte
            position = put_byte(out, position, (word >> U64(shift)) & U64(0xFF))
        return position
    for i in range(8):
        out[position + i] = (word >> U64(56 - 8 * i)) & U64(0xFF)
    return position + 8


@inline_kernel
def put_bits(buffer, count, value, length):
    """Append ``length`` (1..32) bits of ``value`` to the bit buffer, MSB first.

    ``buffer`` (uint64) holds ``count`` (< 64) pending bits. Most symbols only shift their
    bits in; when they do not fit, the buffer is topped up to 64 bits, which the caller
    writes out with :func:`put_word`, and keeps the rest (libjpeg-turbo's jchuff.c works the
    same way). That keeps the chain of dependent operations from one symbol to the next to
    a shift and an or.

    The output array is not an argument: passing an array to a function in this loop made
    numba update its reference count (two atomic operations) for every symbol.

    Returns:
        ``(buffer, count, word, full)``: ``word`` holds 64 finished bits when ``full``.
    """
    free = 64 - count
    if length < free:
        return (buffer << U64(length)) | U64(value), count + length, U64(0), False
    rest = length - free
    word = (buffer << U64(free)) | (U64(value) >> U64(rest))
    return U64(value) & ((U64(1) << U64(rest)) - U64(1)), rest, word, True


@kernel
def flush_bytes(out, position, buffer, count):
    """Write the whole bytes still in the bit buffer (uint64, ``count`` bits), stuffed; keep
    the last < 8 bits."""
    while count >= 8:
        count -= 8
        position = put_byte(out, position, (buffer >> U64(count)) & U64(0xFF))
    buffer &= (U64(1) << U64(count)) - U64(1)
    return position, buffer, count


@inline_kernel
def nonzero_masks(blocks, block_rows, block_cols, masks):
    """Per block, bit k set for every non-zero AC coefficient k (zigzag order).

    Built for LANES blocks side by side and without a branch on the values (those would be
    mispredicted half the time at high quality): the loop over the lanes compiles to vector
    compares, shifts and ors.

    Args:
        blocks: int16 ``(block_rows, groups, 64, LANES)`` of one component, zigzag order.
        block_rows, block_cols: the blocks to do.
        masks: uint64 ``(>= block_rows, groups * LANES)`` to fill.
    """
    lanes = blocks.shape[3]
    for row in range(block_rows):
        for group in range((block_cols + lanes - 1) // lanes):
            coefficients = blocks[row, group]
            mask = masks[row, group * lanes:(group + 1) * lanes]
            for b in range(lanes):
                mask[b] = 0
            for k in range(1, 64):
                line = coefficients[k]
                for b in range(lanes):
                    mask[b] = mask[b] | (np.uint64(line[b] != 0) << np.uint64(k))


@kernel
def code_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors, state,
                final, out):
    """Huffman-code a strip's blocks (see :func:`code_or_count_blocks`); with ``final``,
    pad the last byte with 1-bits, as a restart interval or the scan ends (T.81 F.1.2.3)."""
    no_counts = np.zeros((0, 256), np.int64)
    status = code_or_count_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table,
                                  predictors, state, False, no_counts, no_counts, out,
                                  0, 0, np.empty(0, np.int64))
    if final and state[2]:
        pad = 8 - state[2]
        position, buffer, count = flush_bytes(out, state[0], U64((state[1] << pad) | ((1 << pad) - 1)),
                                              state[2] + pad)
        state[0], state[1], state[2] = position, np.int64(buffer), count
    return status


@kernel
def count_blocks(blocks, components, mcus_across, mcu_rows, predictors, dc_counts, ac_counts):
    """Count the Huffman symbols of a strip's blocks (see :func:`code_or_count_blocks`)."""
    no_codes = np.zeros((0, 256), np.int64)
    code_or_count_blocks(blocks, components, mcus_across, mcu_rows, no_codes, no_codes,
                         predictors, np.zeros(3, np.int64), True, dc_counts, ac_counts,
                         np.empty(0, np.uint8), 0, 0, np.empty(0, np.int64))


@kernel
def code_intervals(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors, state,
                   final, out, interval, first_mcu, ends):
    """:func:`code_blocks` with a restart interval every ``interval`` MCUs of the scan, the
    strip's first MCU being MCU ``first_mcu``: where an interval begins inside the strip the
    bits are padded with 1-bits and the output position recorded in ``ends`` (int64, one
    per such start), and the DC predictors restart from 0 (at the strip's first MCU too)."""
    no_counts = np.zeros((0, 256), np.int64)
    status = code_or_count_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table,
                                  predictors, state, False, no_counts, no_counts, out,
                                  interval, first_mcu, ends)
    if final and state[2]:
        pad = 8 - state[2]
        position, buffer, count = flush_bytes(out, state[0], U64((state[1] << pad) | ((1 << pad) - 1)),
                                              state[2] + pad)
        state[0], state[1], state[2] = position, np.int64(buffer), count
    return status


@kernel
def count_intervals(blocks, components, mcus_across, mcu_rows, predictors, dc_counts, ac_counts,
                    interval, first_mcu):
    """:func:`count_blocks` with the DC predictors restarting as :func:`code_intervals` does."""
    no_codes = np.zeros((0, 256), np.int64)
    code_or_count_blocks(blocks, components, mcus_across, mcu_rows, no_codes, no_codes,
                         predictors, np.zeros(3, np.int64), True, dc_counts, ac_counts,
                         np.empty(0, np.uint8), interval, first_mcu, np.empty(0, np.int64))


@inline_kernel
def code_or_count_blocks(blocks, components, mcus_across, mcu_rows, dc_table, ac_table, predictors,
                         state, counting, dc_counts, ac_counts, out, interval, first_mcu, ends):
    """Huffman-code (or, with ``counting``, count the symbols of) a strip's blocks.

    Inlined into :func:`code_blocks` and :func:`count_blocks` with ``counting`` a constant,
    so each compiles without the other's branches.

    Each symbol goes out as one run of bits: its Huffman code followed by its SSSS
    amplitude bits (T.81 F.1.2.1-2), at most 16 + 16 bits.

    Args:
        blocks: int16 ``(n_components, max_rows, groups, 64, LANES)``, zigzag order, as
            :func:`transform_strip` returns them: block ``(row, col)`` of component ``c`` is
            ``[c, row, col // LANES, :, col % LANES]``.
        components: int64 ``(n_components, 3)``: blocks across and down one MCU, Huffman
            table index.
        mcus_across, mcu_rows: the strip's MCU grid.
        dc_table, ac_table: int64 ``(n_tables, 256)``: each symbol's Huffman code shifted left
            by 8, or-ed with its length (EHUFCO, EHUFSI of Annex C in one load); 0 = no code.
        predictors: int64 (n_components,) DC predictors, updated in place.
        state: int64 (3,): output position, bit buffer, bit count (< 8); updated in place.
        counting: count symbols into dc_counts/ac_counts (int64 ``(n_tables, 256)``) only.
        out: uint8 output buffer, at least ``MAX_BYTES_PER_BLOCK`` per block.
        interval: 0, or MCUs per restart interval counted from the scan's first MCU
            (``restart_blocks``); then ``first_mcu`` is the strip's first MCU in the scan, and
            ``ends`` (int64) gets the output position where each interval that begins after
            the strip's first MCU starts (the bits before it padded with 1-bits, F.1.2.3).

    Returns:
        0, or ``-1 - symbol`` for a DC symbol the table cannot code, ``-257 - symbol`` for AC.
    """
    position, buffer, count = state[0], U64(state[1]), state[2]
    n_components = components.shape[0]
    masks = np.empty((n_components, blocks.shape[1], blocks.shape[2] * blocks.shape[4]), np.uint64)
    for c in range(n_components):
        nonzero_masks(blocks[c], mcu_rows * components[c, 1], mcus_across * components[c, 0], masks[c])
    cuts = 0
    for mcu_row in range(mcu_rows):
        for mcu_col in range(mcus_across):
            if interval and (first_mcu + mcu_row * mcus_across + mcu_col) % interval == 0:
                # A restart interval begins (jchuff.c emit_restart): 1-bits to a byte, the
                # position noted (the RSTm is the orchestrator's), PRED = 0 (F.1.1.5.1).
                if not counting and (mcu_row or mcu_col):
                    pad = -count & 7
                    if pad:
                        buffer, count, word, full = put_bits(buffer, count, (1 << pad) - 1, pad)
                        if full:
                            position = put_word(out, position, word)
                    position, buffer, count = flush_bytes(out, position, buffer, count)
                    ends[cuts] = position
                    cuts += 1
                for c in range(n_components):
                    predictors[c] = 0
            for c in range(n_components):
                across, down, table = components[c, 0], components[c, 1], components[c, 2]
                for by in range(down):
                    row = mcu_row * down + by
                    for bx in range(across):
                        col = mcu_col * across + bx
                        # The block is blocks[c, row, group, :, lane]; indexed in full each time,
                        # since a view of it would update a reference count per block.
                        group, lane = col // LANES, col % LANES
                        # DC: the difference from the previous block of this component (F.1.1.5.1).
                        dc = blocks[c, row, group, 0, lane]
                        diff = np.int64(dc) - predictors[c]
                        predictors[c] = dc
                        sign = diff >> 63  # -1 if negative, else 0
                        size = bit_length((diff ^ sign) - sign)
                        if counting:
                            dc_counts[table, size] += 1
                        else:
                            entry = dc_table[table, size]
                            if entry == 0:
                                return -1 - size
                            # Negative amplitudes are sent as value - 1 in SSSS bits (F.1.2.1.1).
                            bits = ((entry >> 8) << size) | ((diff + sign) & ((1 << size) - 1))
                            buffer, count, word, full = put_bits(buffer, count, bits, (entry & 0xFF) + size)
                            if full:
                                position = put_word(out, position, word)
                        # AC: run/size symbols, ZRL for 16 zeros, EOB after the last non-zero.
                        # Only the non-zero coefficients are visited, lowest bit of the mask first.
                        # (The count / no-code / write steps repeat for DC, ZRL, AC and EOB: one
                        # shared helper returning a status was slower: docs/performance.md.)
                        mask = masks[c, row, col]
                        last = 0
                        while mask:
                            k = lowest_set_bit(mask)
                            mask &= mask - np.uint64(1)
                            run = k - last - 1
                            last = k
                            while run > 15:
                                if counting:
                                    ac_counts[table, ZRL] += 1
                                elif ac_table[table, ZRL] == 0:
                                    return -257 - ZRL
                                else:
                                    entry = ac_table[table, ZRL]
                                    buffer, count, word, full = put_bits(buffer, count, entry >> 8,
                                                                         entry & 0xFF)
                                    if full:
                                        position = put_word(out, position, word)
                                run -= 16
                            value = np.int64(blocks[c, row, group, k, lane])
                            sign = value >> 63
                            size = bit_length((value ^ sign) - sign)
                            symbol = (run << 4) | size
                            if counting:
                                ac_counts[table, symbol] += 1
                                continue
                            entry = ac_table[table, symbol]
                            if entry == 0:
                                return -257 - symbol
                            bits = ((entry >> 8) << size) | ((value + sign) & ((1 << size) - 1))
                            buffer, count, word, full = put_bits(buffer, count, bits, (entry & 0xFF) + size)
                            if full:
                                position = put_word(out, position, word)
                        if last < 63:
                            if counting:
                                ac_counts[table, EOB] += 1
                            elif ac_table[table, EOB] == 0:
                                return -257 - EOB
                            else:
                                entry = ac_table[table, EOB]
                                buffer, count, word, full = put_bits(buffer, count, entry >> 8, entry & 0xFF)
                                if full:
                                    position = put_word(out, position, word)
    position, buffer, count = flush_bytes(out, position, buffer, count)
    state[0], state[1], state[2] = position, np.int64(buffer), count
    return 0

